"""How runs are read: the options that shape the runs and labels read from a dump, as one value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trajdiv._errors import UsageError
from trajdiv.ingest._grading import GRADING

__all__ = ["CONFIG_FROM", "ConfigFrom", "ReadOptions"]

ConfigFrom = Literal["auto", "model", "dirname", "input"]
CONFIG_FROM: tuple[str, ...] = ("auto", "model", "dirname", "input")
"""How runs are labelled with a configuration: ``auto`` = ``scaffold:model``; ``model`` = the
model name alone; ``dirname`` = the dump folder name; ``input`` = the name of the input argument
the file was found under."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """The options that shape the runs read from a dump (part of every cache key).

    Examples
    --------
    >>> ReadOptions(grading="f1", f1_threshold=0.6).grading
    'f1'
    >>> ReadOptions(config_from="folder")
    Traceback (most recent call last):
    ...
    trajdiv._errors.UsageError: --config-from must be one of auto, model, dirname, input
    """

    config_from: str = "auto"
    """How runs are labelled with a configuration (:data:`CONFIG_FROM`)."""
    grading: str = "contains"
    """Rule grading answer-graded runs against a gold answer (``contains``, ``exact``, ``f1``)."""
    f1_threshold: float = 0.5
    """Token F1 at or above which ``grading="f1"`` counts an answer correct."""
    score: str | None = None
    """The inspect_ai scorer whose value is a sample's outcome (None: the first)."""
    pool_benchmarks: bool = False
    """Let one configuration hold runs of several benchmarks."""

    def __post_init__(self) -> None:
        if self.config_from not in CONFIG_FROM:
            raise UsageError(f"--config-from must be one of {', '.join(CONFIG_FROM)}")
        if self.grading not in GRADING:
            raise UsageError(f"--grade must be one of {', '.join(GRADING)}")
        if not 0.0 < self.f1_threshold <= 1.0:
            raise UsageError("--f1-threshold must lie in (0, 1]")
