"""Power calculations against closed forms and simulation; paired tests against scipy."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from trajdiv.stats import (
    PairedVariance,
    benchmark_runs_needed,
    mcnemar_exact,
    paired_difference,
    paired_power,
    paired_variance,
    sign_flip_p,
)


def test_benchmark_runs_closed_form():
    # n = 2 ((1.96 + 0.8416) sigma / D)^2: sigma 1.5 -> 9 runs for D = 2, 36 for D = 1
    assert benchmark_runs_needed(1.5, 2.0) == math.ceil(2 * (2.8015852 * 1.5 / 2) ** 2) == 9
    assert benchmark_runs_needed(1.5, 1.0) == 36
    assert benchmark_runs_needed(1.5, 1.0, power=0.9) > 36


def test_paired_variance_recovers_truth_on_average():
    rng = np.random.default_rng(11)
    t, n = 200, 5
    pa = rng.uniform(0.1, 0.9, t)
    pb = np.clip(pa - 0.1 + rng.normal(0, 0.1, t), 0, 1)
    true_s2 = float(np.var(pa - pb, ddof=1))
    true_w = float(np.mean(pa * (1 - pa) + pb * (1 - pb)))
    est = []
    for _ in range(200):
        ya = (rng.uniform(size=(t, n)) < pa[:, None]).mean(axis=1)
        yb = (rng.uniform(size=(t, n)) < pb[:, None]).mean(axis=1)
        v = paired_variance(ya, yb, n)
        est.append((v.s2_delta, v.w))
    s2_hat, w_hat = np.mean(est, axis=0)
    assert abs(w_hat - true_w) < 0.01
    assert abs(s2_hat - true_s2) < 0.004


def test_paired_power_matches_simulation():
    """With T and n from the formula, a z-test on the paired difference rejects ~80% of the time."""
    rng = np.random.default_rng(5)
    t0, n = 60, 3
    pa = rng.uniform(0.2, 0.8, t0)
    diff = 0.08
    pb = np.clip(pa - diff + rng.normal(0, 0.05, t0), 0.01, 0.99)
    true = PairedVariance(float(np.var(pa - pb, ddof=1)), float(np.mean(pa * (1 - pa) + pb * (1 - pb))), t0)
    d = float(np.mean(pa - pb))
    pw = paired_power(true, d, runs_per_task=n)
    t = pw.tasks_needed
    idx = rng.integers(0, t0, size=t)  # tasks drawn from the same population
    rejections = 0
    reps = 1500
    for _ in range(reps):
        ya = (rng.uniform(size=(t, n)) < pa[idx, None]).mean(axis=1)
        yb = (rng.uniform(size=(t, n)) < pb[idx, None]).mean(axis=1)
        dd = ya - yb
        z = dd.mean() / (dd.std(ddof=1) / math.sqrt(t))
        rejections += abs(z) > 1.959964
    assert 0.74 <= rejections / reps <= 0.86


def test_runs_needed_none_when_task_spread_dominates():
    v = PairedVariance(s2_delta=0.2, w=0.3, n_tasks=10)
    assert paired_power(v, 0.05, runs_per_task=5).runs_needed is None


def test_sign_flip_exact_by_enumeration():
    d = [0.2, -0.1, 0.4, 0.0, 0.3]
    obs = abs(np.mean(d))
    stats = [
        abs(np.mean([s * x for s, x in zip(signs, d, strict=True)]))
        for signs in itertools.product((1, -1), repeat=5)
    ]
    assert math.isclose(sign_flip_p(d), np.mean([s >= obs - 1e-12 for s in stats]))


def test_sign_flip_agrees_with_scipy_permutation_test():
    scipy_stats = pytest.importorskip("scipy.stats")
    d = np.array([0.2, -0.1, 0.4, 0.0, 0.3, 0.6, -0.2, 0.1, 0.5, 0.2])
    ref = scipy_stats.permutation_test(
        (d,), np.mean, permutation_type="samples", alternative="two-sided", n_resamples=np.inf
    )
    assert math.isclose(sign_flip_p(d), ref.pvalue, rel_tol=1e-9)


def test_mcnemar_matches_binomial_test():
    scipy_stats = pytest.importorskip("scipy.stats")
    for b, c in [(3, 10), (0, 6), (7, 7), (12, 2)]:
        ref = scipy_stats.binomtest(b, b + c, 0.5).pvalue
        assert math.isclose(mcnemar_exact(b, c), min(1.0, ref), rel_tol=1e-9)


def test_paired_difference_is_scipy_paired_t_test():
    scipy_stats = pytest.importorskip("scipy.stats")
    pa = [1.0, 0.8, 0.2, 1.0, 0.4, 0.6, 1.0, 0.8]
    pb = [0.2, 0.6, 0.4, 0.0, 0.0, 0.2, 1.0, 0.4]
    res = paired_difference(pa, pb, runs_per_task=5)
    ref = scipy_stats.ttest_rel(pa, pb)
    assert math.isclose(res.p_value, float(ref.pvalue), rel_tol=1e-7)
    lo, hi = ref.confidence_interval(0.95)
    assert np.allclose(res.ci95, (lo, hi))
    assert math.isclose(res.diff, float(np.mean(np.subtract(pa, pb))))


def test_identical_outcomes_give_a_floored_not_a_zero_width_interval():
    res = paired_difference([0.0] * 10, [0.0] * 10, runs_per_task=5)
    assert res.p_value == 1.0
    lo, hi = res.ci95
    assert lo < 0 < hi
    # the floor: SE = 1 / (n T) = 0.02; t_0.975 on 9 df = 2.262157
    assert math.isclose(hi, 2.2621571627 * 0.02, rel_tol=1e-6)


def test_interval_excludes_zero_exactly_when_the_test_rejects():
    rng = np.random.default_rng(8)
    for _ in range(400):
        t = int(rng.integers(2, 40))
        pa = rng.integers(0, 6, t) / 5
        pb = rng.integers(0, 6, t) / 5
        res = paired_difference(pa, pb, runs_per_task=5)
        lo, hi = res.ci95
        assert (res.p_value < 0.05) == (not lo <= 0.0 <= hi)


def test_holm_by_hand_and_family_agreement():
    from trajdiv.stats import compare_family, holm

    assert np.allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    assert holm([0.5]) == [0.5]
    rng = np.random.default_rng(2)
    for _ in range(50):
        rates = {f"c{k}": {f"t{i}": (float(rng.integers(0, 6)) / 5, 5) for i in range(10)} for k in range(4)}
        family = compare_family(rates)
        assert len(family) == 6
        for cmp in family.values():
            assert cmp.p_adjusted is not None
            assert cmp.p_adjusted >= cmp.p_value
            lo, hi = cmp.ci95
            assert (cmp.p_adjusted < 0.05) == (not lo <= 0.0 <= hi)


@pytest.mark.parametrize("runs", [1, 5, 300])
def test_simulated_counts_are_the_uniforms_below_each_rate(runs: int):
    """Successes per simulated task, however summed (a byte product below 256 runs), are the
    uniforms below the task's shifted rate, counted one by one."""
    from trajdiv.stats._simulate import PowerModel, _Draws, _expit

    model = PowerModel.from_rates([0.1, 0.4, 0.4, 0.9], n=5)
    draws = _Draws(model, n_tasks=6, n=runs, sims=40, seed=3)
    ua, ub = _uniforms(model, 6, runs, 40, 3)
    for diff in (0.0, 0.2):
        ca, cb = draws.counts(diff)
        pa = _expit(draws.la + model.shift(diff)).astype(np.float32)
        expected = [[sum(1 for u in ua[s, t] if u < pa[s, t]) for t in range(6)] for s in range(40)]
        assert ca.dtype == np.int64
        assert ca.tolist() == expected
        expected = [[sum(1 for u in ub[s, t] if u < draws.pb[s, t]) for t in range(6)] for s in range(40)]
        assert cb.dtype == np.int64
        assert cb.tolist() == expected


def _uniforms(model, n_tasks: int, runs: int, sims: int, seed: int):
    """The simulation's uniforms for A and B as documented: after the sampled tasks, each drawn
    at once in the order (experiment, task, run)."""
    rng = np.random.default_rng(seed)
    rng.integers(0, len(model.base_a), size=(sims, n_tasks))
    return rng.random((sims, n_tasks, runs), dtype=np.float32), rng.random(
        (sims, n_tasks, runs), dtype=np.float32
    )


@pytest.mark.parametrize("block", [1, 7, 1 << 18])
def test_counts_at_several_differences_in_blocks_are_each_counted_alone(monkeypatch, block: int):
    """The curve's counts, made a block of experiments at a time for every D, are the counts of
    each D over all experiments at once (uniforms below the shifted rate, as above)."""
    from trajdiv.stats import _simulate
    from trajdiv.stats._simulate import PowerModel, _Draws, _expit, rejection_rates, simulated_power

    monkeypatch.setattr(_simulate, "_BLOCK_CELLS", block)
    model = PowerModel.from_rates([0.1, 0.4, 0.4, 0.9, 0.6], n=5)
    draws = _Draws(model, n_tasks=8, n=5, sims=50, seed=2)
    ua, ub = _uniforms(model, 8, 5, 50, 2)
    diffs = [0.0, 0.05, 0.3]
    for (ca, cb), d in zip(draws.counts_each(diffs), diffs, strict=True):
        pa = _expit(draws.la + model.shift(d)).astype(np.float32)
        assert ca.tolist() == (ua < pa[..., None]).sum(axis=2).tolist()
        assert cb.tolist() == (ub < draws.pb[..., None]).sum(axis=2).tolist()
    together = rejection_rates(_Draws(model, 8, 5, 50, 2), diffs)
    assert together == [simulated_power(model, d, 5, 8, sims=50, seed=2) for d in diffs]
    shifts = [model.shift(d) for d in diffs]
    assert rejection_rates(_Draws(model, 8, 5, 50, 2), diffs, shifts=shifts) == together


@pytest.mark.parametrize("cells", [1, 7, 40, 1 << 18])
def test_rejection_rates_tested_in_slices_are_the_share_over_all_experiments(monkeypatch, cells: int):
    """Testing a slice of experiments at a time gives, for every D, the share of all
    experiments whose paired t-test rejects, computed from every experiment's counts at once."""
    from trajdiv.stats import _simulate
    from trajdiv.stats._simulate import PowerModel, _Draws, _expit, rejection_rates, t_test_rejects

    monkeypatch.setattr(_simulate, "_TEST_CELLS", cells)
    model = PowerModel.from_counts(
        [(1, 5), (4, 5), (2, 5), (5, 5), (0, 5)], [(2, 5), (2, 5), (3, 5), (4, 5), (1, 5)]
    )
    draws = _Draws(model, n_tasks=9, n=3, sims=61, seed=4)
    ua, ub = _uniforms(model, 9, 3, 61, 4)
    cb = (ub < draws.pb[..., None]).sum(axis=2)
    diffs = [0.0, 0.1, 0.25]
    expected = []
    for d in diffs:
        ca = (ua < _expit(draws.la + model.shift(d)).astype(np.float32)[..., None]).sum(axis=2)
        expected.append(float(t_test_rejects(ca - cb, 3, 0.05).mean()))
    assert rejection_rates(draws, diffs) == expected
    assert expected[-1] > 0
