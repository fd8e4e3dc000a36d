"""Each reader on the real dumps and on small hand-made cases."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import AC, CLAUDE, GPT5, LLAMA, REALDATA, TAU, need_realdata
from trajdiv.ingest import ReadOptions, read_runs


@pytest.fixture(scope="module")
def all_runs():
    need_realdata()
    return read_runs([REALDATA])


def test_agent_consistency_counts_and_labels(all_runs):
    runs = [
        r for r in all_runs.runs if r.fmt == "agent-consistency" and r.config.attr("benchmark") == "swe-bench"
    ]
    assert len(runs) == 150
    groups = Counter(r.group_key for r in runs)
    assert len(groups) == 30
    assert set(groups.values()) == {5}
    resolved = Counter(r.config.label for r in runs if r.outcome.resolved)
    assert resolved == {CLAUDE: 29, GPT5: 16, LLAMA: 2}
    assert all(r.outcome.resolved is not None for r in runs)
    assert {r.run_index for r in runs} == {1, 2, 3, 4, 5}


def test_agent_consistency_pairing_rule_by_hand(all_runs):
    # claude.claude-local-run1.json resolves 12907, 13453, 13579, 14096, 14309 for run 1 only
    report = json.loads((AC / "claude.claude-local-run1.json").read_text())
    run1 = {r.task_id: r for r in all_runs.runs if r.config.label == CLAUDE and r.run_index == 1}
    assert {t for t, r in run1.items() if r.outcome.resolved} == set(report["resolved_ids"])
    assert all(r.outcome.source.endswith("claude.claude-local-run1.json") for r in run1.values())


def test_agent_consistency_fields(all_runs):
    r = next(
        r for r in all_runs.runs if r.run_id == "astropy__astropy-12907_run_01" and r.config.label == CLAUDE
    )
    raw = json.loads((AC / "results_claude_10" / "astropy__astropy-12907.json").read_text())["runs"][0]
    assert len(r.steps) == raw["n_steps"] == 26
    assert r.steps[0].action == raw["steps"][0]["action"]
    assert r.steps[0].returncode == 0
    assert r.cost == pytest.approx(raw["total_cost"])
    assert r.api_calls == raw["n_calls"]
    assert r.patch == raw["final_output"]
    assert r.duration_s == pytest.approx(164.856842)
    assert r.config.attr("temperature") == "0.5"
    assert r.dump_key == "claude"


def test_tau_bench(all_runs):
    runs = [r for r in all_runs.runs if r.fmt == "tau-bench"]
    assert len(runs) == 40
    groups = Counter(r.group_key for r in runs)
    assert len(groups) == 10
    assert set(groups.values()) == {4}
    raw = json.loads((TAU / "gpt-4o-airline.tasks0-9.json").read_text())
    assert sum(r.outcome.resolved for r in runs) == sum(e["reward"] == 1.0 for e in raw) == 5
    assert {r.config.model for r in runs} == {"gpt-4o"}
    first = next(r for r in runs if r.run_id == "0_trial_0")
    assert first.run_index == 1
    calls = [s for s in first.steps if s.tool_name == "get_user_details"]
    assert calls
    assert calls[0].observation.startswith('{"name": {"first_name": "Mia"')
    assert json.loads(calls[0].tool_args) == {"user_id": "mia_li_3668"}


def test_swe_agent(all_runs):
    (r,) = [r for r in all_runs.runs if r.fmt == "swe-agent" and "pydicom" in r.task_id]
    assert r.task_id == "pydicom__pydicom-1458"
    assert r.config.model == "gpt4"
    assert r.config.attr("temperature") == "0.00"
    assert len(r.steps) == 12
    assert r.steps[0].action == "create reproduce_bug.py"
    assert r.cost == pytest.approx(1.26719)
    assert r.tokens_sent == 122612
    assert r.api_calls == 12
    assert r.outcome.resolved is None  # no label in the dump: never guessed


def test_mini_swe_agent(all_runs):
    runs = {r.task_id: r for r in all_runs.runs if r.fmt == "mini-swe-agent" and "test_data" in r.source}
    assert set(runs) == {"github_issue", "local"}
    gi = runs["github_issue"]
    assert gi.steps[0].action.startswith("cat /Users/fuchur/")
    assert gi.steps[0].returncode == 1
    assert "No such file or directory" in gi.steps[0].observation
    assert gi.steps[-1].action.startswith("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT")
    assert runs["local"].steps[0].action == "echo 'hello world'"
    assert runs["local"].steps[0].observation == "hello world"
    assert all(r.outcome.resolved is None for r in runs.values())


def test_openhands(all_runs):
    (r,) = [r for r in all_runs.runs if r.fmt == "openhands"]
    assert r.task_id == "astropy__astropy-13453"
    assert r.config.model == "Claude-3.5-Sonnet(Oct)"
    assert r.outcome.resolved is False  # listed in unresolved_ids of results/results.json
    assert r.outcome.source.endswith("results/results.json")
    assert r.steps[0].tool_name == "execute_bash"
    assert r.steps[0].action == "ls -R /workspace/astropy__astropy__5.0"
    assert r.steps[1].tool_name == "str_replace_editor"
    # the final call of the log (view of html.py) is the last step
    assert r.steps[-1].tool_name == "str_replace_editor"
    assert '"view_range": [430, 460]' in r.steps[-1].tool_args
    assert any(s.returncode == 0 for s in r.steps)


def test_manifest_accounts_for_every_file(all_runs):
    files = [p for p in REALDATA.rglob("*") if p.is_file()]
    assert len(all_runs.manifest) == len(files)
    assert {e.status for e in all_runs.manifest} <= {"read", "skipped"}
    assert all_runs.n_skipped_errors == 0
    roles = Counter(e.role for e in all_runs.manifest if e.status == "read")
    # 15 harness reports, 6 results.json (OpenHands, five Java submissions), 10 per-instance
    # report.json and one results_summary.json (Gemini)
    assert roles["labels"] == 32
    # 6 metadata.yaml, 12 Harbor config.json and 6 job result.json
    assert roles["metadata"] == 24
    # Harbor trial result.json (6) and verifier/reward.txt (5)
    assert roles["outcomes"] == 11


def test_folder_per_run_layout_groups_runs(tmp_path: Path):
    """run1/, run2/ dumps of one submission form groups of two with run indices 1 and 2."""
    src = REALDATA / "mini-swe-agent" / "tests" / "test_data" / "local.traj.json"
    need_realdata()
    for k in (1, 2):
        d = tmp_path / f"run{k}"
        d.mkdir()
        (d / "local.traj.json").write_bytes(src.read_bytes())
    ds = read_runs([tmp_path])
    assert len(ds.runs) == 2
    assert len({r.group_key for r in ds.runs}) == 1
    assert sorted(r.run_index for r in ds.runs) == [1, 2]
    assert len({r.run_id for r in ds.runs}) == 2


def test_several_dumps_on_the_command_line_group_together(tmp_path: Path):
    from tests.helpers import write_ac_dump

    a = write_ac_dump(tmp_path / "a", "m", {"t1": [["ls"], ["ls"]]})
    b = tmp_path / "b"
    b.mkdir()
    obj = json.loads((a / "t1.json").read_text())
    for k, run in enumerate(obj["runs"]):
        run["run_id"] = f"t1_run_{k + 3:02d}"
    (b / "results_m").mkdir()
    (b / "results_m" / "t1.json").write_text(json.dumps(obj))
    ds = read_runs([tmp_path / "a", tmp_path / "b"])
    assert len(ds.runs) == 4
    assert len({r.group_key for r in ds.runs}) == 1
    assert [r.run_index for r in ds.runs] == [1, 2, 3, 4]


def test_config_from_dirname_overrides_label(tmp_path: Path):
    from tests.helpers import write_ac_dump

    write_ac_dump(tmp_path, "alpha", {"t1": [["ls"]]}, model="same")
    write_ac_dump(tmp_path, "beta", {"t1": [["ls"]]}, model="same")
    assert len({r.group_key for r in read_runs([tmp_path]).runs}) == 1
    labels = {r.config.label for r in read_runs([tmp_path], read=ReadOptions(config_from="dirname")).runs}
    assert labels == {"results_alpha", "results_beta"}
