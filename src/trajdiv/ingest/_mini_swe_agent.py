"""mini-swe-agent ``.traj.json``: a dict with ``info`` and ``messages``, or a bare message list.

Each assistant message is one step: the text before its fenced bash block is the thought, the
block is the action, and the next user message (``<returncode>`` / ``<output>``) the observation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import ReadContext, opt_field, opt_int, opt_number
from trajdiv.ingest._chat import content_text
from trajdiv.ingest._source import Source, load_json
from trajdiv.model import Config, Run, Step

__all__ = ["MiniSweAgentReader", "parse_bash_response"]

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
        steps: list[Step] = []
        for pos, m in enumerate(messages):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str):
                raise InputError(source.display, f"messages[{pos}] has no role")
            if m["role"] != "assistant":
                continue
            thought, action = parse_bash_response(content_text(m.get("content")))
            obs, rc = "", None
            nxt = messages[pos + 1] if pos + 1 < len(messages) else None
            if isinstance(nxt, dict) and nxt.get("role") == "user":
                obs, rc = _observation(content_text(nxt.get("content")))
            steps.append(
                Step(
                    index=len(steps) + 1,
                    thought=thought,
                    action=action,
                    observation=obs,
                    returncode=rc,
                )
            )
        folder = source.folder_parts[-1] if source.folder_parts else ""
        meta = ctx.metadata_for(source) or {}
        model = _model_name(obj, messages) or meta.get("model") or "unknown"
        task_id = obj.get("instance_id") if isinstance(obj, dict) else None
        if not isinstance(task_id, str) or not task_id:
            task_id = source.name.removesuffix(".json").removesuffix(".traj")
        stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
        yield Run(
            task_id=task_id,
            run_id=f"{task_id}@{folder}" if folder else task_id,
            config=Config(model=model, scaffold="mini-swe-agent", attrs=(("dump", folder),)),
            steps=tuple(steps),
            patch=opt_field(info, "submission", str, source, "info"),
            cost=opt_number(stats, "instance_cost"),
            api_calls=opt_int(stats, "api_calls"),
            dump_key=folder or model,
            source=source.display,
            fmt=self.name,
        )
