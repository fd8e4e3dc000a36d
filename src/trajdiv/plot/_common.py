"""Helpers every plot kind uses: configurations in order, short labels, legends."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv.plot._style import PALETTE, plain

__all__ = [
    "LABEL_WIDTH",
    "MAX_POINTS",
    "MAX_TASKS",
    "config_labels",
    "configs",
    "horizontal",
    "labels",
    "legend",
    "style",
]


MAX_POINTS = 3000
"""Most points drawn per configuration in strip plots (a seeded sample beyond that)."""
MAX_TASKS = 40
"""Most tasks drawn in the per-task step plot (the first ones in task order)."""


def configs(runs: pl.DataFrame) -> list[str]:
    return sorted(runs["config"].unique().to_list())


LABEL_WIDTH = 34
"""Characters of a configuration label in a plot (longer ones are shortened in the middle)."""

_LINESTYLES = ("-", "--", ":", "-.")


def config_labels(cfgs: Sequence[str], width: int = LABEL_WIDTH) -> dict[str, str]:
    """A distinct label of at most ``width`` characters for each configuration.

    The whole label (``benchmark/scaffold:model``) when it fits; else its start and its end
    around an ellipsis, which keeps both the scaffold and the model's distinguishing tail; a
    number after labels that would still be equal.

    >>> config_labels(["swe-agent:gpt-4o", "hotpotqa/agent-consistency:gpt-4o"], width=20)
    {'swe-agent:gpt-4o': 'swe-agent:gpt-4o', 'hotpotqa/agent-consistency:gpt-4o': 'hotpotq…tency:gpt-4o'}
    >>> sorted(config_labels(["a" * 30 + "x", "a" * 30 + "y"], width=10).values())
    ['aaa…aaaaax', 'aaa…aaaaay']
    """
    out: dict[str, str] = {}
    for cfg in cfgs:
        text = plain(cfg, 10_000)
        if len(text) > width:
            head = (width - 1) * 2 // 5
            text = text[:head] + "…" + text[len(text) - (width - 1 - head) :]
        out[cfg] = text
    seen: dict[str, int] = {}
    for text in out.values():
        seen[text] = seen.get(text, 0) + 1
    counts: dict[str, int] = {}
    for cfg, text in list(out.items()):
        if seen[text] > 1:
            counts[text] = counts.get(text, 0) + 1
            out[cfg] = f"{text} #{counts[text]}"
    return out


def labels(res: Path) -> dict[str, str]:
    """:func:`config_labels` of every configuration of the analysis in ``res``, so that a
    configuration has the same label in every plot."""
    runs = pl.read_parquet(res / "runs.parquet", columns=["config"])
    return config_labels(configs(runs))


def style(i: int) -> dict[str, Any]:
    """Colour and line style of the i-th series: 8 colours, then the same with other dashes."""
    return {
        "color": PALETTE[i % len(PALETTE)],
        "linestyle": _LINESTYLES[(i // len(PALETTE)) % len(_LINESTYLES)],
    }


def legend(ax: Any, **kw: Any) -> None:
    """A legend only when something was labelled (an empty one warns)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kw)


def horizontal() -> dict[str, Any]:
    """``boxplot`` keyword for horizontal boxes (``vert`` was replaced in matplotlib 3.10)."""
    import matplotlib

    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}
