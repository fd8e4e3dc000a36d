"""inspect_ai evaluation logs: ``.eval`` (a zip) and ``.json`` logs.

inspect_ai runs each sample ``epochs`` times; sample ``id`` at epoch ``n`` is run ``n`` of task
``id``. The configuration is the scaffold ``inspect:<task>`` (``inspect:<task>/<solver>`` where
the log names its solver) and the log's model; the benchmark is the task's name.

Steps come from the sample's messages: each tool call of an assistant message is one step (tool
name and arguments; a shell tool's command), its observation the ``tool`` message answering it;
an assistant message without tool calls is a ``respond`` step. Message text stored as an
attachment (``attachment://<hash>``) is resolved from the sample's ``attachments``.

Outcome: the value of the first scorer (or the one named by ``--score``): ``C`` is resolved,
``I`` / ``N`` are not, ``P`` (partial) is not resolved with reward 0.5; booleans as they are;
numbers are the reward, resolved when at least 1.0. Tokens from ``model_usage``, time from
``total_time``. A log whose status is not ``success``, and a sample with an ``error``, are read
with a warning on each run.

``.eval`` members compressed with deflate or with zstd (inspect_ai 0.3.100 and later) are read;
zstd needs the ``zstandard`` package.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from collections.abc import Iterator
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import ReadContext, opt_number
from trajdiv.ingest._chat import steps_from_chat
from trajdiv.ingest._source import MAX_FILE_BYTES, Source, load_json
from trajdiv.model import Config, Outcome, Run

__all__ = ["InspectReader", "outcome_of_score"]

_ZSTD = 93
_SAMPLE = re.compile(r"^samples/(.+)_epoch_(\d+)\.json$")
_JSON_HEAD = re.compile(rb'^\s*\{\s*"version"\s*:\s*\d+\s*,\s*"status"\s*:')
_ATTACHMENT = "attachment://"
_MAX_RATIO = 200


def _member_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo, display: str) -> bytes:
    """A member's content, size-checked; zstd members are decompressed with ``zstandard``."""
    if info.file_size > MAX_FILE_BYTES or info.file_size > _MAX_RATIO * max(info.compress_size, 1) + 2**20:
        raise InputError(display, f"member {info.filename} would unpack to {info.file_size} bytes; refused")
    if info.compress_type != _ZSTD:
        try:
            with zf.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
            raise InputError(display, f"member {info.filename} cannot be read: {exc}") from None
        except Exception as exc:  # zlib.error and the like
            raise InputError(display, f"member {info.filename} is damaged: {exc}") from None
    else:
        data = _zstd_member(zf, info, display)
    if len(data) != info.file_size:
        raise InputError(display, f"member {info.filename} is not the size its header says")
    return data


def _zstd_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, display: str) -> bytes:
    try:
        import zstandard
    except ImportError:
        raise InputError(
            display, "this log's members are zstd-compressed: install the zstandard package"
        ) from None
    fp = zf.fp
    if fp is None:
        raise InputError(display, "archive is closed")
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise InputError(display, f"member {info.filename} has no local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    raw = fp.read(info.compress_size)
    try:
        out: bytes = zstandard.ZstdDecompressor().decompress(raw, max_output_size=info.file_size)
    except zstandard.ZstdError as exc:
        raise InputError(display, f"member {info.filename}: zstd data is damaged: {exc}") from None
    return out


def outcome_of_score(name: str, value: Any) -> Outcome | None:
    """The outcome a score value stands for (see the module docstring); None if it has no meaning.

    Examples
    --------
    >>> outcome_of_score("check_flag", "C").resolved
    True
    >>> outcome_of_score("m", 0.5)
    Outcome(resolved=False, reward=0.5, source='score:m')
    """
    src = f"score:{name}"
    if isinstance(value, bool):
        return Outcome(resolved=value, reward=float(value), source=src)
    if isinstance(value, str):
        v = value.strip().upper()
        table = {"C": (True, 1.0), "I": (False, 0.0), "N": (False, 0.0), "P": (False, 0.5)}
        if v in table:
            ok, reward = table[v]
            return Outcome(resolved=ok, reward=reward, source=src)
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float):
        return Outcome(resolved=float(value) >= 1.0, reward=float(value), source=src)
    return None


def _resolve_attachments(obj: Any, attachments: dict[str, Any], depth: int = 0) -> Any:
    if depth > 64:
        return obj
    if isinstance(obj, str) and obj.startswith(_ATTACHMENT):
        val = attachments.get(obj[len(_ATTACHMENT) :])
        return val if isinstance(val, str) else obj
    if isinstance(obj, list):
        return [_resolve_attachments(x, attachments, depth + 1) for x in obj]
    if isinstance(obj, dict):
        return {k: _resolve_attachments(v, attachments, depth + 1) for k, v in obj.items()}
    return obj


def _chat_messages(messages: list[Any]) -> list[Any]:
    """inspect_ai messages in the OpenAI shape :func:`steps_from_chat` reads."""
    out = []
    for m in messages:
        if not isinstance(m, dict):
            out.append(m)
            continue
        calls = m.get("tool_calls")
        if isinstance(calls, list):
            fixed = []
            for c in calls:
                if isinstance(c, dict) and isinstance(c.get("function"), str):
                    c = {
                        "id": c.get("id"),
                        "function": {"name": c["function"], "arguments": c.get("arguments")},
                    }
                fixed.append(c)
            m = {**m, "tool_calls": fixed}
        out.append(m)
    return out


def _tokens(sample: dict[str, Any]) -> tuple[int | None, int | None]:
    usage = sample.get("model_usage")
    if not isinstance(usage, dict) or not usage:
        return None, None
    sent = recv = 0
    for u in usage.values():
        if isinstance(u, dict):
            sent += int(opt_number(u, "input_tokens") or 0)
            recv += int(opt_number(u, "output_tokens") or 0)
    return sent, recv


class InspectReader:
    """Reader for inspect_ai logs."""

    name = "inspect"
    description = "inspect_ai logs (.eval zip, deflate or zstd; .json): one run per sample and epoch"

    def sniff(self, source: Source, head: bytes) -> bool:
        if source.name.endswith(".eval"):
            return head.startswith(b"PK")
        return source.name.endswith(".json") and bool(_JSON_HEAD.match(head)) and b'"eval"' in head

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        if source.name.endswith(".eval"):
            header, samples = self._read_eval(source)
        else:
            obj = load_json(source)
            if not isinstance(obj, dict) or not isinstance(obj.get("eval"), dict):
                raise InputError(source.display, "not an inspect_ai log: no 'eval' object")
            header = obj
            samples = obj.get("samples") or []
            if not isinstance(samples, list):
                raise InputError(source.display, "'samples' should be a list")
        ev = header.get("eval")
        if not isinstance(ev, dict):
            raise InputError(source.display, "not an inspect_ai log: no 'eval' object")
        task = str(ev.get("task") or ev.get("task_registry_name") or "task")
        model = str(ev.get("model") or "unknown")
        solver = ev.get("solver")
        scaffold = f"inspect:{task}" + (f"/{solver}" if isinstance(solver, str) and solver else "")
        attrs = [("benchmark", task.rsplit("/", 1)[-1]), ("dump", source.name)]
        status = header.get("status")
        log_warn = () if status == "success" else (f"log status is {status!r}, not 'success'",)
        config = Config(model=model, scaffold=scaffold, attrs=tuple(attrs))
        if not samples:
            raise InputError(source.display, f"the log holds no samples (status {status!r})")
        for sample in samples:
            yield self._run(sample, source, ctx, config, log_warn)

    def _read_eval(self, source: Source) -> tuple[dict[str, Any], list[Any]]:
        data = source.read_bytes()
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputError(source.display, f"not a readable .eval archive: {exc}") from None
        with zf:
            names = {i.filename: i for i in zf.infolist()}
            head_name = "header.json" if "header.json" in names else "_journal/start.json"
            if head_name not in names:
                raise InputError(source.display, "no header.json or _journal/start.json in the log")
            header = self._json(zf, names[head_name], source)
            if head_name != "header.json":
                header = {**header, "status": "started"}
            members = []
            for name, info in names.items():
                m = _SAMPLE.match(name)
                if m:
                    members.append((m.group(1), int(m.group(2)), info))
            members.sort(key=lambda t: (t[0], t[1]))
            samples = [self._json(zf, info, source) for _, _, info in members]
        return header, samples

    @staticmethod
    def _json(zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: Source) -> Any:
        raw = _member_bytes(zf, info, source.display)
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(source.display, f"member {info.filename} is not valid JSON: {exc}") from None

    def _run(
        self, sample: Any, source: Source, ctx: ReadContext, config: Config, log_warn: tuple[str, ...]
    ) -> Run:
        if not isinstance(sample, dict) or "id" not in sample:
            raise InputError(source.display, "a sample has no id")
        sid = str(sample["id"])
        epoch = sample.get("epoch")
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            raise InputError(source.display, f"sample {sid} has no integer epoch")
        raw_att = sample.get("attachments")
        attachments: dict[str, Any] = raw_att if isinstance(raw_att, dict) else {}
        messages = _resolve_attachments(sample.get("messages") or [], attachments)
        steps = steps_from_chat(_chat_messages(messages), source, f"sample {sid} epoch {epoch} messages")
        warnings = list(log_warn)
        if sample.get("error"):
            err = sample["error"]
            msg = err.get("message") if isinstance(err, dict) else err
            warnings.append(f"sample error: {str(msg)[:200]}")
        outcome, warn = self._outcome(sample, ctx)
        if warn:
            warnings.append(warn)
        sent, recv = _tokens(sample)
        output = sample.get("output")
        answer = None
        if isinstance(output, dict) and isinstance(output.get("completion"), str):
            answer = output["completion"]
        return Run(
            task_id=sid,
            run_id=f"{sid}_epoch_{epoch}",
            run_index=epoch,
            config=config,
            steps=tuple(steps),
            outcome=outcome,
            patch=answer,
            tokens_sent=sent,
            tokens_received=recv,
            duration_s=opt_number(sample, "total_time"),
            dump_key=source.name,
            source=source.display,
            fmt=self.name,
            warnings=tuple(warnings),
        )

    @staticmethod
    def _outcome(sample: dict[str, Any], ctx: ReadContext) -> tuple[Outcome, str | None]:
        scores = sample.get("scores")
        if not isinstance(scores, dict) or not scores:
            return Outcome(), "no score: unlabelled"
        name = ctx.score or next(iter(scores))
        if name not in scores:
            return Outcome(), f"no scorer {name!r} (scorers: {', '.join(map(str, scores))}): unlabelled"
        sc = scores[name]
        value = sc.get("value") if isinstance(sc, dict) else sc
        out = outcome_of_score(str(name), value)
        if out is None:
            return Outcome(), f"score {name!r} value {str(value)[:60]!r} has no pass/fail meaning: unlabelled"
        return out, None
