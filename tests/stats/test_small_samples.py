"""Intervals, tests and power at the sample sizes evaluations have (10 tasks x 5 runs), checked
by simulation; the paper's phase rule; format-error steps."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.conftest import AC, ROOT, need_realdata
from trajdiv.cli import main
from trajdiv.stats import PowerModel, paired_difference, paired_variance, plan_power, simulated_power


def _coverage_module():
    spec = importlib.util.spec_from_file_location("coverage_script", ROOT / "scripts" / "coverage.py")
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["coverage_script"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_interval_coverage_at_10_tasks_and_5_runs():
    cov = _coverage_module()
    rows = cov.outcome_coverage(tasks=10, reps=1500, seed=3)
    assert {name for name, *_ in rows} >= {"Beta(0.5, 0.5)", "Beta(0.2, 4.8)", "fixed: Llama's 10 tasks"}
    for name, est, coverage, zero_width in rows:
        assert coverage >= 0.94, (name, est, coverage)
        assert zero_width == 0, (name, est)
    for name, est, coverage, zero_width in cov.compare_coverage(tasks=10, reps=1500, seed=3):
        assert coverage >= 0.935, (name, est, coverage)  # 94.5 / 96.2 % at 4000 replications
        assert zero_width == 0


def test_within_task_early_warning_interval_coverage_at_10_tasks_and_5_runs():
    """The within-task AUROC's interval over the 2-8 usable tasks of 10 (a Student-t interval
    there covered 92-94%)."""
    cov = _coverage_module()
    rows = cov.early_coverage(tasks=10, reps=400, seed=5)
    assert [name.split(" (")[0] for name, *_ in rows] == [
        "outcome ignores actions",
        "successes on a path",
    ]
    assert 0.6 < float(rows[1][0].split("(")[1].rstrip(")")) < 0.75  # a real effect, not chance
    for name, est, coverage, zero_width in rows:
        assert coverage >= 0.95, (name, est, coverage)
        assert zero_width == 0, (name, est)


def _shared_rates() -> dict[str, dict[str, list[bool]]]:
    from trajdiv import read_runs

    ds = read_runs([AC])
    rates: dict[str, dict[str, list[bool]]] = {}
    for r in ds.runs:
        assert r.outcome.resolved is not None
        rates.setdefault(r.config.label, {}).setdefault(r.task_id, []).append(r.outcome.resolved)
    return rates


@pytest.mark.parametrize("pair", [("claude", "gpt-5"), ("claude", "llama"), ("gpt-5", "llama")])
def test_power_at_16_tasks_agrees_with_a_simulation_of_compare(pair: tuple[str, str]):
    need_realdata()
    rates = _shared_rates()
    a, b = (next(c for c in rates if key in c.lower()) for key in pair)
    tasks = sorted(rates[a])
    ca = [(sum(rates[a][t]), len(rates[a][t])) for t in tasks]
    cb = [(sum(rates[b][t]), len(rates[b][t])) for t in tasks]
    model = PowerModel.from_counts(ca, cb)
    var = paired_variance([c / n for c, n in ca], [c / n for c, n in cb], 5)
    planned = plan_power(model, var, 0.10, runs_per_task=5, n_tasks=16)
    assert planned.achieved_power is not None
    # independent: draw experiments with numpy's binomial and run compare's own function
    rng = np.random.default_rng(99)
    la = np.log(model.base_a) - np.log1p(-np.asarray(model.base_a))
    pa_all = 1 / (1 + np.exp(-(la + model.shift(0.10))))
    pb_all = np.asarray(model.base_b)
    assert math.isclose(float(np.mean(pa_all - pb_all)), 0.10, abs_tol=1e-6)
    reps, hits = 2000, 0
    for _ in range(reps):
        idx = rng.integers(0, len(tasks), 16)
        ya = rng.binomial(5, pa_all[idx]) / 5
        yb = rng.binomial(5, pb_all[idx]) / 5
        hits += paired_difference(ya, yb, runs_per_task=5).p_value < 0.05
    assert abs(planned.achieved_power - hits / reps) <= 0.03


def test_power_rises_with_runs_and_difference_and_holds_the_level():
    model = PowerModel.from_rates([0.2, 0.4, 0.6, 0.8, 0.5, 0.3, 0.7, 0.1, 0.9, 0.5], n=5)
    assert simulated_power(model, 0.0, 5, 16) <= 0.06
    assert (
        simulated_power(model, 0.1, 1, 16)
        < simulated_power(model, 0.1, 5, 16)
        < simulated_power(model, 0.1, 10, 16)
    )
    assert simulated_power(model, 0.05, 5, 16) < simulated_power(model, 0.2, 5, 16)


def test_compare_interval_and_holm_verdict_agree_on_the_shared_pairs(capsys):
    need_realdata()
    for a, b in (("claude", "gpt-5"), ("claude", "llama"), ("gpt-5", "llama")):
        assert main(["compare", a, b, "-i", str(AC), "--json"]) == 0
        d = json.loads(capsys.readouterr().out)
        lo, hi = d["ci"]
        assert d["family_size"] == 3
        assert (d["p_holm"] < 0.05) == (not lo <= 0.0 <= hi)
        assert ("larger than run-to-run noise" in d["verdict"]) == (d["p_holm"] < 0.05)


def test_paper_phase_rule_reproduces_the_published_divergence(tmp_path: Path, capsys):
    need_realdata()
    out = tmp_path / "o"
    assert main(["diverge", str(AC), "-o", str(out), "--phase-rules", "paper", "--no-cache", "-j", "1"]) == 0
    printed = capsys.readouterr().out
    g = pl.read_parquet(out / "divergence_groups.parquet")
    means = {
        cfg.split(":")[-1][:6]: round(
            float(g.filter(pl.col("config") == cfg)["first_div_step_phase"].mean()), 1
        )
        for cfg in g["config"].unique().to_list()
    }
    assert means == {"claude": 3.2, "openai": 3.4, "meta-l": 1.4}
    assert g["first_div_step_phase"].null_count() == 0  # never-split groups count as the shortest run
    for line, want in (("claude", "3.2"), ("openai-gpt-5", "3.4"), ("Llama", "1.4")):
        row = next(ln for ln in printed.splitlines() if line in ln)
        assert row.split()[-2] == want


def test_format_error_steps_are_marked_and_left_out(tmp_path: Path):
    need_realdata()
    out, keep = tmp_path / "o", tmp_path / "k"
    common = ["--no-cache", "-j", "1", "-q", "--phase-rules", "paper"]
    assert main(["diverge", str(AC), "-o", str(out), *common]) == 0
    assert main(["diverge", str(AC), "-o", str(keep), *common, "--keep-format-errors"]) == 0
    steps = pl.read_parquet(out / "steps.parquet")
    errors = steps.filter(pl.col("format_error")).group_by("config").len().sort("config")
    assert dict(errors.iter_rows()) == {
        c: n
        for c, n in zip(
            sorted(steps["config"].unique().to_list()), (4, 8, 28), strict=True
        )  # claude, llama, gpt-5
    }
    assert (steps.filter(pl.col("format_error"))["action"] == "[ERROR]").all()
    g, gk = (pl.read_parquet(p / "divergence_groups.parquet").sort("config", "task_id") for p in (out, keep))
    # task 13977: a Claude run's first step is a format error; counted, the group splits at step 1
    row = g.filter(pl.col("task_id").str.ends_with("13977") & pl.col("config").str.contains("claude"))
    row_k = gk.filter(pl.col("task_id").str.ends_with("13977") & pl.col("config").str.contains("claude"))
    assert row_k["first_div_step_phase"][0] == 1
    assert row["first_div_step_phase"][0] == 3  # the paper's value for this task


def test_within_task_relations_on_few_mixed_tasks_are_flagged(summary: dict):
    for c in summary["configs"]:
        rel = (c.get("divergence_vs_success") or {}).get("within_task")
        if rel is None:
            continue
        assert "mixed_tasks" in rel
        assert rel["n"] >= 0
        if rel["mixed_tasks"] < 5:
            assert rel["flag"] is not None
            assert "not a finding" in rel["flag"]
        else:
            assert rel["flag"] is None
    for a in summary["across_configs"]:
        if a["tasks_decided"]:
            assert a["share_test"]["n"] == a["tasks_decided"]
            assert 0 < a["share_test"]["p_value"] <= 1
