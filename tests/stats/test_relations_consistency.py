"""Rank correlation, within-task relation, incoherence and the HAL metrics."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from trajdiv.stats import (
    cv_pct,
    incoherence,
    jensen_shannon,
    outcome_consistency,
    rankdata,
    resource_consistency,
    spearman,
    stratified_correlation,
)


def test_cv_by_hand_and_undefined_cases():
    assert math.isclose(
        cv_pct([26, 35, 43, 46, 41]), float(np.std([26, 35, 43, 46, 41], ddof=1) / 38.2 * 100)
    )
    assert cv_pct([5]) is None
    assert cv_pct([0, 0]) is None
    assert cv_pct([None, 3, None]) is None


def test_spearman_matches_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(2)
    x = rng.normal(size=25)
    y = x + rng.normal(size=25)
    y[3] = y[4]  # a tie
    ref = scipy_stats.spearmanr(x, y)
    ours = spearman(x.tolist(), y.tolist(), n_perm=4999)
    assert math.isclose(ours.estimate, ref.statistic, rel_tol=1e-12)
    assert abs(ours.p_value - ref.pvalue) < 0.02
    assert np.allclose(rankdata([3, 1, 3, 2]), scipy_stats.rankdata([3, 1, 3, 2]))


def test_within_task_relation_removes_task_confound():
    """Pooled, divergence position predicts success only through task difficulty."""
    rng = np.random.default_rng(0)
    x, y, s = [], [], []
    for t in range(30):
        p = rng.uniform(0.1, 0.9)
        for _ in range(6):
            x.append(p * 10 + rng.normal())  # easy tasks diverge later
            y.append(float(rng.uniform() < p))  # ... and succeed more, independently of x
            s.append(f"t{t}")
    pooled = stratified_correlation(x, y, ["all"] * len(x), n_perm=999)
    within = stratified_correlation(x, y, s, n_perm=999)
    assert pooled.p_value < 0.01
    assert within.p_value > 0.05
    assert abs(within.estimate) < abs(pooled.estimate)


def test_incoherence_by_hand():
    # tasks p = 1, 0, 0.5: variance 0 + 0 + 0.25 over error 0 + 1 + 0.5
    assert math.isclose(incoherence([1.0, 0.0, 0.5]), 0.25 / 1.5)
    assert incoherence([1.0, 1.0]) is None


def test_hal_metrics():
    assert outcome_consistency(1.0) == 1.0
    assert outcome_consistency(0.5) == 0.0
    assert math.isclose(resource_consistency([10, 12, 14]), math.exp(-cv_pct([10, 12, 14]) / 100))
    scipy_spatial = pytest.importorskip("scipy.spatial.distance")
    a = Counter({"ls": 3, "cat": 1})
    b = Counter({"ls": 1, "grep": 2})
    ref = scipy_spatial.jensenshannon([3 / 4, 1 / 4, 0], [1 / 3, 0, 2 / 3], base=2) ** 2
    assert math.isclose(jensen_shannon(a, b), ref, rel_tol=1e-9)


def test_permutation_tests_in_blocks_are_the_whole_permutation_matrix(monkeypatch):
    """Permutations are drawn a block of rows at a time (flat memory for any number of runs):
    the same draws and the same results as one matrix of every permutation."""
    import trajdiv.stats._relations as rel

    rng = np.random.default_rng(5)
    x = rng.normal(size=60).tolist()
    y = (rng.random(60) < 0.4).astype(float).tolist()
    strata = [f"t{i % 7}" for i in range(60)]
    whole = np.random.default_rng(9).permuted(np.tile(np.arange(60.0), (101, 1)), axis=1)
    monkeypatch.setattr(rel, "_BLOCK_CELLS", 60 * 8 + 5)  # blocks of 8 rows, the last of 5
    blocks = [b.copy() for b in rel._permuted_blocks(np.random.default_rng(9), np.arange(60.0), 101)]
    assert [len(b) for b in blocks] == [8] * 12 + [5]
    assert np.array_equal(np.concatenate(blocks), whole)
    small = (
        rel.spearman(x, y),
        rel.stratified_correlation(x, y, strata),
        rel.stratified_correlation(x, y, ["a"] * 60),
    )
    monkeypatch.setattr(rel, "_BLOCK_CELLS", 1 << 20)
    big = (
        rel.spearman(x, y),
        rel.stratified_correlation(x, y, strata),
        rel.stratified_correlation(x, y, ["a"] * 60),
    )
    assert small == big


def test_cv_of_many_samples_at_once_is_each_ones_cv_bit_for_bit():
    from trajdiv.stats._consistency import cv_pct_each

    rng = np.random.default_rng(11)
    samples: list[list[float | None]] = []
    for _ in range(600):
        n = int(rng.integers(0, 12))
        scale = 10.0 ** int(rng.integers(-3, 5))
        xs: list[float | None] = (rng.random(n) * scale).tolist()
        if rng.random() < 0.3:
            xs = [float(round(v)) for v in xs if v is not None]
        if xs and rng.random() < 0.1:
            xs[int(rng.integers(0, len(xs)))] = None
        if xs and rng.random() < 0.05:
            xs = [0.0] * len(xs)
        if xs and rng.random() < 0.03:
            xs[0] = math.nan
        samples.append(xs)
    want = [cv_pct(xs) for xs in samples]
    got = cv_pct_each(samples)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g is None and w is None) or (
            g is not None and w is not None and (g == w or (math.isnan(g) and math.isnan(w)))
        )


def test_mean_jsd_of_all_pairs_at_once_is_the_mean_of_each_pairs_jsd_bit_for_bit():
    import random

    from trajdiv.stats._consistency import mean_pairwise_jsd

    rnd = random.Random(5)
    verbs = [f"v{i}" for i in range(20)]
    for k in range(400):
        n = rnd.randint(1, 9) if k % 40 else rnd.randint(10, 60)  # some with runs on both sides
        runs = [
            Counter(
                {v: rnd.randint(1, 30) for v in rnd.sample(verbs, rnd.randint(1, rnd.choice([2, 6, 20])))}
            )
            for _ in range(n)
        ]
        if rnd.random() < 0.05:
            runs[0] = Counter()  # an empty run: the special case of the definition
        pairs = [jensen_shannon(runs[i], runs[j]) for i in range(n) for j in range(i + 1, n)]
        want = float(np.mean(pairs)) if pairs else None
        assert mean_pairwise_jsd(runs) == want
