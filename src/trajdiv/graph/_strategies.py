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
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d[i, j] = d[j, i] = Levenshtein.normalized_distance(list(seqs[i]), list(seqs[j]))
    return d


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
    d = distance_matrix(seqs)
    clusters: list[list[int]] = [[i] for i in range(n)]
    while len(clusters) > 1:
        best: tuple[float, int, int] | None = None
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                dist = float(d[np.ix_(clusters[a], clusters[b])].mean())
                if best is None or dist < best[0] - 1e-12:
                    best = (dist, a, b)
        assert best is not None
        if best[0] > threshold + 1e-12:
            break
        _, a, b = best
        clusters[a] = sorted(clusters[a] + clusters[b])
        del clusters[b]
    clusters.sort(key=lambda c: c[0])
    labels = [0] * n
    for k, members in enumerate(clusters, start=1):
        for m in members:
            labels[m] = k
    return Strategies(tuple(labels))


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
