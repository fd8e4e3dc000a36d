"""Untrusted text (file, task and model names, reasons quoting a dump) made safe to print."""

from __future__ import annotations

import re

__all__ = ["for_terminal"]

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
