"""The ingest stage's tables: ``runs`` and ``steps``, one row per run and per step.

Each column is declared once, with its type, its meaning and how it is read off a
:class:`~trajdiv.model.Run` (or :class:`~trajdiv.model.Step`); the rows and the documented schema
both come from these declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trajdiv.model import STEP_FIELDS, Run, Step
from trajdiv.tables import F64, I64, Bool, Str, register_schema

__all__ = ["RUN_COLUMNS", "RUN_KEY", "STEP_COLUMNS", "TABLES", "ingest_rows", "run_row", "step_row"]

TABLES = ("runs", "steps")
"""The tables this stage writes, in the order the schema reference lists them."""

RUN_KEY: dict[str, tuple[Any, str]] = {
    "config": (Str, "configuration label (`scaffold:model` unless overridden)"),
    "task_id": (Str, "task id"),
    "run_id": (Str, "run id, unique within its (config, task) group"),
}
"""The columns that identify a run in every per-run and per-step table."""

RUN_COLUMNS: dict[str, tuple[Any, str, Callable[[Run], Any]]] = {
    "config": (*RUN_KEY["config"], lambda r: r.config.label),
    "task_id": (*RUN_KEY["task_id"], lambda r: r.task_id),
    "run_id": (*RUN_KEY["run_id"], lambda r: r.run_id),
    "run_index": (I64, "1-based position among the task's repeated runs", lambda r: r.run_index),
    "model": (Str, "model name from the dump", lambda r: r.config.model),
    "scaffold": (Str, "agent scaffold / harness", lambda r: r.config.scaffold),
    "attrs": (Str, "other configuration attributes, JSON object", lambda r: r.config.attrs_json()),
    "n_steps": (I64, "number of steps (actions)", lambda r: len(r.steps)),
    "resolved": (Bool, "outcome; null when no label was found", lambda r: r.outcome.resolved),
    "reward": (F64, "scalar reward where the benchmark has one", lambda r: r.outcome.reward),
    "label_source": (Str, "file (or `reward`) the outcome came from", lambda r: r.outcome.source),
    "cost": (F64, "model cost in dollars, where known", lambda r: r.cost),
    "tokens_sent": (I64, "prompt tokens billed, where known", lambda r: r.tokens_sent),
    "tokens_received": (I64, "completion tokens billed, where known", lambda r: r.tokens_received),
    "api_calls": (I64, "model calls, where known", lambda r: r.api_calls),
    "duration_s": (F64, "wall-clock seconds, where known", lambda r: r.duration_s),
    "patch_chars": (
        I64,
        "length of the final patch or answer; null if none",
        lambda r: None if r.patch is None else len(r.patch),
    ),
    "format": (Str, "reader that produced the run", lambda r: r.fmt),
    "source_file": (Str, "input file the run was read from", lambda r: r.source),
}
"""The ingest columns of the ``runs`` table: type, meaning, and the value of a run."""

STEP_COLUMNS: dict[str, tuple[Any, str]] = {
    "thought": (Str, "agent reasoning before the action"),
    "action": (Str, "action text (shell command, or `tool {json args}`)"),
    "tool_name": (Str, "tool called; null for plain shell actions"),
    "tool_args": (Str, "tool arguments, JSON; null for plain shell actions"),
    "observation": (Str, "environment's answer"),
    "returncode": (I64, "exit status where recorded"),
    "format_error": (Bool, "the model's output could not be parsed: no action was run"),
}
"""Type and meaning of each of a step's fields (:data:`~trajdiv.model.STEP_FIELDS`)."""

if tuple(STEP_COLUMNS) != STEP_FIELDS:  # pragma: no cover - a field added to Step without a column
    raise RuntimeError(f"steps table columns {tuple(STEP_COLUMNS)} do not match Step's fields {STEP_FIELDS}")

register_schema("runs", {name: (dtype, doc) for name, (dtype, doc, _) in RUN_COLUMNS.items()})
register_schema("steps", {**RUN_KEY, "step": (I64, "1-based step index"), **STEP_COLUMNS})


def run_row(run: Run) -> dict[str, Any]:
    """The ingest columns of a run's row in the ``runs`` table."""
    return {name: get(run) for name, (_, _, get) in RUN_COLUMNS.items()}


def step_row(run: Run, step: Step) -> dict[str, Any]:
    """The ingest columns of a step's row in the ``steps`` table."""
    return {
        "config": run.config.label,
        "task_id": run.task_id,
        "run_id": run.run_id,
        "step": step.index,
        **{name: getattr(step, name) for name in STEP_FIELDS},
    }


def ingest_rows(runs: list[Run]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``runs`` and ``steps`` rows of a group, in run order."""
    return [run_row(r) for r in runs], [step_row(r, s) for r in runs for s in r.steps]
