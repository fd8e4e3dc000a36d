"""How consistency and divergence timing relate to outcome, across and within tasks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Relation", "incoherence", "rankdata", "spearman", "stratified_correlation"]


def rankdata(x: Sequence[float]) -> npt.NDArray[np.float64]:
    """Ranks 1..n with ties given their average rank."""
    a = np.asarray(x, dtype=np.float64)
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a))
    sorted_a = a[order]
    i = 0
    while i < len(a):
        j = i
        while j + 1 < len(a) and sorted_a[j + 1] == sorted_a[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _corr(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float | None:
    xc, yc = x - x.mean(), y - y.mean()
    den = float(np.sqrt((xc**2).sum() * (yc**2).sum()))
    return None if den == 0 else float((xc * yc).sum() / den)


@dataclass(frozen=True, slots=True)
class Relation:
    """A correlation with its permutation p-value and the method that produced it."""

    estimate: float | None
    p_value: float | None
    n: int
    method: str
    n_strata: int | None = None
    """For a within-stratum relation: the strata (tasks) that carry information (outcomes
    and x both vary within them)."""


def _perm_corr(xc: npt.NDArray[np.float64], y_perm: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Correlations of a centred x with each row of y_perm (rows are permutations of one y)."""
    yc = y_perm - y_perm.mean(axis=1, keepdims=True)
    den = np.sqrt((xc**2).sum() * (yc**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (yc @ xc) / den, 0.0)


_BLOCK_CELLS = 1 << 17
"""Permuted values held at once (1 MB): memory stays flat however many runs a test covers, and
a block stays in the core's own cache while it is shuffled and multiplied (with 8 MB blocks the
pooled test ran three times slower beside the early-warning models and the report's data)."""


def _permuted_blocks(
    rng: np.random.Generator, values: npt.NDArray[np.float64], n_perm: int
) -> Iterator[npt.NDArray[np.float64]]:
    """``n_perm`` permutations of ``values``, one per row, a block of rows at a time. Rows are
    shuffled one after another from the same stream, so the blocks together are exactly
    ``rng.permuted(np.tile(values, (n_perm, 1)), axis=1)``. The blocks are shuffled in one
    buffer (13% faster than a new array each): a block holds until the next is drawn."""
    rows = max(1, _BLOCK_CELLS // max(len(values), 1))
    buffer = np.empty((min(rows, n_perm), len(values)), dtype=np.float64)
    for start in range(0, n_perm, rows):
        block = buffer[: min(rows, n_perm - start)]
        block[:] = values
        yield rng.permuted(block, axis=1, out=block)


def spearman(x: Sequence[float], y: Sequence[float], *, n_perm: int = 9999, seed: int = 0) -> Relation:
    """Spearman rank correlation with a two-sided permutation p-value (seeded)."""
    if len(x) < 3:
        return Relation(None, None, len(x), "spearman, permutation p-value")
    rx, ry = rankdata(x), rankdata(y)
    rho = _corr(rx, ry)
    if rho is None:
        return Relation(None, None, len(x), "spearman, permutation p-value")
    rng = np.random.default_rng(seed)
    xc = rx - rx.mean()
    perm = np.concatenate([_perm_corr(xc, block) for block in _permuted_blocks(rng, ry, n_perm)])
    p = (1 + int((np.abs(perm) >= abs(rho) - 1e-12).sum())) / (n_perm + 1)
    return Relation(rho, p, len(x), f"spearman rank correlation, {n_perm} permutations")


def stratified_correlation(
    x: Sequence[float],
    y: Sequence[float],
    strata: Sequence[str],
    *,
    n_perm: int = 4999,
    seed: int = 0,
) -> Relation:
    """Within-stratum correlation of x and y (both centred on their stratum means), with a
    permutation p-value that shuffles y only within strata.

    Task difficulty drives both divergence timing and success; centring on task means removes
    it, and permuting within tasks keeps each task's success rate fixed under the null. A
    within-stratum permutation leaves every stratum mean unchanged, so each permuted statistic is
    a dot product with the same denominator (computed for all permutations at once).
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    members: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
        members.setdefault(s, []).append(i)
    groups = [np.asarray(members[s], dtype=np.int64) for s in sorted(members)]
    groups = [g for g in groups if len(g) > 1 and ys[g].std() > 0 and xs[g].std() > 0]
    method = f"within-task correlation, {n_perm} within-task permutations"
    if not groups:
        return Relation(None, None, 0, method, 0)
    xc = [xs[g] - xs[g].mean() for g in groups]
    yc = [ys[g] - ys[g].mean() for g in groups]
    den = float(np.sqrt(sum((a**2).sum() for a in xc) * sum((b**2).sum() for b in yc)))
    n = int(sum(len(g) for g in groups))
    if den == 0:
        return Relation(None, None, n, method, len(groups))
    est = float(sum((a * b).sum() for a, b in zip(xc, yc, strict=True)) / den)
    rng = np.random.default_rng(seed)
    stats = np.zeros(n_perm)
    for a, b in zip(xc, yc, strict=True):
        done = 0
        for block in _permuted_blocks(rng, b, n_perm):
            stats[done : done + len(block)] += block @ a
            done += len(block)
    stats /= den
    p = (1 + int((np.abs(stats) >= abs(est) - 1e-12).sum())) / (n_perm + 1)
    return Relation(est, p, n, method, len(groups))


def incoherence(p: Sequence[float]) -> float | None:
    """Variance share of the error over runs: sum p(1-p) / sum (1-p) ("The Hot Mess of AI",
    arXiv 2601.23045, Brier form on a 0/1 outcome). None when no task ever fails."""
    arr = np.asarray(p, dtype=np.float64)
    err = float((1 - arr).sum())
    return None if err == 0 else float((arr * (1 - arr)).sum() / err)
