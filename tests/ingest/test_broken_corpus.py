"""The broken-input corpus (scripts/make_broken_corpus.py): nothing lost, nothing crashes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from trajdiv.cli import main
from trajdiv.ingest import read_runs

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "broken"
EXPECTED: dict[str, str] = json.loads((CORPUS / "EXPECTED.json").read_text())
FOLDERS = sorted({rel.split("/", 1)[0] for rel in EXPECTED})


def _rel(file: str) -> str:
    return str(Path(file).resolve().relative_to(CORPUS.resolve()))


def _reason_class():
    spec = importlib.util.spec_from_file_location(
        "make_broken_corpus", ROOT / "scripts" / "make_broken_corpus.py"
    )
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.reason_class


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_file_gets_its_expected_fate(folder: str):
    """Each case's status and class of reason (``read`` or ``skipped:<class>``) as frozen in
    EXPECTED.json by scripts/make_broken_corpus.py."""
    reason_class = _reason_class()
    ds = read_runs([CORPUS / folder])
    got = {_rel(e.file): e for e in ds.manifest}
    want = {rel: s for rel, s in EXPECTED.items() if rel.startswith(folder + "/")}
    assert set(got) == set(want)  # read + skipped == files
    for rel, fate in want.items():
        e = got[rel]
        assert e.status in ("read", "skipped")
        if fate == "read":
            assert e.status == "read", (rel, e.reason)
            continue
        assert e.status == "skipped", rel
        assert e.reason
        assert "\n" not in e.reason
        assert not e.reason.startswith("reader '"), (rel, e.reason)  # a reader crashed
        assert f"skipped:{reason_class(e.reason)}" == fate, (rel, e.reason)
    valid = [rel for rel in want if Path(rel).name.startswith("0-valid-")]
    for rel in valid:
        assert got[rel].runs == 1


def test_reasons_name_the_problem():
    ds = read_runs([CORPUS / "misc"])
    reasons = {Path(e.file).name: e.reason for e in ds.manifest}
    assert reasons["empty.json"] == "empty file"
    assert "nested too deeply" in reasons["deep.json"] or "unknown format" in reasons["deep.json"]
    assert "nested too deeply" in reasons["deep-ac.json"]
    assert "not UTF-8" in reasons["non-utf8.json"]
    assert "no run with at least one step" in reasons["zero-steps.json"]
    assert (
        reasons["looks-like-swe.traj"].startswith("expected an object")
        or "missing field" in reasons["looks-like-swe.traj"]
    )
    assert "unknown format" in reasons["binary.bin"]


def test_labels_that_disagree_or_name_nothing(tmp_path: Path):
    ds = read_runs([CORPUS / "labels"])
    (run,) = ds.runs
    assert run.outcome.resolved is None
    entries = {Path(e.file).name: e for e in ds.manifest}
    assert any("disagree" in w for w in entries["t1.json"].warnings)
    assert "none of its 1 labels matches a run" in entries["zz.zz-local-run1.json"].reason
    assert "list of instance ids" in entries["bad-label.json"].reason


def test_whole_corpus_through_the_cli(tmp_path: Path, capsys):
    code = main(["ingest", str(CORPUS), "-o", str(tmp_path), "--no-cache", "-j", "2", "-q"])
    assert code == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    m = json.loads((tmp_path / "manifest.json").read_text())
    on_disk = [p for p in CORPUS.rglob("*") if p.is_file() and p.name != "EXPECTED.json"]
    archives = [p for p in on_disk if p.parent.name == "archives"]
    # every file is an entry, every archive member too (an unreadable archive is one entry)
    assert (
        m["summary"]["files"]
        == len(on_disk) - len(archives) + sum(1 for rel in EXPECTED if rel.startswith("archives/")) + 1
    )  # EXPECTED.json itself, read as a file that is not a dump
    assert (
        m["summary"]["read"] + m["summary"]["skipped_error"] + m["summary"]["skipped_not_a_dump"]
        == m["summary"]["files"]
    )


def test_one_line_file_of_tens_of_megabytes(tmp_path: Path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    from make_broken_corpus import make_big_file

    big = make_big_file(tmp_path / "results_m" / "big.json", megabytes=30)
    assert big.stat().st_size > 30_000_000
    (run,) = read_runs([tmp_path]).runs
    assert len(run.steps[0].observation) == 30_000_000
