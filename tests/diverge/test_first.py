"""First divergence: hand-made cases, an independent loop, and invariants."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import make_run
from trajdiv.diverge import (
    agreement_curve,
    first_step_divergence,
    first_token_divergence,
    group_first_divergence,
    majority_split_step,
    pairwise_step_divergence,
)
from trajdiv.pipeline import Settings, analyze_group
from trajdiv.tokens import TokenCache, agent_piece, get_encoding


def _loop_first_diff(a, b):
    """Reference: plain Python loop."""
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def test_hand_made_runs_split_at_step_3_and_token_57():
    enc = get_encoding()
    common = ["ls -la", "cat setup.py"]
    thoughts = ["look around", "read setup"]
    prefix = sum(len(enc.encode_ordinary(agent_piece(t, a))) for t, a in zip(thoughts, common, strict=True))
    m = 57 - prefix - 1
    assert m > 0
    assert len(enc.encode_ordinary("x" + " the" * m)) == 1 + m  # the construction holds
    a = make_run([*common, "grep -rn foo ."], thoughts=[*thoughts, "x" + " the" * m + " cat"], run_id="a")
    b = make_run(
        [*common, "find . -name foo"], thoughts=[*thoughts, "x" + " the" * m + " dog"], run_id="b", index=2
    )
    res = analyze_group([a, b], Settings(), TokenCache(None))
    (pair,) = res.tables["divergence_pairs"]
    assert pair["token_div_index"] == 57
    assert pair["step_div_exact"] == 3
    assert pair["step_div_verb"] == 3
    assert pair["step_div_phase"] is None  # grep and find are both LOCATE
    shorter = min(pair["agent_tokens_a"], pair["agent_tokens_b"])
    assert pair["token_div_pct_shorter"] == 100 * 57 / shorter
    mean = (pair["agent_tokens_a"] + pair["agent_tokens_b"]) / 2
    assert pair["token_div_pct_mean"] == 100 * 57 / mean
    (group,) = res.tables["divergence_groups"]
    assert group["first_div_step_exact"] == 3
    assert group["first_div_step_phase"] is None


def test_identical_runs_never_diverge_at_any_level():
    a = make_run(["ls", "cat a.py", "pytest"], run_id="a")
    b = make_run(["ls", "cat a.py", "pytest"], run_id="b", index=2)
    res = analyze_group([a, b], Settings(), TokenCache(None))
    (pair,) = res.tables["divergence_pairs"]
    assert pair["token_div_index"] is None
    assert all(
        pair[f"step_div_{lvl}"] is None for lvl in ("exact", "normalized", "verb", "category", "phase")
    )
    (group,) = res.tables["divergence_groups"]
    assert group["first_div_step_exact"] is None
    assert group["majority_split_step_exact"] is None


def test_prefix_runs_diverge_where_the_shorter_stops():
    assert first_step_divergence(np.array([1, 2]), np.array([1, 2, 3])) == 3
    assert first_token_divergence(np.array([5, 6]), np.array([5, 6, 7])) == 2


def test_group_agreement_and_majority_by_hand():
    seqs = [np.array(s) for s in ([1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 9, 9], [1, 7, 7, 7])]
    pairs = pairwise_step_divergence(seqs)
    assert group_first_divergence(pairs) == 2
    # pairs: (0,1)->4 (0,2)->3 (0,3)->2 (1,2)->3 (1,3)->2 (2,3)->2
    assert agreement_curve(pairs, 4) == [1.0, 0.5, 1 / 6, 0.0]
    # largest agreeing subsets: step1 {4}, step2 {3}, step3 {2}, step4 {1} -> below half at 4
    assert majority_split_step(seqs) == 4


@given(st.lists(st.integers(0, 5), max_size=40), st.lists(st.integers(0, 5), max_size=40))
def test_vectorised_matches_loop(a, b):
    assert first_token_divergence(
        np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    ) == _loop_first_diff(a, b)


@given(st.lists(st.integers(0, 3), max_size=30))
def test_self_never_diverges(a):
    arr = np.array(a, dtype=np.int64)
    assert first_token_divergence(arr, arr) is None
    assert first_step_divergence(arr, arr) is None
    assert majority_split_step([arr, arr, arr]) is None
