"""The cache folder as a whole: what it holds, clearing it, and keeping it under a size bound."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from trajdiv._errors import UsageError

__all__ = [
    "KINDS",
    "CacheInfo",
    "cache_info",
    "clear_cache",
    "hold_files",
    "parse_size",
    "prune_cache",
    "touch",
]

KINDS = {
    "sources": "parsed files",
    "tokens": "token ids",
    "groups": "group results",
    "chunks": "table chunks",
    "across": "graphs across configurations",
    "hashes": "file hashes by identity",
}
"""The subfolders trajdiv keeps in a cache folder; nothing else there is ever touched."""


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """Size and entries of a cache folder."""

    location: Path
    bytes_by_kind: dict[str, int]
    files_by_kind: dict[str, int]

    @property
    def total_bytes(self) -> int:
        """Bytes in all of trajdiv's subfolders."""
        return sum(self.bytes_by_kind.values())


@dataclass(frozen=True, slots=True)
class _Unit:
    """What pruning keeps or removes whole: a file, or a chunk's folder (:mod:`._chunks`)."""

    kind: str
    path: Path
    size: int
    files: int
    used_ns: int
    """When it was last used: the file's time, or the chunk entry's."""


def _entries(cache_dir: Path) -> list[_Unit]:
    out = []
    for kind in KINDS:
        for dirpath, dirs, names in os.walk(cache_dir / kind):
            here = Path(dirpath)
            if kind == "chunks" and here.parent != cache_dir / kind and here != cache_dir / kind:
                out.append(_folder(kind, here, names))
                dirs.clear()
                continue
            for name in names:
                path = here / name
                try:
                    st = path.stat()
                except OSError:
                    continue
                out.append(_Unit(kind, path, st.st_size, 1, st.st_mtime_ns))
    return out


def _folder(kind: str, folder: Path, names: list[str]) -> _Unit:
    """A chunk's folder as one unit, last used when its entry was."""
    size, newest, entry = 0, 0, None
    for name in names:
        try:
            st = (folder / name).stat()
        except OSError:
            continue
        size += st.st_size
        newest = max(newest, st.st_mtime_ns)
        if name == "chunk.entry":  # _chunks._ENTRY
            entry = st.st_mtime_ns
    return _Unit(kind, folder, size, len(names), newest if entry is None else entry)


def cache_info(cache_dir: Path) -> CacheInfo:
    """What ``cache_dir`` holds, per kind."""
    by_bytes = dict.fromkeys(KINDS, 0)
    by_files = dict.fromkeys(KINDS, 0)
    for unit in _entries(cache_dir):
        by_bytes[unit.kind] += unit.size
        by_files[unit.kind] += unit.files
    return CacheInfo(cache_dir, by_bytes, by_files)


def clear_cache(cache_dir: Path) -> int:
    """Remove trajdiv's subfolders of ``cache_dir``; returns the bytes freed."""
    freed = cache_info(cache_dir).total_bytes
    for kind in KINDS:
        shutil.rmtree(cache_dir / kind, ignore_errors=True)
    return freed


def touch(path: Path) -> None:
    """Mark a cache entry as just used (pruning removes the least recently used first)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def hold_files(paths: set[str], folder: Path) -> dict[str, str]:
    """Second names in ``folder`` (a run's own) for cache files the run is about to read, so
    that another run pruning the cache meanwhile cannot remove them under it: each path that
    could be linked, to its link. A file gone already is left out (its reader finds it missing
    and makes it again); on another disk, where links fail, files are read where they are."""
    held = {}
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(paths):
        if Path(path).parent == folder:  # held already
            held[path] = path
            continue
        link = folder / (
            hashlib.blake2b(path.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest() + ".runs"
        )
        try:
            if not link.exists():
                os.link(path, link)
        except OSError:
            continue
        held[path] = str(link)
    return held


def prune_cache(cache_dir: Path, max_bytes: int) -> int:
    """Remove the least recently used entries until ``cache_dir`` holds at most ``max_bytes``;
    returns the bytes freed. A parsed file's index and its spilled runs go together. An entry
    already gone (another run pruning the same cache) counts as removed, so runs pruning side
    by side stop at the bound instead of emptying the cache."""
    entries = sorted(_entries(cache_dir), key=lambda e: (e.used_ns, str(e.path)))
    total = sum(e.size for e in entries)
    freed = gone = 0
    listed = {e.path: e.size for e in entries}
    done: set[Path] = set()
    for e in entries:
        if total - freed - gone <= max_bytes:
            break
        path = e.path
        if path in done:  # the spilled runs of an index removed here
            continue
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            done.add(path)
            freed += e.size
            runs = path.with_suffix(".runs")
            if path.suffix == ".idx" and runs not in done:  # its runs are useless without it
                done.add(runs)
                try:
                    size = runs.stat().st_size
                    runs.unlink()
                    freed += size
                except FileNotFoundError:
                    gone += listed.get(runs, 0)
        except FileNotFoundError:
            gone += e.size
        except OSError:
            continue
    return freed


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes from ``500M``, ``2G``, ``1.5GB``, ``1024`` (powers of 1024).

    Examples
    --------
    >>> parse_size("2G"), parse_size("500M"), parse_size("1024")
    (2147483648, 524288000, 1024)
    """
    m = _SIZE.match(text)
    if not m:
        raise UsageError(f"cannot read {text!r} as a size (examples: 500M, 2G)")
    scale = 1024 ** " KMGT".index(m.group(2).upper() or " ")
    return int(float(m.group(1)) * scale)
