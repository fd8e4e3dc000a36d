"""Strategy clustering and branching factor."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from trajdiv.graph import branching_factor, cluster_strategies, entropy_bits


def test_identical_runs_are_one_strategy():
    s = cluster_strategies([["ls", "cat"]] * 4)
    assert s.labels == (1, 1, 1, 1)
    assert s.n_strategies == 1
    assert s.entropy_bits == 0.0


def test_two_clear_strategies():
    a = ["ls", "cat", "sed", "pytest"]
    b = ["grep", "find", "vim", "make", "submit"]
    s = cluster_strategies([a, b, a, [*b[:-1], "ls"], a])
    assert s.labels == (1, 2, 1, 2, 1)
    assert s.entropy_bits == entropy_bits([3, 2])
    assert math.isclose(s.entropy_bits, -(0.6 * math.log2(0.6) + 0.4 * math.log2(0.4)))


def test_threshold_zero_separates_everything_distinct():
    s = cluster_strategies([["a"], ["b"], ["a"]], threshold=0.0)
    assert s.labels == (1, 2, 1)


seqs = st.lists(st.lists(st.sampled_from("abcd"), min_size=1, max_size=8), min_size=2, max_size=7)


@given(seqs, st.randoms())
def test_labels_do_not_depend_on_input_order(runs, rnd):
    """Runs fed to the pipeline in any order get the same strategy labels."""
    from tests.helpers import make_run
    from trajdiv.ingest import finalize_group
    from trajdiv.pipeline import Settings, analyze_group

    made = [make_run(r, run_id=f"r{k}", index=k + 1) for k, r in enumerate(runs)]
    order = list(range(len(made)))
    rnd.shuffle(order)
    settings = Settings(stages=("ingest", "graph"))

    def labels(members):
        kept, *_ = finalize_group([(m, m.source, ()) for m in members], [])
        res = analyze_group([r for r, _ in kept], settings, None)
        return {row["run_id"]: row["strategy"] for row in res.tables["strategies"]}

    assert labels([made[i] for i in order]) == labels(made)


def test_branching_factor_by_hand():
    bf = branching_factor([["ls", "cat"], ["ls", "grep"], ["ls"]])
    assert bf[0] == (1, 3, 1.0)
    assert bf[1][0:2] == (2, 2)
    assert math.isclose(bf[1][2], 2.0)
