"""Helpers every plot kind uses: configurations in order, short labels, legends."""

from __future__ import annotations

from typing import Any

import polars as pl

from trajdiv.plot._style import plain

__all__ = ["MAX_POINTS", "MAX_TASKS", "configs", "horizontal", "legend", "short"]


MAX_POINTS = 3000
"""Most points drawn per configuration in strip plots (a seeded sample beyond that)."""
MAX_TASKS = 40
"""Most tasks drawn in the per-task step plot (the first ones in task order)."""


def configs(runs: pl.DataFrame) -> list[str]:
    return sorted(runs["config"].unique().to_list())


def short(cfg: str) -> str:
    return plain(cfg.split(":", 1)[-1], 28)


def legend(ax: Any, **kw: Any) -> None:
    """A legend only when something was labelled (an empty one warns)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kw)


def horizontal() -> dict[str, Any]:
    """``boxplot`` keyword for horizontal boxes (``vert`` was replaced in matplotlib 3.10)."""
    import matplotlib

    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}
