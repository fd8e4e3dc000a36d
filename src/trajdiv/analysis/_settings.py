"""Settings of an analysis, shared by every stage and part of every cache key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from trajdiv._errors import UsageError
from trajdiv.align._abstraction import LEVELS, load_phase_rules
from trajdiv.graph._strategies import DEFAULT_CLUSTER_THRESHOLD
from trajdiv.ingest._options import ReadOptions
from trajdiv.tokens._encoding import DEFAULT_ENCODING

__all__ = ["STAGES", "Settings"]

STAGES = ("ingest", "diverge", "graph")
"""Per-group stages: ``ingest`` (runs and steps tables), ``diverge`` (tokens, abstraction,
divergence, alignment), ``graph`` (branching graphs, strategies, branching factor)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything that changes per-group results."""

    stages: tuple[str, ...] = STAGES
    encoding: str = DEFAULT_ENCODING
    level: str = "verb"
    """Abstraction level of the branching graph and strategy clusters."""
    cluster_threshold: float = DEFAULT_CLUSTER_THRESHOLD
    fuzzy: float | None = None
    """rapidfuzz ratio threshold (0-100) for fuzzy equality at the normalized level."""
    phase_rules: str | None = None
    """A phase-rules TOML file or preset name (None: the built-in rules)."""
    read: ReadOptions = field(default_factory=ReadOptions)
    """How runs are read: configuration labels, answer grading, inspect_ai scorer, benchmarks."""
    keep_format_errors: bool = False
    """Count steps whose output could not be parsed (no action ran) in divergence and graphs."""

    def __post_init__(self) -> None:
        unknown = set(self.stages) - set(STAGES)
        if unknown:
            raise UsageError(f"unknown stage(s): {', '.join(sorted(unknown))}")
        if self.level not in LEVELS:
            raise UsageError(f"--level must be one of {', '.join(LEVELS)}, not {self.level!r}")
        if not 0.0 <= self.cluster_threshold <= 1.0:
            raise UsageError("--cluster-threshold must lie in [0, 1]")
        if self.fuzzy is not None and not 0.0 < self.fuzzy <= 100.0:
            raise UsageError("--fuzzy must lie in (0, 100]")
        load_phase_rules(self.phase_rules)  # fail early on a bad rules file

    def digest(self) -> str:
        """Hash of the settings (and of the phase rules' content) for cache keys."""
        h = hashlib.blake2b(digest_size=16)
        h.update(json.dumps(asdict(self), sort_keys=True).encode())
        if self.phase_rules:
            h.update(load_phase_rules(self.phase_rules).content.encode())
        return h.hexdigest()
