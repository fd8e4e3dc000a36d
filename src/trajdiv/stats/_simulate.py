"""Simulated experiments for power: the paired t-test of ``compare`` run on experiments drawn
from the configurations as observed (:class:`PowerModel`)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trajdiv.stats._interval import t_quantile

__all__ = ["PowerModel", "rejection_rates", "simulated_power", "t_test_rejects"]


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
        self.ua = np.empty((n, sims, n_tasks), dtype=np.float32)
        for rows, block in _uniform_blocks(rng, sims, n_tasks, n):
            self.ua[:, rows] = block
        self.cb = np.empty((sims, n_tasks), dtype=np.int64)
        for rows, block in _uniform_blocks(rng, sims, n_tasks, n):  # B's are counted, not kept
            self.cb[rows] = _count_below(block, self.pb[rows])

    def shifts(self, diffs: Sequence[float]) -> list[float]:
        """The model's logit shift for each of ``diffs``."""
        return [self.model.shift(d) for d in diffs]

    def counts(self, diff: float) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Successes of A (shifted to a mean difference ``diff``) and of B, per experiment and task."""
        return self.counts_each([diff])[0]

    def counts_each(
        self, diffs: Sequence[float], shifts: Sequence[float] | None = None, rows: slice = slice(None)
    ) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
        """:meth:`counts` at each of ``diffs`` (``shifts``: their :meth:`shifts`, when known), for
        the experiments ``rows`` (all by default), a block of experiments at a time: a block's
        uniforms stay in the core's cache while every D is compared with them."""
        n, sims, tasks = self.ua.shape
        first, stop, _ = rows.indices(sims)
        shifts = self.shifts(diffs) if shifts is None else shifts
        out = [np.empty((max(stop - first, 0), tasks), dtype=np.int64) for _ in diffs]
        step = max(1, _BLOCK_CELLS // max(tasks * n, 1))
        for start in range(first, stop, step):
            block = slice(start, min(start + step, stop))
            ua, la = self.ua[:, block], self.la[block]
            for k, shift in enumerate(shifts):
                out[k][start - first : block.stop - first] = _count_below(
                    ua, _expit(la + shift).astype(np.float32)
                )
        return [(ca, self.cb[first:stop]) for ca in out]


_BLOCK_CELLS = 1 << 18
"""Uniforms compared at once by :meth:`_Draws.counts_each` (1 MB of float32)."""


def _uniform_blocks(
    rng: np.random.Generator, sims: int, tasks: int, n: int
) -> Iterator[tuple[slice, npt.NDArray[np.float32]]]:
    """``rng.random((sims, tasks, n))`` in float32 (the same stream as one such draw), a block of
    experiments at a time, each block with its rows and viewed as ``(n, rows, tasks)``."""
    step = max(1, _BLOCK_CELLS // max(tasks * n, 1))
    for start in range(0, sims, step):
        block = rng.random((min(step, sims - start), tasks, n), dtype=np.float32)
        yield slice(start, start + len(block)), np.moveaxis(block, 2, 0)


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
    known), from the same simulated experiments, tested a slice of experiments at a time (each
    experiment's test is its own row): the counts held at once stay near 2 MB per D."""
    runs_per_task, sims, tasks = draws.ua.shape
    rejected = [0] * len(diffs)
    step = max(1, _TEST_CELLS // max(tasks, 1))
    for start in range(0, sims, step):
        counts = draws.counts_each(diffs, shifts, slice(start, start + step))
        for k, (ca, cb) in enumerate(counts):
            rejected[k] += int(t_test_rejects(ca - cb, runs_per_task, alpha).sum())
    return [r / sims for r in rejected]


_TEST_CELLS = 1 << 18
"""Experiment x task cells whose counts :func:`rejection_rates` tests at once."""
