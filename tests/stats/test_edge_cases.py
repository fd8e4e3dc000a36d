"""The new statistics at the edges users reach: one shared task, no labels, a single run per
task, every run succeeding."""

from __future__ import annotations

import math

from trajdiv.stats import (
    PairedVariance,
    PowerModel,
    compare_family,
    paired_difference,
    pass1_clustered,
    pass_k_curve,
    plan_power,
    simulated_power,
)
from trajdiv.stats._early import EarlyRun, early_warning_rows
from trajdiv.stats._early_summary import early_summary


def test_one_shared_task_cannot_reject_and_says_so():
    res = paired_difference([1.0], [0.0], runs_per_task=5)
    assert res.p_value == 1.0
    assert res.ci95 == (-1.0, 1.0)
    assert res.se is None
    fam = compare_family({"a": {"t": (1.0, 5)}, "b": {"t": (0.0, 5), "u": (0.2, 5)}})
    (cmp,) = fam.values()
    assert cmp.p_adjusted == 1.0


def test_single_run_per_task_compare_and_power():
    rates_a = {f"t{i}": (float(i % 2), 1) for i in range(12)}
    rates_b = {f"t{i}": (0.0, 1) for i in range(12)}
    cmp = compare_family({"a": rates_a, "b": rates_b})[("a", "b")]
    assert "one run per task" in cmp.method
    lo, hi = cmp.ci95
    assert (cmp.p_adjusted is not None and cmp.p_adjusted < 0.05) == (not lo <= 0 <= hi)
    model = PowerModel.from_counts([(1, 1)] * 6 + [(0, 1)] * 6, [(0, 1)] * 12)
    assert 0.0 <= simulated_power(model, 0.2, 1, 12) <= 1.0


def test_power_with_one_task_is_zero_not_a_crash():
    model = PowerModel.from_rates([0.5], n=5)
    pw = plan_power(model, PairedVariance(0.0, 0.5, 1), 0.1, runs_per_task=5, n_tasks=1, sims=200)
    assert pw.achieved_power == 0.0
    assert math.isinf(pw.min_detectable_diff)
    assert pw.runs_needed is None


def test_every_run_succeeding():
    p1 = pass1_clustered([1.0] * 8, [3] * 8)
    assert p1.ci95 is not None
    assert p1.ci95[1] == 1.0
    assert p1.ci95[0] < 1.0
    hat = pass_k_curve([(3, 3)] * 8, "pass_hat_k", [3])[3]
    assert hat[0] == 1.0
    assert hat[1] < 1.0


def test_early_warning_without_failures_or_labels():
    runs = [EarlyRun(f"t{i}", ("ls", "cat"), (5, 5), (False, False), False) for i in range(6)]
    rows = early_warning_rows(runs, "c")
    assert rows
    assert all(r["auroc"] is None for r in rows)
    assert early_summary(rows)["across_tasks"] is None
    assert early_warning_rows([], "c") == []
