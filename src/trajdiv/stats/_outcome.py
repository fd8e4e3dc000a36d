"""Outcome statistics of repeated runs: pass@1 with task-clustered error bars, pass@k, pass^k,
and the spread of single-run pass@1."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trajdiv.stats._interval import clustered_score_interval

__all__ = [
    "Pass1",
    "SingleRunSpread",
    "pass1_clustered",
    "pass_at_k",
    "pass_hat_k",
    "pass_k_curve",
    "per_run_index_pass1",
    "single_run_spread",
]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one task: 1 - C(n-c, k) / C(n, k) (Chen et al. 2021).

    Examples
    --------
    >>> round(pass_at_k(5, 1, 1), 12), pass_at_k(5, 1, 5)
    (0.2, 1.0)
    """
    if not 0 < k <= n or not 0 <= c <= n:
        raise ValueError(f"pass@k needs 0 < k <= n and 0 <= c <= n (n={n}, c={c}, k={k})")
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """pass^k of one task: C(c, k) / C(n, k), all of k runs drawn without replacement succeed
    (Yao et al. 2024, tau-bench).

    Examples
    --------
    >>> pass_hat_k(5, 4, 2)
    0.6
    """
    if not 0 < k <= n or not 0 <= c <= n:
        raise ValueError(f"pass^k needs 0 < k <= n and 0 <= c <= n (n={n}, c={c}, k={k})")
    return math.comb(c, k) / math.comb(n, k)


@dataclass(frozen=True, slots=True)
class Pass1:
    """pass@1 over tasks with its task-clustered standard error."""

    mean: float
    se: float | None
    ci95: tuple[float, float] | None
    n_tasks: int


def pass1_clustered(p: Sequence[float], runs: Sequence[int] | None = None) -> Pass1:
    """Mean of per-task success rates; SE = sd(p_i, ddof=1) / sqrt(T), tasks as clusters.

    Runs of one task are not independent, so the error bar comes from the spread between tasks
    (Miller 2024, "Adding Error Bars to Evals"); it does not shrink with more runs per task alone.
    The 95% interval is :func:`~trajdiv.stats._interval.clustered_score_interval`: a Student-t
    score interval on the effective number of runs, never of zero width; ``runs`` (per task,
    default 1 each) bounds that number.

    Examples
    --------
    >>> r = pass1_clustered([0.0] * 10, runs=[5] * 10)
    >>> r.mean, r.se, tuple(round(x, 3) for x in r.ci95)
    (0.0, 0.0, (0.0, 0.093))
    """
    arr = np.asarray(p, dtype=np.float64)
    t = len(arr)
    if t == 0:
        raise ValueError("pass@1 needs at least one labelled task")
    mean = float(arr.mean())
    if t < 2:
        return Pass1(mean, None, None, t)
    se = float(arr.std(ddof=1) / math.sqrt(t))
    total = float(sum(runs)) if runs is not None else float(t)
    return Pass1(mean, se, clustered_score_interval(arr, total), t)


@dataclass(frozen=True, slots=True)
class SingleRunSpread:
    """pass@1 a one-run-per-task evaluation would report, over every choice of that run."""

    min: float
    max: float
    sd: float
    mean: float
    n_selections: int
    """Number of distinct selections (product of runs per task); exact, not sampled."""

    @property
    def range_points(self) -> float:
        """max - min in percentage points."""
        return 100.0 * (self.max - self.min)


def single_run_spread(outcomes: Sequence[Sequence[bool]]) -> SingleRunSpread:
    """Exact distribution summary of single-run pass@1 over all selections of one run per task.

    With the run of task i drawn uniformly, pass@1 = (1/T) sum X_i with independent X_i of mean
    p_i and variance p_i (1 - p_i); so mean = mean(p_i), sd = sqrt(sum p_i (1 - p_i)) / T, and the
    extremes pick the worst or best run of every task. ("On Randomness in Agentic Evals",
    arXiv 2602.07150.)
    """
    t = len(outcomes)
    if t == 0 or any(len(o) == 0 for o in outcomes):
        raise ValueError("single-run spread needs at least one run per task")
    p = np.array([np.mean(o) for o in outcomes])
    return SingleRunSpread(
        min=float(sum(min(o) for o in outcomes)) / t,
        max=float(sum(max(o) for o in outcomes)) / t,
        sd=float(math.sqrt(float((p * (1 - p)).sum())) / t),
        mean=float(p.mean()),
        n_selections=math.prod(len(o) for o in outcomes),
    )


def single_run_distribution(outcomes: Sequence[Sequence[bool]]) -> npt.NDArray[np.float64]:
    """Exact probability of each number of solved tasks (0..T) under uniform run selection."""
    pmf = np.array([1.0])
    for o in outcomes:
        q = float(np.mean(o))
        pmf = np.convolve(pmf, np.array([1 - q, q]))
    return pmf


def per_run_index_pass1(rows: Sequence[tuple[str, int, bool]]) -> dict[int, float]:
    """pass@1 of run 1, run 2, ...: mean over tasks of the outcome of that run index."""
    by_idx: dict[int, list[bool]] = {}
    for _task, idx, ok in rows:
        by_idx.setdefault(idx, []).append(ok)
    return {k: float(np.mean(v)) for k, v in sorted(by_idx.items())}


def pass_k_curve(
    nc: Sequence[tuple[int, int]], estimator: str, ks: Sequence[int]
) -> dict[int, tuple[float, float, float, int]]:
    """pass@k or pass^k for each k: ``(value, low, high, tasks)``. The 95% interval is the
    clustered score interval of the per-task values, the effective sample bounded by the
    number of disjoint k-run draws, sum of floor(n_i / k) (tasks with fewer than k runs are
    left out at that k).

    Examples
    --------
    >>> v, lo, hi, t = pass_k_curve([(5, 5)] * 10, "pass_at_k", [5])[5]
    >>> v, round(lo, 3), hi, t  # every task solved at k = 5: not a zero-width [1, 1]
    (1.0, 0.661, 1.0, 10)
    """
    fn = pass_at_k if estimator == "pass_at_k" else pass_hat_k
    out: dict[int, tuple[float, float, float, int]] = {}
    for k in ks:
        kept = [(n, c) for n, c in nc if n >= k]
        if not kept:
            continue
        vals = np.array([fn(n, c, k) for n, c in kept])
        ci = clustered_score_interval(vals, float(sum(n // k for n, _ in kept)))
        lo, hi = ci if ci is not None else (float("nan"), float("nan"))
        out[k] = (float(vals.mean()), lo, hi, len(vals))
    return out
