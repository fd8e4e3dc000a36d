"""Big JSON files read one value at a time, so that memory holds a run, not the file.

Files up to :data:`STREAM_BYTES` are parsed whole (``json.loads`` is fastest). Above it, the
top-level array (or the array under one key of the top-level object) is read element by element
from a window of decoded text that moves through the file: :func:`json.JSONDecoder.raw_decode`
parses each element, and the window grows only as far as the largest single element. Every
failure is an :class:`InputError` naming the file and the line.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

from trajdiv._errors import InputError
from trajdiv.ingest._source import Source, load_json, load_numbered_json_lines

__all__ = ["STREAM_BYTES", "json_array", "json_lines", "json_object_with_array"]

STREAM_BYTES = 32 << 20
"""Files larger than this are read element by element."""

_CHUNK = 4 << 20
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Window:
    """Decoded text of a byte stream, consumed from the front as values are parsed."""

    def __init__(self, fh: IO[bytes], display: str) -> None:
        self.fh, self.display = fh, display
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.buf, self.pos, self.eof = "", 0, False
        self.line, self.col0 = 1, 0  # line of buf[0], and the characters before it on that line
        self.bytes_read = 0
        self._more(_CHUNK)
        if self.buf.startswith("\ufeff"):
            self.pos = 1

    def _more(self, n: int) -> None:
        """Append at least ``n`` more bytes' worth of text (fewer at the end of the file)."""
        if self.pos:
            self.line += self.buf.count("\n", 0, self.pos)
            nl = self.buf.rfind("\n", 0, self.pos)
            self.col0 = self.pos - nl - 1 if nl >= 0 else self.col0 + self.pos
            self.buf, self.pos = self.buf[self.pos :], 0
        data = self.fh.read(n)
        try:
            self.buf += self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            at = self.bytes_read + exc.start
            raise InputError(self.display, f"not UTF-8 text (invalid byte at offset {at})") from None
        self.bytes_read += len(data)
        self.eof = not data

    def error(self, msg: str, at: int | None = None) -> InputError:
        at = self.pos if at is None else at
        line = self.line + self.buf.count("\n", 0, at)
        nl = self.buf.rfind("\n", 0, at)
        col = at - nl if nl >= 0 else self.col0 + at + 1
        return InputError(self.display, f"invalid JSON at line {line} column {col}: {msg}")

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            m = _WS.match(self.buf, self.pos)
            assert m is not None
            self.pos = m.end()
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos] if self.pos < len(self.buf) else ""
            self._more(_CHUNK)

    def expect(self, ch: str, what: str) -> None:
        if self.peek() != ch:
            raise self.error(f"expected {what}")
        self.pos += 1

    def value(self) -> Any:
        """Parse the next value, reading more of the file while it is incomplete."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise self.error(exc.msg, exc.pos) from None
                self._more(max(_CHUNK, len(self.buf) - self.pos))  # doubles the window
                continue
            except RecursionError:
                raise InputError(self.display, "JSON nested too deeply to read") from None
            if end == len(self.buf) and not self.eof:  # a number may go on in the next chunk
                self._more(_CHUNK)
                continue
            self.pos = end
            return value

    def _each(self, open_: str, close: str, opening: str, element: str) -> Iterator[None]:
        """Stops at each element of the array or object that starts here (the caller reads it)."""
        self.expect(open_, opening)
        if self.peek() == close:
            self.pos += 1
            return
        while True:
            yield
            c = self.peek()
            self.pos += 1
            if c == close:
                return
            if c != ",":
                self.pos -= 1
                raise self.error(f"expected ',' or '{close}' after {element}")

    def items(self) -> Iterator[Any]:
        """The elements of the array that starts here."""
        for _ in self._each("[", "]", "'['", "an array element"):
            yield self.value()

    def members(self) -> Iterator[str]:
        """The keys of the object that starts here; after each, the reader is at its value,
        which the caller must consume."""
        for _ in self._each("{", "}", "an object", "an object member"):
            if self.peek() != '"':
                raise self.error("expected a key")
            key = self.value()
            self.expect(":", "':'")
            yield key

    def end(self) -> None:
        if self.peek() != "":
            raise self.error("extra data after the JSON value")


def _streamed(source: Source) -> bool:
    return source.size > STREAM_BYTES


def _window(source: Source) -> Callable[[], Iterator[_Window]]:
    def gen() -> Iterator[_Window]:
        with source.open() as fh:
            yield _Window(fh, source.display)

    return gen


def json_array(source: Source) -> Iterator[Any] | None:
    """The elements of a JSON file whose value is an array, or None when it is another value."""
    if not _streamed(source):
        obj = load_json(source)
        return iter(obj) if isinstance(obj, list) else None
    with source.open() as fh:
        if _Window(fh, source.display).peek() != "[":
            return None

    def elements() -> Iterator[Any]:
        for w in _window(source)():
            yield from w.items()
            w.end()

    return elements()


def json_object_with_array(source: Source, key: str) -> tuple[Any, Iterator[Any] | None]:
    """A JSON file's top-level value with the array under ``key`` taken out, and that array's
    elements (None when ``key`` is absent or not an array; the value then keeps it, as the
    file has it). Big files are read twice: once for the other members, once for the array."""
    if not _streamed(source):
        obj = load_json(source)
        if isinstance(obj, dict) and isinstance(obj.get(key), list):
            rest = {k: v for k, v in obj.items() if k != key}
            return rest, iter(obj[key])
        return obj, None
    fields: dict[str, Any] = {}
    last_array = 0  # the occurrence of ``key`` whose array is the one that counts (the last)
    seen = 0
    for w in _window(source)():
        if w.peek() != "{":
            value = w.value()
            w.end()
            return value, None
        for k in w.members():
            if k == key and w.peek() == "[":
                seen += 1
                last_array = seen
                fields.pop(key, None)
                for _ in w.items():
                    pass
            else:
                if k == key:
                    seen += 1
                    last_array = 0
                fields[k] = w.value()
        w.end()
    if not last_array:
        return fields, None

    def elements() -> Iterator[Any]:
        n = 0
        for w in _window(source)():
            for k in w.members():
                if k == key:
                    n += 1
                    if n == last_array:
                        yield from w.items()
                        return
                w.value()

    return fields, elements()


def json_lines(source: Source) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` of each non-blank line of a JSON Lines file."""
    if not _streamed(source) or source.head(2) in (b"\xff\xfe", b"\xfe\xff"):
        yield from load_numbered_json_lines(source)
        return
    with source.open() as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                yield lineno, json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise InputError(source.display, f"not UTF-8 text (invalid byte on line {lineno})") from None
            except json.JSONDecodeError as exc:
                raise InputError(source.display, f"invalid JSON on line {lineno}: {exc.msg}") from None
            except RecursionError:
                raise InputError(source.display, "JSON nested too deeply to read") from None
