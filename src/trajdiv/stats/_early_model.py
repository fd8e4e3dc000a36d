"""The across-task early-warning model: a ridge logistic regression cross-fitted by task, its
AUROC, and the jackknife over tasks that gives the AUROC's interval.

The jackknife refits the two halves' models once for each group of tasks left out, all of a
half's refits together (:func:`~trajdiv.stats._ridge.refits`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from trajdiv.stats._early_features import EarlyRun, Prefixes, features, prefix_totals, top_actions
from trajdiv.stats._interval import t_quantile
from trajdiv.stats._ridge import refits, ridge_logistic

__all__ = ["auroc", "ridge_logistic"]

_JACKKNIFE_GROUPS = 30


def auroc(
    scores: Sequence[float] | npt.NDArray[np.float64], failed: Sequence[bool] | npt.NDArray[np.bool_]
) -> float | None:
    """P(score of a failing run > score of a successful run), ties counting half (Mann-Whitney).

    Examples
    --------
    >>> auroc([0.9, 0.8, 0.3, 0.1], [True, False, True, False])
    0.75
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(failed, dtype=bool)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return None
    if np.isnan(s).any():  # NaN is neither above, below nor equal to anything: counted pair by pair
        greater = (pos[:, None] > neg[None, :]).sum()
        ties = (pos[:, None] == neg[None, :]).sum()
    else:  # the same two counts from the sorted successes, in O((m + n) log n)
        ordered = np.sort(neg)
        below = np.searchsorted(ordered, pos, side="left")
        greater = below.sum()
        ties = (np.searchsorted(ordered, pos, side="right") - below).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def _cross_fitted(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.bool_],
    side: npt.NDArray[np.int64],
    fits: list[npt.NDArray[np.float64] | None] | None = None,
) -> float | None:
    """Mean over the two halves of the AUROC of the scores a model fitted on the other half
    gives (None when a half has only one outcome). ``fits``: each half's model, started from
    the model already in it when there is one (the full-sample fit, for the jackknife's refits)
    and left there."""
    values = []
    for h in (0, 1):
        test, train = side == h, side != h
        if y[train].all() or not y[train].any():
            scores = np.zeros(int(test.sum()))  # one outcome only in training: nothing learnt
        else:
            start = None if fits is None else fits[h]
            beta = ridge_logistic(x[train], y[train].astype(np.float64), start=start)
            if fits is not None and start is None:
                fits[h] = beta
            scores = np.round(x[test] @ beta[1:], 9)
        a = auroc(scores, y[test])
        if a is None:
            return None
        values.append(a)
    return (values[0] + values[1]) / 2


def _across_tasks(
    runs: Sequence[EarlyRun], ks: Sequence[int], prefixes: Prefixes | None = None
) -> tuple[float | None, tuple[float, float] | None]:
    """Two-fold cross-fitting by task (the sorted tasks split alternately into two halves; a
    model fitted on one half scores the other), so that each half's AUROC comes from a model
    that never saw it: centred on 0.5 when there is no relation. (Pooling leave-one-task-out
    scores of many models is biased below 0.5: each leans against its held-out task.) The
    interval is a jackknife over tasks, refitting the models each time, so that it carries the
    models' own variability; Student-t on tasks - 1 df."""
    tasks = [r.task_id for r in runs]
    order = sorted(set(tasks))
    if len(order) < 4:
        return None, None
    half = {t: i % 2 for i, t in enumerate(order)}
    y = np.array([r.failed for r in runs], dtype=bool)
    x = features(prefixes or prefix_totals(runs, top_actions(runs)), ks)
    side = np.array([half[t] for t in tasks])
    fits: list[npt.NDArray[np.float64] | None] = [None, None]
    est = _cross_fitted(x, y, side, fits)
    if est is None:
        return None, None
    code = {t: i for i, t in enumerate(order)}
    task_code = np.array([code[t] for t in tasks], dtype=np.int64)
    n_groups = min(len(order), _JACKKNIFE_GROUPS)  # group i: the tasks i, i + n_groups, ...
    leave_out = [v for v in _left_out(x, y, side, task_code % n_groups, n_groups, fits) if v is not None]
    k = len(leave_out)
    if k < 3:
        return est, None
    lo_arr = np.asarray(leave_out)
    se = math.sqrt((k - 1) / k * float(((lo_arr - lo_arr.mean()) ** 2).sum()))
    if se == 0:
        se = 0.5 / k
    q = t_quantile(0.975, k - 1)
    return est, (max(0.0, est - q * se), min(1.0, est + q * se))


def _left_out(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.bool_],
    side: npt.NDArray[np.int64],
    group: npt.NDArray[np.int64],
    n_groups: int,
    fits: list[npt.NDArray[np.float64] | None],
) -> list[float | None]:
    """For each group g in 0..n_groups - 1, :func:`_cross_fitted` of the runs whose ``group`` is
    not g, each half's model started from ``fits`` (the full sample's fits)."""
    scores: list[list[npt.NDArray[np.float64] | None]] = [[None] * n_groups for _ in (0, 1)]
    for h in (0, 1):
        train = np.flatnonzero(side != h)
        xt, yt, gt = x[train], y[train].astype(np.float64), group[train]
        # a refit with one outcome only learns nothing: its scores stay 0
        failed = np.bincount(gt, weights=yt, minlength=n_groups)
        runs = np.bincount(gt, minlength=n_groups)
        chosen = [g for g in range(n_groups) if 0 < failed.sum() - failed[g] < runs.sum() - runs[g]]
        start = fits[h]
        if start is not None:  # a group with no runs here leaves this half's fit as it is
            for g in chosen:
                if runs[g] == 0:
                    scores[h][g] = start[1:]
            chosen = [g for g in chosen if runs[g] > 0]
        made = (
            refits(xt, yt, gt, chosen, start)
            if start is not None
            else ((g, ridge_logistic(xt[gt != g], yt[gt != g])[1:]) for g in chosen)
        )
        for g, fitted in made:
            scores[h][g] = fitted
    out: list[float | None] = []
    for g in range(n_groups):
        values = []
        for h in (0, 1):
            test = (side == h) & (group != g)
            slopes = scores[h][g]
            s = np.zeros(int(test.sum())) if slopes is None else np.round(x[test] @ slopes, 9)
            values.append(auroc(s, y[test]))
        a, b = values
        out.append(None if a is None or b is None else (a + b) / 2)
    return out
