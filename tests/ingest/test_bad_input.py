"""Bad input: one clear reason per file, the rest still read, every file accounted for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import write_ac_dump
from trajdiv import InputError
from trajdiv.ingest import read_runs


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    good = write_ac_dump(tmp_path, "m", {"t1": [["ls", "cat a"], ["ls", "cat b"]]})
    (good / "truncated.json").write_text('{"task_id": "t9", "model": "m", "runs": [{"run_id": "x"')
    (good / "empty.json").write_text("")
    (tmp_path / "weird.bin").write_bytes(b"\x00\x01\x02 not a dump")
    (tmp_path / "unknown.json").write_text(json.dumps({"hello": "world"}))
    obj = {"task_id": "t2", "model": "m", "runs": [{"run_id": "t2_run_01", "steps": []}]}
    (good / "t2.json").write_text(json.dumps(obj))
    dup = json.loads((good / "t1.json").read_text())
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "results_m").mkdir()
    (tmp_path / "copy" / "results_m" / "t1.json").write_text(json.dumps(dup))
    wrong = {"task_id": "t3", "model": "m", "runs": [{"run_id": 5, "steps": []}]}
    (good / "t3.json").write_text(json.dumps(wrong))
    return tmp_path


def _entry(ds, name: str):
    (e,) = [e for e in ds.manifest if e.file.endswith(name)]
    return e


def test_every_file_has_a_status_and_good_runs_survive(mixed: Path):
    ds = read_runs([mixed])
    files = [p for p in mixed.rglob("*") if p.is_file()]
    assert len(ds.manifest) == len(files)
    assert len(ds.runs) == 2
    assert {r.run_id for r in ds.runs} == {"t1_run_01", "t1_run_02"}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("truncated.json", "invalid JSON at line 1"),
        ("empty.json", "empty file"),
        ("weird.bin", "unknown format"),
        ("unknown.json", "unknown format"),
        ("t2.json", "no run with at least one step"),
        ("t3.json", "field 'runs[0].run_id' should be a string, not int"),
    ],
)
def test_reason_names_the_problem(mixed: Path, name: str, reason: str):
    e = _entry(read_runs([mixed]), name)
    assert e.status == "skipped"
    assert e.kind == "error"
    assert reason in e.reason
    assert "\n" not in e.reason


def test_duplicate_run_ids_are_skipped_with_a_warning(mixed: Path):
    ds = read_runs([mixed])
    # copy/ is walked before results_m/, so the file in results_m/ is the later copy
    assert _entry(ds, "copy/results_m/t1.json").status == "read"
    later = _entry(ds, f"{mixed.name}/results_m/t1.json")
    assert later.status == "skipped"
    assert "duplicates" in later.reason
    assert any("duplicate run id" in w for e in ds.manifest for w in e.warnings)


def test_zero_step_run_inside_a_good_file_is_a_warning(tmp_path: Path):
    folder = write_ac_dump(tmp_path, "m", {"t1": [["ls"], ["ls"]]})
    obj = json.loads((folder / "t1.json").read_text())
    obj["runs"][1]["steps"] = []
    (folder / "t1.json").write_text(json.dumps(obj))
    ds = read_runs([tmp_path])
    assert len(ds.runs) == 1
    (entry,) = [e for e in ds.manifest if e.file.endswith("t1.json")]
    assert entry.status == "read"
    assert any("has no steps" in w for w in entry.warnings)


def test_strict_stops_at_first_bad_file(mixed: Path):
    with pytest.raises(InputError) as info:
        read_runs([mixed], strict=True)
    assert info.value.path
    assert info.value.reason


def test_missing_input_is_a_usage_error(tmp_path: Path):
    from trajdiv import UsageError

    with pytest.raises(UsageError, match="no such file or folder"):
        read_runs([tmp_path / "nope"])


def test_non_utf8_and_bom(tmp_path: Path):
    folder = write_ac_dump(tmp_path, "m", {"t1": [["ls"]]})
    raw = (folder / "t1.json").read_bytes()
    (folder / "bom.json").write_bytes(b"\xef\xbb\xbf" + raw.replace(b'"t1"', b'"t4"'))
    (folder / "latin.json").write_bytes(raw.replace(b'"ls"', b'"\xe9\xff"').replace(b'"t1"', b'"t5"'))
    ds = read_runs([tmp_path])
    assert {r.task_id for r in ds.runs} == {"t1", "t4"}
    e = _entry(ds, "latin.json")
    assert "not UTF-8" in e.reason
