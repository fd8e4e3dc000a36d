"""Strategy clusters of a group's runs, and the branching factor along the runs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import Levenshtein

__all__ = [
    "DEFAULT_CLUSTER_THRESHOLD",
    "Strategies",
    "branching_factor",
    "cluster_strategies",
    "distance_matrix",
    "entropy_bits",
]

DEFAULT_CLUSTER_THRESHOLD = 0.5
"""Average-linkage distance at or below which two strategy clusters merge."""


def distance_matrix(seqs: Sequence[Sequence[str]]) -> npt.NDArray[np.float64]:
    """Pairwise normalized Levenshtein distance (0 = same actions, 1 = nothing in common)."""
    n = len(seqs)
    lists = [list(s) for s in seqs]
    if n > _MANY_RUNS:  # rapidfuzz's all-pairs loop (its first call loads it: 0.1 s)
        from rapidfuzz.process import cdist

        d = cdist(lists, lists, scorer=Levenshtein.normalized_distance, dtype=np.float64, workers=1)
        np.fill_diagonal(d, 0.0)
        return np.asarray(d, dtype=np.float64)
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d[i, j] = d[j, i] = Levenshtein.normalized_distance(lists[i], lists[j])
    return d


_MANY_RUNS = 64
"""Groups of more runs than this have their distances computed by rapidfuzz's own loop."""


def entropy_bits(counts: Sequence[int]) -> float:
    """Shannon entropy (bits) of a distribution given by counts."""
    total = sum(counts)
    return float(-sum(c / total * math.log2(c / total) for c in counts if c)) if total else 0.0


@dataclass(frozen=True, slots=True)
class Strategies:
    """Cluster labels of a group's runs."""

    labels: tuple[int, ...]
    """Strategy of each run, numbered 1.. in order of each cluster's first run."""

    @property
    def n_strategies(self) -> int:
        """Number of distinct strategies."""
        return len(set(self.labels))

    @property
    def entropy_bits(self) -> float:
        """Entropy of the strategy distribution over runs (bits)."""
        return entropy_bits(list(Counter(self.labels).values()))


def cluster_strategies(
    seqs: Sequence[Sequence[str]], threshold: float = DEFAULT_CLUSTER_THRESHOLD
) -> Strategies:
    """Average-linkage agglomerative clustering of action sequences (deterministic).

    Clusters merge while the closest pair's mean pairwise distance is at most ``threshold``;
    ties go to the pair whose first runs come first. Labels follow the order of each cluster's
    first run, so reordering the input within the same run order gives the same labels.

    Examples
    --------
    >>> cluster_strategies([["ls", "cat"], ["ls", "cat"], ["grep", "sed", "pytest"]]).labels
    (1, 1, 2)
    """
    n = len(seqs)
    if n == 0:
        return Strategies(())
    first = _average_linkage(distance_matrix(seqs), threshold)
    order = {f: k for k, f in enumerate(sorted(set(first)), start=1)}
    return Strategies(tuple(order[f] for f in first))


_TIE = 1e-12
"""Mean distances this close count as equal (their sums differ by rounding alone)."""


def _average_linkage(d: npt.NDArray[np.float64], threshold: float) -> list[int]:
    """Each run's cluster, named by its first run: average linkage merging the closest pair
    while its mean distance is at most ``threshold``, ties to the pair whose first runs come
    first.

    A cluster is a row of ``d`` (its first run's), its distance to another the mean over their
    runs' pairs, updated on a merge as the size-weighted mean of the two merged rows
    (Lance-Williams); each row keeps its closest later cluster, recomputed only when that one
    merged or moved away, so that a group of thousands of runs takes O(n^2) memory and about
    O(n^2) time instead of a search over all pairs of clusters at each merge. (A merged
    cluster is never closer to a row than the closer of its two parts, the mean lying between
    them: no other row's closest cluster changes.)"""
    n = len(d)
    dist = d.astype(np.float64, copy=True)
    dist[np.tril_indices(n)] = np.inf  # a row's candidates: the clusters after it
    size = np.ones(n)
    members = [[i] for i in range(n)]
    best_j = np.full(n, -1)
    best_v = np.full(n, np.inf)

    def rebest(i: int) -> None:
        if i + 1 < n:
            j = int(np.argmin(dist[i, i + 1 :])) + i + 1
            best_j[i], best_v[i] = j, dist[i, j]

    for i in range(n):
        rebest(i)
    for _ in range(n - 1):  # each merge removes a cluster
        low = float(best_v.min())
        if not low <= threshold + _TIE:
            break
        a = int(np.flatnonzero(best_v <= low + _TIE)[0])
        b = int(np.flatnonzero(dist[a, a + 1 :] <= low + _TIE)[0]) + a + 1
        merged = (size[a] * _full_row(dist, a) + size[b] * _full_row(dist, b)) / (size[a] + size[b])
        size[a] += size[b]
        dist[:a, a] = merged[:a]
        dist[a, a + 1 :] = merged[a + 1 :]
        dist[:b, b] = np.inf
        dist[b, b + 1 :] = np.inf
        best_v[b], best_j[b] = np.inf, -1
        members[a] += members[b]
        members[b] = []
        rebest(a)
        for i in np.flatnonzero((best_j == a) | (best_j == b)).tolist():
            rebest(i)
    owner = [0] * n
    for first, runs in enumerate(members):
        for run in runs:
            owner[run] = first
    return owner


def _full_row(dist: npt.NDArray[np.float64], i: int) -> npt.NDArray[np.float64]:
    """Cluster ``i``'s distances to every cluster (the upper triangle holds each pair once)."""
    return np.concatenate([dist[:i, i], [np.inf], dist[i, i + 1 :]])


def branching_factor(seqs: Sequence[Sequence[str]]) -> list[tuple[int, int, float]]:
    """``(depth, runs reaching it, exp(entropy))`` of the actions at each depth (1-based).

    The step-level analogue of the token branching factor of "How Alignment Shrinks the
    Generative Horizon" (arXiv 2506.17871): the effective number of distinct next actions.
    """
    max_len = max((len(s) for s in seqs), default=0)
    out = []
    for depth in range(max_len):
        acts = Counter(s[depth] for s in seqs if len(s) > depth)
        total = sum(acts.values())
        h = -sum(c / total * math.log(c / total) for c in acts.values())
        out.append((depth + 1, total, math.exp(h)))
    return out
