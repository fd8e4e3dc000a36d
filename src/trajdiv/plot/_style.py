"""Shared look of every plot: colour-blind-safe palette, paper-size figures, safe text."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

__all__ = ["PALETTE", "new_figure", "plain", "save"]

# Okabe & Ito (2008), safe for the common forms of colour blindness
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(text: object, limit: int = 60) -> str:
    """Text from a dump made safe for a plot label: no control or direction characters, no
    mathtext (``$`` is escaped), shortened to ``limit`` characters."""
    s = _CONTROL.sub(" ", str(text))
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return s.replace("\\", "\\\\").replace("$", r"\$")


def new_figure(width: float = 7.0, height: float = 4.0, ncols: int = 1, nrows: int = 1) -> Any:
    """A figure at paper size with the project's style."""
    import matplotlib
    from cycler import cycler

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.hashsalt": "trajdiv",
            "font.size": 9,
            "axes.titlesize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=PALETTE),
            "figure.dpi": 100,
        }
    )
    return plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, layout="constrained")


def save(fig: Any, out_dir: Path, name: str) -> list[Path]:
    """Write ``name.png`` (150 dpi) and ``name.svg`` without timestamps; close the figure."""
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        path = out_dir / f"{name}.{ext}"
        tmp = out_dir / f".{name}.{ext}.tmp"
        with warnings.catch_warnings():
            # names in scripts the font lacks (CJK task ids) are drawn as boxes, not warned about
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
            fig.savefig(tmp, format=ext, dpi=150, metadata=meta)
        tmp.replace(path)
        paths.append(path)
    plt.close(fig)
    return paths
