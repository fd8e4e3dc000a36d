"""Chunks of consecutive groups whose table parts are cached together.

A re-run after new runs arrive reads most groups from the cache; reading each group's tables and
joining them again cost more than analysing the new groups. So groups go to the tables in
chunks, and a chunk's parts (the uncompressed Parquet files the sink joins at the end) are kept
in a folder under ``<cache>/chunks/``, one file each, linked rather than copied where the cache
and the output folder share a disk, with an entry holding what the run needs of each group
besides its tables (manifest counts, graph texts) and each part's content hash. A chunk whose
groups are all unchanged is placed as it is.

Chunk boundaries depend on the groups' keys alone (content-defined, as in rsync or restic): a
group ends a chunk when its key, read as a number, is a multiple of :data:`CHUNK_GROUPS`.
Adding a group therefore changes the chunk it falls into (split in two when the new key is a
boundary) and no other. Every run, with a cache or without, cuts its parts at the same
boundaries, so the tables are the same bytes either way.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from trajdiv._codec import CacheMiss, pack, unpack
from trajdiv._digest import bytes_hash, code_digest, content_hash, file_hash
from trajdiv.pipeline._cachedir import touch
from trajdiv.pipeline._entries import VERSION, GroupOut, group_from_meta, group_meta
from trajdiv.pipeline._sink import Part, TableSink
from trajdiv.tables import frame

__all__ = [
    "CHUNK_GROUPS",
    "across_path",
    "cached_across",
    "chunk_groups",
    "chunk_key",
    "chunk_path",
    "load_chunk",
    "split_chunks",
    "store_chunk",
]

CHUNK_GROUPS = 16
"""Groups per chunk on average."""

T = TypeVar("T", bound=tuple[Any, ...])

MAX_CHUNK_BYTES = 64 << 20
"""A chunk whose parts are larger is not kept (reading it back would hold it in memory); its
groups are read one by one, as from a cache without chunks."""

MAX_REUSE_BYTES = 16 << 20
"""An earlier chunk whose parts are larger is not read whole to take groups from
(:func:`chunk_groups` holds its tables in memory, several times the parts' size for repetitive
text); its groups are read one by one."""


def split_chunks(keyed: list[T]) -> list[list[T]]:
    """``keyed`` (items whose first element is a group's hex key) cut after every item whose key
    is a multiple of :data:`CHUNK_GROUPS`.

    >>> [len(c) for c in split_chunks([("10",), ("01",), ("20",), ("33",)])]
    [1, 2, 1]
    """
    chunks: list[list[T]] = []
    current: list[T] = []
    for item in keyed:
        current.append(item)
        if int(str(item[0])[:8], 16) % CHUNK_GROUPS == 0:
            chunks.append(current)
            current = []
    if current:
        chunks.append(current)
    return chunks


def chunk_key(group_keys: list[str]) -> str:
    """A chunk's cache key: its groups' keys in order, and the Parquet writer's version (a part
    is placed as the bytes it wrote)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(VERSION + b"/chunk/" + pl.__version__.encode())
    for key in group_keys:
        h.update(b"\0" + key.encode())
    return h.hexdigest()


def chunk_path(cache_dir: str | Path | None, key: str) -> Path | None:
    """A kept chunk's folder: its entry (:data:`_ENTRY`) and its parts, one file each."""
    return Path(cache_dir) / "chunks" / key[:2] / key if cache_dir else None


_ENTRY = "chunk.entry"
"""A chunk folder's entry: each group's result but its tables, and each part's file, rows and
content hash."""

_PART_NAME = re.compile(r"^[0-9]{6}\.parquet$")


def store_chunk(
    cache_dir: str | Path | None, key: str, groups: list[GroupOut], parts: dict[str, list[Part]]
) -> None:
    """Keep a chunk: each group's result but its tables, and the chunk's parts as files, linked
    (not copied) from the sink's when the cache is on the same disk. The folder is made aside
    and renamed into place, so a chunk folder is whole or absent."""
    folder = chunk_path(cache_dir, key)
    if folder is None:
        return
    if sum(p.stat().st_size for ps in parts.values() for p, _ in ps) > MAX_CHUNK_BYTES:
        return
    listed: dict[str, list[list[Any]]] = {}
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        made = Path(tempfile.mkdtemp(prefix=".made-", dir=folder.parent))
    except OSError:
        return
    try:
        numbered = enumerate((name, part, rows) for name, ps in parts.items() for part, rows in ps)
        for i, (name, part, rows) in numbered:
            file = f"{i:06d}.parquet"
            _link_or_copy(part, made / file)
            listed.setdefault(name, []).append([file, rows, file_hash(made / file)])
        texts: dict[str, bytes] = {}
        meta = {"groups": [group_meta(g, texts, f"{i}/") for i, g in enumerate(groups)], "parts": listed}
        (made / _ENTRY).write_bytes(pack(meta, texts, key=key))
        if folder.exists():  # damaged (it was not placed): replaced
            shutil.rmtree(folder, ignore_errors=True)
        os.rename(made, folder)
    except OSError:  # another run kept it meanwhile, or the disk is full: not kept
        shutil.rmtree(made, ignore_errors=True)


def load_chunk(
    cache_dir: str | Path | None, key: str, sink: TableSink, expected: list[tuple[str, str]]
) -> list[GroupOut] | None:
    """A kept chunk's groups (their results but tables), its parts placed in ``sink``; None when
    absent, damaged, foreign or not of the ``expected`` groups (configuration, task) in order:
    nothing is placed then, and its groups are read or analysed one by one.

    Each part is linked into the sink's folder first and its content hash checked there, so
    the bytes checked are the bytes the tables are made of."""
    folder = chunk_path(cache_dir, key)
    if folder is None:
        return None
    placed: list[tuple[str, Path, int]] = []
    staged: list[Path] = []
    try:
        meta, groups = _entry(folder, key, expected)
        for name, ps in meta["parts"].items():
            for file, rows, digest in ps:
                here = sink.staging()
                staged.append(here)
                _link_or_copy(folder / file, here)
                if file_hash(here) != digest:
                    raise CacheMiss("a part of other content")
                placed.append((str(name), here, int(rows)))
    except (OSError, CacheMiss, KeyError, TypeError, ValueError, AttributeError):
        for path in staged:
            path.unlink(missing_ok=True)
        return None
    for name, path, rows in placed:
        sink.add_part(name, path, rows)
    touch(folder / _ENTRY)
    return groups


def chunk_groups(
    cache_dir: str | Path | None, key: str, expected: list[tuple[str, str]]
) -> list[GroupOut] | None:
    """A kept chunk's groups with their tables as frames, each group's rows cut from the chunk's
    parts (a changed chunk takes its unchanged groups from the chunk they were kept in, reading
    its parts rather than every group's own entry); None when absent, damaged, foreign, not of
    the ``expected`` groups, or kept without each group's rows. Each part's bytes are read once,
    checked against its content hash, and read as a table from those bytes."""
    folder = chunk_path(cache_dir, key)
    if folder is None:
        return None
    try:
        meta, groups = _entry(folder, key, expected)
        if not all(g.rows for g in groups):
            raise CacheMiss("a chunk without each group's rows")
        if sum((folder / p[0]).stat().st_size for ps in meta["parts"].values() for p in ps) > MAX_REUSE_BYTES:
            raise CacheMiss("a chunk too big to hold whole")
        tables = {}
        for name, ps in meta["parts"].items():
            frames = []
            for file, _, digest in ps:
                data = (folder / file).read_bytes()
                if bytes_hash(data) != digest:
                    raise CacheMiss("a part of other content")
                frames.append(pl.read_parquet(io.BytesIO(data)))
            tables[str(name)] = pl.concat(frames, how="vertical") if frames else None
        for name in sorted({n for g in groups for n in g.rows}):
            df, at, empty = tables.get(name), 0, frame(name, [])
            if df is not None and df.schema != empty.schema:
                raise CacheMiss(f"table {name}: a part of another schema")
            for g in groups:
                n = g.rows.get(name)
                if n is not None:
                    g.frames[name] = empty if df is None and n == 0 else _rows_of(df, at, n)
                    at += n
            if at != (0 if df is None else df.height):
                raise CacheMiss(f"table {name}: the parts hold other rows")
    except (OSError, CacheMiss, KeyError, TypeError, ValueError, AttributeError, pl.exceptions.PolarsError):
        return None
    touch(folder / _ENTRY)
    return groups


def _entry(folder: Path, key: str, expected: list[tuple[str, str]]) -> tuple[Any, list[GroupOut]]:
    """A chunk folder's entry and its groups (results but tables), checked to be the ``expected``
    groups in order and to name only part files of its own; raises :class:`CacheMiss`."""
    meta, texts = unpack((folder / _ENTRY).read_bytes(), key=key)
    groups = [group_from_meta(g, {}, texts, f"{i}/") for i, g in enumerate(meta["groups"])]
    if [(g.result.config, g.result.task_id) for g in groups] != expected:
        raise CacheMiss("the chunk holds other groups")
    for ps in meta["parts"].values():
        if not all(isinstance(p[0], str) and _PART_NAME.match(p[0]) for p in ps):
            raise CacheMiss("a part of another name")
    return meta, groups


def _rows_of(df: pl.DataFrame | None, start: int, n: int) -> pl.DataFrame:
    if df is None or start + n > df.height:
        raise CacheMiss("the parts hold fewer rows")
    return df.slice(start, n)


def _link_or_copy(src: Path, dst: Path) -> None:
    """``dst`` as a second name of ``src`` (no bytes copied), else a copy (another disk)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def across_path(cache_dir: str | Path | None, made: list[Any]) -> Path | None:
    """Where a graph across configurations is kept: under a hash of the runs it is made of."""
    if cache_dir is None:
        return None
    h = content_hash()
    h.update(VERSION + code_digest() + b"/across/")
    h.update(json.dumps(made, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    key = h.hexdigest()[:40]
    return Path(cache_dir) / "across" / key[:2] / f"{key}.entry"


def cached_across(path: Path | None) -> tuple[str, str] | None:
    """A kept graph across configurations as (JSON, GraphML) text; None when absent, damaged or
    foreign."""
    if path is None:
        return None
    try:
        meta, _ = unpack(path.read_bytes(), key=path.stem)
        texts = meta["json"], meta["graphml"]
    except (OSError, CacheMiss, KeyError, TypeError):
        return None
    if not all(isinstance(t, str) for t in texts):
        return None
    touch(path)
    return texts
