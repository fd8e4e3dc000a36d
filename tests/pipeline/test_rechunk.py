"""A chunk changed by new groups takes its unchanged groups from the chunk they were kept in:
their rows are cut from that chunk's parts (no group entry read), and the tables are the bytes a
run without a cache writes; an earlier chunk that does not prove itself leaves its groups to
their own entries."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.helpers import write_ac_dump
from trajdiv._codec import pack, unpack
from trajdiv.pipeline import _chunks, _passes, run_pipeline
from trajdiv.pipeline._chunks import chunk_groups, chunk_key, split_chunks


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(_chunks, "CHUNK_GROUPS", 4)


@pytest.fixture
def entry_reads(monkeypatch) -> list[str]:
    """The group entries the run reads one by one."""
    reads: list[str] = []
    real = _passes.cached_group

    def counted(cache, key):
        reads.append(key)
        return real(cache, key)

    monkeypatch.setattr(_passes, "cached_group", counted)
    return reads


def _digests(out: Path) -> dict[str, str]:
    files = [*out.glob("*.parquet"), out / "manifest.json", *sorted((out / "graphs").rglob("*.json"))]
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def _tasks(ids: range) -> dict[str, list[list[str]]]:
    # rows of every table, steps of several lengths: cuts that fall inside parts show
    return {
        f"org__pkg-{i:03d}": [["ls", f"cat {i}"], ["ls", f"grep {i % 3}", "pwd"][: 2 + i % 2]] for i in ids
    }


def _write(dump: Path, ids: range) -> None:
    write_ac_dump(dump, "m", _tasks(ids))
    write_ac_dump(dump, "n", _tasks(ids), model="m-2")


def test_new_tasks_between_others_take_the_rest_of_their_chunks_from_the_kept_ones(
    tmp_path: Path, small_chunks, entry_reads
):
    dump, cache = tmp_path / "dump", tmp_path / "cache"
    _write(dump, range(0, 80, 2))  # even tasks first
    first = run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    assert first.n_groups == 80
    entry_reads.clear()
    _write(dump, range(1, 80, 8))  # 10 new tasks between them: 20 new groups
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    fresh = run_pipeline([dump], tmp_path / "o3", jobs=1)
    assert again.n_groups == fresh.n_groups == 100
    assert _digests(tmp_path / "o2") == _digests(tmp_path / "o3")
    assert again.groups_from_cache == 80
    assert entry_reads == []  # every unchanged group came from a kept chunk
    entry_reads.clear()
    third = run_pipeline([dump], tmp_path / "o4", jobs=1, cache_dir=cache)  # the new chunks kept
    assert third.chunks_from_cache > 0
    assert entry_reads == []
    assert _digests(tmp_path / "o4") == _digests(tmp_path / "o3")


@pytest.mark.parametrize("damage", ["bytes", "content", "no-rows", "fewer-rows", "groups"])
def test_an_earlier_chunk_that_does_not_prove_itself_leaves_its_groups_to_their_entries(
    tmp_path: Path, small_chunks, entry_reads, damage: str
):
    import polars as pl

    dump, cache = tmp_path / "dump", tmp_path / "cache"
    _write(dump, range(0, 60, 2))
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    for entry in (cache / "chunks").rglob("chunk.entry"):
        folder = entry.parent
        meta, texts = unpack(entry.read_bytes(), key=folder.name)
        part = folder / meta["parts"]["steps"][0][0]
        if damage == "bytes":  # a part's bytes changed
            data = bytearray(part.read_bytes())
            data[len(data) // 2] ^= 1
            part.write_bytes(bytes(data))
        elif damage == "content":  # a valid part of the same rows and other content
            df = pl.read_parquet(part)
            df.with_columns(pl.col("action").str.replace("^", "x")).write_parquet(
                part, compression="uncompressed"
            )
        else:
            for i, g in enumerate(meta["groups"]):
                if damage == "no-rows":  # as kept before chunks recorded each group's rows
                    del g["rows"]
                elif damage == "fewer-rows" and i == 0:  # every later group's rows one off
                    g["rows"]["steps"] -= 1
                elif damage == "groups":
                    g["result"]["task_id"] += "x"
            entry.write_bytes(pack(meta, texts, key=folder.name))
    _read_one_by_one_after_new_tasks(tmp_path, range(1, 60, 6), 60, entry_reads)


def test_chunk_groups_cut_each_groups_rows_from_the_parts(tmp_path: Path, small_chunks):
    """The frames a kept chunk gives back are each group's own rows (as its entry holds them)."""
    from trajdiv.pipeline._entries import cached_group

    dump, cache = tmp_path / "dump", tmp_path / "cache"
    _write(dump, range(0, 30))
    res = run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    keyed = sorted((cache / "groups").rglob("*.entry"))
    assert len(keyed) == res.n_groups
    entries = {p.stem: cached_group(cache, p.stem) for p in keyed}
    order = sorted(entries, key=lambda k: (entries[k].result.task_id, entries[k].result.config))
    seen = 0
    for chunk in split_chunks([(k,) for k in order]):
        keys = [k for (k,) in chunk]
        expected = [(entries[k].result.config, entries[k].result.task_id) for k in keys]
        groups = chunk_groups(cache, chunk_key(keys), expected)
        assert groups is not None
        for k, g in zip(keys, groups, strict=True):
            own = entries[k]
            assert g.frames.keys() == own.frames.keys()
            for name, df in own.frames.items():
                assert g.frames[name].equals(df), (k, name)
            seen += 1
        assert chunk_groups(cache, chunk_key(keys), list(reversed(expected))) is None or len(keys) == 1
    assert seen == res.n_groups


def test_an_earlier_chunk_too_big_to_hold_whole_leaves_its_groups_to_their_entries(
    tmp_path: Path, small_chunks, entry_reads, monkeypatch
):
    dump, cache = tmp_path / "dump", tmp_path / "cache"
    _write(dump, range(0, 40, 2))
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    monkeypatch.setattr(_chunks, "MAX_REUSE_BYTES", 0)
    _read_one_by_one_after_new_tasks(tmp_path, range(1, 40, 6), 40, entry_reads)


def _read_one_by_one_after_new_tasks(tmp_path: Path, new: range, known: int, entry_reads: list[str]) -> None:
    """New tasks added to the dump of ``tmp_path``: the re-run reads the ``known`` groups from
    their own entries (some one by one) and writes what a run without a cache writes."""
    dump, cache = tmp_path / "dump", tmp_path / "cache"
    entry_reads.clear()
    _write(dump, new)
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    run_pipeline([dump], tmp_path / "o3", jobs=1)
    assert _digests(tmp_path / "o2") == _digests(tmp_path / "o3")
    assert again.groups_from_cache == known
    assert entry_reads  # read one by one
