"""The summary is a typed value: summary.json is exactly its JSON form, and reading it back
checks every key and type."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trajdiv import InputError
from trajdiv.stats import ConfigSummary, Summary, SummaryError


def test_summary_json_is_the_typed_value_written(analysis: Path):
    raw = (analysis / "summary.json").read_text("utf-8")
    summary = Summary.read(analysis / "summary.json")
    assert json.dumps(summary.to_json(), indent=1, ensure_ascii=False) + "\n" == raw
    assert len(summary.configs) == len(json.loads(raw)["configs"]) > 10
    for c in summary.configs:
        assert isinstance(c, ConfigSummary)
        if c.n_labelled_runs == 0:  # the outcome block is left out, not written as nulls
            assert c.pass1 is None
            assert "pass1" not in c.to_json()
            assert "incoherence" not in c.to_json()
        else:
            assert c.pass1 is not None
            assert c.pass_at_k is not None
            assert c.k_max == max(c.pass_at_k)
            assert all(isinstance(k, int) for k in c.pass_at_k)


def test_flag_is_written_with_mixed_tasks_even_when_null(analysis: Path):
    summary = Summary.read(analysis / "summary.json")
    within = [c.divergence_vs_success.within_task for c in summary.configs if c.divergence_vs_success]
    assert within
    for rel in within:
        j = rel.to_json()
        assert "mixed_tasks" in j
        assert "flag" in j
        assert (j["flag"] is None) == (rel.mixed_tasks is not None and rel.mixed_tasks >= 5)


def _minimal_config() -> dict:
    return {
        "config": "s:m",
        "model": "m",
        "scaffold": "s",
        "n_tasks": 2,
        "n_runs": 4,
        "n_labelled_runs": 0,
        "cv_steps_mean_pct": 10.0,
        "cv_agent_tokens_mean_pct": None,
        "cv_total_tokens_mean_pct": None,
        "cv_cost_mean_pct": None,
        "share_tasks_all_distinct": 0.5,
        "hal": dict.fromkeys(
            [
                "outcome_consistency",
                "resource_consistency_cost",
                "resource_consistency_time",
                "resource_consistency_calls",
                "action_jsd",
            ]
        ),
    }


def test_reading_checks_keys_and_types():
    ok = {"version": 1, "configs": [_minimal_config()], "across_configs": [], "definitions": {}}
    s = Summary.from_json(ok)
    assert s.config("s:m").n_runs == 4
    assert s.to_json() == ok
    missing = json.loads(json.dumps(ok))
    del missing["configs"][0]["hal"]
    with pytest.raises(SummaryError, match=r"Summary\.configs\[0\]: missing key 'hal'"):
        Summary.from_json(missing)
    wrong = json.loads(json.dumps(ok))
    wrong["configs"][0]["n_runs"] = "4"
    with pytest.raises(SummaryError, match=r"n_runs: expected int, got str"):
        Summary.from_json(wrong)
    wrong["configs"][0]["n_runs"] = True
    with pytest.raises(SummaryError, match="expected int, got bool"):
        Summary.from_json(wrong)


def test_a_damaged_summary_file_is_an_input_error(tmp_path: Path):
    p = tmp_path / "summary.json"
    p.write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        Summary.read(p)
    p.write_text(json.dumps({"version": 1}))
    with pytest.raises(InputError, match="not a trajdiv summary: Summary: missing key 'configs'"):
        Summary.read(p)
    with pytest.raises(InputError, match="cannot read"):
        Summary.read(tmp_path / "absent.json")
