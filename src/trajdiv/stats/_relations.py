"""How consistency and divergence timing relate to outcome, across and within tasks."""

from __future__ import annotations

from collections.abc import Sequence
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


def spearman(x: Sequence[float], y: Sequence[float], *, n_perm: int = 9999, seed: int = 0) -> Relation:
    """Spearman rank correlation with a two-sided permutation p-value (seeded)."""
    if len(x) < 3:
        return Relation(None, None, len(x), "spearman, permutation p-value")
    rx, ry = rankdata(x), rankdata(y)
    rho = _corr(rx, ry)
    if rho is None:
        return Relation(None, None, len(x), "spearman, permutation p-value")
    rng = np.random.default_rng(seed)
    perm = np.array([_corr(rx, rng.permutation(ry)) or 0.0 for _ in range(n_perm)])
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
    it, and permuting within tasks keeps each task's success rate fixed under the null.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    st = np.asarray(strata)
    groups = [np.flatnonzero(st == s) for s in sorted(set(strata))]
    groups = [g for g in groups if len(g) > 1 and ys[g].std() > 0 and xs[g].std() > 0]
    method = f"within-task correlation, {n_perm} within-task permutations"
    if not groups:
        return Relation(None, None, 0, method)
    idx = np.concatenate(groups)

    def centred(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = v.copy()
        for g in groups:
            out[g] = v[g] - v[g].mean()
        return out[idx]

    xc = centred(xs)
    yc = centred(ys)
    est = _corr(xc, yc)
    if est is None:
        return Relation(None, None, len(idx), method)
    rng = np.random.default_rng(seed)
    hits = 0
    yperm = ys.copy()
    for _ in range(n_perm):
        for g in groups:
            yperm[g] = ys[rng.permutation(g)]
        r = _corr(xc, centred(yperm)) or 0.0
        hits += abs(r) >= abs(est) - 1e-12
    return Relation(est, (1 + hits) / (n_perm + 1), len(idx), method)


def incoherence(p: Sequence[float]) -> float | None:
    """Variance share of the error over runs: sum p(1-p) / sum (1-p) ("The Hot Mess of AI",
    arXiv 2601.23045, Brier form on a 0/1 outcome). None when no task ever fails."""
    arr = np.asarray(p, dtype=np.float64)
    err = float((1 - arr).sum())
    return None if err == 0 else float((arr * (1 - arr)).sum() / err)
