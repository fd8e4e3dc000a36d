"""The groups of a changed chunk that are unchanged, taken from the chunk they were kept in.

A chunk changes when a group is added inside it (a new task between two others) or one of its
groups changes; its other groups are unchanged, and a kept chunk holds them together. Leaving
out every group the cache does not know gives the groups of the run before, and cutting those
into chunks gives that run's chunks (boundaries depend on the groups alone): each changed
chunk's known groups lie in one of them, since every boundary between known groups is a
boundary in both runs. That chunk's parts are read once, and each group's rows cut from them,
instead of reading each group's own entry.

Nothing here is trusted beyond what the chunk's entry proves: it is found under the key of its
groups, and :func:`~trajdiv.pipeline._chunks.chunk_groups` checks its groups and its parts' content
hashes. A chunk that is absent or does not prove itself leaves its groups to their own entries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trajdiv.pipeline._chunks import chunk_groups, chunk_key, chunk_path, split_chunks
from trajdiv.pipeline._entries import GroupOut

__all__ = ["EarlierChunks"]


class EarlierChunks:
    """The chunks of the run before that hold known groups of the chunks to be made again."""

    def __init__(
        self, cache_dir: Path | None, keyed: list[tuple[str, str, list[Any]]], todo: set[str], known: set[str]
    ) -> None:
        """``keyed``: every group (key, label, runs) in order; ``todo``: the keys of the groups
        of chunks not kept; ``known``: those of them that the cache holds."""
        self.cache_dir = cache_dir
        self.chunk_of: dict[str, int] = {}
        self.chunks: list[tuple[str, list[tuple[str, str]], list[str]]] = []
        self.loaded: dict[str, GroupOut] = {}
        self.failed: set[int] = set()
        if cache_dir is None or not todo:
            return
        earlier = [g for g in keyed if g[0] not in todo or g[0] in known]
        for chunk in split_chunks(earlier):
            keys = [k for k, _, _ in chunk]
            mine = [k for k in keys if k in todo]
            if not mine:
                continue
            ck = chunk_key(keys)
            path = chunk_path(cache_dir, ck)
            if path is None or not path.exists():
                continue
            self.chunks.append((ck, [(label, refs[0].group[1]) for _, label, refs in chunk], keys))
            for k in mine:
                self.chunk_of[k] = len(self.chunks) - 1

    @property
    def keys(self) -> set[str]:
        """The groups that may come from an earlier chunk (the others are read one by one)."""
        return set(self.chunk_of)

    def take(self, key: str) -> GroupOut | None:
        """The group's result with its frames from its earlier chunk, loaded at its first group
        (None when that chunk does not load: the group is read from its own entry)."""
        at = self.chunk_of.pop(key, None)
        if at is None or at in self.failed:
            return None
        if key not in self.loaded:
            ck, expected, keys = self.chunks[at]
            groups = chunk_groups(self.cache_dir, ck, expected)
            if groups is None:
                self.failed.add(at)
                return None
            self.loaded.update(
                (k, g) for k, g in zip(keys, groups, strict=True) if k in self.chunk_of or k == key
            )
        return self.loaded.pop(key, None)
