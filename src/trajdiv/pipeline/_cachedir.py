"""The cache folder as a whole: what it holds, clearing it, and keeping it under a size bound."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from trajdiv._errors import UsageError

__all__ = ["KINDS", "CacheInfo", "cache_info", "clear_cache", "parse_size", "prune_cache", "touch"]

KINDS = {
    "sources": "parsed files",
    "tokens": "token ids",
    "groups": "group results",
    "chunks": "table chunks",
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


def _entries(cache_dir: Path) -> list[tuple[str, Path, os.stat_result]]:
    out = []
    for kind in KINDS:
        for dirpath, _, names in os.walk(cache_dir / kind):
            for name in names:
                path = Path(dirpath) / name
                try:
                    out.append((kind, path, path.stat()))
                except OSError:
                    continue
    return out


def cache_info(cache_dir: Path) -> CacheInfo:
    """What ``cache_dir`` holds, per kind."""
    by_bytes = dict.fromkeys(KINDS, 0)
    by_files = dict.fromkeys(KINDS, 0)
    for kind, _, st in _entries(cache_dir):
        by_bytes[kind] += st.st_size
        by_files[kind] += 1
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


def prune_cache(cache_dir: Path, max_bytes: int) -> int:
    """Remove the least recently used entries until ``cache_dir`` holds at most ``max_bytes``;
    returns the bytes freed. A parsed file's index and its spilled runs go together."""
    entries = sorted(_entries(cache_dir), key=lambda e: (e[2].st_mtime_ns, str(e[1])))
    total = sum(st.st_size for _, _, st in entries)
    freed = 0
    for _, path, st in entries:
        if total - freed <= max_bytes:
            break
        try:
            path.unlink()
            freed += st.st_size
            if path.suffix == ".idx":  # its runs are useless without it
                runs = path.with_suffix(".runs")
                if runs.exists():
                    freed += runs.stat().st_size
                    runs.unlink()
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
