"""Runs and tasks needed to detect a difference in pass@1, and the minimum detectable one."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from trajdiv.stats._simulate import PowerModel, _Draws, simulated_power, t_test_rejects

__all__ = [
    "SIMULATION_BUDGET",
    "PairedVariance",
    "Power",
    "PowerModel",
    "benchmark_runs_needed",
    "paired_power",
    "paired_variance",
    "plan_power",
    "simulated_power",
    "t_test_rejects",
]


def _z(alpha: float, power: float) -> float:
    nd = NormalDist()
    return nd.inv_cdf(1 - alpha / 2) + nd.inv_cdf(power)


def benchmark_runs_needed(sigma: float, diff: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Whole-benchmark runs per agent to detect ``diff`` when one run's pass@1 has sd ``sigma``:
    n >= 2 ((z_{alpha/2} + z_beta) sigma / D)^2 ("On Randomness in Agentic Evals", appendix).

    Examples
    --------
    >>> benchmark_runs_needed(1.5, 2.0), benchmark_runs_needed(1.5, 1.0)
    (9, 36)
    """
    if diff <= 0 or sigma < 0:
        raise ValueError("diff must be positive and sigma non-negative")
    return max(1, math.ceil(2 * (_z(alpha, power) * sigma / diff) ** 2))


@dataclass(frozen=True, slots=True)
class PairedVariance:
    """Components of Var(estimated difference in pass@1) in a paired design (Miller 2024)."""

    s2_delta: float
    """Variance over tasks of the true per-task difference p_A,i - p_B,i."""
    w: float
    """Mean over tasks of p_A,i (1 - p_A,i) + p_B,i (1 - p_B,i)."""
    n_tasks: int


def paired_variance(pa: Sequence[float], pb: Sequence[float], n: int) -> PairedVariance:
    """Estimate ``s2_delta`` and ``w`` from observed per-task success rates over ``n`` runs.

    The observed variance of differences holds a sampling part w/n that is subtracted;
    p(1-p) is scaled by n/(n-1) to undo its bias. Negative estimates are floored at 0.
    """
    a = np.asarray(pa, dtype=np.float64)
    b = np.asarray(pb, dtype=np.float64)
    if len(a) != len(b) or len(a) < 2:
        raise ValueError("need the same two or more tasks for both configurations")
    bias = n / (n - 1) if n > 1 else 1.0
    w = float(np.mean(a * (1 - a) + b * (1 - b)) * bias)
    s2 = float(np.var(a - b, ddof=1)) - w / n
    return PairedVariance(max(s2, 0.0), w, len(a))


@dataclass(frozen=True, slots=True)
class Power:
    """Sample sizes for a paired comparison of two configurations."""

    diff: float
    alpha: float
    power: float
    runs_per_task: int
    n_tasks: int
    min_detectable_diff: float
    """Smallest difference detectable with ``n_tasks`` tasks and ``runs_per_task`` runs."""
    tasks_needed: int
    """Tasks needed for ``diff`` with ``runs_per_task`` runs per task."""
    runs_needed: int | None
    """Runs per task needed for ``diff`` on ``n_tasks`` tasks; None if no number suffices
    (the spread between tasks alone is too large)."""
    achieved_power: float | None = None
    """Power at ``diff`` with ``runs_per_task`` runs on ``n_tasks`` tasks."""
    method: str = "normal approximation (Miller 2024)"


def paired_power(
    var: PairedVariance,
    diff: float,
    runs_per_task: int,
    n_tasks: int | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Power:
    """Solve Var = (s2_delta + w / n) / T for T, n and the detectable difference.

    Examples
    --------
    >>> v = PairedVariance(s2_delta=0.0, w=0.5, n_tasks=100)
    >>> paired_power(v, 0.1, runs_per_task=1).tasks_needed
    393
    """
    if diff <= 0:
        raise ValueError("diff must be positive")
    z = _z(alpha, power)
    t = n_tasks or var.n_tasks
    per_task = var.s2_delta + var.w / runs_per_task
    mdd = z * math.sqrt(per_task / t)
    tasks = max(1, math.ceil(z**2 * per_task / diff**2))
    room = t * diff**2 / z**2 - var.s2_delta
    runs = max(1, math.ceil(var.w / room)) if room > 0 else None
    nd = NormalDist()
    achieved = nd.cdf(diff / math.sqrt(per_task / t) - nd.inv_cdf(1 - alpha / 2)) if per_task > 0 else 1.0
    return Power(diff, alpha, power, runs_per_task, t, mdd, tasks, runs, achieved)


SIMULATION_BUDGET = 25_000_000
"""Simulated runs (experiments x tasks x runs per task) one power figure may draw; designs
beyond it fall back to the normal formula (hundreds of tasks, where the two agree)."""


def _fewest(lo: int, hi: int, reaches: Callable[[int], bool]) -> int:
    """The smallest n in (lo, hi] with ``reaches(n)``, given ``reaches(hi)`` and a monotone
    ``reaches`` (bisection).

    >>> _fewest(0, 100, lambda n: n * n >= 50)
    8
    """
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if not reaches(mid) else (lo, mid)
    return hi


def plan_power(
    model: PowerModel,
    var: PairedVariance,
    diff: float,
    runs_per_task: int,
    n_tasks: int,
    alpha: float = 0.05,
    power: float = 0.8,
    *,
    sims: int = 2000,
    seed: int = 0,
) -> Power:
    """:func:`paired_power`, computed for the test ``compare`` runs: by simulation while the
    design stays within :data:`SIMULATION_BUDGET` simulated runs, by the normal formula beyond
    (hundreds of tasks, where the two agree).

    Parameters
    ----------
    model
        Where simulated tasks come from (:class:`PowerModel`).
    var
        The paired variance components, for the formula.
    diff
        The true difference in pass@1 to detect (a fraction).
    runs_per_task, n_tasks
        The design whose power is reported.
    alpha, power
        Test level and the power the sample sizes are solved for.
    sims, seed
        Simulated experiments per design, and their seed.
    """
    formula = paired_power(var, diff, runs_per_task, n_tasks, alpha, power)
    if sims * n_tasks * runs_per_task > SIMULATION_BUDGET:
        return formula
    cache: dict[tuple[int, int], _Draws] = {}

    def at(d: float, n: int, t: int) -> float:
        if (n, t) not in cache:
            cache.clear()  # one design's draws at a time bounds memory
            cache[(n, t)] = _Draws(model, t, n, sims, seed)
        return simulated_power(model, d, n, t, alpha, _draws=cache[(n, t)])

    # smallest D reaching the power on these tasks with these runs
    lo, hi = 0.0, model.max_diff()
    mdd = math.inf
    if at(hi, runs_per_task, n_tasks) >= power:
        for _ in range(14):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if at(mid, runs_per_task, n_tasks) < power else (lo, mid)
        mdd = hi
    achieved = at(diff, runs_per_task, n_tasks)
    # fewest runs per task reaching the power at D on these tasks
    max_runs = min(_MAX_SIM_RUNS, SIMULATION_BUDGET // (sims * n_tasks))
    runs: int | None = None
    if at(diff, max_runs, n_tasks) >= power:
        runs = _fewest(0, max_runs, lambda n: at(diff, n, n_tasks) >= power)
    # fewest tasks reaching the power at D with these runs
    max_tasks = SIMULATION_BUDGET // (sims * runs_per_task)
    if at(diff, runs_per_task, max_tasks) < power:
        tasks = max(formula.tasks_needed, max_tasks + 1)
    else:
        tasks = _fewest(1, max_tasks, lambda t: at(diff, runs_per_task, t) >= power)
    return Power(
        diff,
        alpha,
        power,
        runs_per_task,
        n_tasks,
        mdd,
        tasks,
        runs,
        achieved_power=achieved,
        method=f"simulation of compare's paired t-test ({sims} experiments)",
    )


_MAX_SIM_RUNS = 64
