"""Untrusted text (file, task and model names, reasons quoting a dump) made safe to print."""

from __future__ import annotations

import re

__all__ = ["for_page", "for_terminal", "safe_name"]

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def for_terminal(text: object) -> str:
    r"""``text`` on one line with control, line-break and text-direction characters escaped,
    so that a name in a dump cannot move the cursor, retitle the terminal or forge a line.

    Examples
    --------
    >>> for_terminal("run\x1b]0;owned\x07\ntrajdiv: ok")
    'run\\x1b]0;owned\\x07\\ntrajdiv: ok'
    """
    return _UNSAFE.sub(lambda m: ascii(m.group())[1:-1], str(text))


_PAGE_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def for_page(text: object) -> str:
    r"""``text`` with control and text-direction characters replaced by U+FFFD, so that text
    from a dump cannot reorder what a page shows around it (line breaks and tabs are kept).

    Examples
    --------
    >>> for_page("ok\u202eevil\nnext") == "ok\ufffdevil\nnext"
    True
    """
    return _PAGE_UNSAFE.sub("\ufffd", str(text))


_NAME_CHARS_MAX = 64
"""Readable characters kept in a file name made from a label (at most 4 bytes each in UTF-8)."""


def safe_name(text: str) -> str:
    """A file name for a label or task id: bounded, and distinct for distinct texts, also on
    the file systems that ignore case (macOS, Windows).

    Characters other than letters, digits and ``-_.@`` become ``_``; when that changed the
    text, when the text has capital letters, or when it is longer than 64 characters, a digest
    of the whole text is appended, so ``dup<1`` and ``dup>1``, ``Q1`` and ``q1`` (or
    300-character ids sharing a prefix) never share a file.

    Examples
    --------
    >>> safe_name("astropy__astropy-12907")
    'astropy__astropy-12907'
    >>> safe_name("dup<1") != safe_name("dup>1")
    True
    >>> safe_name("Q1").lower() != safe_name("q1").lower()
    True
    """
    import hashlib

    out = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in text).strip("._")
    if out == text and out == out.lower() and 0 < len(out) <= _NAME_CHARS_MAX:
        return out
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=5).hexdigest()
    return f"{out[:_NAME_CHARS_MAX]}-{digest}" if out else digest
