"""The pipeline: byte-identical tables for any number of workers, caching, atomic outputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import AC, TAU, need_realdata
from tests.helpers import write_ac_dump
from trajdiv.pipeline import Settings, run_pipeline


def _digests(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and (p.suffix in (".parquet", ".csv", ".jsonl", ".graphml", ".json"))
    }


def test_same_bytes_whatever_the_number_of_workers(tmp_path: Path):
    need_realdata()
    inputs = [AC / "results_gpt5_snowflake", TAU]
    one = run_pipeline(inputs, tmp_path / "j1", jobs=1, formats=("parquet", "csv", "json"))
    two = run_pipeline(inputs, tmp_path / "j2", jobs=2, formats=("parquet", "csv", "json"))
    assert one.n_runs == two.n_runs == 90
    d1, d2 = _digests(tmp_path / "j1"), _digests(tmp_path / "j2")
    for bookkeeping in ("manifest.json", ".trajdiv-state.json"):
        d1.pop(bookkeeping)
        d2.pop(bookkeeping)
    assert d1 == d2
    assert "steps.parquet" in d1
    assert "divergence_pairs.csv" in d1


def test_cached_rerun_parses_and_analyses_nothing(tmp_path: Path):
    need_realdata()
    cache = tmp_path / "cache"
    first = run_pipeline([TAU], tmp_path / "a", jobs=1, cache_dir=cache)
    assert first.sources_from_cache == 0
    second = run_pipeline([TAU], tmp_path / "b", jobs=1, cache_dir=cache)
    assert second.sources_from_cache == 1
    assert second.groups_from_cache == second.n_groups == 10
    assert pl.read_parquet(tmp_path / "a" / "runs.parquet").equals(
        pl.read_parquet(tmp_path / "b" / "runs.parquet")
    )


def test_adding_runs_redoes_only_what_changed(tmp_path: Path):
    dump = tmp_path / "dump"
    write_ac_dump(dump, "m", {"t1": [["ls", "cat a"], ["ls", "cat b"]], "t2": [["pwd"], ["ls"]]})
    cache = tmp_path / "cache"
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    write_ac_dump(dump, "m", {"t3": [["grep x ."], ["grep y ."]]})
    res = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    assert res.sources_from_cache == 2  # t1.json and t2.json unchanged
    assert res.groups_from_cache == 2
    assert res.n_groups == 3


def test_unchanged_rerun_into_the_same_folder_keeps_it(tmp_path: Path):
    dump = tmp_path / "dump"
    write_ac_dump(dump, "m", {"t1": [["ls", "cat a"], ["ls", "cat b"]]})
    cache, out = tmp_path / "cache", tmp_path / "out"
    first = run_pipeline([dump], out, jobs=1, cache_dir=cache)
    assert not first.reused
    mtime = (out / "runs.parquet").stat().st_mtime_ns
    again = run_pipeline([dump], out, jobs=1, cache_dir=cache)
    assert again.reused
    assert (out / "runs.parquet").stat().st_mtime_ns == mtime
    assert again.n_runs == first.n_runs
    assert [e.to_dict() for e in again.manifest] == [e.to_dict() for e in first.manifest]
    (out / "runs.parquet").unlink()  # a damaged output folder is rewritten
    third = run_pipeline([dump], out, jobs=1, cache_dir=cache)
    assert not third.reused
    assert (out / "runs.parquet").exists()


def test_rerun_after_new_runs_rewrites_only_changed_graph_files(tmp_path: Path):
    """Graph files whose content is unchanged are left in place (same inode); the folder then
    holds exactly what a fresh run into an empty folder writes."""
    dump = tmp_path / "dump"
    write_ac_dump(dump, "m", {"t1": [["ls", "cat a"], ["ls", "cat b"]], "t2": [["pwd"], ["ls"]]})
    cache, out = tmp_path / "cache", tmp_path / "out"
    run_pipeline([dump], out, jobs=1, cache_dir=cache)
    graphs = {p: p.stat().st_ino for p in (out / "graphs").rglob("*") if p.is_file()}
    assert graphs
    stale = next(p for p in graphs if p.suffix == ".json")
    stale.write_text(stale.read_text() + " ")  # edited since: rewritten
    write_ac_dump(dump, "m", {"t3": [["grep x ."], ["grep y ."]]})
    run_pipeline([dump], out, jobs=1, cache_dir=cache)
    kept = [p for p, ino in graphs.items() if p.stat().st_ino == ino]
    assert sorted(kept) == sorted(p for p in graphs if p != stale)
    run_pipeline([dump], tmp_path / "fresh", jobs=1)
    assert _digests(out) == _digests(tmp_path / "fresh") | {
        k: v for k, v in _digests(out).items() if k in ("manifest.json", ".trajdiv-state.json")
    }


def test_settings_change_invalidates_group_cache(tmp_path: Path):
    dump = tmp_path / "dump"
    write_ac_dump(dump, "m", {"t1": [["ls", "cat a"], ["ls", "cat b"]]})
    cache = tmp_path / "cache"
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    res = run_pipeline([dump], tmp_path / "o2", Settings(level="phase"), jobs=1, cache_dir=cache)
    assert res.sources_from_cache == 1
    assert res.groups_from_cache == 0


def test_no_temporary_files_left_behind(tmp_path: Path):
    dump = tmp_path / "dump"
    write_ac_dump(dump, "m", {"t1": [["ls"], ["pwd"]]})
    out = tmp_path / "out"
    run_pipeline([dump], out, jobs=1)
    state = {".trajdiv-state.json", ".trajdiv-files.json"}
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".") and p.name not in state]
    assert leftovers == []


def test_unknown_stage_and_level_are_usage_errors():
    from trajdiv import UsageError

    with pytest.raises(UsageError, match="stage"):
        Settings(stages=("nope",))
    with pytest.raises(UsageError, match="--level"):
        Settings(level="word")


def test_runs_no_cache_keeps_share_one_spill_file_per_process(tmp_path: Path):
    """Without a cache, each process appends the runs of input after input to one spill file; a
    file that is dropped midway (skipped, or its read failed) leaves nothing the others' runs
    could be read from."""
    from trajdiv._digest import blob_digest
    from trajdiv.pipeline._entries import RunRef, SpillFile, close_own_spill, load_blobs

    spill_dir = str(tmp_path / "spill")

    def ref(blob: bytes) -> RunRef:
        return RunRef("f", ("c", "t"), "r", blob_digest(blob), "", 0, len(blob), (), None, "m", "")

    kept: list[tuple[RunRef, bytes]] = []
    for name, blobs, dropped in (
        ("a", [b"one", b"two"], False),
        ("b", [b"lost" * 50], True),
        ("c", [b"three"], False),
    ):
        spill = SpillFile(name, None, None, spill_dir)
        refs = [ref(b) for b in blobs]
        for r, b in zip(refs, blobs, strict=True):
            spill.add(r, b)
        if dropped:
            spill.abort()
        else:
            spill.commit()
            kept += zip(refs, blobs, strict=True)
    assert load_blobs([r for r, _ in kept]) == [b for _, b in kept]
    (only,) = (tmp_path / "spill").iterdir()
    assert only.stat().st_size == len(b"onetwothree")  # the dropped file's bytes are gone
    assert {r.offset for r, _ in kept} == {0, 3, 6}
    close_own_spill(spill_dir)
    # a kept file (with a cache) is still one entry per input, under its content key
    cached = SpillFile("d", "ab" * 20, str(tmp_path / "cache"), spill_dir)
    r = ref(b"four")
    cached.add(r, b"four")
    cached.commit()
    assert Path(r.spill) == tmp_path / "cache" / "sources" / "ab" / f"{'ab' * 20}.runs"
    assert load_blobs([r]) == [b"four"]


def test_workers_start_early_only_when_other_files_remain(tmp_path: Path, monkeypatch):
    """Workers start at the first file to parse when the input has other files (their start
    overlaps the hashing of the rest), never beside a lone file, which is parsed in this
    process: two idle workers would add their memory to the parse of one big file."""
    from trajdiv.pipeline._engine import WorkerPool

    started: list[int] = []
    monkeypatch.setattr(WorkerPool, "warm", lambda self: started.append(1))
    lone, many, cache = tmp_path / "lone", tmp_path / "many", tmp_path / "cache"
    write_ac_dump(lone, "m", {"t1": [["ls"], ["pwd"]]})
    run_pipeline([lone], tmp_path / "o1", jobs=2, cache_dir=cache)
    assert started == []
    write_ac_dump(many, "m", {f"t{i}": [["ls"], [f"cat {i}"]] for i in range(4)})
    run_pipeline([many], tmp_path / "o2", jobs=2, cache_dir=cache)  # every file to parse
    assert len(started) == 1
    write_ac_dump(many, "m", {"t9": [["ls"], ["grep x"]]})  # one new file among cached ones
    run_pipeline([many], tmp_path / "o3", jobs=2, cache_dir=cache)
    assert len(started) == 2
