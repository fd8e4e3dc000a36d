"""pass@k, pass^k, clustered pass@1 and the single-run spread against independent calculations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trajdiv.stats import (
    pass1_clustered,
    pass_at_k,
    pass_hat_k,
    pass_k_curve,
    single_run_distribution,
    single_run_spread,
)


def _enumerate_pass_at_k(n: int, c: int, k: int) -> float:
    """Reference: the share of all k-subsets of the runs that hold at least one success."""
    runs = [1] * c + [0] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(runs[i] for i in s) for s in subsets) / len(subsets)


def _enumerate_pass_hat_k(n: int, c: int, k: int) -> float:
    runs = [1] * c + [0] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(all(runs[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize(("n", "c"), [(5, 0), (5, 1), (5, 3), (5, 5), (8, 2), (4, 4)])
def test_estimators_equal_subset_enumeration(n, c):
    for k in range(1, n + 1):
        assert math.isclose(pass_at_k(n, c, k), _enumerate_pass_at_k(n, c, k))
        assert math.isclose(pass_hat_k(n, c, k), _enumerate_pass_hat_k(n, c, k))


@given(st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_monotone_in_k_and_in_unit_interval(nc):
    n, c = nc
    at = [pass_at_k(n, c, k) for k in range(1, n + 1)]
    hat = [pass_hat_k(n, c, k) for k in range(1, n + 1)]
    assert all(0.0 <= x <= 1.0 for x in at + hat)
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(at))
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(hat))
    assert math.isclose(at[0], c / n)
    assert math.isclose(hat[0], c / n)


def test_pass_k_rejects_k_above_n():
    with pytest.raises(ValueError, match="k <= n"):
        pass_at_k(3, 1, 4)


def test_clustered_se_matches_statsmodels_cluster_robust():
    """OLS of outcome on a constant with task clusters; equal n -> same SE up to the small-
    sample factor that statsmodels applies (T / (T - 1) on the variance, off here)."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    t, n = 12, 5
    p = rng.uniform(0, 1, t)
    y = (rng.uniform(size=(t, n)) < p[:, None]).astype(float)
    groups = np.repeat(np.arange(t), n)
    fit = sm.OLS(y.ravel(), np.ones(t * n)).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}
    )
    ours = pass1_clustered(y.mean(axis=1))
    assert math.isclose(ours.mean, float(fit.params[0]))
    # statsmodels' uncorrected cluster SE = sqrt(sum over clusters of (cluster sum of residuals)^2) / N
    # = sd_pop(p) * sqrt(T) / T; ours uses ddof=1: ratio sqrt(T / (T - 1))
    assert math.isclose(ours.se, float(fit.bse[0]) * math.sqrt(t / (t - 1)), rel_tol=1e-9)


def test_clustered_interval_covers_about_95_percent():
    """Simulation: tasks with heterogeneous difficulty and correlated runs within a task."""
    rng = np.random.default_rng(7)
    true_mean = 0.4
    hits = 0
    reps = 2000
    for _ in range(reps):
        p = rng.beta(2 * true_mean / 0.6, 2 * (1 - true_mean) / 0.6, size=40)
        y = rng.uniform(size=(40, 5)) < p[:, None]
        ci = pass1_clustered(y.mean(axis=1), [5] * 40).ci95
        hits += ci[0] <= true_mean <= ci[1]
    assert 0.94 <= hits / reps <= 0.975


def test_interval_widens_when_runs_agree_and_not_with_n_alone():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.2, 0.8, 30)
    agreeing = (p[:, None] > 0.5).repeat(5, axis=1).astype(float)  # runs of a task all agree
    mixed = (rng.uniform(size=(30, 5)) < 0.5).astype(float)  # runs independent, same mean-ish
    assert pass1_clustered(agreeing.mean(axis=1)).se > pass1_clustered(mixed.mean(axis=1)).se
    same_tasks = agreeing.mean(axis=1)
    assert pass1_clustered(same_tasks).se == pass1_clustered(np.repeat(agreeing, 3, axis=1).mean(axis=1)).se


def test_single_run_spread_is_exact():
    outcomes = [[True, False, False], [True, True], [False, False, True, True]]
    sels = [sum(c) / 3 for c in itertools.product(*outcomes)]
    s = single_run_spread(outcomes)
    assert math.isclose(s.min, min(sels))
    assert math.isclose(s.max, max(sels))
    assert math.isclose(s.mean, float(np.mean(sels)))
    assert math.isclose(s.sd, float(np.std(sels)))  # population sd over all selections
    assert s.n_selections == len(sels)
    pmf = single_run_distribution(outcomes)
    counts = np.bincount([round(x * 3) for x in sels], minlength=4) / len(sels)
    assert np.allclose(pmf, counts)


def test_pass_k_curve_brackets_the_estimate_and_never_collapses():
    nc = [(5, 1), (5, 3), (5, 5), (5, 0), (5, 2)]
    curve = pass_k_curve(nc, "pass_at_k", [1, 3])
    for v, lo, hi, t in curve.values():
        assert lo < v < hi or (v in (0.0, 1.0) and hi > lo)
        assert t == 5
    all_solved = pass_k_curve([(5, 5)] * 10, "pass_at_k", [5])[5]
    assert all_solved[0] == 1.0
    assert all_solved[1] < 1.0  # not a zero-width [1, 1]
    none = pass_k_curve([(5, 0)] * 10, "pass_hat_k", [2])[2]
    assert none[1] == 0.0
    assert none[2] > 0.0


def test_score_interval_by_hand():
    """Wilson's interval with the t quantile on the effective sample, worked by hand."""
    from trajdiv.stats._interval import clustered_score_interval, wilson

    # p = (1, 0, 1, 0) over 4 tasks of 1 run: m = 0.5, SE^2 = var/4 = (1/3)/4, n_eff = 0.25/(1/12) = 3
    q = 3.182446305284263  # t_0.975 on 3 df (scipy.stats.t.ppf)
    want = wilson(0.5, 3.0, q)
    got = clustered_score_interval([1.0, 0.0, 1.0, 0.0], max_n=4)
    assert got is not None
    assert np.allclose(got, want)
    centre, half = 0.5, q / (1 + q * q / 3) * math.sqrt(0.25 / 3 + q * q / 36)
    assert np.allclose(want, (max(0.0, centre - half), min(1.0, centre + half)))


def test_t_quantile_matches_scipy():
    from scipy import stats

    from trajdiv.stats._interval import t_quantile

    for df in (1, 2, 3, 4, 9, 30, 399, 401, 5000):
        for p in (0.6, 0.975, 0.995):
            assert math.isclose(t_quantile(p, df), float(stats.t.ppf(p, df)), rel_tol=1e-7)


def test_no_zero_width_interval_when_all_or_no_runs_succeed():
    for rates in ([0.0] * 10, [1.0] * 10):
        ci = pass1_clustered(rates, [5] * 10).ci95
        assert ci is not None
        assert ci[1] - ci[0] > 0.05
