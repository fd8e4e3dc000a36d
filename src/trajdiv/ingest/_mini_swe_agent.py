"""mini-swe-agent ``.traj.json``: a dict with ``info`` and ``messages``, or a bare message list.

Versions 1.x (``trajectory_format`` ``mini-swe-agent-1``): each assistant message is one step:
the text before its fenced bash block is the thought, the block is the action, and the next user
message (``<returncode>`` / ``<output>``) the observation.

Versions 2.x (``mini-swe-agent-1.1``): with tool calling, each of an assistant message's
``tool_calls`` is one step (the ``bash`` tool's ``command`` is the action) and the ``tool``
message answering it the observation, its exit status in ``extra.returncode`` where recorded;
with text parsing, the parsed ``extra.actions`` are the steps, else the fenced block (now
`` ```mswea_bash_command``) as in 1.x. The model is ``info.config.model.model_name``, else the
``extra.response.model`` of an assistant message.

In the swe-bench/experiments layout (``<submission>/trajs/<instance>/<instance>.traj.json``) the
dump is the submission folder, never ``trajs`` or the instance folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import (
    ReadContext,
    benchmark_of_task,
    opt_field,
    opt_int,
    opt_number,
    submission_of,
    tool_action_text,
    tool_args_json,
)
from trajdiv.ingest._chat import content_text, tool_answer_messages
from trajdiv.ingest._source import Source, load_json
from trajdiv.model import Config, Run, Step

__all__ = ["MiniSweAgentReader", "parse_bash_response"]

_FORMAT_ERROR = "EXACTLY ONE action"
"""Words of mini-swe-agent's format-error template ("Please always provide EXACTLY ONE action
in triple backticks, found N actions.")."""
_BLOCK = re.compile(r"```(?:bash|sh|mswea_bash_command)?[ \t]*\n(.*?)\n?```", re.DOTALL)
_RC = re.compile(r"<returncode>\s*(-?\d+)\s*</returncode>")
_OUT = re.compile(r"<output>\n?(.*?)\n?</output>", re.DOTALL)


def parse_bash_response(text: str) -> tuple[str, str]:
    """Split an assistant message into (thought, command); command is '' if there is no block."""
    m = _BLOCK.search(text)
    if not m:
        return text.strip(), ""
    thought = text[: m.start()].strip()
    if thought.upper().startswith("THOUGHT:"):
        thought = thought[len("THOUGHT:") :].strip()
    return thought, m.group(1).strip()


def _observation(text: str) -> tuple[str, int | None]:
    rc = _RC.search(text)
    out = _OUT.search(text)
    return (out.group(1) if out else text), (int(rc.group(1)) if rc else None)


def _returncode(msg: Any, text: str) -> int | None:
    extra = msg.get("extra") if isinstance(msg, dict) else None
    rc = extra.get("returncode") if isinstance(extra, dict) else None
    if isinstance(rc, int) and not isinstance(rc, bool):
        return rc
    return _observation(text)[1]


def _tool_call_steps(m: dict[str, Any], pos: int, messages: list[Any], source: Source) -> list[Step]:
    calls = m["tool_calls"]
    if not isinstance(calls, list):
        raise InputError(source.display, f"messages[{pos}].tool_calls should be a list")
    answers = tool_answer_messages(messages, pos, calls)
    thought = content_text(m.get("content")).strip()
    steps = []
    for k, call in enumerate(calls):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise InputError(source.display, f"messages[{pos}].tool_calls[{k}] has no function name")
        args = tool_args_json(fn.get("arguments", {}))
        ans = answers[k]
        text = content_text(ans.get("content")) if ans is not None else ""
        steps.append(
            Step(
                index=0,
                thought=thought if k == 0 else "",
                action=tool_action_text(fn["name"], args),
                tool_name=fn["name"],
                tool_args=args,
                observation=_observation(text)[0],
                returncode=_returncode(ans, text),
            )
        )
    return steps


def _parsed_actions(m: dict[str, Any]) -> list[str] | None:
    extra = m.get("extra")
    acts = extra.get("actions") if isinstance(extra, dict) else None
    if not isinstance(acts, list) or not acts:
        return None
    cmds = [a.get("command") for a in acts if isinstance(a, dict)]
    return [c for c in cmds if isinstance(c, str)] or None


def _steps(messages: list[Any], source: Source) -> list[Step]:
    steps: list[Step] = []
    for pos, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise InputError(source.display, f"messages[{pos}] has no role")
        if m["role"] != "assistant":
            continue
        if m.get("tool_calls"):
            new = _tool_call_steps(m, pos, messages, source)
        else:
            text = content_text(m.get("content"))
            thought, action = parse_bash_response(text)
            nxt = messages[pos + 1] if pos + 1 < len(messages) else None
            obs, rc, raw = "", None, ""
            if isinstance(nxt, dict) and nxt.get("role") in ("user", "tool"):
                raw = content_text(nxt.get("content"))
                obs, rc = _observation(raw)[0], _returncode(nxt, raw)
            parsed = _parsed_actions(m)
            # the environment's answer to an output without exactly one action block
            fmt_error = parsed is None and _FORMAT_ERROR in raw[:2000]
            actions = parsed if parsed is not None else [action]
            new = [
                Step(
                    index=0,
                    thought=thought if k == 0 else "",
                    action=a.strip(),
                    observation=obs if k == 0 else "",
                    returncode=rc if k == 0 else None,
                    format_error=fmt_error,
                )
                for k, a in enumerate(actions)
            ]
        base = len(steps)
        steps.extend([replace(st, index=base + k + 1) for k, st in enumerate(new)])
    return steps


def _model_name(obj: Any, messages: list[Any]) -> str | None:
    info = obj.get("info") if isinstance(obj, dict) else None
    cfg = info.get("config") if isinstance(info, dict) else None
    model = cfg.get("model") if isinstance(cfg, dict) else None
    if isinstance(model, dict) and isinstance(model.get("model_name"), str):
        return str(model["model_name"])
    for m in messages:
        extra = m.get("extra") if isinstance(m, dict) else None
        resp = extra.get("response") if isinstance(extra, dict) else None
        if isinstance(resp, dict) and isinstance(resp.get("model"), str):
            return str(resp["model"])
    return None


class MiniSweAgentReader:
    """Reader for mini-swe-agent trajectories."""

    name = "mini-swe-agent"
    description = "mini-swe-agent .traj.json (info + messages[], or a bare list of messages)"

    def sniff(self, source: Source, head: bytes) -> bool:
        if source.name.endswith(".traj.json"):
            return True
        return b"mini-swe-agent" in head and b'"messages"' in head

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        obj = load_json(source)
        if isinstance(obj, list):
            messages = obj
            info: dict[str, Any] = {}
        elif isinstance(obj, dict) and isinstance(obj.get("messages"), list):
            messages = obj["messages"]
            info = opt_field(obj, "info", dict, source) or {}
        else:
            raise InputError(source.display, "expected a list of messages or an object with 'messages'")
        steps = _steps(messages, source)
        task_id = obj.get("instance_id") if isinstance(obj, dict) else None
        if not isinstance(task_id, str) or not task_id:
            task_id = source.name.removesuffix(".json").removesuffix(".traj")
        sub = submission_of(source, ctx)
        folder = source.folder_parts[-1] if source.folder_parts else ""
        if sub is not None:
            folder = sub.folder
        elif folder == task_id and len(source.folder_parts) >= 2:
            folder = source.folder_parts[-2]  # <dump>/<instance>/<instance>.traj.json
        meta = ctx.metadata_for(source) or {}
        model = _model_name(obj, messages) or (sub.model if sub else None) or meta.get("model") or "unknown"
        attrs = [("dump", folder)]
        bench = (sub.benchmark if sub else "") or benchmark_of_task(task_id)
        if bench:
            attrs.append(("benchmark", bench))
        if sub is not None:
            attrs.append(("submission", sub.folder))
        stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
        yield Run(
            task_id=task_id,
            run_id=f"{task_id}@{folder}" if folder else task_id,
            config=Config(model=model, scaffold="mini-swe-agent", attrs=tuple(attrs)),
            steps=tuple(steps),
            patch=opt_field(info, "submission", str, source, "info"),
            cost=opt_number(stats, "instance_cost"),
            api_calls=opt_int(stats, "api_calls"),
            dump_key=folder or model,
            source=source.display,
            fmt=self.name,
        )
