"""The label pairing rule on hand-made dumps."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import write_ac_dump, write_report
from trajdiv.ingest import read_runs


def test_per_run_reports_pair_by_key_and_run_index(tmp_path: Path):
    write_ac_dump(tmp_path, "alpha", {"t1": [["ls"], ["ls"]], "t2": [["cat"], ["cat"]]})
    write_ac_dump(tmp_path, "beta", {"t1": [["ls"], ["ls"]]}, model="m-2")
    write_report(tmp_path, "alpha", 1, ["t1"], ["t2"])
    write_report(tmp_path, "alpha", 2, ["t2"], ["t1"])
    ds = read_runs([tmp_path])
    got = {(r.config.model, r.task_id, r.run_index): r.outcome.resolved for r in ds.runs}
    assert got == {
        ("m-1", "t1", 1): True,
        ("m-1", "t1", 2): False,
        ("m-1", "t2", 1): False,
        ("m-1", "t2", 2): True,
        ("m-2", "t1", 1): None,  # no beta report: unlabelled, never False
        ("m-2", "t1", 2): None,
    }


def test_label_file_that_matches_no_run_is_skipped_with_reason(tmp_path: Path):
    write_ac_dump(tmp_path, "alpha", {"t1": [["ls"]]})
    write_report(tmp_path, "gamma", 1, ["t1"], [])
    ds = read_runs([tmp_path])
    (entry,) = [e for e in ds.manifest if e.file.endswith("gamma.gamma-local-run1.json")]
    assert entry.status == "skipped"
    assert entry.kind == "error"
    assert "matches a run" in entry.reason
    assert ds.runs[0].outcome.resolved is None


def test_results_json_applies_to_its_submission(tmp_path: Path):
    write_ac_dump(tmp_path / "sub", "alpha", {"t1": [["ls"]], "t2": [["ls"]]})
    (tmp_path / "sub" / "results").mkdir()
    (tmp_path / "sub" / "results" / "results.json").write_text(
        json.dumps({"resolved": ["t1"], "unresolved_ids": ["t2"]})
    )
    got = {r.task_id: r.outcome.resolved for r in read_runs([tmp_path]).runs}
    assert got == {"t1": True, "t2": False}


def test_per_instance_report_json(tmp_path: Path):
    write_ac_dump(tmp_path, "alpha", {"t1": [["ls"]]})
    (tmp_path / "report.json").write_text(json.dumps({"t1": {"resolved": True, "patch_is_None": False}}))
    (run,) = read_runs([tmp_path]).runs
    assert run.outcome.resolved is True
    assert run.outcome.source.endswith("report.json")


def test_disagreeing_equal_labels_leave_run_unlabelled(tmp_path: Path):
    write_ac_dump(tmp_path, "alpha", {"t1": [["ls"]]})
    (tmp_path / "x").mkdir()
    (tmp_path / "results.json").write_text(json.dumps({"resolved": ["t1"]}))
    (tmp_path / "report.json").write_text(json.dumps({"t1": {"resolved": False}}))
    ds = read_runs([tmp_path])
    assert ds.runs[0].outcome.resolved is None
    assert any("disagree" in w for e in ds.manifest for w in e.warnings)
