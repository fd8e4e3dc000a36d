"""Chunks of consecutive groups whose table parts are cached together.

A re-run after new runs arrive reads most groups from the cache; reading each group's tables and
joining them again cost more than analysing the new groups. So groups go to the tables in
chunks, and a chunk's parts (the uncompressed Parquet files the sink joins at the end) are kept
under ``<cache>/chunks/`` with what the run needs of each group besides its tables (manifest
counts, graph texts). A chunk whose groups are all unchanged is placed as it is.

Chunk boundaries depend on the groups' keys alone (content-defined, as in rsync or restic): a
group ends a chunk when its key, read as a number, is a multiple of :data:`CHUNK_GROUPS`.
Adding a group therefore changes the chunk it falls into and no other. Every run, with a cache
or without, cuts its parts at the same boundaries, so the tables are the same bytes either way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from trajdiv._codec import CacheMiss, pack, unpack
from trajdiv._io import atomic_write_bytes
from trajdiv.pipeline._cachedir import touch
from trajdiv.pipeline._entries import VERSION, GroupOut, group_from_meta, group_meta
from trajdiv.pipeline._sink import Part, TableSink

__all__ = ["CHUNK_GROUPS", "chunk_key", "chunk_path", "load_chunk", "split_chunks", "store_chunk"]

CHUNK_GROUPS = 16
"""Groups per chunk on average."""

T = TypeVar("T", bound=tuple[Any, ...])

MAX_CHUNK_BYTES = 64 << 20
"""A chunk whose parts are larger is not kept (reading it back would hold it in memory); its
groups are read one by one, as from a cache without chunks."""


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
    return Path(cache_dir) / "chunks" / key[:2] / f"{key}.entry" if cache_dir else None


def store_chunk(
    cache_dir: str | Path | None, key: str, groups: list[GroupOut], parts: dict[str, list[Part]]
) -> None:
    """Keep a chunk: each group's result but its tables, and the chunk's parts."""
    path = chunk_path(cache_dir, key)
    if path is None:
        return
    if sum(p.stat().st_size for ps in parts.values() for p, _ in ps) > MAX_CHUNK_BYTES:
        return
    meta = {
        "groups": [group_meta(g) for g in groups],
        "parts": {name: [rows for _, rows in ps] for name, ps in parts.items()},
    }
    blobs = {_blob_name(name, i): p.read_bytes() for name, ps in parts.items() for i, (p, _) in enumerate(ps)}
    atomic_write_bytes(path, pack(meta, blobs))


def _blob_name(table: str, i: int) -> str:
    return f"{table}/{i:06d}"


def load_chunk(
    cache_dir: str | Path | None, key: str, sink: TableSink, expected: list[tuple[str, str]]
) -> list[GroupOut] | None:
    """A kept chunk's groups (their results but tables), its parts placed in ``sink``; None when
    absent, damaged, foreign or not of the ``expected`` groups (configuration, task) in order:
    nothing is placed then, and its groups are read or analysed one by one."""
    path = chunk_path(cache_dir, key)
    if path is None:
        return None
    try:
        meta, blobs = unpack(path.read_bytes())
        groups = [group_from_meta(g, {}) for g in meta["groups"]]
        if [(g.result.config, g.result.task_id) for g in groups] != expected:
            raise CacheMiss("the chunk holds other groups")
        parts = [
            (_blob_name(name, i), str(name), int(rows))
            for name, ps in meta["parts"].items()
            for i, rows in enumerate(ps)
        ]
        if sorted(blobs) != sorted(blob for blob, _, _ in parts):
            raise CacheMiss("parts do not match the chunk's list")
    except (OSError, CacheMiss, KeyError, TypeError, ValueError, AttributeError):
        return None
    for blob, name, rows in parts:
        sink.add_part(name, blobs.pop(blob), rows)
    touch(path)
    return groups
