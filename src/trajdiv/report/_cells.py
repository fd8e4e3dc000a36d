"""The task browser's cells of one group, made where the group is analysed and kept with its
cached result: the report's data of a re-run then puts them together instead of reading every
step of the steps table again.

A group's cells are the JSON text ``[keep_format_errors, texts, runs]``, compressed (zlib, level
1: a fifth of the size, so that the cells of a big corpus weigh little in the main process,
which holds them until the report's data is made):

``texts``
    the distinct texts of its shown steps (each action and level cut to
    :data:`~trajdiv.report._layout.ACTION_CHARS` characters), in the order a walk over its runs
    (by run id, then step; each step's action, then its levels) meets them;
``runs``
    per run, ``[run_id, template, hidden]``: its cells as JSON text with ``{i}`` where the
    position of the group's i-th text in the page's table of strings goes (``str.format``
    fills them in), and how many of its steps are not shown.

Walking the groups in the order of the table sorted by configuration and task, and storing each
group's texts in turn, stores them in the order the walk over the whole sorted table does, so
that the filled-in cells are those :func:`~trajdiv.report._data.browser_data` reads from the
steps table (tested against each other).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from trajdiv.align._abstraction import LEVELS
from trajdiv.report._layout import ACTION_CHARS
from trajdiv.tables import step_order

__all__ = ["group_cells", "read_cells"]


def group_cells(steps: Sequence[Mapping[str, Any]], keep_format_errors: bool) -> bytes:
    """The cells (module docstring) of one group's ``steps`` rows."""
    n = ACTION_CHARS
    at: dict[str, int] = {}
    runs: dict[str, tuple[list[str], list[int]]] = {}
    for row in sorted(steps, key=step_order):
        cells, hidden = runs.setdefault(str(row["run_id"]), ([], [0]))
        if row.get("format_error") and not keep_format_errors:
            hidden[0] += 1
            continue
        action = _text(row.get("action"))
        texts = (action[:n], *(_text(row.get(lvl))[:n] for lvl in LEVELS[1:]))
        places = ",".join(f"{{{at.setdefault(t, len(at))}}}" for t in texts)
        step = "null" if row["step"] is None else str(int(row["step"]))
        cells.append(f"[{step},{int(len(action) > n)},{places}]")
    made = [[rid, "[" + ",".join(cells) + "]", hidden[0]] for rid, (cells, hidden) in runs.items()]
    text = json.dumps([keep_format_errors, list(at), made], ensure_ascii=False)
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def _text(value: object) -> str:
    return "" if value is None else str(value)


Cells = tuple[list[str], list[tuple[str, str, int]]]
"""A group's texts and its runs' (run id, template, hidden steps)."""


def read_cells(blob: bytes, keep_format_errors: bool) -> Cells | None:
    """A group's cells read back; None when they were made with the other
    ``keep_format_errors`` or are not cells."""
    try:
        keep, texts, runs = json.loads(zlib.decompress(blob).decode("utf-8", "surrogatepass"))
        if keep is not keep_format_errors or not all(isinstance(t, str) for t in texts):
            return None
        out = [(r, t, h) for r, t, h in runs]
        if not all(isinstance(r, str) and isinstance(t, str) and type(h) is int for r, t, h in out):
            return None
    except (ValueError, TypeError, zlib.error):
        return None
    return texts, out
