"""A re-run does not read an unchanged input file again: its content hash is remembered by the
file's identity. Any change the file system can see (content, size, times set back, another file
in its place) means the file is read and hashed again; so does an entry that is damaged or
describes another file, and a file that had changed just before it was hashed."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import write_ac_dump
from trajdiv._codec import pack
from trajdiv._digest import bytes_hash
from trajdiv.ingest._source import Source
from trajdiv.pipeline import _known, run_pipeline
from trajdiv.pipeline._known import known_hash, remembered_hash


@pytest.fixture
def settled(monkeypatch):
    """Files count as settled however recently they changed (tests cannot wait)."""
    monkeypatch.setattr(_known, "SETTLE_NS", -(10**12))


def _counting(data_of: Path) -> tuple[list[int], object]:
    calls: list[int] = []

    def digest() -> str:
        calls.append(1)
        return bytes_hash(data_of.read_bytes())

    return calls, digest


def _hashed_once(tmp_path: Path) -> tuple[Path, Path, list[int], Any]:
    """A file ``a.json``, the cache, and the counted digest with which it was hashed once."""
    f = tmp_path / "a.json"
    f.write_bytes(b'{"a": 1}')
    cache = tmp_path / "cache"
    calls, digest = _counting(f)
    known_hash(cache, str(f), digest)
    return f, cache, calls, digest


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "hashes").rglob("*.hash"))


def _rewrite_keeping_times(path: Path, data: bytes) -> None:
    """New content of the same size, with the old access and modification times put back."""
    st = path.stat()
    time.sleep(0.05)  # past the clock tick of the last change
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns
    assert path.stat().st_size == st.st_size


def test_a_settled_file_is_hashed_once(tmp_path: Path, settled):
    f = tmp_path / "a.json"
    f.write_bytes(b'{"a": 1}')
    calls, digest = _counting(f)
    assert remembered_hash(tmp_path / "cache", str(f)) is None
    first = known_hash(tmp_path / "cache", str(f), digest)
    again = known_hash(tmp_path / "cache", str(f), digest)
    assert first == again == remembered_hash(tmp_path / "cache", str(f)) == bytes_hash(b'{"a": 1}')
    assert len(calls) == 1
    assert len(_entries(tmp_path / "cache")) == 1
    assert remembered_hash(tmp_path / "cache", str(tmp_path / "gone.json")) is None


@pytest.mark.parametrize("change", ["same-size-times-back", "size", "replaced", "touched"])
def test_any_change_the_file_system_sees_means_a_new_hash(tmp_path: Path, settled, change: str):
    f, cache, calls, digest = _hashed_once(tmp_path)
    if change == "same-size-times-back":
        _rewrite_keeping_times(f, b'{"a": 2}')
    elif change == "size":
        f.write_bytes(b'{"a": 10}')
    elif change == "replaced":  # another file renamed into its place, with the same times
        other = tmp_path / "b.json"
        other.write_bytes(b'{"a": 3}')
        st = f.stat()
        os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(other, f)
    else:
        time.sleep(0.05)
        os.utime(f)
    assert remembered_hash(cache, str(f)) is None
    value = known_hash(cache, str(f), digest)
    assert value == bytes_hash(f.read_bytes())
    assert len(calls) == 2


def test_a_file_changed_just_before_it_was_hashed_is_not_remembered(tmp_path: Path):
    f = tmp_path / "a.json"
    f.write_bytes(b'{"a": 1}')  # changed now: within SETTLE_NS
    calls, digest = _counting(f)
    for _ in range(2):
        assert known_hash(tmp_path / "cache", str(f), digest) == bytes_hash(b'{"a": 1}')
    assert len(calls) == 2
    assert _entries(tmp_path / "cache") == []


def test_a_file_that_changes_while_it_is_hashed_is_not_remembered(tmp_path: Path, settled):
    f = tmp_path / "a.json"
    f.write_bytes(b'{"a": 1}')

    def changing() -> str:
        value = bytes_hash(f.read_bytes())
        time.sleep(0.05)
        f.write_bytes(b'{"a": 22}')
        return value

    known_hash(tmp_path / "cache", str(f), changing)
    assert _entries(tmp_path / "cache") == []


@pytest.mark.parametrize("entry", ["damaged", "other-key", "other-identity", "not-text"])
def test_an_entry_that_does_not_describe_the_file_is_a_miss(tmp_path: Path, settled, entry: str):
    f, cache, calls, digest = _hashed_once(tmp_path)
    (path,) = _entries(cache)
    key = path.stem
    if entry == "damaged":
        data = bytearray(path.read_bytes())
        data[-3] ^= 1
        path.write_bytes(bytes(data))
    elif entry == "other-key":  # another file's entry copied here
        path.write_bytes(pack({"identity": "x", "hash": "0" * 64}, key="f" * 40))
    elif entry == "other-identity":  # a valid entry of this key that names another file
        path.write_bytes(pack({"identity": "elsewhere", "hash": "0" * 64}, key=key))
    else:
        path.write_bytes(pack({"identity": "x", "hash": 5}, key=key))
    assert remembered_hash(cache, str(f)) is None
    assert known_hash(cache, str(f), digest) == bytes_hash(b'{"a": 1}')
    assert len(calls) == 2


def _digests(out: Path) -> dict[str, str]:
    files = [*out.glob("*.parquet"), out / "manifest.json"]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


@pytest.mark.parametrize("jobs", [1, 2])  # 2: remembered files looked up here, the others on threads
def test_a_rerun_reads_no_unchanged_file_and_sees_a_file_changed_behind_its_times(
    tmp_path: Path, settled, monkeypatch, jobs: int
):
    dump, cache = tmp_path / "dump", tmp_path / "cache"
    tasks = {f"org__pkg-{i}": [["ls", f"cat {i}"], ["ls", "pwd"]] for i in range(6)}
    write_ac_dump(dump, "m", tasks)
    run_pipeline([dump], tmp_path / "o1", jobs=jobs, cache_dir=cache)
    assert len(_entries(cache)) == 6
    read: list[str] = []
    real = Source.chunks

    def chunks(self: Source, size: int = 1 << 20):
        read.append(self.display)
        return real(self, size)

    monkeypatch.setattr(Source, "chunks", chunks)
    again = run_pipeline([dump], tmp_path / "o2", jobs=jobs, cache_dir=cache)
    assert read == []
    assert again.groups_from_cache == 6
    assert _digests(tmp_path / "o2") == _digests(tmp_path / "o1")
    # the same size and times, other content: the tables must follow it
    victim = dump / "results_m" / "org__pkg-3.json"
    text = victim.read_text()
    assert text.count("pwd") == 1
    _rewrite_keeping_times(victim, text.replace("pwd", "cwd").encode())
    changed = run_pipeline([dump], tmp_path / "o3", jobs=jobs, cache_dir=cache)
    fresh = run_pipeline([dump], tmp_path / "o4", jobs=1)
    assert len(read) == 1
    assert read[0].endswith("org__pkg-3.json")
    assert changed.n_groups == fresh.n_groups == 6
    assert changed.groups_from_cache == 5
    assert _digests(tmp_path / "o3") == _digests(tmp_path / "o4") != _digests(tmp_path / "o1")


def test_nothing_is_remembered_where_the_file_system_keeps_no_change_time(
    tmp_path: Path, settled, monkeypatch
):
    f = tmp_path / "a.json"
    f.write_bytes(b'{"a": 1}')
    real = os.stat

    def no_ctime(path, *args, **kwargs):
        st = real(path, *args, **kwargs)
        fields = {name: getattr(st, name) for name in dir(st) if name.startswith("st_")}
        return os.stat_result(tuple(st), {**fields, "st_ctime_ns": 0})

    monkeypatch.setattr(_known.os, "stat", no_ctime)
    calls, digest = _counting(f)
    known_hash(tmp_path / "cache", str(f), digest)
    known_hash(tmp_path / "cache", str(f), digest)
    assert len(calls) == 2
    assert _entries(tmp_path / "cache") == []


def test_another_version_of_trajdiv_hashes_again(tmp_path: Path, settled, monkeypatch):
    f, cache, calls, digest = _hashed_once(tmp_path)
    monkeypatch.setattr(_known, "code_digest", lambda: b"another version")
    known_hash(cache, str(f), digest)
    assert len(calls) == 2
