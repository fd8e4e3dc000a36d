"""Content hashes of input files, remembered by what the file system says of each file.

A re-run finds each input file's parse in the cache by the hash of its content, which means
reading every file again: most of a re-run's time on a big corpus. The hash is remembered with
the file's identity as ``stat`` gives it (path, device, inode, size, modification and change
times, to the nanosecond); while the file system reports exactly that identity, the file is not
read again. This is the test ``git`` and ``make`` trust, made strict in three ways:

* the change time is part of it: writing a file, or setting its times back, sets its change
  time to the present (no system call sets it to anything else);
* a hash taken less than :data:`SETTLE_NS` after the file last changed is not remembered: a
  second change within the file system's clock tick would leave every time as it was (the
  "racy" case of ``git``'s index);
* nothing is remembered on a file system that reports no change time (0).

An entry that is damaged, or that describes another identity, is a miss: the file is hashed
again.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from trajdiv._codec import CacheMiss, pack, unpack
from trajdiv._digest import bytes_hash, code_digest
from trajdiv._io import atomic_write_bytes, read_bytes
from trajdiv.pipeline._cachedir import touch

__all__ = ["SETTLE_NS", "known_hash", "remembered_hash"]

SETTLE_NS = 5_000_000_000
"""A file's hash is remembered only when the file was last changed at least this long (5 s)
before it was hashed."""


def _identity(path: str, st: os.stat_result) -> str:
    return "\0".join(
        [
            os.path.abspath(path),
            *(str(v) for v in (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)),
        ]
    )


def _entry_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "hashes" / key[:2] / f"{key}.hash"


def remembered_hash(cache_dir: Path, path: str) -> str | None:
    """The content hash of the plain file at ``path`` remembered in ``cache_dir`` for the file's
    present identity; None when there is none (the file is not read)."""
    try:
        return _remembered(cache_dir, path, os.stat(path))[0]
    except OSError:
        return None


def _remembered(cache_dir: Path, path: str, st: os.stat_result) -> tuple[str | None, str, str]:
    """The hash remembered for identity ``st`` of ``path`` (None: none), the identity, and the
    key of the entry that holds it or would."""
    ident = _identity(path, st)
    key = bytes_hash(code_digest() + ident.encode("utf-8", "surrogatepass"))[:40]  # as every key
    entry = _entry_path(cache_dir, key)
    try:
        meta, _ = unpack(read_bytes(entry), key=key)
        if meta["identity"] == ident and isinstance(meta["hash"], str):
            touch(entry)
            return meta["hash"], ident, key
    except (OSError, CacheMiss, KeyError, TypeError):
        pass
    return None, ident, key


def known_hash(cache_dir: Path, path: str, digest: Callable[[], str | None]) -> str | None:
    """The content hash of the plain file at ``path``: remembered in ``cache_dir`` for the
    file's present identity, else ``digest()`` (which reads the file), remembered when the file
    held still while it was read and had been still for :data:`SETTLE_NS` before."""
    try:
        before = os.stat(path)
    except OSError:
        return digest()  # unreadable now: ``digest`` says so its own way
    value, ident, key = _remembered(cache_dir, path, before)
    if value is not None:
        return value
    started = time.time_ns()
    value = digest()
    if value is None:
        return None
    try:
        after = os.stat(path)
    except OSError:
        return value
    settled = before.st_ctime_ns > 0 and started - max(before.st_mtime_ns, before.st_ctime_ns) >= SETTLE_NS
    if settled and _identity(path, after) == ident:
        # a cache that cannot be written costs the next run time, nothing else
        with contextlib.suppress(OSError):
            atomic_write_bytes(_entry_path(cache_dir, key), pack({"identity": ident, "hash": value}, key=key))
    return value
