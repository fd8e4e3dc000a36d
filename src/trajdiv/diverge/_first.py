"""First divergence of repeated runs: pairwise and per group, token level and step level."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "agreement_curve",
    "first_step_divergence",
    "first_token_divergence",
    "group_first_divergence",
    "majority_split_step",
    "pairwise_step_divergence",
]


def first_token_divergence(a: npt.NDArray[np.integer], b: npt.NDArray[np.integer]) -> int | None:
    """0-based index of the first token at which two streams differ; None if identical.

    When one stream is a strict prefix of the other, they diverge at the shorter one's length.

    Examples
    --------
    >>> import numpy as np
    >>> first_token_divergence(np.array([1, 2, 3]), np.array([1, 2, 4, 5]))
    2
    >>> first_token_divergence(np.array([1, 2]), np.array([1, 2])) is None
    True
    """
    m = min(len(a), len(b))
    diff = np.flatnonzero(a[:m] != b[:m])
    if diff.size:
        return int(diff[0])
    return None if len(a) == len(b) else m


def first_step_divergence(a: npt.NDArray[np.integer], b: npt.NDArray[np.integer]) -> int | None:
    """1-based first step at which two action-id sequences differ; None if identical.

    A run that stops while the other goes on diverges at the step after its last.

    Examples
    --------
    >>> import numpy as np
    >>> first_step_divergence(np.array([4, 7, 1]), np.array([4, 7, 2]))
    3
    """
    idx = first_token_divergence(a, b)
    return None if idx is None else idx + 1


def pairwise_step_divergence(
    seqs: Sequence[npt.NDArray[np.integer]],
) -> dict[tuple[int, int], int | None]:
    """First step divergence of every pair ``(i, j)``, ``i < j``."""
    n = len(seqs)
    return {(i, j): first_step_divergence(seqs[i], seqs[j]) for i in range(n) for j in range(i + 1, n)}


def group_first_divergence(pair_steps: dict[tuple[int, int], int | None]) -> int | None:
    """First step at which not all runs of a group agree (the earliest pairwise divergence)."""
    vals = [v for v in pair_steps.values() if v is not None]
    return min(vals) if vals else None


def agreement_curve(pair_steps: dict[tuple[int, int], int | None], max_step: int) -> list[float]:
    """For s = 1..max_step, the share of run pairs still identical through step s."""
    if not pair_steps:
        return []
    div = np.array([np.inf if v is None else v for v in pair_steps.values()], dtype=np.float64)
    steps = np.arange(1, max_step + 1, dtype=np.float64)
    return [float(x) for x in (div[None, :] > steps[:, None]).mean(axis=1)]


def majority_split_step(seqs: Sequence[npt.NDArray[np.integer]]) -> int | None:
    """First step at which the largest set of runs with identical prefixes falls below half.

    A run that has ended forms its own set from the step after its last. None if that never
    happens (for instance, all runs identical).
    """
    n = len(seqs)
    if n < 2:
        return None
    max_len = max(len(s) for s in seqs)
    # class id of each run's prefix, refined step by step
    cls = [0] * n
    for step in range(max_len + 1):
        keys: dict[tuple[int, int], int] = {}
        new = []
        for r, s in enumerate(seqs):
            tok = int(s[step]) if step < len(s) else -1  # an ended run keeps its END mark
            k = (cls[r], tok)
            new.append(keys.setdefault(k, len(keys)))
        cls = new
        largest = max(np.bincount(np.array(cls)))
        if largest * 2 < n:
            return step + 1
    return None
