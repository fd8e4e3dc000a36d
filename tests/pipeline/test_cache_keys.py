"""A shared cache never changes a result: sequences of commands over overlapping folders, with
one cache, give the bytes a run without cache gives."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import AC, need_realdata
from tests.helpers import write_ac_dump, write_report
from trajdiv.cli import main

TABLES = ("runs.parquet", "steps.parquet", "divergence_groups.parquet", "summary.json", "pass_k.parquet")


def _digests(out: Path) -> dict[str, str]:
    return {n: hashlib.sha256((out / n).read_bytes()).hexdigest() for n in TABLES if (out / n).exists()}


def _corpus(root: Path) -> Path:
    """parent/ holds two benchmarks' worth of dumps, each with its own harness reports."""
    for sub, key in (("a", "m1"), ("b", "m2")):
        d = root / "parent" / sub
        tasks = {f"repo__pkg-{i}": [["ls", f"cat {i}"], ["ls", "pwd"], ["grep x", "ls"]] for i in range(4)}
        write_ac_dump(d, key, tasks, model=f"model-{key}")
        for k in (1, 2, 3):
            ids = sorted(tasks)
            write_report(d, key, k, ids[:k], ids[k:])
    return root / "parent"


@pytest.mark.parametrize("command", ["stats", "diverge"])
def test_parent_then_child_then_renamed_copy(tmp_path: Path, command: str):
    parent = _corpus(tmp_path)
    copy = tmp_path / "renamed"
    shutil.copytree(parent / "a", copy)
    cache = tmp_path / "cache"
    sequence = [
        ([parent], []),
        ([parent / "a"], []),
        ([copy], []),
        ([parent / "a"], ["--config-from", "dirname"]),
        ([parent], []),
    ]
    for i, (inputs, extra) in enumerate(sequence):
        args = [command, *map(str, inputs), "-q", "-j", "1", *extra]
        cached, fresh = tmp_path / f"c{i}", tmp_path / f"n{i}"
        assert main([*args[:1], *args[1:], "-o", str(cached), "--cache-dir", str(cache)]) in (0, 3)
        assert main([*args[:1], *args[1:], "-o", str(fresh), "--no-cache"]) in (0, 3)
        assert _digests(cached) == _digests(fresh), (i, inputs, extra)


def test_real_parent_then_subfolder_keeps_the_labels(tmp_path: Path):
    need_realdata()
    cache = tmp_path / "cache"
    assert main(["stats", str(AC.parent), "-o", str(tmp_path / "a"), "--cache-dir", str(cache), "-q"]) == 0
    assert main(["stats", str(AC), "-o", str(tmp_path / "b"), "--cache-dir", str(cache), "-q"]) == 0
    assert main(["stats", str(AC), "-o", str(tmp_path / "n"), "--no-cache", "-q"]) == 0
    assert _digests(tmp_path / "b") == _digests(tmp_path / "n")


def test_a_code_change_misses_the_cache(monkeypatch):
    import trajdiv._digest as digest

    before = digest.code_digest()
    digest.code_digest.cache_clear()
    monkeypatch.setattr(digest, "__file__", digest.__file__)  # same package: same digest
    assert digest.code_digest() == before
    digest.code_digest.cache_clear()
    monkeypatch.setattr(digest.metadata, "version", lambda name: "0.0.0-other")
    assert digest.code_digest() != before
    digest.code_digest.cache_clear()


def test_outputs_follow_the_umask(tmp_path: Path):
    import os
    import stat

    d = tmp_path / "dump"
    write_ac_dump(d, "m", {"t1": [["ls", "cat a"], ["ls", "pwd"]], "t2": [["grep x"], ["grep y"]]})
    old = os.umask(0o022)
    try:
        from trajdiv import _io

        _io._file_mode.cache_clear()
        out = tmp_path / "o"
        assert (
            main(["analyze", str(d), "-o", str(out), "--no-cache", "-j", "1", "-q", "--table-format", "csv"])
            == 0
        )
    finally:
        os.umask(old)
        _io._file_mode.cache_clear()
    for name in ("runs.parquet", "runs.csv", "summary.json", "report.html", "manifest.json"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name


def test_output_folder_is_never_read_as_input(tmp_path: Path, capsys):
    d = tmp_path / "dump"
    write_ac_dump(d, "m", {"t1": [["ls", "cat a"], ["ls", "pwd"]], "t2": [["grep x"], ["grep y"]]})
    inside = d / "out"
    for _ in range(2):  # the second run finds the first one's outputs inside its input
        assert main(["ingest", str(d), "-o", str(inside), "--no-cache", "-q", "--export-jsonl"]) == 0
    import json

    manifest = json.loads((inside / "manifest.json").read_text())
    assert manifest["summary"]["read"] == 2
    assert any(e["file"] == str(inside) and "own output" in e["reason"] for e in manifest["files"])
    # -o naming an input (or a folder holding one) is refused; an export never replaces an input
    capsys.readouterr()
    assert main(["ingest", str(d), "-o", str(d), "--no-cache", "-q"]) == 1
    assert "own output" in capsys.readouterr().err
    victim = d / "results_m" / "t1.json"
    before = victim.read_bytes()
    assert main(["export", str(d), "-o", str(victim)]) == 1
    assert victim.read_bytes() == before


@pytest.mark.parametrize("jobs", ["1", "2"])  # 2: files looked up in the cache by threads
def test_foreign_or_damaged_cache_entries_are_misses_never_code(tmp_path: Path, jobs: str):
    import pickle

    d = tmp_path / "dump"
    write_ac_dump(d, "m", {"t1": [["ls", "cat a"], ["ls", "pwd"]], "t2": [["grep x"], ["grep y"]]})
    cache = tmp_path / "cache"
    assert (
        main(["analyze", str(d), "-o", str(tmp_path / "first"), "--cache-dir", str(cache), "-q", "-j", "1"])
        == 0
    )
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    entries = [p for p in cache.rglob("*") if p.is_file() and p.suffix in (".idx", ".entry", ".runs")]
    assert {p.suffix for p in entries} >= {".idx", ".entry", ".runs"}
    assert any(p.is_relative_to(cache / "tokens") for p in entries)
    for i, p in enumerate(sorted(entries)):
        data = p.read_bytes()
        if i % 3 == 0:
            p.write_bytes(pickle.dumps(Payload()))  # what a hostile co-user of the cache could write
        elif i % 3 == 1:
            p.write_bytes(data[: len(data) // 2])  # truncated
        else:
            p.write_bytes(data[:-8] + b"\x00" * 8)  # same size, damaged end
    out, fresh = tmp_path / "second", tmp_path / "fresh"
    assert main(["analyze", str(d), "-o", str(out), "--cache-dir", str(cache), "-q", "-j", jobs]) == 0
    assert main(["analyze", str(d), "-o", str(fresh), "--no-cache", "-q", "-j", "1"]) == 0
    assert not marker.exists()
    assert _digests(out) == _digests(fresh)


def test_whole_entries_under_another_key_are_misses(tmp_path: Path):
    """An entry copied or moved under another key (a cache folder merged by hand, or synced
    badly) passes every check of its own form; its key is in its checksum, so it is a miss."""
    d = tmp_path / "dump"
    tasks = {f"org__pkg-{i}": [["ls", f"cat {i}"], ["ls", "pwd"], [f"grep {i}", "ls"]] for i in range(4)}
    write_ac_dump(d, "m", tasks)
    cache = tmp_path / "cache"
    args = ["-q", "-j", "1"]
    assert main(["analyze", str(d), "-o", str(tmp_path / "first"), "--cache-dir", str(cache), *args]) == 0
    copied = 0
    for kind in ("sources", "groups", "chunks", "across", "tokens"):
        entries = sorted(p for p in (cache / kind).rglob("*") if p.suffix in (".idx", ".entry"))
        for p in entries[1:]:  # each holds the first one's bytes
            p.write_bytes(entries[0].read_bytes())
            copied += 1
    assert copied >= 3 * 3  # sources, groups and tokens: four entries each
    out, fresh = tmp_path / "second", tmp_path / "fresh"
    assert main(["analyze", str(d), "-o", str(out), "--cache-dir", str(cache), *args]) == 0
    assert main(["analyze", str(d), "-o", str(fresh), "--no-cache", *args]) == 0
    assert _digests(out) == _digests(fresh)


def _alpha_analysed_then_beta(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Dumps a (three tasks of model alpha) and b (one task of beta), and a analysed into out."""
    a, b = tmp_path / "a", tmp_path / "b"
    write_ac_dump(
        a, "alpha", {f"task-a{i}": [["ls", "cat x"], ["ls", "pwd"]] for i in range(3)}, model="alpha"
    )
    write_ac_dump(b, "beta", {"task-b": [["grep y"], ["grep z"]]}, model="beta")
    out = tmp_path / "out"
    assert main(["analyze", str(a), "-o", str(out), "--no-cache", "-q", "-j", "1"]) == 0
    return a, b, out


def test_second_analysis_into_the_same_folder_leaves_nothing_of_the_first(tmp_path: Path):
    a, b, out = _alpha_analysed_then_beta(tmp_path)
    (out / "my-notes.txt").write_text("mine")  # a user's file in the output folder
    first = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert any("task-a" in str(p) for p in first)
    assert main(["analyze", str(b), "-o", str(out), "--no-cache", "-q", "-j", "1"]) == 0
    second = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert not [p for p in second if "task-a" in str(p) or "alpha" in str(p)]
    assert (out / "my-notes.txt").read_text() == "mine"
    assert "alpha" not in (out / "report.html").read_text()
    # `ingest` of other data into an analysed folder removes the now stale analysis
    assert main(["ingest", str(a), "-o", str(out), "--no-cache", "-q"]) == 0
    assert not (out / "summary.json").exists()
    assert not (out / "report.html").exists()
    assert (out / "my-notes.txt").exists()


def test_reuse_checks_content_not_size(tmp_path: Path):
    d = tmp_path / "dump"
    write_ac_dump(d, "m", {"t1": [["ls", "cat a"], ["ls", "pwd"]], "t2": [["grep x"], ["grep y"]]})
    out = tmp_path / "out"
    assert main(["analyze", str(d), "-o", str(out), "--no-cache", "-q", "-j", "1"]) == 0
    good = (out / "runs.parquet").read_bytes()
    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0xFF  # same size, different content
    (out / "runs.parquet").write_bytes(bytes(damaged))
    assert main(["analyze", str(d), "-o", str(out), "--no-cache", "-q", "-j", "1"]) == 0
    assert (out / "runs.parquet").read_bytes() == good


def test_cache_info_clear_and_size_bound(tmp_path: Path, capsys, monkeypatch):
    d = tmp_path / "dump"
    write_ac_dump(d, "m", {f"t{i}": [["ls", f"cat {i}"], ["ls", "pwd"]] for i in range(6)})
    cache = tmp_path / "cache"
    (cache).mkdir()
    (cache / "not-ours.txt").write_text("keep")
    assert (
        main(["analyze", str(d), "-o", str(tmp_path / "o1"), "--cache-dir", str(cache), "-q", "-j", "1"]) == 0
    )
    capsys.readouterr()
    assert main(["cache", "info", "--cache-dir", str(cache)]) == 0
    info = capsys.readouterr().out
    assert "parsed files" in info
    assert "group results" in info
    from trajdiv.pipeline._cachedir import cache_info

    full = cache_info(cache).total_bytes
    assert full > 0
    # a bound set in the environment prunes after the run, least recently used first
    monkeypatch.setenv("TRAJDIV_CACHE_MAX_SIZE", str(full // 2))
    assert (
        main(["analyze", str(d), "-o", str(tmp_path / "o2"), "--cache-dir", str(cache), "-q", "-j", "1"]) == 0
    )
    assert cache_info(cache).total_bytes <= full // 2
    monkeypatch.delenv("TRAJDIV_CACHE_MAX_SIZE")
    # a pruned cache costs time, never correctness
    assert (
        main(["analyze", str(d), "-o", str(tmp_path / "o3"), "--cache-dir", str(cache), "-q", "-j", "1"]) == 0
    )
    assert _digests(tmp_path / "o3") == _digests(tmp_path / "o1")
    assert main(["cache", "clear", "--cache-dir", str(cache)]) == 0
    assert cache_info(cache).total_bytes == 0
    assert (cache / "not-ours.txt").read_text() == "keep"


def test_ledger_digests_are_those_of_the_files_and_earlier_ledgers_still_settle(tmp_path: Path):
    """The ledger's digests of files written this run come from the bytes written (graphs) or
    from the files; either way they are the files' own. A ledger an earlier release wrote
    (blake2b digests, no prefix) still lets the next run remove what it no longer writes, and
    still keeps a file the user changed since."""
    import json

    from trajdiv.pipeline._state import file_digest

    _a, b, out = _alpha_analysed_then_beta(tmp_path)
    ledger = json.loads((out / ".trajdiv-files.json").read_text())
    assert any(rel.endswith(".graphml") for rel in ledger)
    for rel, info in ledger.items():
        assert info["digest"] == file_digest(out / rel), rel
    # the same ledger as an earlier release kept it
    legacy = {
        rel: {
            "digest": hashlib.blake2b((out / rel).read_bytes(), digest_size=20).hexdigest(),
            "by": info["by"],
        }
        for rel, info in ledger.items()
    }
    (out / ".trajdiv-files.json").write_text(json.dumps(legacy))
    graph = next(out / rel for rel in ledger if rel.endswith(".graphml"))
    graph.write_text(graph.read_text() + "<!-- mine -->")  # changed by the user: kept
    assert main(["analyze", str(b), "-o", str(out), "--no-cache", "-q", "-j", "1"]) == 0
    left = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert graph.relative_to(out).as_posix() in left
    assert not [p for p in left if "task-a" in p and p != graph.relative_to(out).as_posix()]
