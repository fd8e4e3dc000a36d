"""A digest of trajdiv's own code, part of every cache key: any upgrade or edit of the package
makes cached values a miss, never a stale answer."""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path
from typing import Protocol, TypeVar

import blake3

__all__ = [
    "blob_digest",
    "bytes_hash",
    "code_digest",
    "content_hash",
    "data_digest",
    "file_hash",
    "hash_file",
]


@functools.cache
def code_digest() -> bytes:
    """blake2b of the package version and of every source and data file of the package.

    Examples
    --------
    >>> len(code_digest())
    40
    """
    h = hashlib.blake2b(digest_size=20)
    try:
        version = metadata.version("trajdiv")
    except metadata.PackageNotFoundError:
        version = "unknown"
    h.update(version.encode())
    root = Path(__file__).resolve().parent
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".toml") and p.is_file()):
        rel = path.relative_to(root).as_posix().encode()
        data = path.read_bytes()
        for piece in (rel, data):
            h.update(len(piece).to_bytes(8, "little"))
            h.update(piece)
    return h.hexdigest().encode()


def content_hash() -> blake3.blake3:
    """The hash of file and cache-entry content: BLAKE3, a cryptographic hash whose SIMD code
    runs about four times the speed of SHA-256 here on the gigabytes of input a re-run hashes."""
    return blake3.blake3()


def data_digest(data: bytes) -> str:
    """The digest an output folder's ledger keeps of a file's content: ``b3:`` and
    :func:`content_hash`'s 40 hex digits.

    Examples
    --------
    >>> data_digest(b"run")[:11]
    'b3:a7fceeda'
    """
    h = content_hash()
    h.update(data)
    return "b3:" + h.hexdigest(length=20)


def blob_digest(data: bytes) -> str:
    """A run's identity: :func:`content_hash` of its bytes, 32 hex digits.

    Examples
    --------
    >>> blob_digest(b"run")
    'a7fceeda275f1d74d7dd05d0139905d2'
    """
    return bytes_hash(data)[:32]


def file_hash(path: Path) -> str:
    """:func:`content_hash` of a file, read in blocks."""
    return hash_file(content_hash(), path).hexdigest()


def bytes_hash(data: bytes) -> str:
    """:func:`file_hash` of content held in memory."""
    h = content_hash()
    h.update(data)
    return h.hexdigest()


class _Updatable(Protocol):
    def update(self, data: bytes, /) -> object: ...


_H = TypeVar("_H", bound=_Updatable)


def hash_file(h: _H, path: Path) -> _H:
    """``h`` updated with a file's content, read in blocks of 1 MB (a big file is never held
    whole)."""
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h
