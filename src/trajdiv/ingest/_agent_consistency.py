"""The agent-consistency layout: ``results_<model>/<instance>.json`` holding ``runs[]``.

``success`` in these files only means the run finished; it is never an outcome. SWE-bench runs
take their outcome from the harness reports ``<key>.<key>-local-run<K>.json`` beside the
``results_*`` folders (see :mod:`trajdiv.ingest._labels` for the pairing rule). Question-answering
runs (a file with a gold ``answer`` and runs with a ``final_answer``, such as HotpotQA) are graded
by the rule chosen with ``--grade`` (:mod:`trajdiv.ingest._grading`).

A step's action is ``action`` (a shell command, or a tool name such as ``Search``) together with
its ``action_input`` arguments where the step has them.

The benchmark is ``hotpotqa`` for files with HotpotQA's fields (``question``, ``answer``,
``supporting_facts``), ``swe-bench`` for SWE-bench instance ids, ``qa`` for other
answer-graded files, else unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from trajdiv._errors import InputError
from trajdiv.ingest._base import (
    ReadContext,
    benchmark_of_task,
    field_of,
    opt_field,
    opt_int,
    opt_number,
    tool_action_text,
    tool_args_json,
    trailing_number,
)
from trajdiv.ingest._grading import grade_answer
from trajdiv.ingest._source import Source
from trajdiv.ingest._stream import json_object_with_array
from trajdiv.model import Config, Outcome, Run, Step

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


def _benchmark(obj: dict[str, object], task_id: str) -> str:
    if all(k in obj for k in ("question", "answer", "supporting_facts")):
        return "hotpotqa"
    family = benchmark_of_task(task_id)
    if family:
        return family
    return "qa" if isinstance(obj.get("answer"), str) else ""


def _step(s: object, j: int, source: Source, where: str) -> Step:
    sw = f"{where}.steps[{j}]"
    action = field_of(s, "action", str, source, sw)
    args = s.get("action_input") if isinstance(s, dict) else None
    tool_name = tool_args = None
    if args is not None:
        tool_name, tool_args = action.strip(), tool_args_json(args)
        action = tool_action_text(tool_name, tool_args)
    return Step(
        index=j + 1,
        thought=opt_field(s, "thought", str, source, sw) or "",
        action=action,
        tool_name=tool_name,
        tool_args=tool_args,
        observation=opt_field(s, "observation", str, source, sw) or "",
        returncode=opt_field(s, "returncode", int, source, sw),
        # the harness records an unparsable model output as the action "[ERROR]"
        format_error=tool_name is None and action.strip() == "[ERROR]",
    )


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
        obj, runs = json_object_with_array(source, "runs")
        task_id = field_of(obj, "task_id", str, source)
        if runs is None:
            field_of(obj, "runs", list, source)  # raises: missing, or not a list
            raise InputError(source.display, "'runs' is not a list")
        model = field_of(obj, "model", str, source)
        folder = source.folder_parts[-1] if source.folder_parts else source.name
        attrs = [("dump", folder)]
        temp = opt_number(obj, "temperature")
        if temp is not None:
            attrs.append(("temperature", repr(temp)))
        provider = opt_field(obj, "provider", str, source)
        if provider:
            attrs.append(("provider", provider))
        bench = _benchmark(obj, task_id)
        if bench:
            attrs.append(("benchmark", bench))
        config = Config(model=model, scaffold="agent-consistency", attrs=tuple(attrs))
        key = dump_key_of_folder(folder)
        gold = opt_field(obj, "answer", str, source)
        rule = f"answer:{ctx.grading}" + (f">={ctx.f1_threshold:g}" if ctx.grading == "f1" else "")
        i = -1
        for i, r in enumerate(runs):
            where = f"runs[{i}]"
            run_id = field_of(r, "run_id", str, source, where)
            raw_steps = field_of(r, "steps", list, source, where)
            steps = [_step(s, j, source, where) for j, s in enumerate(raw_steps)]
            outcome = Outcome()
            final = opt_field(r, "final_answer", str, source, where)
            if gold is not None:
                ok = grade_answer(final, gold, ctx.grading, ctx.f1_threshold)
                outcome = Outcome(resolved=ok, source=rule)
            yield Run(
                task_id=task_id,
                run_id=run_id,
                run_index=trailing_number(run_id),
                config=config,
                steps=tuple(steps),
                outcome=outcome,
                patch=opt_field(r, "final_output", str, source, where) if gold is None else final,
                cost=opt_number(r, "total_cost"),
                api_calls=opt_int(r, "n_calls"),
                duration_s=_seconds(r.get("start_time"), r.get("end_time")),
                dump_key=key,
                source=source.display,
                fmt=self.name,
            )
        if i < 0:
            raise InputError(source.display, "'runs' is empty")
