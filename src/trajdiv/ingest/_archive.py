"""Zip and tar archives: listed once, kept open per process, members read by position.

Members are addressed by their position in the archive's listing, never by name: names may
repeat (a zip with two ``a.json``; a tar with a file and a symlink of the same name), and a
name lookup would return the wrong one. An archive stays open in a small per-process cache,
so reading its members one after another neither re-parses a zip's directory nor
re-decompresses a tar.gz from its start (members are read in listing order).
"""

from __future__ import annotations

import lzma
import os
import tarfile
import zipfile
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import IO, Any

__all__ = ["MEMBER_READ_ERRORS", "ArchiveMember", "MemberError", "list_members", "read_member"]

_CHUNK = 1 << 20
_RATIO_CHECK_BYTES = 4 << 20
"""Decompressed bytes of one member after which its compression ratio is checked as it is read."""
MAX_RATIO = 200.0
"""Largest uncompressed / compressed size ratio of one member (a zip bomb is refused)."""

MEMBER_READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,  # bad CRC, header and directory names differ, truncated
    RuntimeError,  # encrypted member
    NotImplementedError,  # compression method zipfile lacks (deflate64, ...)
    zlib.error,  # corrupt deflate data
    lzma.LZMAError,
    EOFError,
    tarfile.TarError,
    KeyError,
    ValueError,
    OSError,
)
"""What reading a member of a damaged archive can raise."""


class MemberError(Exception):
    """An archive member that cannot be read; the message is the reason."""


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    """One entry of an archive's listing."""

    index: int
    name: str
    size: int
    """Uncompressed size from the archive's header."""
    compressed: int
    """Compressed size (zip), or -1 where the format does not say (tar)."""
    kind: str
    """``file``, ``dir`` or ``other`` (links, devices: never followed)."""


class _Open:
    def __init__(self, path: str) -> None:
        self.is_zip = zipfile.is_zipfile(path)
        self.handle: zipfile.ZipFile | tarfile.TarFile
        self.entries: list[Any]
        if self.is_zip:
            zf = zipfile.ZipFile(path)
            self.handle, self.entries = zf, zf.infolist()
        else:
            tf = tarfile.open(path, "r:*")  # noqa: SIM115 (kept open in the cache; closed on eviction)
            try:
                self.entries = tf.getmembers()
            except BaseException:
                tf.close()
                raise
            self.handle = tf

    def close(self) -> None:
        self.handle.close()


_CACHE: OrderedDict[tuple[str, int, int], _Open] = OrderedDict()
_CACHE_SIZE = 4


def _open(path: str) -> _Open:
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    got = _CACHE.get(key)
    if got is not None:
        _CACHE.move_to_end(key)
        return got
    got = _Open(path)
    _CACHE[key] = got
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)[1].close()
    return got


def list_members(path: str) -> list[ArchiveMember]:
    """The entries of a zip or tar archive, in archive order (raises what opening raises)."""
    arc = _open(path)
    out = []
    for i, e in enumerate(arc.entries):
        if arc.is_zip:
            kind = "dir" if e.is_dir() else "file"
            out.append(ArchiveMember(i, e.filename, e.file_size, e.compress_size, kind))
        else:
            kind = "dir" if e.isdir() else "file" if e.isfile() else "other"
            out.append(ArchiveMember(i, e.name, e.size, -1, kind))
    return out


def _raw_position(tf: tarfile.TarFile) -> int | None:
    """Bytes of the compressed archive consumed so far, where the decompressor tells."""
    fobj: Any = tf.fileobj
    raw = getattr(fobj, "fileobj", None) or getattr(fobj, "_fp", None)
    try:
        return int(raw.tell()) if raw is not None else None
    except (OSError, ValueError, AttributeError):
        return None


def read_member(path: str, index: int, n: int, exact: bool) -> bytes:
    """The first ``n`` bytes of member ``index`` (all of it, and exactly ``n``, when ``exact``).

    Raises :class:`MemberError` with the reason when the member cannot be read, is larger
    than its header says, or inflates faster than :data:`MAX_RATIO` as it is read.
    """
    try:
        arc = _open(path)
        entry = arc.entries[index]
        if arc.is_zip:
            assert isinstance(arc.handle, zipfile.ZipFile)
            with arc.handle.open(entry) as fh:
                return _read_stream(fh, n, exact, None, None)
        assert isinstance(arc.handle, tarfile.TarFile)
        if not entry.isfile():
            raise MemberError("links and special files in archives are not followed")
        fobj = arc.handle.extractfile(entry)
        if fobj is None:
            raise MemberError("not a regular file")
        with fobj:
            return _read_stream(fobj, n, exact, arc.handle, _raw_position(arc.handle))
    except MemberError:
        raise
    except MEMBER_READ_ERRORS as exc:
        _forget(path)
        raise MemberError(_reason(exc)) from None


def _read_stream(fh: IO[bytes], n: int, exact: bool, tf: tarfile.TarFile | None, raw0: int | None) -> bytes:
    chunks: list[bytes] = []
    got = 0
    want = n + 1 if exact else n
    while got < want:
        chunk = fh.read(min(_CHUNK, want - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
        if tf is not None and raw0 is not None and got >= _RATIO_CHECK_BYTES:
            raw = _raw_position(tf)
            if raw is not None and got / max(raw - raw0, 1) > MAX_RATIO:
                raise MemberError(
                    f"member inflates more than {MAX_RATIO:.0f}:1 as it is read; refused as a bomb"
                )
    if exact and got > n:
        raise MemberError("member is larger than its header says")
    if exact and got < n:
        raise MemberError("member is shorter than its header says (truncated archive)")
    return b"".join(chunks)


def _forget(path: str) -> None:
    """Close and drop a cached archive after an error (its stream state is unknown)."""
    real = os.path.realpath(path)
    for key in [k for k in _CACHE if k[0] == real]:
        _CACHE.pop(key).close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "encrypted member (password required); not read"
    if isinstance(exc, NotImplementedError):
        return f"compression method not supported: {exc}"
    if isinstance(exc, zlib.error | lzma.LZMAError):
        return f"corrupt compressed data: {exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read: {exc.strerror}"
    return f"cannot read member: {type(exc).__name__}: {exc}"
