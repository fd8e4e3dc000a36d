"""The published figures, reproduced from the shared dumps through `trajdiv analyze`."""

from __future__ import annotations

import pytest

from tests.conftest import CLAUDE, GPT5, LLAMA, config_entry


@pytest.mark.parametrize(
    ("label", "pass1", "cv"),
    [(CLAUDE, 0.58, 15.2), (GPT5, 0.32, 32.2), (LLAMA, 0.04, 47.0)],
)
def test_pass1_and_cv_of_steps(summary, label, pass1, cv):
    c = config_entry(summary, label)
    assert c["pass1"]["mean"] == pytest.approx(pass1, abs=1e-9)
    assert round(c["cv_steps_mean_pct"], 1) == cv
    assert c["n_tasks"] == 10
    assert c["n_runs"] == 50


def test_claude_pass_k_and_single_run(summary):
    c = config_entry(summary, CLAUDE)
    assert c["pass_at_k"]["5"] == pytest.approx(0.70)
    assert c["pass_hat_k"]["5"] == pytest.approx(0.50)
    assert min(c["pass1_by_run_index"].values()) >= 0.50
    assert max(c["pass1_by_run_index"].values()) <= 0.70
    assert c["single_run_pass1"]["min"] == pytest.approx(0.50)
    assert c["single_run_pass1"]["max"] == pytest.approx(0.70)
    # per run index: 5, 6, 7, 5, 6 resolved of 10 (the five harness reports)
    assert c["pass1_by_run_index"] == {"1": 0.5, "2": 0.6, "3": 0.7, "4": 0.5, "5": 0.6}


def test_consistent_wrong_structural_proxy(summary):
    cw = config_entry(summary, CLAUDE)["strategies"]["consistent_wrong"]
    assert cw["failing_runs"] == 21
    assert cw["failures_on_all_fail_tasks"] == 15


def test_tau_bench_pass_hat_k_falls(summary):
    c = config_entry(summary, "tau-bench-airline/tau-bench:gpt-4o")
    vals = [c["pass_hat_k"][str(k)] for k in range(1, 5)]
    assert vals == sorted(vals, reverse=True)
    assert vals[0] > vals[-1]


def test_phase_divergence_later_for_claude_and_gpt5_than_llama(summary):
    fd = {
        lab: config_entry(summary, lab)["first_divergence"]["phase"]["mean_step"]
        for lab in (CLAUDE, GPT5, LLAMA)
    }
    assert fd[CLAUDE] > fd[LLAMA] + 0.5
    assert fd[GPT5] > fd[LLAMA] + 0.5
