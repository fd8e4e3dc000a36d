"""The trajectory model: one set of immutable types that every reader produces.

Nothing downstream of the readers knows which dump format a run came from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["STEP_FIELDS", "Config", "Outcome", "Run", "Step"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The configuration a run was made with: model x scaffold, plus free-form attributes."""

    model: str
    """Model name as the dump states it (``claude-sonnet-4-5-20250929``, ``gpt-4o``)."""
    scaffold: str
    """Agent scaffold or harness (``swe-agent``, ``mini-swe-agent``, ``openhands``, ...)."""
    attrs: tuple[tuple[str, str], ...] = ()
    """Sorted ``(key, value)`` pairs: temperature, the dump folder name (``dump``), ..."""
    label: str = ""
    """The name runs are grouped by; ``scaffold:model`` unless overridden."""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", f"{self.scaffold}:{self.model}")
        object.__setattr__(self, "attrs", tuple(sorted(self.attrs)))

    def attr(self, key: str, default: str | None = None) -> str | None:
        """Value of attribute ``key``, or ``default``."""
        for k, v in self.attrs:
            if k == key:
                return v
        return default

    def attrs_json(self) -> str:
        """The attributes as a JSON object with sorted keys (the tables' ``attrs`` column)."""
        return json.dumps(dict(self.attrs), sort_keys=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """Whether a run solved its task, and where that label came from."""

    resolved: bool | None = None
    """True / False from a harness or reward; None when no label was found (never guessed)."""
    reward: float | None = None
    """Scalar reward where the benchmark gives one (tau-bench: 0.0 or 1.0)."""
    source: str | None = None
    """The label's origin: a file path, or ``reward`` when it came from the run itself."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One agent action and what the environment answered."""

    index: int
    """Position in the run, 1-based."""
    thought: str = ""
    """The agent's reasoning text before the action (may be empty)."""
    action: str = ""
    """The action as text: a shell command, or ``tool {json arguments}`` for a tool call."""
    tool_name: str | None = None
    """Name of the tool called (``execute_bash``, ``str_replace_editor``); None for plain text."""
    tool_args: str | None = None
    """The tool call's arguments as JSON text with sorted keys; None when not a tool call."""
    observation: str = ""
    """What the environment returned (command output, tool result, user reply)."""
    returncode: int | None = None
    """Exit status of a shell action where the dump records it."""
    format_error: bool = False
    """The model's output could not be parsed into an action (no action was run): the
    environment answered with a format error. Left out of divergence by default."""


STEP_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Step) if f.name != "index")
"""A step's fields after its index, in order: the export's step keys and the steps table's columns."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One attempt of one task by one configuration."""

    task_id: str
    """Benchmark task (SWE-bench instance id, tau-bench task number as text)."""
    run_id: str
    """Identifier unique within the (task, configuration) group."""
    config: Config
    """The configuration this run belongs to."""
    steps: tuple[Step, ...]
    """The ordered actions."""
    run_index: int | None = None
    """1-based position among the task's repeated runs; None until the reader or grouping sets it."""
    outcome: Outcome = field(default_factory=Outcome)
    """Success label."""
    patch: str | None = None
    """Final patch or answer where the dump has one."""
    cost: float | None = None
    """Total model cost in dollars where known."""
    tokens_sent: int | None = None
    """Prompt tokens billed, where the dump records them."""
    tokens_received: int | None = None
    """Completion tokens billed, where the dump records them."""
    api_calls: int | None = None
    """Model calls made, where known."""
    duration_s: float | None = None
    """Wall-clock seconds from start to end, where known."""
    dump_key: str = ""
    """Name harness reports use for this run's model (``claude`` in ``claude.claude-local-run1``)."""
    source: str = ""
    """The file the run was read from."""
    fmt: str = ""
    """Name of the reader that produced the run."""
    warnings: tuple[str, ...] = ()
    """What the dump records as gone wrong in this run (an agent exception, a log not finished)."""

    @property
    def group_key(self) -> tuple[str, str]:
        """``(configuration label, task id)``: the key runs are grouped by."""
        return (self.config.label, self.task_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready form (the JSONL export); :func:`Run.from_dict` reverses it."""
        return {
            "task_id": self.task_id,
            "run_id": self.run_id,
            "run_index": self.run_index,
            "config": {
                "model": self.config.model,
                "scaffold": self.config.scaffold,
                "attrs": dict(self.config.attrs),
                "label": self.config.label,
            },
            "outcome": {
                "resolved": self.outcome.resolved,
                "reward": self.outcome.reward,
                "source": self.outcome.source,
            },
            "patch": self.patch,
            "cost": self.cost,
            "tokens_sent": self.tokens_sent,
            "tokens_received": self.tokens_received,
            "api_calls": self.api_calls,
            "duration_s": self.duration_s,
            "dump_key": self.dump_key,
            "source": self.source,
            "fmt": self.fmt,
            "warnings": list(self.warnings),
            "steps": [
                {"index": s.index, **{name: getattr(s, name) for name in STEP_FIELDS}} for s in self.steps
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        """Inverse of :meth:`to_dict`; raises KeyError/TypeError/ValueError on a malformed dict."""
        c = d["config"]
        o = d["outcome"]
        return cls(
            task_id=str(d["task_id"]),
            run_id=str(d["run_id"]),
            run_index=d["run_index"],
            config=Config(
                model=str(c["model"]),
                scaffold=str(c["scaffold"]),
                attrs=tuple((str(k), str(v)) for k, v in dict(c["attrs"]).items()),
                label=str(c["label"]),
            ),
            outcome=Outcome(resolved=o["resolved"], reward=o["reward"], source=o["source"]),
            patch=d["patch"],
            cost=d["cost"],
            tokens_sent=d["tokens_sent"],
            tokens_received=d["tokens_received"],
            api_calls=d["api_calls"],
            duration_s=d["duration_s"],
            dump_key=str(d["dump_key"]),
            source=str(d["source"]),
            fmt=str(d["fmt"]),
            warnings=tuple(str(w) for w in d.get("warnings", ())),
            steps=tuple(
                Step(
                    index=int(s["index"]),
                    thought=str(s["thought"]),
                    action=str(s["action"]),
                    tool_name=s["tool_name"],
                    tool_args=s["tool_args"],
                    observation=str(s["observation"]),
                    returncode=s["returncode"],
                    format_error=bool(s.get("format_error", False)),
                )
                for s in d["steps"]
            ),
        )
