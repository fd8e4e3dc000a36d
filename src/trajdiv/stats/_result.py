"""The summary of an analysis as a typed value: frozen dataclasses whose fields are the documented
keys of ``summary.json``, in order.

:meth:`Summary.to_json` gives the JSON-ready form and :meth:`Summary.from_json` reads it back
(checking every type); plot, report and CLI read this value, never a dict. A field marked
with ``OPTIONAL`` metadata is left out of the JSON when it is None (the statistic does not apply, for
instance pass@1 of a configuration without labels); other None fields are written as null.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from trajdiv._errors import InputError
from trajdiv._io import atomic_write_text
from trajdiv.stats._json import OPTIONAL, SummaryError, present_with
from trajdiv.stats._json import JsonRecord as _Json

__all__ = [
    "Association",
    "ConfigPower",
    "ConfigSummary",
    "ConsistentWrong",
    "DivergenceVsSuccess",
    "EarlyHit",
    "EarlyWarning",
    "FirstDivergence",
    "Hal",
    "LevelDivergence",
    "PairComparison",
    "PairPower",
    "PairSummary",
    "Pass1Estimate",
    "ShareTest",
    "SingleRunRange",
    "Strategies",
    "Summary",
    "SummaryError",
]

Interval = tuple[float | None, float | None]
"""A (low, high) interval; an end is None where it is undefined."""


@dataclass(frozen=True, slots=True)
class Hal(_Json):
    """HAL reliability figures, means over tasks."""

    outcome_consistency: float | None
    resource_consistency_cost: float | None
    resource_consistency_time: float | None
    resource_consistency_calls: float | None
    action_jsd: float | None


@dataclass(frozen=True, slots=True)
class Pass1Estimate(_Json):
    """pass@1 over tasks, tasks as clusters."""

    mean: float | None
    se: float | None
    ci95: Interval | None


@dataclass(frozen=True, slots=True)
class SingleRunRange(_Json):
    """pass@1 from one run per task, over every selection of that run."""

    min: float | None
    max: float | None
    sd: float | None
    mean: float | None
    range_points: float | None
    n_selections: int


@dataclass(frozen=True, slots=True)
class ConfigPower(_Json):
    """The spread of single-run pass@1, and whole-benchmark runs needed per difference (points)."""

    single_run_sd_points: float | None
    benchmark_runs_needed: dict[str, int]


@dataclass(frozen=True, slots=True)
class Association(_Json):
    """A correlation with its permutation p-value."""

    estimate: float | None
    p_value: float | None
    n: int
    method: str
    mixed_tasks: int | None = field(default=None, metadata=OPTIONAL)
    """Tasks with mixed outcomes (within-task relations only)."""
    flag: str | None = field(default=None, metadata=present_with("mixed_tasks"))
    """Why the figure is not a finding (too few mixed tasks); null when it can be."""


@dataclass(frozen=True, slots=True)
class DivergenceVsSuccess(_Json):
    """A run's divergence timing against its success, pooled and within tasks."""

    measure: str
    pooled: Association
    within_task: Association


@dataclass(frozen=True, slots=True)
class LevelDivergence(_Json):
    """First divergence step of a configuration's groups at one abstraction level."""

    mean_step: float | None
    median_step: float | None
    groups_diverging: int


@dataclass(frozen=True, slots=True)
class FirstDivergence(_Json):
    """First divergence per abstraction level, and at token level (% of the stream)."""

    exact: LevelDivergence
    normalized: LevelDivergence
    verb: LevelDivergence
    category: LevelDivergence
    phase: LevelDivergence
    token_pct_median: float | None
    token_pct_of_mean_median: float | None

    def level(self, name: str) -> LevelDivergence:
        """The figures at level ``name``."""
        value: LevelDivergence = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class ConsistentWrong(_Json):
    """Whether a configuration's failures repeat one approach (see ``consistent_wrong``)."""

    failing_runs: int
    tasks_with_failure: int
    tasks_with_2plus_failures: int
    share_tasks_one_failing_strategy: float | None
    share_failures_in_shared_cluster: float | None
    failures_on_all_fail_tasks: int
    share_failures_on_all_fail_tasks: float | None


@dataclass(frozen=True, slots=True)
class Strategies(_Json):
    """Strategy clusters of a configuration's groups."""

    level: str | None
    mean_n_strategies: float | None
    mean_entropy_bits: float | None
    consistent_wrong: ConsistentWrong


@dataclass(frozen=True, slots=True)
class EarlyHit(_Json):
    """The earliest prefix length whose AUROC reaches the threshold."""

    k: int
    auroc: float | None
    ci95: Interval | None
    n_runs: int
    n_tasks: int
    above_chance: bool


@dataclass(frozen=True, slots=True)
class EarlyWarning(_Json):
    """How early failure can be told apart, across and within tasks."""

    level: str
    threshold: float
    across_tasks: EarlyHit | None
    within_task: EarlyHit | None


@dataclass(frozen=True, slots=True)
class ConfigSummary(_Json):
    """Every statistic of one configuration. The outcome block (``n_tasks_labelled`` to
    ``divergence_vs_success``) is present when some of its runs are labelled."""

    config: str
    model: str
    scaffold: str
    n_tasks: int
    n_runs: int
    n_labelled_runs: int
    cv_steps_mean_pct: float | None
    cv_agent_tokens_mean_pct: float | None
    cv_total_tokens_mean_pct: float | None
    cv_cost_mean_pct: float | None
    share_tasks_all_distinct: float | None
    hal: Hal
    n_tasks_labelled: int | None = field(default=None, metadata=OPTIONAL)
    pass1: Pass1Estimate | None = field(default=None, metadata=OPTIONAL)
    pass1_by_run_index: dict[int, float | None] | None = field(default=None, metadata=OPTIONAL)
    single_run_pass1: SingleRunRange | None = field(default=None, metadata=OPTIONAL)
    pass_at_k: dict[int, float | None] | None = field(default=None, metadata=OPTIONAL)
    pass_at_k_ci95: dict[int, Interval] | None = field(default=None, metadata=OPTIONAL)
    pass_hat_k: dict[int, float | None] | None = field(default=None, metadata=OPTIONAL)
    pass_hat_k_ci95: dict[int, Interval] | None = field(default=None, metadata=OPTIONAL)
    incoherence: float | None = field(default=None, metadata=present_with("n_tasks_labelled"))
    power: ConfigPower | None = field(default=None, metadata=OPTIONAL)
    cv_vs_success: Association | None = field(default=None, metadata=OPTIONAL)
    divergence_vs_success: DivergenceVsSuccess | None = field(default=None, metadata=OPTIONAL)
    first_divergence: FirstDivergence | None = field(default=None, metadata=OPTIONAL)
    strategies: Strategies | None = field(default=None, metadata=OPTIONAL)
    early_warning: EarlyWarning | None = field(default=None, metadata=OPTIONAL)

    @property
    def k_max(self) -> int:
        """The largest k of pass@k (0 without labels)."""
        return max(self.pass_at_k or {0: None})

    @property
    def has_repeats(self) -> bool:
        """More runs than tasks: some task was run more than once."""
        return self.n_runs > self.n_tasks


@dataclass(frozen=True, slots=True)
class ShareTest(_Json):
    """Exact sign test of a share against 1/2."""

    n: int
    p_value: float | None
    method: str


@dataclass(frozen=True, slots=True)
class PairComparison(_Json):
    """Paired comparison of two configurations' success over their shared tasks."""

    diff: float | None
    ci: Interval
    ci_level: float | None
    p_value: float | None
    p_holm: float | None
    family_size: int
    method: str
    distinguishable: bool


@dataclass(frozen=True, slots=True)
class PairPower(_Json):
    """Simulated power of the paired comparison, per runs per task and difference."""

    runs_per_task: int
    s2_delta: float | None
    w: float | None
    min_detectable_diff: float | None
    method: str
    curve_diffs: tuple[float, ...]
    curve: dict[int, tuple[float | None, ...]]
    """Runs per task -> power at each of ``curve_diffs``."""


@dataclass(frozen=True, slots=True)
class PairSummary(_Json):
    """Two configurations on the tasks they share."""

    a: str
    b: str
    shared_tasks: int
    tasks_decided: int
    share_lower_cv_higher_success: float | None
    share_test: ShareTest | None
    comparison: PairComparison | None = field(default=None, metadata=OPTIONAL)
    power: PairPower | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True, slots=True)
class Summary(_Json):
    """``summary.json``: per configuration, across configurations, and the definitions."""

    version: int
    configs: tuple[ConfigSummary, ...]
    across_configs: tuple[PairSummary, ...]
    definitions: dict[str, str]

    @classmethod
    def read(cls, path: Path) -> Summary:
        """``summary.json`` read back; a missing, damaged or foreign file is an :class:`InputError`."""
        try:
            data = json.loads(path.read_text("utf-8"))
        except OSError as exc:
            raise InputError(
                path, f"cannot read: {exc.strerror or exc}; run `trajdiv analyze` again"
            ) from None
        except ValueError as exc:
            raise InputError(path, f"not JSON ({exc}); run `trajdiv analyze` again") from None
        try:
            return cls.from_json(data)
        except SummaryError as exc:
            raise InputError(path, f"not a trajdiv summary: {exc}") from None

    def write(self, path: Path) -> None:
        """Write ``summary.json`` (atomically)."""
        atomic_write_text(path, json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n")

    def config(self, label: str) -> ConfigSummary:
        """The entry of configuration ``label``."""
        for c in self.configs:
            if c.config == label:
                return c
        raise KeyError(label)
