"""The worker side of the pipeline: parsing a file and spilling its runs (pass 1), analysing one
group (pass 2), and the cache entries of both. Everything here runs in worker processes (or in
this one with ``-j 1``); a worker's state is set once by :func:`init_worker`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv._digest import code_digest
from trajdiv._errors import TrajdivError
from trajdiv._io import atomic_write_bytes
from trajdiv.ingest._base import ReadContext
from trajdiv.ingest._ingest import (
    LabelKey,
    finalize_group,
    label_key,
    read_source,
    relabel,
)
from trajdiv.ingest._labels import LabelFile
from trajdiv.ingest._registry import readers
from trajdiv.ingest._source import Source
from trajdiv.model import Run
from trajdiv.pipeline._cachedir import touch
from trajdiv.pipeline._codec import (
    CacheMiss,
    frame_from_bytes,
    frame_to_bytes,
    pack,
    run_from_bytes,
    run_to_bytes,
    unpack,
)
from trajdiv.pipeline._group import GroupResult, analyze_group
from trajdiv.pipeline._settings import Settings
from trajdiv.tables import frame
from trajdiv.tokens._tokenize import TokenCache

__all__ = [
    "VERSION",
    "GroupOut",
    "RunRef",
    "SourceIndex",
    "cached_index",
    "group_cache_path",
    "init_worker",
    "parse_source",
    "process_group",
    "source_key",
]

VERSION = b"trajdiv-pipeline-3"


@dataclass(slots=True)
class RunRef:
    file: str
    """The input file the run was read from (its ``source`` may name an earlier origin)."""
    group: tuple[str, str]
    run_id: str
    digest: str
    spill: str
    offset: int
    length: int
    scope: tuple[str, ...]
    lkey: LabelKey
    """What the final configuration label is resolved from (:func:`resolve_labels`)."""
    model: str
    dump_key: str


@dataclass(slots=True)
class SourceIndex:
    display: str
    refs: list[RunRef]
    reason: str | None
    warnings: list[str]
    cached: bool = False


# worker-side state, set once per worker by init_worker
_W: dict[str, Any] = {}


def init_worker(
    settings: Settings,
    ctx: ReadContext,
    labels: list[LabelFile],
    cache_dir: str | None,
    spill_dir: str,
) -> None:
    _W.update(
        settings=settings,
        ctx=ctx,
        labels=labels,
        cache_dir=cache_dir,
        spill_dir=spill_dir,
        readers={r.name: r for r in readers()},
        tokens=(TokenCache(Path(cache_dir), settings.encoding) if cache_dir else None)
        if {"diverge", "graph"} & set(settings.stages)
        else None,
    )


def source_key(source: Source, reader_name: str, settings: Settings, ctx: ReadContext) -> str | None:
    """Content hash of a file and of everything that shapes the runs read from it."""
    try:
        data = source.read_bytes()
    except Exception:  # unreadable now: the parse step reports why
        return None
    h = hashlib.blake2b(digest_size=20)
    for piece in (
        VERSION,
        code_digest(),
        source.display.encode(),
        # names from the input argument down: they shape configuration labels and label scopes
        json.dumps([source.parts, source.archive, source.member, source.index]).encode(),
        reader_name.encode(),
        settings.config_from.encode(),
        f"{ctx.grading}:{ctx.f1_threshold!r}:{ctx.score}".encode(),
        json.dumps(
            [ctx.side_text(source, 1, "result.json"), ctx.side_text(source, 1, "verifier", "reward.txt")]
        ).encode(),
        json.dumps(ctx.metadata_for(source), sort_keys=True).encode(),
        data,
    ):
        h.update(len(piece).to_bytes(8, "little"))
        h.update(piece)
    return h.hexdigest()


def _ref_from_json(d: dict[str, Any]) -> RunRef:
    return RunRef(
        str(d["file"]),
        (str(d["group"][0]), str(d["group"][1])),
        str(d["run_id"]),
        str(d["digest"]),
        str(d["spill"]),
        int(d["offset"]),
        int(d["length"]),
        tuple(str(x) for x in d["scope"]),
        (str(d["lkey"][0]), str(d["lkey"][1]), str(d["lkey"][2])),
        str(d["model"]),
        str(d["dump_key"]),
    )


def cached_index(key: str | None, cache_dir: Path | None) -> SourceIndex | None:
    """The cached parse of a file, or None: absent, damaged, foreign, or its spilled runs no
    longer match their digests (every check failing costs a re-parse, never a wrong run)."""
    if key is None or cache_dir is None:
        return None
    path = cache_dir / "sources" / key[:2] / f"{key}.idx"
    try:
        meta, _ = unpack(path.read_bytes())
        idx = SourceIndex(
            str(meta["display"]),
            [_ref_from_json(r) for r in meta["refs"]],
            meta["reason"],
            [str(w) for w in meta["warnings"]],
        )
        spills: dict[str, bytes] = {}
        for r in idx.refs:
            if r.spill not in spills:
                spills[r.spill] = Path(r.spill).read_bytes()
            blob = spills[r.spill][r.offset : r.offset + r.length]
            if hashlib.blake2b(blob, digest_size=16).hexdigest() != r.digest:
                return None
    except (OSError, CacheMiss, KeyError, TypeError, ValueError, IndexError):
        return None
    touch(path)
    for spill in spills:
        touch(Path(spill))
    idx.cached = True
    return idx


def parse_source(item: tuple[Source, str, str | None]) -> SourceIndex:
    """Parse one file and spill its runs (worker side); caches the index when there is a cache."""
    source, reader_name, key = item
    settings: Settings = _W["settings"]
    cache_dir: str | None = _W["cache_dir"]
    runs, reason, warnings = read_source(source, _W["readers"][reader_name], _W["ctx"], settings.config_from)
    idx = SourceIndex(source.display, [], reason, warnings)
    name = key or hashlib.blake2b(source.display.encode(), digest_size=20).hexdigest()
    base = Path(cache_dir) / "sources" if cache_dir and key else Path(_W["spill_dir"])
    if runs:
        spill = base / name[:2] / f"{name}.runs"
        spill.parent.mkdir(parents=True, exist_ok=True)
        tmp = spill.with_name(f".{spill.name}.{os.getpid()}.tmp")
        scope = (source.archive or "", *source.folder_parts)
        with open(tmp, "wb") as fh:
            for run in runs:
                off = fh.tell()
                blob = run_to_bytes(run)
                fh.write(blob)
                digest = hashlib.blake2b(blob, digest_size=16).hexdigest()
                idx.refs.append(
                    RunRef(
                        source.display,
                        run.group_key,
                        run.run_id,
                        digest,
                        str(spill),
                        off,
                        len(blob),
                        scope,
                        label_key(run),
                        run.config.model,
                        run.dump_key,
                    )
                )
        os.replace(tmp, spill)
    if cache_dir and key:
        idx_path = Path(cache_dir) / "sources" / key[:2] / f"{key}.idx"
        meta = {
            "display": idx.display,
            "reason": idx.reason,
            "warnings": idx.warnings,
            "refs": [dataclasses.asdict(r) for r in idx.refs],
        }
        atomic_write_bytes(idx_path, pack(meta))
    return idx


def _load_runs(refs: list[RunRef]) -> list[Run]:
    runs = []
    handles: dict[str, Any] = {}
    try:
        for ref in refs:
            fh = handles.get(ref.spill)
            if fh is None:
                fh = handles[ref.spill] = open(ref.spill, "rb")  # noqa: SIM115 - closed below
            fh.seek(ref.offset)
            blob = fh.read(ref.length)
            if hashlib.blake2b(blob, digest_size=16).hexdigest() != ref.digest:
                raise TrajdivError(f"{ref.spill}: a spilled run changed during the analysis; run again")
            try:
                runs.append(run_from_bytes(blob))
            except CacheMiss as exc:
                raise TrajdivError(f"{ref.spill}: {exc}; run again") from None
    finally:
        for fh in handles.values():
            fh.close()
    return runs


@dataclass(slots=True)
class GroupOut:
    result: GroupResult
    frames: dict[str, pl.DataFrame]
    used: dict[str, int]
    warnings: list[tuple[str, str]]
    errors: list[tuple[str, str]]
    n_runs: int
    files: dict[str, int]
    """Runs kept per input file."""
    cached: bool = False


def group_cache_path(cache_dir: str | Path | None, key: str) -> Path | None:
    return Path(cache_dir) / "groups" / key[:2] / f"{key}.entry" if cache_dir else None


_RESULT_FIELDS = (
    "config",
    "task_id",
    "graph_json",
    "graph_graphml",
    "graph_file",
    "seqs",
    "run_ids",
    "outcomes",
    "drill",
)


def _group_to_bytes(out: GroupOut) -> bytes:
    meta = {
        "result": {f: getattr(out.result, f) for f in _RESULT_FIELDS},
        "used": out.used,
        "warnings": out.warnings,
        "errors": out.errors,
        "n_runs": out.n_runs,
        "files": out.files,
    }
    return pack(meta, {name: frame_to_bytes(df) for name, df in out.frames.items()})


def _group_from_bytes(data: bytes) -> GroupOut:
    meta, parts = unpack(data)
    try:
        result = GroupResult(**{f: meta["result"][f] for f in _RESULT_FIELDS})
        frames = {name: frame_from_bytes(blob) for name, blob in parts.items()}
        return GroupOut(
            result,
            frames,
            {str(k): int(v) for k, v in meta["used"].items()},
            [(str(a), str(b)) for a, b in meta["warnings"]],
            [(str(a), str(b)) for a, b in meta["errors"]],
            int(meta["n_runs"]),
            {str(k): int(v) for k, v in meta["files"].items()},
            cached=True,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CacheMiss(f"damaged group entry: {exc}") from None


def process_group(item: tuple[str, str, list[RunRef]]) -> GroupOut:
    key, label, refs = item
    path = group_cache_path(_W["cache_dir"], key)
    if path is not None and path.exists():
        try:
            out = _group_from_bytes(path.read_bytes())
            touch(path)
            return out
        except (OSError, CacheMiss):
            pass  # damaged or foreign: computed again below
    runs = [relabel(r, label) for r in _load_runs(refs)]
    kept, used, warnings, errors = finalize_group(
        [(r, ref.file, ref.scope) for r, ref in zip(runs, refs, strict=True)], _W["labels"]
    )
    # run ids are unique once duplicates are dropped, and the first copy is the one kept
    digest_of: dict[str, str] = {}
    for r, ref in zip(runs, refs, strict=True):
        digest_of.setdefault(r.run_id, ref.digest)
    kept_runs = [r for r, _ in kept]
    result = analyze_group(kept_runs, _W["settings"], _W["tokens"], [digest_of[r.run_id] for r in kept_runs])
    # typed frames are built here, in parallel, rather than row by row in the main process
    frames = {name: frame(name, rows) for name, rows in result.tables.items()}
    result.tables = {}
    files: dict[str, int] = {}
    for _, f in kept:
        files[f] = files.get(f, 0) + 1
    out = GroupOut(result, frames, used, warnings, errors, len(kept), files)
    if path is not None:
        atomic_write_bytes(path, _group_to_bytes(out))
    return out
