"""Runs and tasks needed to detect a difference in pass@1, and the minimum detectable one."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from trajdiv.stats._interval import t_quantile

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


@dataclass(frozen=True, slots=True)
class PowerModel:
    """The experiments :func:`simulated_power` draws from: the configurations as observed.

    Each simulated task is one of the observed shared tasks, drawn with replacement, with its
    two true rates: B's observed rate and A's, shrunk away from 0 and 1 as (c + 1/2) / (n + 1),
    and A's moved on the logit scale by the one amount that makes the mean difference over
    tasks equal to D. The spread of difficulty between tasks and the pattern of per-task
    differences are the observed ones; only the average difference is set. With one
    configuration, A and B start from the same rates.
    """

    base_a: tuple[float, ...]
    base_b: tuple[float, ...]

    @classmethod
    def from_counts(cls, a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> PowerModel:
        """From (successes, runs) of A and B on the same tasks, in the same order."""
        if len(a) != len(b) or not a:
            raise ValueError("need the same one or more tasks for both configurations")
        return cls(tuple((c + 0.5) / (n + 1) for c, n in a), tuple((c + 0.5) / (n + 1) for c, n in b))

    @classmethod
    def from_rates(cls, p: Sequence[float], n: int) -> PowerModel:
        """One configuration's rates over ``n`` runs as the start of both A and B."""
        counts = [(round(x * n), n) for x in p]
        return cls.from_counts(counts, counts)

    def shift(self, diff: float) -> float:
        """The logit shift of A that makes mean(p_A - p_B) = ``diff`` (the largest reachable
        shift when ``diff`` is out of reach)."""
        la = _logit(np.asarray(self.base_a))
        b = np.asarray(self.base_b)

        def gap(g: float) -> float:
            return float(np.mean(_expit(la + g) - b)) - diff

        lo, hi = -40.0, 40.0
        if gap(hi) < 0:
            return hi
        if gap(lo) > 0:
            return lo
        for _ in range(80):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if gap(mid) < 0 else (lo, mid)
        return (lo + hi) / 2

    def max_diff(self) -> float:
        """The largest mean difference the model can reach (A solving every task)."""
        return float(np.mean(1.0 - np.asarray(self.base_b)))


def _logit(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(np.log(p) - np.log1p(-p), dtype=np.float64)


def _expit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


class _Draws:
    """Common random numbers for one (T, n): the same tasks and uniforms at every D, so that
    simulated power rises smoothly with D and searches over D are stable.

    The uniforms are drawn in the order (experiment, task, run), a block of experiments at a
    time (the same stream as one draw of them all), and kept run by run: ``ua[j]`` holds run
    j's uniform for every experiment and task, so that a count compares whole contiguous slabs.
    """

    def __init__(self, model: PowerModel, n_tasks: int, n: int, sims: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(model.base_a), size=(sims, n_tasks))
        self.model = model
        self.la = _logit(np.asarray(model.base_a))[idx]
        self.pb = np.asarray(model.base_b)[idx].astype(np.float32)
        self.ua = _uniforms_by_run(rng, sims, n_tasks, n)
        self.cb = _count_below(_uniforms_by_run(rng, sims, n_tasks, n), self.pb).astype(np.int64)

    def shifts(self, diffs: Sequence[float]) -> list[float]:
        """The model's logit shift for each of ``diffs``."""
        return [self.model.shift(d) for d in diffs]

    def counts(self, diff: float) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Successes of A (shifted to a mean difference ``diff``) and of B, per experiment and task."""
        return self.counts_each([diff])[0]

    def counts_each(
        self, diffs: Sequence[float], shifts: Sequence[float] | None = None
    ) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
        """:meth:`counts` at each of ``diffs`` (``shifts``: their :meth:`shifts`, when known), a
        block of experiments at a time: a block's uniforms stay in the core's cache while
        every D is compared with them."""
        n, sims, tasks = self.ua.shape
        shifts = self.shifts(diffs) if shifts is None else shifts
        out = [np.empty((sims, tasks), dtype=np.int64) for _ in diffs]
        step = max(1, _BLOCK_CELLS // max(tasks * n, 1))
        for start in range(0, sims, step):
            rows = slice(start, start + step)
            ua, la = self.ua[:, rows], self.la[rows]
            for k, shift in enumerate(shifts):
                out[k][rows] = _count_below(ua, _expit(la + shift).astype(np.float32))
        return [(ca, self.cb) for ca in out]


_BLOCK_CELLS = 1 << 18
"""Uniforms compared at once by :meth:`_Draws.counts_each` (1 MB of float32)."""


def _uniforms_by_run(rng: np.random.Generator, sims: int, tasks: int, n: int) -> npt.NDArray[np.float32]:
    """``rng.random((sims, tasks, n))`` in float32, stored as ``(n, sims, tasks)``: drawn a
    block of experiments at a time, so that no second copy of them all is held."""
    out = np.empty((n, sims, tasks), dtype=np.float32)
    step = max(1, _BLOCK_CELLS // max(tasks * n, 1))
    for start in range(0, sims, step):
        block = rng.random((min(step, sims - start), tasks, n), dtype=np.float32)
        out[:, start : start + len(block)] = np.moveaxis(block, 2, 0)
    return out


def _count_below(u: npt.NDArray[np.float32], p: npt.NDArray[np.float32]) -> npt.NDArray[np.integer]:
    """Per cell of ``p``, how many of the runs' uniforms (``u[j]``, one slab per run) are below it,
    summed slab by slab (in a byte when there are fewer than 256 runs)."""
    total = np.zeros(p.shape, dtype=np.uint8 if len(u) < 256 else np.int64)
    for slab in u:
        total += (slab < p).view(np.uint8)
    return total


def t_test_rejects(x: npt.NDArray[np.int64], runs_per_task: int, alpha: float) -> npt.NDArray[np.bool_]:
    """Whether the paired t-test of ``compare`` rejects at ``alpha``, for each row of per-task
    differences in successes ``x`` (A's minus B's, out of ``runs_per_task`` runs each): the
    vectorised form of :func:`trajdiv.stats._compare.paired_t` and ``t_test_p`` (same SE floor)."""
    _, t = x.shape
    d = x / runs_per_task
    mean = d.mean(axis=1)
    sd = d.std(axis=1, ddof=1) if t > 1 else np.zeros(len(d))
    se = np.maximum(sd / math.sqrt(t), 1.0 / (runs_per_task * t))
    q = t_quantile(1 - alpha / 2, t - 1) if t > 1 else math.inf
    return np.asarray(np.abs(mean) > q * se)


def simulated_power(
    model: PowerModel,
    diff: float,
    runs_per_task: int,
    n_tasks: int,
    alpha: float = 0.05,
    *,
    sims: int = 2000,
    seed: int = 0,
    _draws: _Draws | None = None,
) -> float:
    """Share of simulated experiments (``n_tasks`` tasks, ``runs_per_task`` runs of each
    configuration) in which the paired t-test of ``compare`` rejects at ``alpha``.

    Examples
    --------
    >>> m = PowerModel.from_rates([0.4] * 10, n=5)
    >>> simulated_power(m, 0.0, 5, 16) <= 0.06  # no difference: the level, at most
    True
    """
    return rejection_rates(_draws or _Draws(model, n_tasks, runs_per_task, sims, seed), [diff], alpha)[0]


def rejection_rates(
    draws: _Draws, diffs: Sequence[float], alpha: float = 0.05, shifts: Sequence[float] | None = None
) -> list[float]:
    """:func:`simulated_power` at each of ``diffs`` (``shifts``: their :meth:`_Draws.shifts`, when
    known), from the same simulated experiments."""
    runs_per_task = draws.ua.shape[0]
    return [
        float(t_test_rejects(ca - cb, runs_per_task, alpha).mean())
        for ca, cb in draws.counts_each(diffs, shifts)
    ]


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
