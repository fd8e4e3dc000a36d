"""How early can you tell? Predicting a run's failure from its first k steps.

Two scopes, both with an interval and the runs and tasks behind each figure:

``across_tasks``
    what a monitor watching a *new* task could do. A ridge logistic regression on a few prefix
    features is fitted on half of the tasks and scores the runs of the other half, and the other
    way round (two-fold cross-fitting by task), so no task is ever both trained and tested on.
    The figure is the mean of the two halves' AUROCs; the interval is a jackknife over tasks
    that refits the models each time. At least 4 tasks are needed.
``within_task``
    among the runs of one task with mixed outcomes, does the run that leaves the successful
    runs' path earlier fail more? No model: for every (failing, successful) pair of runs of a
    task, the step at which each first leaves the prefix tree of the task's *other* successful
    runs, capped at k + 1 (only k steps are seen), is compared; the AUROC is the share of pairs
    where the failing run leaves first (ties count half); the figure is the mean over tasks with
    a failure and at least two successes (so that a successful path remains when one is left
    out) of that per-task AUROC, with the score interval over tasks that pass@1 has (the
    runs behind the figure bound its effective sample size).

Prefix features (``across_tasks``): steps so far and whether the run already ended, log agent
tokens so far, failing return codes so far, whether the run has left its group's majority branch
(the most common path of the group's *other* runs) and how early (1 - step / k, 0 if not), and
the share of its steps spent on each of the configuration's five most frequent actions at the
analysis level. The model is written with numpy (Newton steps on a ridge-penalised likelihood,
standardised features): a dozen features need no external library, and results stay
deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from trajdiv.stats._early_features import (
    EarlyRun,
    majority_departures,
    prefix_features,
    prefix_totals,
    top_actions,
)
from trajdiv.stats._early_model import _across_tasks, auroc, ridge_logistic
from trajdiv.stats._interval import clustered_score_interval, t_quantile

__all__ = [
    "FRACTIONS",
    "MAX_K",
    "EarlyRun",
    "auroc",
    "early_warning_rows",
    "majority_departures",
    "prefix_features",
    "ridge_logistic",
    "within_task_auroc",
]

MAX_K = 10
"""Prefix lengths k = 1..MAX_K are scored."""
FRACTIONS = (0.10, 0.25, 0.50)
"""Prefixes as a fraction of each run's own length."""


def clustered_auroc(
    scores: npt.NDArray[np.float64], failed: npt.NDArray[np.bool_], clusters: Sequence[str]
) -> tuple[float | None, tuple[float, float] | None]:
    """AUROC with a 95% interval whose variance treats the runs of one task as a cluster
    (Obuchowski 1997, the clustered form of DeLong's variance), Student-t on clusters - 1 df."""
    pos, neg = np.flatnonzero(failed), np.flatnonzero(~failed)
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return None, None
    psi = (scores[pos][:, None] > scores[neg][None, :]) + 0.5 * (scores[pos][:, None] == scores[neg][None, :])
    est = float(psi.mean())
    v10 = psi.mean(axis=1)  # per failing run
    v01 = psi.mean(axis=0)  # per successful run
    labels = sorted(set(clusters))
    k = len(labels)
    if k < 2:
        return est, None
    index = {c: i for i, c in enumerate(labels)}
    cl = np.array([index[c] for c in clusters])
    s10 = np.bincount(cl[pos], weights=v10, minlength=k)
    s01 = np.bincount(cl[neg], weights=v01, minlength=k)
    m_t = np.bincount(cl[pos], minlength=k)
    n_t = np.bincount(cl[neg], minlength=k)
    d10, d01 = s10 - m_t * est, s01 - n_t * est
    c = k / (k - 1)
    var = c * ((d10**2).sum() / m**2 + (d01**2).sum() / n**2 + 2 * (d10 * d01).sum() / (m * n))
    se = math.sqrt(max(float(var), 0.0))
    if se == 0:
        se = 0.5 / k
    q = t_quantile(0.975, k - 1)
    return est, (max(0.0, est - q * se), min(1.0, est + q * se))


def _departure_from_tree(run: Sequence[str], paths: Sequence[Sequence[str]], cap: int) -> int:
    """First step at which ``run`` leaves the prefix tree of ``paths`` (cap if it does not
    within the first cap - 1 steps; a run that ends on the tree stays on it)."""
    alive = list(paths)
    for step in range(min(cap - 1, len(run))):
        alive = [p for p in alive if len(p) > step and p[step] == run[step]]
        if not alive:
            return step + 1
    return cap


def within_task_auroc(
    runs: Sequence[EarlyRun], k: int | None = None, fraction: float | None = None
) -> tuple[float | None, tuple[float, float] | None, int, int]:
    """Within-task AUROC of earlier departure from the successful runs' prefix tree (see the
    module docstring): (estimate, interval, runs, tasks) over tasks with a failure and two or
    more successes."""
    return within_task_aurocs(runs, [(k, fraction)])[0]


Setting = tuple[int | None, float | None]
"""A prefix: k steps, or a fraction of each run's length."""


def within_task_aurocs(
    runs: Sequence[EarlyRun], settings: Sequence[Setting]
) -> list[tuple[float | None, tuple[float, float] | None, int, int]]:
    """:func:`within_task_auroc` at each of ``settings``, the prefix trees walked once: a run's
    departure step seen through a cap c is min(departure, c), so each pair's departures are
    found once, through the largest cap any setting gives the run, and capped per setting."""
    by_task: dict[str, list[EarlyRun]] = {}
    for r in runs:
        by_task.setdefault(r.task_id, []).append(r)
    values: list[list[float]] = [[] for _ in settings]
    n_runs = 0

    def caps(run: EarlyRun) -> list[int]:
        return [(k if k is not None else _fraction_k(run, f)) + 1 for k, f in settings]

    for task in sorted(by_task):
        group = by_task[task]
        fails = [r for r in group if r.failed]
        wins = [r for r in group if not r.failed]
        if not fails or len(wins) < 2:
            continue  # leaving one success out must leave a successful path to compare with
        n_runs += len(group)
        fail_caps = [caps(f) for f in fails]
        score = [0.0] * len(settings)
        for s in wins:
            tree = [w.actions for w in wins if w is not s]
            s_caps = caps(s)
            ds = _departure_from_tree(s.actions, tree, max(s_caps)) if tree else 1
            for f, f_caps in zip(fails, fail_caps, strict=True):
                df = _departure_from_tree(f.actions, tree, max(f_caps)) if tree else 1
                for i, (cap_f, cap_s) in enumerate(zip(f_caps, s_caps, strict=True)):
                    a, b = min(df, cap_f), min(ds, cap_s)
                    score[i] += 1.0 if a < b else 0.5 if a == b else 0.0
        pairs = len(fails) * len(wins)
        for i in range(len(settings)):
            values[i].append(score[i] / pairs)
    return [_task_mean(v, n_runs) for v in values]


def _task_mean(values: list[float], n_runs: int) -> tuple[float | None, tuple[float, float] | None, int, int]:
    """Mean of the per-task AUROCs with the score interval over tasks that pass@1 has
    (:func:`~trajdiv.stats._interval.clustered_score_interval`), the runs behind the figure
    bounding its effective sample size. A Student-t interval of 3 to 6 skewed per-task values
    covered 92-94% at 10 tasks x 5 runs; this one covers 99% there (``scripts/coverage.py``)."""
    t = len(values)
    if t == 0:
        return None, None, 0, 0
    est = float(np.mean(values))
    return est, clustered_score_interval(values, max_n=n_runs), n_runs, t


def _fraction_k(run: EarlyRun, fraction: float | None) -> int:
    assert fraction is not None
    return max(1, math.ceil(fraction * len(run.actions)))


def early_warning_rows(
    runs: Sequence[EarlyRun], config: str, departures: Sequence[int | None] | None = None
) -> list[dict[str, object]]:
    """Rows of the ``early_warning`` table for one configuration: both scopes at k = 1..MAX_K
    and at each of :data:`FRACTIONS` of the runs' lengths. ``departures``: each run's
    :func:`majority_departures`, when made already."""
    given = None if departures is None else [d for r, d in zip(runs, departures, strict=True) if r.actions]
    labelled = [r for r in runs if r.actions]
    if not labelled:
        return []
    n_tasks = len({r.task_id for r in labelled})
    max_len = max(len(r.actions) for r in labelled)
    settings: list[Setting] = [(k, None) for k in range(1, min(MAX_K, max_len) + 1)]
    settings += [(None, f) for f in FRACTIONS]
    rows: list[dict[str, object]] = []
    prefixes = prefix_totals(labelled, top_actions(labelled), given)
    within = within_task_aurocs(labelled, settings)
    for (k, frac), (w_est, w_ci, w_runs, w_tasks) in zip(settings, within, strict=True):
        ks = [k if k is not None else _fraction_k(r, frac) for r in labelled]
        est, ci = _across_tasks(labelled, ks, prefixes)
        rows.append(_row(config, k, frac, "across_tasks", est, ci, len(labelled), n_tasks))
        rows.append(_row(config, k, frac, "within_task", w_est, w_ci, w_runs, w_tasks))
    return rows


def _row(
    config: str,
    k: int | None,
    fraction: float | None,
    scope: str,
    est: float | None,
    ci: tuple[float, float] | None,
    n_runs: int,
    n_tasks: int,
) -> dict[str, object]:
    return {
        "config": config,
        "k": k,
        "fraction": fraction,
        "scope": scope,
        "auroc": est,
        "ci_low": None if ci is None else ci[0],
        "ci_high": None if ci is None else ci[1],
        "n_runs": n_runs,
        "n_tasks": n_tasks,
    }
