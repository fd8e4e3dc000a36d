"""Input files, wherever they live (a folder or an archive member), and safe JSON loading."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import IO, Any

from trajdiv._errors import InputError
from trajdiv.ingest._archive import MemberError, read_member

__all__ = ["MAX_FILE_BYTES", "Source", "load_json", "load_json_lines", "load_numbered_json_lines"]

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest single input file trajdiv will read (bytes); larger files are skipped with a reason."""

HEAD_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Source:
    """One input file: on disk, or a member of a ``.zip`` / ``.tar.gz`` archive.

    Picklable, so worker processes can open it themselves (or, on another machine, read the
    content it carries: :meth:`carrying_data`).
    """

    display: str
    """The name shown in messages and the manifest (``archive.zip!dir/file.json`` for members)."""
    parts: tuple[str, ...]
    """Path components from the input argument down to the file, used to derive names."""
    size: int
    """Size in bytes (uncompressed for archive members)."""
    fs_path: str | None = None
    """Path on disk for a plain file."""
    archive: str | None = None
    """Archive on disk holding the member."""
    member: str | None = None
    """Member name inside ``archive``."""
    index: int = -1
    """Position of the member in the archive's listing (names may repeat; positions do not)."""
    data: bytes | None = field(default=None, repr=False, compare=False)
    """The content, when it travels with the source (to a worker without this machine's disk)."""

    @property
    def name(self) -> str:
        """File name without folders."""
        return self.parts[-1]

    @property
    def folder_parts(self) -> tuple[str, ...]:
        """The folders above the file, outermost first."""
        return self.parts[:-1]

    def read_bytes(self) -> bytes:
        """The whole content; raises :class:`InputError` if it cannot be read."""
        if self.size > MAX_FILE_BYTES:
            raise InputError(self.display, f"file is {self.size} bytes, over the {MAX_FILE_BYTES} limit")
        return self._read(self.size, exact=True)

    def head(self, n: int = HEAD_BYTES) -> bytes:
        """The first ``n`` bytes (for format detection)."""
        return self._read(min(n, self.size), exact=False)

    def open(self) -> IO[bytes]:
        """The content as a binary stream (a plain file is read as it goes; an archive member
        or carried content is held in memory). Raises :class:`InputError` if it cannot be read."""
        if self.data is None and self.fs_path is not None:
            if self.size > MAX_FILE_BYTES:
                raise InputError(self.display, f"file is {self.size} bytes, over the {MAX_FILE_BYTES} limit")
            try:
                return open(self.fs_path, "rb")
            except OSError as exc:
                raise InputError(self.display, f"cannot read: {exc.strerror or exc}") from None
        return io.BytesIO(self.read_bytes())

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The content in pieces of ``size`` bytes (for hashing without holding it whole)."""
        with self.open() as fh:
            while chunk := fh.read(size):
                yield chunk

    def carrying_data(self) -> Source:
        """This source with its content read into it and no path to open: what a worker on
        another machine can read. Raises :class:`InputError` if the content cannot be read."""
        return replace(self, fs_path=None, data=self.read_bytes())

    def _read(self, n: int, exact: bool) -> bytes:
        if self.data is not None:
            return self.data if exact else self.data[:n]
        try:
            if self.fs_path is not None:
                with open(self.fs_path, "rb") as fh:
                    return fh.read(n) if not exact else fh.read()
            assert self.archive is not None
            return read_member(self.archive, self.index, n, exact)
        except InputError:
            raise
        except MemberError as exc:
            raise InputError(self.display, str(exc)) from None
        except OSError as exc:
            raise InputError(self.display, f"cannot read: {exc.strerror or exc}") from None

    def sibling_key(self) -> str:
        """A stable identity for the file's folder (for grouping side files with data files)."""
        base = self.archive or ""
        return base + "!" + "/".join(self.folder_parts)


def _decode(data: bytes, display: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(display, "not valid UTF-16 text despite its byte-order mark") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(display, f"not UTF-8 text (invalid byte at offset {exc.start})") from None


def load_json(source: Source) -> Any:
    """Parse a JSON file; every failure becomes an :class:`InputError` naming the file."""
    data = source.read_bytes()
    if not data.strip():
        raise InputError(source.display, "empty file")
    text = _decode(data, source.display)
    del data  # the bytes go before the parsed value is built
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            source.display, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        # CPython's decoder refuses nesting past the interpreter's recursion limit
        raise InputError(source.display, "JSON nested too deeply to read") from None


def load_json_lines(source: Source) -> list[Any]:
    """Parse a JSON Lines file (one JSON value a line, blank lines allowed)."""
    return [value for _, value in load_numbered_json_lines(source)]


def load_numbered_json_lines(source: Source) -> list[tuple[int, Any]]:
    """``(line number, value)`` of each non-blank line of a JSON Lines file."""
    data = source.read_bytes()
    if not data.strip():
        raise InputError(source.display, "empty file")
    text = _decode(data, source.display)
    del data
    out: list[tuple[int, Any]] = []
    # JSON Lines separates records by "\n" only; str.splitlines would also split on U+2028
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            out.append((lineno, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(source.display, f"invalid JSON on line {lineno}: {exc.msg}") from None
        except RecursionError:
            raise InputError(source.display, "JSON nested too deeply to read") from None
    return out


def posix_parts(rel: str) -> tuple[str, ...]:
    """Split an archive member name into components (no empty parts)."""
    return tuple(p for p in PurePosixPath(rel).parts if p not in ("", "."))
