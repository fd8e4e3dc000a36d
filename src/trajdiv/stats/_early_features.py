"""What the across-task early-warning model sees of a run: the features of its first k steps
(:mod:`trajdiv.stats._early` describes them), read for every k from running totals made once."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "EarlyRun",
    "Prefixes",
    "features",
    "majority_departures",
    "prefix_features",
    "prefix_totals",
    "top_actions",
]

_TOP_ACTIONS = 5


@dataclass(frozen=True, slots=True)
class EarlyRun:
    """What early warning needs of one run (format-error steps already left out)."""

    task_id: str
    actions: tuple[str, ...]
    """The action at the analysis level, per step."""
    tokens: tuple[int, ...]
    """Agent tokens per step."""
    failed_rc: tuple[bool, ...]
    """Whether the step's recorded return code was non-zero."""
    failed: bool


def _majority_departure(run: Sequence[str], others: Sequence[Sequence[str]], k: int) -> int | None:
    """First step (1..k) at which ``run`` leaves the most common path of ``others``; None if it
    stays on it through step k (or there is no other run)."""
    alive = list(others)
    for step in range(min(k, len(run))):
        nxt = Counter(o[step] for o in alive if len(o) > step)
        if not nxt:
            return None
        top = max(sorted(nxt), key=lambda a: nxt[a])
        if run[step] != top:
            return step + 1
        alive = [o for o in alive if len(o) > step and o[step] == top]
    return None


def majority_departures(runs: Sequence[EarlyRun]) -> list[int | None]:
    """Each run's first departure from the most common path of its task's other runs, over its
    whole length (:func:`_majority_departure`); the departure within k steps is this one when
    it is at most k, else None."""
    by_task: dict[str, list[int]] = {}
    for i, r in enumerate(runs):
        by_task.setdefault(r.task_id, []).append(i)
    return [
        _majority_departure(
            r.actions, [runs[j].actions for j in by_task[r.task_id] if j != i], len(r.actions)
        )
        for i, r in enumerate(runs)
    ]


@dataclass(frozen=True, slots=True)
class Prefixes:
    """What the features of any prefix of a configuration's runs are read from (computed once
    for every k): running totals by prefix length, one row per length 0..n of each run."""

    top: list[str]
    departures: list[int | None]
    lengths: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    """Row of each run's empty prefix."""
    tokens: npt.NDArray[np.int64]
    failed: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]
    """Steps on each of ``top`` so far, one column per action."""


def prefix_totals(
    runs: Sequence[EarlyRun], top: Sequence[str], departures: Sequence[int | None] | None = None
) -> Prefixes:
    """The running totals of ``runs`` (one pass over their steps) and their whole-length majority
    departures (:func:`majority_departures`, unless given)."""
    column = {a: i for i, a in enumerate(top)}
    lengths = np.fromiter((len(r.actions) for r in runs), dtype=np.int64, count=len(runs))
    n = int(lengths.sum())
    start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    # one row per prefix length 0..len of each run: each step's amounts go to the row after it,
    # the running sums over all rows less each run's sum at its empty prefix are its totals
    rows = np.repeat(start + 1 - np.cumsum(lengths) + lengths, lengths) + np.arange(n, dtype=np.int64)
    if any(len(r.tokens) != k or len(r.failed_rc) != k for r, k in zip(runs, lengths.tolist(), strict=True)):
        raise ValueError("a run's actions, tokens and return codes differ in length")
    every = itertools.chain.from_iterable
    col = np.fromiter(map(column.get, every(r.actions for r in runs), itertools.repeat(-1)), np.int64, n)
    tok = np.fromiter(every(r.tokens for r in runs), np.int64, n)
    bad = np.fromiter(every(r.failed_rc for r in runs), np.int64, n)
    amounts = np.zeros((n + len(runs), 2 + len(top)), dtype=np.int64)
    amounts[rows, 0] = tok
    amounts[rows, 1] = bad
    on_top = col >= 0
    amounts[rows[on_top], 2 + col[on_top]] = 1
    totals = np.cumsum(amounts, axis=0)
    totals -= np.repeat(totals[start[: len(runs)]], lengths + 1, axis=0)
    return Prefixes(
        list(top),
        list(majority_departures(runs) if departures is None else departures),
        lengths,
        start,
        np.ascontiguousarray(totals[:, 0]),
        np.ascontiguousarray(totals[:, 1]),
        np.ascontiguousarray(totals[:, 2:]),
    )


def prefix_features(
    runs: Sequence[EarlyRun],
    ks: Sequence[int],
    top: Sequence[str],
    departures: Sequence[int | None] | None = None,
) -> npt.NDArray[np.float64]:
    """Feature matrix of each run's prefix of ``ks[i]`` steps (see the module docstring);
    ``departures``: :func:`majority_departures` of ``runs`` when known already."""
    return features(prefix_totals(runs, top, departures), ks)


def features(pre: Prefixes, ks: Sequence[int]) -> npt.NDArray[np.float64]:
    """The feature matrix of each run's prefix of ``ks[i]`` steps, read from ``pre``."""
    if not len(pre.lengths):
        return np.asarray([], dtype=np.float64)
    k_arr = np.asarray(ks, dtype=np.int64)
    seen = np.minimum(k_arr, pre.lengths)
    at = pre.start + seen
    dep = [d if d is not None and d <= k else None for d, k in zip(pre.departures, ks, strict=True)]
    x = np.empty((len(seen), 6 + len(pre.top)), dtype=np.float64)
    x[:, 0] = seen
    x[:, 1] = pre.lengths < k_arr
    x[:, 2] = [math.log1p(t) for t in pre.tokens[at].tolist()]
    x[:, 3] = pre.failed[at]
    x[:, 4] = [float(d is not None) for d in dep]
    x[:, 5] = [0.0 if d is None else 1.0 - (d - 1) / k for d, k in zip(dep, ks, strict=True)]
    x[:, 6:] = pre.counts[at] / np.maximum(seen, 1)[:, None]
    return x


def top_actions(runs: Sequence[EarlyRun]) -> list[str]:
    """The most frequent actions of ``runs``, whose shares are features."""
    return [a for a, _ in Counter(a for r in runs for a in r.actions).most_common(_TOP_ACTIONS)]
