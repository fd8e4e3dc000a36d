"""Step alignment with rapidfuzz, checked against difflib-style expectations."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from trajdiv.align import align_steps, canonical_ids


def test_alignment_operations_by_hand():
    al = align_steps(["ls", "cat", "sed", "pytest"], ["ls", "grep", "cat", "pytest"])
    assert al.ops == (
        ("equal", 0, 1, 0, 1),
        ("insert", 1, 1, 1, 2),
        ("equal", 1, 2, 2, 3),
        ("delete", 2, 3, 3, 3),
        ("equal", 3, 4, 3, 4),
    )
    assert al.matches == [(0, 0), (1, 2), (3, 3)]
    assert al.step_similarity == 0.5  # 2 edits over length 4


def test_token_weighted_similarity_by_hand():
    al = align_steps(["a", "b"], ["a", "c"], np.array([10, 30]), np.array([10, 50]))
    assert al.token_weighted_similarity == 20 / 100


def test_fuzzy_ids_are_transitive_by_leader():
    ids = canonical_ids([["grep -n foo PATH", "ls"], ["grep -n fooo PATH", "pwd"]], fuzzy=90)
    assert ids[0][0] == ids[1][0]
    assert ids[0][1] != ids[1][1]


@given(st.lists(st.sampled_from(["ls", "cat", "sed", "pytest"]), max_size=30))
def test_self_alignment_is_all_equal(seq):
    al = align_steps(seq, seq)
    assert all(op[0] == "equal" for op in al.ops)
    assert al.step_similarity == 1.0
