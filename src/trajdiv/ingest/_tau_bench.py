"""tau-bench result lists: ``[{task_id, trial, reward, info, traj}, ...]``.

The model is named only by the file name: tau-bench's own pattern
``<strategy>-<model>-<temperature>_range_...`` or a plain ``<model>-<domain>...`` name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trajdiv._errors import InputError
from trajdiv.ingest._base import ReadContext, field_of
from trajdiv.ingest._chat import steps_from_chat
from trajdiv.ingest._source import Source
from trajdiv.ingest._stream import json_array
from trajdiv.model import Config, Outcome, Run

__all__ = ["TauBenchReader", "model_from_tau_name"]

_HEAD = re.compile(rb'^\s*\[\s*\{\s*"task_id"')
_DOMAINS = ("airline", "retail")
_OFFICIAL = re.compile(r"^(?:tool-calling|act|react|few-shot)-(?P<model>.+?)-(?P<temp>[0-9.]+)_range_")


def model_from_tau_name(stem: str) -> tuple[str, list[tuple[str, str]]]:
    """The model and attributes a tau-bench result file name encodes."""
    m = _OFFICIAL.match(stem)
    if m:
        return m.group("model"), [("temperature", m.group("temp"))]
    base = stem.split(".", 1)[0]
    for dom in _DOMAINS:
        if base.endswith("-" + dom):
            return base[: -len(dom) - 1], [("domain", dom)]
    return base, []


class TauBenchReader:
    """Reader for tau-bench result lists."""

    name = "tau-bench"
    description = "tau-bench results: list of {task_id, trial, reward, traj}; outcome from reward"

    def sniff(self, source: Source, head: bytes) -> bool:
        return source.name.endswith(".json") and bool(_HEAD.match(head))

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        results = json_array(source)
        if results is None:
            raise InputError(source.display, "expected a list of results")
        stem = source.name.removesuffix(".json")
        model, attrs = model_from_tau_name(stem)
        domain = dict(attrs).get("domain") or next((d for d in _DOMAINS if d in stem), None)
        bench = f"tau-bench-{domain}" if domain else "tau-bench"
        config = Config(
            model=model, scaffold="tau-bench", attrs=(("dump", stem), ("benchmark", bench), *attrs)
        )
        i = -1
        for i, e in enumerate(results):
            w = f"[{i}]"
            task: int | str = field_of(e, "task_id", (int, str), source, w)
            trial = field_of(e, "trial", int, source, w)
            reward = field_of(e, "reward", float, source, w)
            steps = steps_from_chat(field_of(e, "traj", list, source, w), source, f"{w}.traj")
            yield Run(
                task_id=str(task),
                run_id=f"{task}_trial_{trial}",
                run_index=trial + 1,
                config=config,
                steps=tuple(steps),
                outcome=Outcome(resolved=reward >= 1.0, reward=reward, source="reward"),
                dump_key=stem,
                source=source.display,
                fmt=self.name,
            )
        if i < 0:
            raise InputError(source.display, "the result list is empty")
