"""Cache and spill entries as data, never code: a JSON header, binary parts (Arrow IPC for
tables, JSON for runs) and a checksum over all of it and the entry's key.

Nothing here unpickles: an entry written by another user of a shared cache folder, by another
version, damaged on disk, or whole but found under another key (copied or moved there) can only
fail its checks and be recomputed (:class:`CacheMiss`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trajdiv._digest import content_hash
from trajdiv.model import Run

if TYPE_CHECKING:  # polars is imported where tables are: the token cache uses entries only
    import polars as pl

__all__ = [
    "CacheMiss",
    "frame_from_bytes",
    "frame_to_bytes",
    "pack",
    "run_from_bytes",
    "run_to_bytes",
    "unpack",
]

_MAGIC = b"TRAJDIV-ENTRY-4\n"


class CacheMiss(Exception):  # noqa: N818 (a miss, not an error: the value is recomputed)
    """A cache or spill entry that is absent, damaged, foreign or from another version."""


def _digest(key: str, header: bytes, parts: list[bytes]) -> str:
    h = content_hash()
    for piece in (key.encode("utf-8", "surrogatepass"), header, *parts):
        h.update(len(piece).to_bytes(8, "little"))
        h.update(piece)
    return h.hexdigest()[:40]


def pack(meta: Mapping[str, Any], parts: Mapping[str, bytes] | None = None, *, key: str) -> bytes:
    """One entry: ``meta`` (JSON-serialisable) and named binary ``parts``, with a checksum that
    covers ``key`` too (what the entry is stored under: :func:`unpack` refuses it elsewhere).

    Examples
    --------
    >>> meta, parts = unpack(pack({"a": 1}, {"x": b"\\x00\\x01"}, key="k1"), key="k1")
    >>> meta, parts
    ({'a': 1}, {'x': b'\\x00\\x01'})
    >>> unpack(pack({"a": 1}, key="k1"), key="k2")
    Traceback (most recent call last):
    trajdiv._codec.CacheMiss: checksum mismatch (damaged, or an entry of another key)
    """
    names = sorted(parts or {})
    blobs = [(parts or {})[n] for n in names]
    header = json.dumps(
        {"meta": meta, "parts": [[n, len(b)] for n, b in zip(names, blobs, strict=True)]}
    ).encode()
    digest = _digest(key, header, blobs).encode()
    return b"".join([_MAGIC, len(header).to_bytes(8, "little"), header, digest, *blobs])


def unpack(data: bytes, *, key: str) -> tuple[Any, dict[str, bytes]]:
    """Inverse of :func:`pack` for an entry stored under ``key``; raises :class:`CacheMiss` on
    anything unexpected, an entry of another key included."""
    try:
        if not data.startswith(_MAGIC):
            raise CacheMiss("not a trajdiv cache entry")
        pos = len(_MAGIC)
        n = int.from_bytes(data[pos : pos + 8], "little")
        header = data[pos + 8 : pos + 8 + n]
        digest = data[pos + 8 + n : pos + 8 + n + 40]
        pos = pos + 8 + n + 40
        head = json.loads(header)
        blobs, names = [], []
        for name, size in head["parts"]:
            blobs.append(data[pos : pos + size])
            names.append(str(name))
            pos += size
        if pos != len(data) or _digest(key, header, blobs).encode() != digest:
            raise CacheMiss("checksum mismatch (damaged, or an entry of another key)")
        return head["meta"], dict(zip(names, blobs, strict=True))
    except CacheMiss:
        raise
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise CacheMiss(f"damaged entry: {exc}") from None


def frame_to_bytes(df: pl.DataFrame) -> bytes:
    """A table as Arrow IPC stream bytes (the stream format reads back an order of magnitude
    faster than the file format for the small tables of one group)."""
    buf = io.BytesIO()
    df.write_ipc_stream(buf, compression="uncompressed")
    return buf.getvalue()


def frame_from_bytes(data: bytes) -> pl.DataFrame:
    """Inverse of :func:`frame_to_bytes`; raises :class:`CacheMiss` when the bytes are not one."""
    import polars as pl

    try:
        return pl.read_ipc_stream(io.BytesIO(data))
    except Exception as exc:  # polars raises several types for damaged IPC
        raise CacheMiss(f"damaged table: {type(exc).__name__}") from None


def run_to_bytes(run: Run) -> bytes:
    """A run as JSON bytes (:meth:`Run.to_dict`)."""
    return json.dumps(run.to_dict(), ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )


def run_from_bytes(data: bytes) -> Run:
    """Inverse of :func:`run_to_bytes`; raises :class:`CacheMiss` on damaged bytes."""
    try:
        return Run.from_dict(json.loads(data.decode("utf-8", "surrogatepass")))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise CacheMiss(f"damaged run: {exc}") from None
