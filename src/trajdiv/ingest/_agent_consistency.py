"""The agent-consistency layout: ``results_<model>/<instance>.json`` holding ``runs[]``.

Outcomes are not in these files: ``success`` only means the run submitted. They come from the
SWE-bench harness reports ``<key>.<key>-local-run<K>.json`` beside the ``results_*`` folders (see
:mod:`trajdiv.ingest._labels` for the pairing rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from trajdiv._errors import InputError
from trajdiv.ingest._base import (
    ReadContext,
    field_of,
    opt_field,
    opt_int,
    opt_number,
    trailing_number,
)
from trajdiv.ingest._source import Source, load_json
from trajdiv.model import Config, Run, Step

__all__ = ["AgentConsistencyReader", "dump_key_of_folder"]

_HEAD = re.compile(rb'^\s*\{\s*"task_id"\s*:')


def dump_key_of_folder(folder: str) -> str:
    """``results_claude_10`` -> ``claude``: the name the harness reports use for the model."""
    if folder.startswith("results_"):
        rest = folder[len("results_") :]
        return rest.split("_", 1)[0] or folder
    return folder


def _seconds(start: object, end: object) -> float | None:
    """Wall-clock seconds between two ISO timestamps; None when either is missing or malformed."""
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except ValueError:
        return None


class AgentConsistencyReader:
    """Reader for the agent-consistency ``runs[]`` files."""

    name = "agent-consistency"
    description = "results_<model>/<instance>.json with runs[] (labels: <key>.<key>-local-runK.json)"

    def sniff(self, source: Source, head: bytes) -> bool:
        if not source.name.endswith(".json") or not _HEAD.match(head):
            return False
        in_results = bool(source.folder_parts) and source.folder_parts[-1].startswith("results_")
        return b'"runs"' in head or in_results

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        obj = load_json(source)
        task_id = field_of(obj, "task_id", str, source)
        runs = field_of(obj, "runs", list, source)
        if not runs:
            raise InputError(source.display, "'runs' is empty")
        model = field_of(obj, "model", str, source)
        folder = source.folder_parts[-1] if source.folder_parts else source.name
        attrs = [("dump", folder)]
        temp = opt_number(obj, "temperature")
        if temp is not None:
            attrs.append(("temperature", repr(temp)))
        provider = opt_field(obj, "provider", str, source)
        if provider:
            attrs.append(("provider", provider))
        config = Config(model=model, scaffold="agent-consistency", attrs=tuple(attrs))
        key = dump_key_of_folder(folder)
        for i, r in enumerate(runs):
            where = f"runs[{i}]"
            run_id = field_of(r, "run_id", str, source, where)
            raw_steps = field_of(r, "steps", list, source, where)
            steps = []
            for j, s in enumerate(raw_steps):
                sw = f"{where}.steps[{j}]"
                steps.append(
                    Step(
                        index=j + 1,
                        thought=opt_field(s, "thought", str, source, sw) or "",
                        action=field_of(s, "action", str, source, sw),
                        observation=opt_field(s, "observation", str, source, sw) or "",
                        returncode=opt_field(s, "returncode", int, source, sw),
                    )
                )
            yield Run(
                task_id=task_id,
                run_id=run_id,
                run_index=trailing_number(run_id),
                config=config,
                steps=tuple(steps),
                patch=opt_field(r, "final_output", str, source, where),
                cost=opt_number(r, "total_cost"),
                api_calls=opt_int(r, "n_calls"),
                duration_s=_seconds(r.get("start_time"), r.get("end_time")),
                dump_key=key,
                source=source.display,
                fmt=self.name,
            )
