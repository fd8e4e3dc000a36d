"""Runs and tasks needed to detect a difference in pass@1, and the minimum detectable one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = ["PairedVariance", "Power", "benchmark_runs_needed", "paired_power", "paired_variance"]


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
    return Power(diff, alpha, power, runs_per_task, t, mdd, tasks, runs)
