"""Strategy clustering and branching factor."""

from __future__ import annotations

import math

from hypothesis import given, settings
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


@settings(deadline=None)  # the first example imports the pipeline
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


def _reference_clusters(seqs: list[list[str]], threshold: float) -> tuple[int, ...]:
    """Average linkage by its definition: at every merge, each pair of clusters' mean distance
    from the runs' pairwise distances, the closest pair merged (ties to the pair whose first
    runs come first) while it is within ``threshold``."""
    import numpy as np
    from rapidfuzz.distance import Levenshtein

    n = len(seqs)
    d = [[Levenshtein.normalized_distance(seqs[i], seqs[j]) for j in range(n)] for i in range(n)]
    clusters = [[i] for i in range(n)]
    while len(clusters) > 1:
        means = {
            (a, b): float(np.mean([d[i][j] for i in clusters[a] for j in clusters[b]]))
            for a in range(len(clusters))
            for b in range(a + 1, len(clusters))
        }
        low = min(means.values())
        if low > threshold + 1e-12:
            break
        a, b = min(p for p, v in means.items() if v <= low + 1e-12)
        clusters[a] = sorted(clusters[a] + clusters[b])
        del clusters[b]
    labels = [0] * n
    for k, members in enumerate(sorted(clusters), start=1):
        for m in members:
            labels[m] = k
    return tuple(labels)


def test_clusters_are_those_of_average_linkage_by_its_definition():
    import random

    rnd = random.Random(7)
    for case in range(300):
        verbs = ["ls", "cat", "sed", "grep", "pytest", "vim"][: rnd.randint(1, 6)]  # few: many ties
        n = rnd.randint(1, 14) if case % 10 else rnd.randint(15, 40) if case % 50 else rnd.randint(65, 90)
        seqs = [[rnd.choice(verbs) for _ in range(rnd.randint(0, 7))] for _ in range(n)]
        threshold = rnd.choice([0.0, 0.2, 0.5, 0.8, 1.0])
        assert cluster_strategies(seqs, threshold).labels == _reference_clusters(seqs, threshold), (
            seqs,
            threshold,
        )
