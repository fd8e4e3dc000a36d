"""Re-runs: chunks of groups (boundaries that depend on the groups alone, parts placed again byte
for byte, every chunk a re-run did not touch reused) and spilled runs checked when needed."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import write_ac_dump
from trajdiv.pipeline import _chunks, run_pipeline
from trajdiv.pipeline._chunks import CHUNK_GROUPS, split_chunks
from trajdiv.pipeline._sink import TableSink


def _keys(n: int, seed: int) -> list[tuple[str]]:
    rng = random.Random(seed)
    return [(f"{rng.getrandbits(160):040x}",) for _ in range(n)]


@pytest.mark.parametrize("seed", range(20))
def test_inserting_a_group_changes_only_the_chunk_it_falls_into(seed: int):
    keys = _keys(300, seed)
    chunks = split_chunks(keys)
    assert [k for c in chunks for k in c] == keys
    ends = [int(c[-1][0][:8], 16) % CHUNK_GROUPS == 0 for c in chunks]
    assert all(ends[:-1])  # every chunk but the last ends on a boundary key
    assert all(int(k[0][:8], 16) % CHUNK_GROUPS for c in chunks for k in c[:-1])
    new = _keys(1, seed + 1000)[0]
    at = random.Random(seed).randrange(len(keys) + 1)
    after = split_chunks([*keys[:at], new, *keys[at:]])
    touched = next(c for c in chunks if keys[min(at, len(keys) - 1)] in c)
    changed = [c for c in after if new in c or set(c) & set(touched)]
    assert len(changed) == 1 + (int(new[0][:8], 16) % CHUNK_GROUPS == 0)  # a boundary key splits it
    assert [c for c in after if c not in changed] == [c for c in chunks if c is not touched]


def test_placed_parts_join_to_the_same_table(tmp_path: Path):
    frames = [
        pl.DataFrame({"task_id": [f"t{i}"] * (i + 1), "x": list(range(i + 1)), "s": ["é" * i] * (i + 1)})
        for i in range(6)
    ]
    first = TableSink(tmp_path / "one")
    for df in frames[:3]:
        first.add("t", df)
    kept = first.cut()
    assert [rows for _, rows in kept["t"]] == [1 + 2 + 3]
    for df in frames[3:]:
        first.add("t", df)
    first.cut()
    first.finish(tmp_path / "a", ("parquet",), ("t",))
    second = TableSink(tmp_path / "two")
    for path, rows in kept["t"]:
        kept_copy = tmp_path / f"kept-{path.name}"
        kept_copy.write_bytes(path.read_bytes())
        second.add_part("t", kept_copy, rows)
    for df in frames[3:]:
        second.add("t", df)
    second.cut()
    second.finish(tmp_path / "b", ("parquet",), ("t",))
    a, b = (tmp_path / d / "t.parquet" for d in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()
    assert pl.read_parquet(a).equals(pl.concat(frames))
    second.add("t", frames[0])
    with pytest.raises(RuntimeError, match="between cuts"):
        second.add_part("t", tmp_path / "none.parquet", 0)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 4 groups on average: a few dozen groups make several (group keys hold the
    dump's path, so boundaries move from one test run to the next)."""
    monkeypatch.setattr(_chunks, "CHUNK_GROUPS", 4)


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.glob("*.parquet"))}


def _tasks(first: int, n: int) -> dict[str, list[list[str]]]:
    return {
        f"org__pkg-{i:03d}": [["ls", f"cat {i}"], ["ls", f"grep {i % 3}"]] for i in range(first, first + n)
    }


def test_rerun_after_new_tasks_places_the_untouched_chunks(tmp_path: Path, small_chunks):
    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 60))
    first = run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    n_chunks = len(list((cache / "chunks").rglob("*.entry")))
    assert n_chunks >= 2
    assert first.chunks_from_cache == 0
    write_ac_dump(dump, "m", _tasks(60, 2))
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    fresh = run_pipeline([dump], tmp_path / "o3", jobs=1)
    assert _digests(tmp_path / "o2") == _digests(tmp_path / "o3")
    assert again.n_groups == fresh.n_groups == 62
    assert again.groups_from_cache == 60
    assert n_chunks - 2 <= again.chunks_from_cache < n_chunks + 2  # at most two chunks changed
    assert pl.read_parquet(tmp_path / "o2" / "runs.parquet").height == 124


def test_chunks_too_big_to_keep_are_read_group_by_group(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(_chunks, "MAX_CHUNK_BYTES", 0)
    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 20))
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    assert not list((cache / "chunks").rglob("*.entry"))
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    assert again.groups_from_cache == 20
    assert again.chunks_from_cache == 0
    assert _digests(tmp_path / "o1") == _digests(tmp_path / "o2")


def test_a_damaged_chunk_is_a_miss(tmp_path: Path, small_chunks):
    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 40))
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    entries = sorted((cache / "chunks").rglob("*.entry"))
    for i, p in enumerate(entries):
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2] if i % 2 else data[:-8] + b"\0" * 8)
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    assert again.chunks_from_cache == 0
    assert again.groups_from_cache == 40
    assert _digests(tmp_path / "o1") == _digests(tmp_path / "o2")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_damaged_spill_is_found_when_its_runs_are_needed_and_parsed_again(tmp_path: Path, jobs: int):
    """A cached parse is trusted by the length of its spill; the bytes of the runs a re-run
    analyses are checked against their digests, and a file whose spill was altered is parsed
    again, giving the tables of a run without a cache."""
    import shutil

    from trajdiv.pipeline._entries import damaged_files, load_blobs

    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 6))
    run_pipeline([dump], tmp_path / "o1", jobs=jobs, cache_dir=cache)
    spills = sorted((cache / "sources").rglob("*.runs"))
    assert len(spills) == 6
    for p in spills[:3]:  # the same length, other bytes
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0x01
        p.write_bytes(bytes(data))
    shutil.rmtree(cache / "groups")
    shutil.rmtree(cache / "chunks")  # every group is analysed again, from the spilled runs
    again = run_pipeline([dump], tmp_path / "o2", jobs=jobs, cache_dir=cache)
    fresh = run_pipeline([dump], tmp_path / "o3", jobs=jobs)
    assert again.sources_from_cache == 6
    assert _digests(tmp_path / "o2") == _digests(tmp_path / "o3")
    assert again.n_runs == fresh.n_runs == 12
    from trajdiv.pipeline._entries import cached_index

    idx = [cached_index(p.stem, cache) for p in spills]
    refs = [r for i in idx if i is not None for r in i.refs]
    assert len(refs) == 12
    assert damaged_files(refs) == set()  # parsed again: every spill matches its digests
    assert len(load_blobs(refs)) == 12


def test_a_chunk_of_other_groups_is_a_miss_and_places_nothing(tmp_path: Path, small_chunks):
    """An intact entry under another chunk's key (a foreign cache, a copied file) holds other
    groups: nothing of it is placed, and the chunk's groups are read one by one."""
    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 40))
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    entries = sorted((cache / "chunks").rglob("*.entry"))
    assert len(entries) >= 2
    entries[1].write_bytes(entries[0].read_bytes())
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    assert again.chunks_from_cache == len(entries) - 1
    assert _digests(tmp_path / "o1") == _digests(tmp_path / "o2")
    assert pl.read_parquet(tmp_path / "o2" / "runs.parquet").height == 80


def _across(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "graphs" / "_across").iterdir())}


def test_graphs_across_configurations_are_kept_by_the_runs_they_are_made_of(tmp_path: Path, monkeypatch):
    import trajdiv.pipeline._passes as passes

    dump, cache = tmp_path / "dump", tmp_path / "cache"
    for model in ("m-1", "m-2"):
        write_ac_dump(dump, model, _tasks(0, 3), model=model)
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    fresh = _across(tmp_path / "o1")
    assert len(fresh) == 6
    assert len(list((cache / "across").rglob("*.entry"))) == 3

    def built_again(*args, **kwargs):
        raise AssertionError("a kept graph across configurations was built again")

    real_build = passes.build_branch_graph
    monkeypatch.setattr(passes, "build_branch_graph", built_again)
    run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    assert _across(tmp_path / "o2") == fresh
    # damaged, or of valid form but holding no texts: built again, never placed
    monkeypatch.setattr(passes, "build_branch_graph", real_build)
    entries = sorted((cache / "across").rglob("*.entry"))
    entries[0].write_bytes(entries[0].read_bytes()[:-3])
    entries[1].write_bytes(passes.pack({"json": 1, "graphml": None}, key=entries[1].stem))
    entries[2].write_bytes(passes.pack({"other": "x"}, key=entries[2].stem))
    run_pipeline([dump], tmp_path / "o3", jobs=1, cache_dir=cache)
    assert _across(tmp_path / "o3") == fresh
    # other runs of a task: another graph
    write_ac_dump(dump, "m-2", {"org__pkg-000": [["ls", "cat 9"], ["pwd"]]}, model="m-2")
    run_pipeline([dump], tmp_path / "o4", jobs=1, cache_dir=cache)
    changed = {k for k, v in _across(tmp_path / "o4").items() if fresh[k] != v}
    assert changed == {"org__pkg-000.json", "org__pkg-000.graphml"}


def _chunk_folders(cache: Path) -> list[Path]:
    return sorted(p.parent for p in (cache / "chunks").rglob("chunk.entry"))


@pytest.mark.parametrize("damage", ["flipped", "missing", "renamed", "outside"])
def test_a_chunk_with_a_damaged_or_foreign_part_is_a_miss(tmp_path: Path, small_chunks, damage: str):
    """A chunk's parts are files beside its entry, checked by content hash once linked where
    the tables are joined; any part not as kept makes the whole chunk a miss."""
    from trajdiv._codec import pack, unpack

    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 40))
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    folders = _chunk_folders(cache)
    assert len(folders) >= 2
    folder = folders[0]
    part = sorted(folder.glob("*.parquet"))[-1]
    if damage == "flipped":
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 1
        part.write_bytes(bytes(data))
    elif damage == "missing":
        part.unlink()
    else:  # a well-formed entry naming a part that is not one of its own files
        meta, _ = unpack((folder / "chunk.entry").read_bytes(), key=folder.name)
        name = next(iter(meta["parts"]))
        kept = (folder / meta["parts"][name][0][0]).read_bytes()  # the same bytes, elsewhere
        (folder / "other.parquet").write_bytes(kept)
        (tmp_path / "outside.parquet").write_bytes(kept)
        meta["parts"][name][0][0] = "other.parquet" if damage == "renamed" else "../../../../outside.parquet"
        (folder / "chunk.entry").write_bytes(pack(meta, key=folder.name))
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    assert again.chunks_from_cache == len(folders) - 1
    assert _digests(tmp_path / "o1") == _digests(tmp_path / "o2")
    third = run_pipeline([dump], tmp_path / "o3", jobs=1, cache_dir=cache)  # kept again, whole
    assert third.chunks_from_cache == len(folders)
    assert _digests(tmp_path / "o1") == _digests(tmp_path / "o3")


def test_chunk_parts_are_copied_where_they_cannot_be_linked(tmp_path: Path, small_chunks, monkeypatch):
    """A cache on another disk than the output folder: parts are copied both ways."""
    import os

    def no_link(src, dst):
        raise OSError(18, "Invalid cross-device link")

    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 30))
    fresh = run_pipeline([dump], tmp_path / "o0", jobs=1)
    monkeypatch.setattr(os, "link", no_link)
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    assert again.chunks_from_cache == len(_chunk_folders(cache)) >= 2
    assert fresh.n_groups == again.n_groups == 30
    assert _digests(tmp_path / "o0") == _digests(tmp_path / "o1") == _digests(tmp_path / "o2")
    assert all(p.stat().st_nlink == 1 for f in _chunk_folders(cache) for p in f.iterdir())


def test_pruning_removes_a_chunk_folder_whole(tmp_path: Path, small_chunks):
    import os

    from trajdiv._codec import unpack
    from trajdiv.pipeline._cachedir import cache_info, prune_cache

    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 40))
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    folders = _chunk_folders(cache)
    files = sum(len(list(f.iterdir())) for f in folders)
    info = cache_info(cache)
    assert info.files_by_kind["chunks"] == files
    assert info.bytes_by_kind["chunks"] == sum(p.stat().st_size for f in folders for p in f.iterdir())
    for age, f in enumerate(folders):  # the chunks used least recently, the entry for the folder
        os.utime(f / "chunk.entry", (1e9 + age, 1e9 + age))
        for part in f.glob("*.parquet"):
            os.utime(part, (2e9, 2e9))
    prune_cache(cache, info.total_bytes - info.bytes_by_kind["chunks"] // 2)
    left = [f for f in (cache / "chunks").glob("*/*") if f.is_dir()]
    assert 0 < len(left) < len(folders)
    for f in left:  # whole: the entry and every part it lists
        meta, _ = unpack((f / "chunk.entry").read_bytes(), key=f.name)
        assert all((f / file).is_file() for ps in meta["parts"].values() for file, _, _ in ps)
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    assert again.chunks_from_cache == len(left)
    assert _digests(tmp_path / "o1") == _digests(tmp_path / "o2")


def test_pruning_beside_another_pruning_stops_at_the_bound(tmp_path: Path, small_chunks, monkeypatch):
    """Two runs pruning one cache at once see the same entries: the entries the other run
    removed first count as removed, so together they stop at the bound instead of emptying it."""
    import trajdiv.pipeline._cachedir as cachedir

    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 40))
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)
    listing = cachedir._entries(cache)
    total = sum(e.size for e in listing)
    bound = total // 2
    cachedir.prune_cache(cache, bound)  # the other run, a moment earlier
    after_other = cachedir.cache_info(cache).total_bytes
    assert bound - total // 10 < after_other <= bound
    with monkeypatch.context() as m:
        m.setattr(cachedir, "_entries", lambda _: listing)  # this run listed before it
        freed = cachedir.prune_cache(cache, bound)
    left = cachedir.cache_info(cache).total_bytes
    assert left == after_other - freed
    assert left > bound - total // 10  # not emptied
    again = run_pipeline([dump], tmp_path / "o2", jobs=1, cache_dir=cache)
    assert _digests(tmp_path / "o1") == _digests(tmp_path / "o2")
    assert again.groups_from_cache + again.chunks_from_cache > 0


def test_spills_of_cached_parses_are_held_against_another_run_pruning(tmp_path: Path, monkeypatch):
    """Groups analysed again from cached parses read their spilled runs through links in the
    run's own folder: another run pruning the cache right after the check cannot remove them."""
    import trajdiv.pipeline._passes as passes
    from trajdiv.analysis._settings import Settings

    dump, cache = tmp_path / "dump", tmp_path / "cache"
    write_ac_dump(dump, "m", _tasks(0, 12))
    run_pipeline([dump], tmp_path / "o1", jobs=1, cache_dir=cache)  # parses kept, level verb
    fresh = run_pipeline([dump], tmp_path / "o0", Settings(level="exact"), jobs=1)
    checked = passes.damaged_files

    def pruned_meanwhile(refs, threads=4):
        out = checked(refs, threads)
        for spill in (cache / "sources").rglob("*.runs"):
            spill.unlink()  # the other run's pruning, right after this run checked its spills
        return out

    monkeypatch.setattr(passes, "damaged_files", pruned_meanwhile)
    again = run_pipeline([dump], tmp_path / "o2", Settings(level="exact"), jobs=1, cache_dir=cache)
    assert again.sources_from_cache == 12
    assert again.groups_from_cache == 0
    assert _digests(tmp_path / "o2") == _digests(tmp_path / "o0")
    assert fresh.n_groups == again.n_groups == 12
