"""Consistency of repeated runs: coefficients of variation and the HAL reliability metrics."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = [
    "consistency_of_cv",
    "cv_pct",
    "cv_pct_each",
    "jensen_shannon",
    "mean_pairwise_jsd",
    "outcome_consistency",
    "resource_consistency",
]


def cv_pct(values: Sequence[float | None]) -> float | None:
    """Coefficient of variation in percent: sample sd (ddof=1) / mean * 100.

    None when fewer than two values are known or the mean is 0 ("Consistency Amplifies",
    arXiv 2603.25764).

    Examples
    --------
    >>> round(cv_pct([10, 12, 14]), 3)
    16.667
    """
    xs = np.array([v for v in values if v is not None], dtype=np.float64)
    if len(xs) < 2 or xs.mean() == 0:
        return None
    return float(xs.std(ddof=1) / xs.mean() * 100.0)


def cv_pct_each(samples: Sequence[Sequence[float | None]]) -> list[float | None]:
    """:func:`cv_pct` of each sample, the same floats: samples without a missing value are taken
    in stacks of equal length, whose row-wise mean and sd are the 1-D ones bit for bit."""
    out: list[float | None] = [None] * len(samples)
    by_len: dict[int, list[int]] = {}
    for i, values in enumerate(samples):
        if None in values:
            out[i] = cv_pct(values)
        elif len(values) >= 2:
            by_len.setdefault(len(values), []).append(i)
    for at in by_len.values():
        xs = np.array([samples[i] for i in at], dtype=np.float64)
        mean = xs.mean(axis=1)
        sd = xs.std(ddof=1, axis=1)
        for i, m, s in zip(at, mean.tolist(), sd.tolist(), strict=True):
            out[i] = None if m == 0 else s / m * 100.0
    return out


def outcome_consistency(p: float) -> float:
    """HAL outcome consistency of a task: (2p - 1)^2 (1 when all runs agree, 0 at p = 0.5)."""
    return (2.0 * p - 1.0) ** 2


def resource_consistency(values: Sequence[float | None]) -> float | None:
    """HAL resource consistency: exp(-CV), CV as a fraction (None when CV is undefined)."""
    return consistency_of_cv(cv_pct(values))


def consistency_of_cv(cv: float | None) -> float | None:
    """:func:`resource_consistency` from the CV in percent, when it is known already."""
    return None if cv is None else math.exp(-cv / 100.0)


def jensen_shannon(a: Counter[str], b: Counter[str]) -> float:
    """Jensen-Shannon divergence (base 2, in [0, 1]) of two count distributions."""
    keys = sorted(set(a) | set(b))
    pa = np.array([a[k] for k in keys], dtype=np.float64)
    pb = np.array([b[k] for k in keys], dtype=np.float64)
    if pa.sum() == 0 or pb.sum() == 0:
        return 0.0 if pa.sum() == pb.sum() else 1.0
    pa, pb = pa / pa.sum(), pb / pb.sum()
    m = (pa + pb) / 2

    def kl(p: np.ndarray, q: np.ndarray) -> float:
        mask = p > 0
        return float((p[mask] * np.log2(p[mask] / q[mask])).sum())

    return 0.5 * kl(pa, m) + 0.5 * kl(pb, m)


def mean_pairwise_jsd(counts: Sequence[Counter[str]]) -> float | None:
    """Mean Jensen-Shannon divergence over the pairs of runs' action-count distributions.

    Each distribution over all the runs' actions; run by run, the pairs it belongs to at once,
    with each pair's two sums over the same terms as :func:`jensen_shannon` sums (those of each
    run's own actions, in action order), so the values are its own. What is held at once is one
    run's pairs (a group of thousands of runs has millions of pairs), and the time is that of
    the pairs' arithmetic."""
    n = len(counts)
    if n < 2:
        return None
    keys = sorted(set().union(*counts))
    c = np.array([[cnt[k] for k in keys] for cnt in counts], dtype=np.float64).reshape(n, len(keys))
    total = c.sum(axis=1)
    if (total == 0).any():  # an empty distribution: the pairwise definition's special case
        return float(
            np.mean([jensen_shannon(counts[i], counts[j]) for i in range(n) for j in range(i + 1, n)])
        )
    p = c / total[:, None]
    # pair (i, j), i < j, sits at i n - i (i + 1) / 2 + j - i - 1 of the row order of the pairs
    row_start = np.arange(n) * n - np.arange(n) * (np.arange(n) + 1) // 2
    kl_a, kl_b = np.empty(n * (n - 1) // 2), np.empty(n * (n - 1) // 2)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 log 0: left out of every sum
        for run in range(n):  # a run's terms are summed over its own actions, row by row
            own = c[run] > 0
            pr = p[run][own]
            if run + 1 < n:  # as the first of its pairs (run, j): a range of the order
                m = (p[run] + p[run + 1 :]) / 2
                kl_a[row_start[run] : row_start[run] + n - run - 1] = np.ascontiguousarray(
                    pr * np.log2(pr / m[:, own])
                ).sum(axis=1)
            if run > 0:  # as the second of its pairs (i, run)
                m = (p[:run] + p[run]) / 2
                at = row_start[:run] + run - np.arange(run) - 1
                kl_b[at] = np.ascontiguousarray(pr * np.log2(pr / m[:, own])).sum(axis=1)
    return float(np.mean(0.5 * kl_a + 0.5 * kl_b))
