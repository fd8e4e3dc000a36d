"""Step-level alignment of two runs over abstracted action ids (rapidfuzz edit operations)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

__all__ = ["Alignment", "align_steps", "canonical_ids"]


@dataclass(frozen=True, slots=True)
class Alignment:
    """How two runs' steps correspond.

    ``ops`` are ``(tag, a_start, a_end, b_start, b_end)`` with 0-based, end-exclusive step ranges
    and tags ``equal``, ``replace`` (substitution), ``delete`` (steps only in a), ``insert``
    (steps only in b), as in :mod:`difflib` and rapidfuzz.
    """

    ops: tuple[tuple[str, int, int, int, int], ...]
    step_similarity: float
    """Normalized Levenshtein similarity of the two action sequences, in [0, 1]."""
    token_weighted_similarity: float | None
    """Share of agent-output tokens (both runs) that sit in exactly matched steps; None if no
    token counts were given or both runs are empty."""

    @property
    def matches(self) -> list[tuple[int, int]]:
        """Pairs ``(i, j)`` of 0-based step indices aligned as equal."""
        out: list[tuple[int, int]] = []
        for tag, a0, a1, b0, _ in self.ops:
            if tag == "equal":
                out.extend((a0 + k, b0 + k) for k in range(a1 - a0))
        return out


def align_steps(
    a: Sequence[Hashable] | npt.NDArray[np.int64],
    b: Sequence[Hashable] | npt.NDArray[np.int64],
    tokens_a: npt.NDArray[np.int64] | None = None,
    tokens_b: npt.NDArray[np.int64] | None = None,
) -> Alignment:
    """Align two sequences of abstracted actions.

    Examples
    --------
    >>> al = align_steps(["ls", "cat", "sed", "pytest"], ["ls", "grep", "cat", "pytest"])
    >>> [op[0] for op in al.ops]
    ['equal', 'insert', 'equal', 'delete', 'equal']
    >>> round(al.step_similarity, 2)
    0.5
    """
    ops = tuple(
        (op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end)
        for op in Levenshtein.opcodes(list(a), list(b))
    )
    sim = float(Levenshtein.normalized_similarity(list(a), list(b)))
    tw: float | None = None
    if tokens_a is not None and tokens_b is not None:
        total = float(tokens_a.sum() + tokens_b.sum())
        if total > 0:
            matched = 0.0
            for tag, a0, a1, b0, b1 in ops:
                if tag == "equal":
                    matched += float(tokens_a[a0:a1].sum() + tokens_b[b0:b1].sum())
            tw = matched / total
    return Alignment(ops=ops, step_similarity=sim, token_weighted_similarity=tw)


def canonical_ids(
    sequences: Sequence[Sequence[str]], fuzzy: float | None = None
) -> list[npt.NDArray[np.int64]]:
    """Map action strings to integer ids shared across ``sequences``.

    With ``fuzzy`` (a rapidfuzz ``ratio`` threshold, 0-100), an action takes the id of the first
    earlier action (in run order, then step order) that is at least that similar; this makes
    fuzzy equality transitive and deterministic.
    """
    ids: dict[str, int] = {}
    leaders: list[str] = []
    out = []
    for seq in sequences:
        arr = np.empty(len(seq), dtype=np.int64)
        for k, s in enumerate(seq):
            got = ids.get(s)
            if got is None:
                if fuzzy is not None:
                    for lid, lead in enumerate(leaders):
                        if fuzz.ratio(s, lead, score_cutoff=fuzzy):
                            got = lid
                            break
                if got is None:
                    got = len(leaders)
                    leaders.append(s)
                ids[s] = got
            arr[k] = got
        out.append(arr)
    return out
