"""Linear-time masking of heredoc bodies, quoted literals and paths in shell actions.

Each function gives exactly what ``re.sub`` with the pattern quoted in its docstring gives, but
in time linear in the length of the text. The patterns themselves backtrack quadratically (or
worse) on adversarial actions such as ``'<<A\\n' * 2500`` or ``'a-' * 10000``; the scanners
here remember what a failed attempt has already established instead of retrying it from every
start position. ``tests/align/test_mask.py`` checks the equivalence on random texts.
"""

from __future__ import annotations

import bisect
import re

__all__ = ["mask_heredocs", "mask_paths", "mask_quoted", "strip_cd"]

_CD_PREFIX = re.compile(r"\s*+cd\s++(?:\"[^\"]*+\"|'[^']*+'|\S+)\s*+(?:&&|;)\s*+")
_HEREDOC_OPEN = re.compile(r"<<-?\s*+(['\"]?)(\w++)")
_LINE_WORD = re.compile(r"\n[^\S\n]*+(?=\w)")
_WORD_RUN = re.compile(r"\w+")
_QUOTE_CHAR = re.compile(r"[\"']")
_DQ_BODY = re.compile(r"(?:[^\"\\\n]++|\\.)*+")
_PATH_ABS = re.compile(r"(?<![\w=])(?:~|\.{1,2})?(?:/[\w.\-+@%]++)++/?")
_EXT = r"\.(?:py|txt|md|rst|json|ya?ml|toml|cfg|ini|c|h|js|ts|sh|html|csv|log)\b"
_PATH_TAIL = re.compile(r"(?:/[\w.\-]++)++")
_EXT_TAIL = re.compile(_EXT)
_REL_RUN_AT = re.compile(rf"[\w\-]++(?=/[\w.\-]|{_EXT})")
_REL_RUN = re.compile(rf"(?<![\w\-])[\w\-]++(?=/[\w.\-]|{_EXT})")
_WORD_CHAR = re.compile(r"\w")


def strip_cd(text: str) -> str:
    """Remove leading ``cd DIR &&`` / ``cd DIR;`` prefixes, however many.

    Examples
    --------
    >>> strip_cd("cd /testbed && cd src; ls")
    'ls'
    """
    pos = 0
    while (m := _CD_PREFIX.match(text, pos)) is not None and m.end() > pos:
        pos = m.end()
    return text[pos:]


def mask_heredocs(text: str) -> str:
    r"""Replace heredoc bodies by ``BODY``.

    Same result as ``re.sub(r"<<-?\s*(['\"]?)(\w+)\1(.*?)\n.*?\n\s*\2\b", r"<<\2\3 BODY", text,
    flags=re.DOTALL)``.

    Examples
    --------
    >>> mask_heredocs("cat <<'EOF' > a.py\nprint(1)\nEOF\nls")
    'cat <<EOF > a.py BODY\nls'
    """
    if "<<" not in text:
        return text
    # Where a terminator line can start: a newline, blanks, then a word (the newline being the
    # last of its whitespace run). Per word, the sorted positions of that newline and of the
    # word's end.
    ends: dict[str, tuple[list[int], list[int]]] = {}
    for nl in _LINE_WORD.finditer(text):
        w = _WORD_RUN.match(text, nl.end())
        if w is not None:
            nls, word_ends = ends.setdefault(w.group(), ([], []))
            nls.append(nl.start())
            word_ends.append(w.end())
    lengths = sorted({len(w) for w in ends}, reverse=True)
    out: list[str] = []
    done = 0
    pos = 0
    while (m := _HEREDOC_OPEN.search(text, pos)) is not None:
        quote, full = m.group(1), m.group(2)
        pos = m.start() + 1
        if quote and not text.startswith(quote, m.end()):
            continue  # no shorter word closes the quote either
        # unquoted, the pattern backtracks to shorter words (the rest of the word then belongs to
        # the line): the longest word with a terminator line after the opener's line wins
        tries = [len(full)] if quote else [n for n in lengths if n <= len(full)]
        for n in tries:
            word = full[:n]
            head_end = m.start(2) + n + len(quote)
            first_nl = text.find("\n", head_end)
            cands = ends.get(word)
            if cands is None or first_nl < 0:
                continue
            i = bisect.bisect_right(cands[0], first_nl)
            if i < len(cands[0]):
                out.append(text[done : m.start()])
                out.append(f"<<{word}{text[head_end:first_nl]} BODY")
                done = pos = cands[1][i]
                break
    if done == 0:
        return text
    out.append(text[done:])
    return "".join(out)


def mask_quoted(text: str, repl: str = "S") -> str:
    r"""Replace double- and single-quoted literals (on one line) by ``repl``.

    Same result as ``re.sub(r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'", repl, text)``.

    Examples
    --------
    >>> mask_quoted("grep -n 'def foo' \"a \\\"b\\\"\" x")
    'grep -n S S x'
    """
    out: list[str] = []
    done = pos = 0
    dq_fail = -1  # no double quote before this position opens a literal
    nl = -1  # the first newline at or after the current single quote (-1: not looked up)
    n = len(text)
    while (q := _QUOTE_CHAR.search(text, pos)) is not None:
        j = q.start()
        pos = j + 1
        if text[j] == '"':
            if j < dq_fail:
                continue
            body = _DQ_BODY.match(text, j + 1)
            end = body.end() if body is not None else j + 1
            if end < n and text[end] == '"':
                out += (text[done:j], repl)
                done = pos = end + 1
            else:
                dq_fail = end
            continue
        if nl != n and nl <= j:
            nl = text.find("\n", j + 1)
            nl = n if nl < 0 else nl
        close = text.find("'", j + 1, nl)
        if close >= 0:
            out += (text[done:j], repl)
            done = pos = close + 1
    if done == 0:
        return text
    out.append(text[done:])
    return "".join(out)


def _first_boundary(text: str, r0: int, end: int) -> int:
    """The first position in the run ``text[r0:end]`` of word characters and dashes where
    ``\\b`` holds, or -1."""
    prev_word = r0 > 0 and _WORD_CHAR.match(text, r0 - 1) is not None
    if (_WORD_CHAR.match(text, r0) is not None) != prev_word:
        return r0
    if prev_word:
        return text.find("-", r0, end)
    w = _WORD_CHAR.search(text, r0, end)
    return w.start() if w is not None else -1


def _relative_path(text: str, pos: int) -> tuple[int, int] | None:
    """The first match at or after ``pos`` of the two relative-path alternatives of
    :func:`mask_paths`, as (start, end)."""
    run = _REL_RUN_AT.match(text, pos)  # pos may follow a match that ended inside a run
    while run is not None or (run := _REL_RUN.search(text, pos)) is not None:
        start = _first_boundary(text, run.start(), run.end())
        if start >= 0:
            tail = _PATH_TAIL.match(text, run.end()) or _EXT_TAIL.match(text, run.end())
            assert tail is not None  # the lookahead of the run patterns saw it
            return start, tail.end()
        pos = run.end()
        run = None
    return None


def mask_paths(text: str, repl: str = "PATH") -> str:
    r"""Replace file paths by ``repl``.

    Same result as ``re.sub`` with the pattern

    ``(?<![\w=])(?:~|\.{1,2})?(?:/[\w.\-+@%]+)+/?`` (absolute, or relative with a leading dot),
    or ``\b[\w\-]+(?:/[\w.\-]+)+`` (relative with a slash),
    or ``\b[\w\-]+\.(?:py|txt|...)\b`` (a file name with a known extension).

    The last two can start only at the first ``\b`` of a run of word characters and dashes,
    and whether they match depends only on what follows the run; so each run is tried once.

    Examples
    --------
    >>> mask_paths("grep -rn foo src/trajdiv ./a /etc/x setup.py")
    'grep -rn foo PATH PATH PATH PATH'
    """
    out: list[str] = []
    done = pos = 0
    n = len(text)
    abs_m: re.Match[str] | None = None
    abs_from = -1  # abs_m is the first absolute-path match at or after abs_from
    rel: tuple[int, int] | None = None
    rel_from = -1  # likewise for rel, the first relative-path match
    while pos < n:
        if abs_from < 0 or (abs_m is not None and abs_m.start() < pos):
            abs_m, abs_from = _PATH_ABS.search(text, pos), pos
        if rel_from < 0 or (rel is not None and rel[0] < pos):
            rel, rel_from = _relative_path(text, pos), pos
        if rel is not None and (abs_m is None or rel[0] < abs_m.start()):
            out += (text[done : rel[0]], repl)
            done = pos = rel[1]
        elif abs_m is not None:
            out += (text[done : abs_m.start()], repl)
            done = pos = abs_m.end()
        else:
            break
    if done == 0:
        return text
    out.append(text[done:])
    return "".join(out)
