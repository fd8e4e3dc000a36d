"""Atomic file writes: a temporary name beside the target, renamed into place when complete."""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from trajdiv._digest import data_digest

__all__ = [
    "atomic_write_bytes",
    "atomic_write_pieces",
    "atomic_write_text",
    "read_bytes",
    "tmp_path",
    "update_text",
]


@functools.cache
def _file_mode() -> int:
    """The mode a new file gets under this process's umask (0644 under umask 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def tmp_path(path: Path) -> Path:
    """A new empty temporary file beside ``path`` (created, so the name is ours), with the mode
    the umask gives new files (``mkstemp`` alone would make every output 0600)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
    finally:
        os.close(fd)
    return Path(tmp)


_MADE: set[Path] = set()
"""Folders this process made or found already (thousands of cache entries share a few)."""


def _tmp_beside(path: Path) -> Path:
    """:func:`tmp_path`, making ``path``'s folder first when needed."""
    if path.parent not in _MADE:
        path.parent.mkdir(parents=True, exist_ok=True)
        _MADE.add(path.parent)
    try:
        return tmp_path(path)
    except FileNotFoundError:  # the folder was removed since
        path.parent.mkdir(parents=True, exist_ok=True)
        return tmp_path(path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to a temporary name beside `path`, then rename it into place."""
    tmp = _tmp_beside(path)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_pieces(path: Path, pieces: Iterable[str]) -> None:
    """:func:`atomic_write_text` of the concatenation of ``pieces``, each written as it comes (a
    big page is never held whole)."""
    tmp = _tmp_beside(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:  # newline="": written as given
            for piece in pieces:
                fh.write(piece)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_bytes(path: Path | str) -> bytes:
    """``Path(path).read_bytes()`` in fewer system calls (no buffered file object): re-runs read
    thousands of small cache entries and graph files."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        parts = [os.read(fd, os.fstat(fd).st_size + 1)]
        while parts[-1]:  # to the end of the file, however long it has grown
            parts.append(os.read(fd, 1 << 20))
        return b"".join(parts)
    finally:
        os.close(fd)


def update_text(path: Path, text: str) -> str:
    """:func:`atomic_write_text`, skipped when ``path`` holds exactly ``text`` already (a re-run
    rewrites only the files whose content changed). Returns the digest of the bytes now in
    ``path`` (:func:`~trajdiv._digest.data_digest`), so that nobody reads them again to know it."""
    data = text.encode("utf-8")
    try:
        if path.stat().st_size == len(data) and read_bytes(path) == data:
            return data_digest(data)
    except OSError:
        pass
    atomic_write_bytes(path, data)
    return data_digest(data)
