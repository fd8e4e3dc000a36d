"""The layout of a group's branching graph in the report's task view, made where the group is
analysed (kept with its cached result) or, when that one does not fit, where the report is made."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from trajdiv._digest import content_hash, data_digest
from trajdiv._text import for_page
from trajdiv.plot._spine import spine_layout

__all__ = [
    "ACTION_CHARS",
    "Layout",
    "compact_json",
    "graph_layout",
    "group_layout",
    "layout_key",
    "layout_key_of",
    "page_safe",
]

ACTION_CHARS = 160
"""Characters of an action kept in the report (the steps table holds the whole text)."""


compact_json = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def page_safe(value: Any) -> Any:
    """Every text in ``value`` without control and text-direction characters (:func:`for_page`)."""
    if isinstance(value, str):
        return for_page(value)
    if isinstance(value, list):
        return [page_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: page_safe(v) for k, v in value.items()}
    return value


Layout = tuple[str, str]
"""A group's graph layout made ahead: the key of what it was made from (:func:`layout_key`) and
its JSON text (node labels as text, every other text made safe)."""


def layout_key(graph_text: str, outcomes: dict[str, bool | None]) -> str:
    """What a group's graph layout is made from: its graph file's text and its runs' outcomes
    (:func:`layout_key_of` the text's digest)."""
    return layout_key_of(data_digest(graph_text.encode("utf-8", "surrogatepass")), outcomes)


def layout_key_of(graph_digest: str, outcomes: dict[str, bool | None]) -> str:
    """:func:`layout_key` from the digest of the graph file's bytes
    (:func:`~trajdiv._digest.data_digest`), which a run that wrote the file knows already."""
    h = content_hash()
    for piece in (graph_digest, json.dumps(sorted(outcomes.items()))):
        data = piece.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


def group_layout(graph_text: str, outcomes: dict[str, bool | None]) -> Layout:
    """The layout :func:`browser_data` draws a group's graph with, made where the group is
    analysed (a re-run finds it with the group's other results instead of laying out every
    graph again)."""
    return layout_key(graph_text, outcomes), compact_json(_layout(graph_text, outcomes))


def graph_layout(
    out_dir: Path,
    graph_file: str | None,
    outcomes: dict[str, bool | None],
    intern: Callable[[str], int],
    made: Layout | None,
    digest: str | None = None,
) -> dict[str, Any] | None:
    """The group's branching graph as the figure draws it (:func:`spine_layout`), for the task
    view: positions, nodes ``[label, runs, share resolved, labelled]``, edges ``[from, to, steps,
    runs]``; ``made`` when it is the layout of this graph and these outcomes. ``digest``: the
    digest of the graph file's bytes when this run wrote or checked them (the file is then read
    only if ``made`` does not fit)."""
    if graph_file is None:
        return None
    layout = None
    if made is not None and digest is not None and made[0] == layout_key_of(digest, outcomes):
        layout = _made_layout(made[1])
        if layout is not None:
            return _interned(layout, intern)
    try:
        text = (out_dir / graph_file).read_text("utf-8")
    except (OSError, ValueError):
        return None  # no graph file (graph stage not run): the view goes without it
    if made is not None and made[0] == layout_key(text, outcomes):
        layout = _made_layout(made[1])
    if layout is None:  # not made ahead, made from other inputs, or not of a layout's form
        layout = _layout(text, outcomes)
    return None if layout is None else _interned(layout, intern)


def _interned(layout: dict[str, Any], intern: Callable[[str], int]) -> dict[str, Any]:
    """``layout`` with its node labels as string positions."""
    for node in layout["nodes"].values():
        node[0] = intern(node[0])
    return layout


def _made_layout(text: str) -> dict[str, Any] | None:
    """A layout made ahead, read back; None unless it has a layout's form."""
    try:
        layout = json.loads(text)
    except ValueError:
        return None
    if not isinstance(layout, dict) or not {"level", "folded", "pos", "nodes", "edges"} <= layout.keys():
        return None
    nodes = layout["nodes"]
    if not isinstance(nodes, dict) or not all(
        isinstance(n, list) and n and isinstance(n[0], str) for n in nodes.values()
    ):
        return None
    return cast(dict[str, Any], layout)


def _layout(graph_text: str, outcomes: dict[str, bool | None]) -> dict[str, Any] | None:
    """:func:`graph_layout` with node labels as text (cut to :data:`ACTION_CHARS`), every
    other text made safe; None for a graph that cannot be laid out."""
    try:
        data = json.loads(graph_text)
        lay = spine_layout(data, outcomes=outcomes)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    starts = {v for _, v in lay.departures}
    return {
        "level": page_safe(data.get("level")),
        "folded": lay.folded_runs,
        "pos": {k: [x, y] for k, (x, y) in lay.pos.items()},
        "nodes": {
            k: [
                str(d["label"])[:ACTION_CHARS],
                d["n_runs"],
                None if d["success_rate"] is None else round(float(d["success_rate"]), 3),
                int(k in starts or d["other"] or k == lay.spine[0]),
            ]
            for k, d in lay.nodes.items()
        },
        "edges": [page_safe(list(e)) for e in lay.edges],
    }
