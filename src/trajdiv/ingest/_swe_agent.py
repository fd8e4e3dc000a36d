"""SWE-agent ``.traj`` files (the 0.x layout, and 1.x with ``replay_config``; steps carry
``messages`` up to 1.0 and ``query`` from 1.1 on, neither of which is needed here).

The model is named by ``replay_config`` where present, else by the submission of the
swe-bench/experiments layout (``<submission>/trajs/<instance>.traj``: ``metadata.yaml``'s
``name: SWE-agent + MODEL`` or the submission folder name, never ``trajs``), else by a
``metadata.yaml`` above the file, else by the run folder name
(``gpt4__swe-bench-dev-...__t-0.00__...`` -> ``gpt4``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import (
    ReadContext,
    benchmark_of_task,
    field_of,
    opt_field,
    opt_int,
    opt_number,
    submission_model,
    submission_of,
)
from trajdiv.ingest._source import Source, load_json
from trajdiv.model import Config, Run, Step

__all__ = ["SweAgentReader"]

_TEMP = re.compile(r"__t-([0-9.]+)")


def _model_from_replay(obj: dict[str, Any]) -> str | None:
    rc = obj.get("replay_config")
    if isinstance(rc, str):
        try:
            rc = json.loads(rc)
        except json.JSONDecodeError:
            return None
    if not isinstance(rc, dict):
        return None
    agent = rc.get("agent")
    model = agent.get("model") if isinstance(agent, dict) else None
    if isinstance(model, dict):
        for key in ("name", "model_name"):
            if isinstance(model.get(key), str):
                return str(model[key])
    return None


class SweAgentReader:
    """Reader for SWE-agent ``.traj`` files."""

    name = "swe-agent"
    description = "SWE-agent .traj (trajectory[], history[], info); model from folder or config"

    def sniff(self, source: Source, head: bytes) -> bool:
        if source.name.endswith(".traj"):
            return True
        return (
            source.name.endswith(".json")
            and b'"trajectory"' in head
            and (b'"environment"' in head or b'"history"' in head)
        )

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        obj = load_json(source)
        traj = field_of(obj, "trajectory", list, source)
        info = opt_field(obj, "info", dict, source) or {}
        sub = submission_of(source, ctx)
        folder = sub.folder if sub else (source.folder_parts[-1] if source.folder_parts else "")
        meta = ctx.metadata_for(source)
        model = (
            _model_from_replay(obj)
            or (submission_model(sub) if sub else None)
            or (meta or {}).get("model")
            or (folder.split("__", 1)[0] if folder else "unknown")
        )
        attrs = [("dump", folder)]
        if sub is not None:
            attrs.append(("submission", sub.folder))
        m = _TEMP.search(folder)
        if m:
            attrs.append(("temperature", m.group(1)))
        steps = []
        for j, t in enumerate(traj):
            w = f"trajectory[{j}]"
            thought = opt_field(t, "thought", str, source, w)
            if thought is None:
                thought = opt_field(t, "response", str, source, w) or ""
            steps.append(
                Step(
                    index=j + 1,
                    thought=thought,
                    action=field_of(t, "action", str, source, w).strip(),
                    observation=opt_field(t, "observation", str, source, w) or "",
                )
            )
        stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
        task_id = source.name[: -len(".traj")] if source.name.endswith(".traj") else source.name
        if isinstance(obj.get("instance_id"), str):
            task_id = obj["instance_id"]
        if not task_id:
            raise InputError(source.display, "cannot tell the task id from the file name")
        bench = (sub.benchmark if sub else "") or benchmark_of_task(task_id)
        if bench:
            attrs.append(("benchmark", bench))
        yield Run(
            task_id=task_id,
            run_id=f"{task_id}@{folder}" if folder else task_id,
            config=Config(model=model, scaffold="swe-agent", attrs=tuple(attrs)),
            steps=tuple(steps),
            patch=opt_field(info, "submission", str, source, "info"),
            cost=opt_number(stats, "instance_cost"),
            tokens_sent=opt_int(stats, "tokens_sent"),
            tokens_received=opt_int(stats, "tokens_received"),
            api_calls=opt_int(stats, "api_calls"),
            dump_key=folder or model,
            source=source.display,
            fmt=self.name,
        )
