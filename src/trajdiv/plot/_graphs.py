"""Branching-graph plots: one group's graph, and one task across configurations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv._errors import UsageError
from trajdiv._text import safe_name
from trajdiv.plot._common import labels as _labels
from trajdiv.plot._common import legend as _legend
from trajdiv.plot._spine import SpineLayout, spine_layout
from trajdiv.plot._style import PALETTE, new_figure, plain, save

__all__ = ["plot_across", "plot_graph"]


def _draw_spine(lay: SpineLayout, level: str, node_colour: Callable[[str], Any]) -> tuple[Any, Any]:
    """Figure and axes of a spine layout: elbows from the spine to the lanes and back, edge
    width by runs, collapsed chains labelled with their length, labels at branch starts."""
    xs = [x for x, _ in lay.pos.values()]
    ys = [y for _, y in lay.pos.values()]
    fig, axes = new_figure(
        min(14.0, 3.0 + 0.22 * (max(xs) - min(xs))), min(9.0, 2.2 + 0.5 * (max(ys) - min(ys)))
    )
    ax = axes[0][0]
    max_runs = max((e[3] for e in lay.edges), default=1)
    for u, v, steps, through in lay.edges:
        (x0, y0), (x1, y1) = lay.pos[u], lay.pos[v]
        if y0 != y1 and y1 != 0 and x1 >= x0:  # leaving the spine or a lane: across, then along
            pts = [(x0, y0), (x0, y1), (x1, y1)]
        elif y0 != 0 and y1 == 0 and x1 >= x0:  # merging: along the lane, then down to the spine
            pts = [(x0, y0), (x1, y0), (x1, y1)]
        else:
            pts = [(x0, y0), (x1, y1)]
        ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            color="#777777",
            lw=0.6 + 4.0 * through / max_runs,
            zorder=1,
            solid_joinstyle="round",
        )
        if steps > 1:
            at = ((pts[1][0] + pts[2][0]) / 2, pts[2][1]) if len(pts) == 3 else ((x0 + x1) / 2, (y0 + y1) / 2)
            ax.annotate(
                f"{steps} steps",
                at,
                fontsize=5.5,
                color="#555555",
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
            )
    names = list(lay.nodes)
    ax.scatter(
        [lay.pos[n][0] for n in names],
        [lay.pos[n][1] for n in names],
        s=[20 + 12 * lay.nodes[n]["n_runs"] for n in names],
        c=[node_colour(n) for n in names],
        edgecolors="black",
        linewidths=0.4,
        zorder=2,
    )
    starts = {v for _, v in lay.departures}
    for n in names:
        d = lay.nodes[n]
        if n in starts or n == lay.spine[0] or d["other"]:
            ax.annotate(
                plain(d["label"], 18),
                lay.pos[n],
                fontsize=6,
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
            )
    ax.set_xlabel(f"step ({plain(level)} level); the reference run is the straight line")
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    return fig, ax


def plot_graph(
    res: Path, out: Path, task: str | None = None, config: str | None = None, **_: Any
) -> list[Path]:
    """Branching graph of one group as a tree on a spine: the reference run straight, branches
    in order of departure, linear stretches as one edge labelled with their length, rare branches
    folded into "other" above a node budget; colour: share of runs resolved."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    gs = pl.read_parquet(res / "graph_summary.parquet")
    # by default show a task whose runs both succeed and fail, where colour says most
    rate = (
        pl.read_parquet(res / "runs.parquet")
        .group_by("config", "task_id")
        .agg(pl.col("resolved").cast(pl.Float64).mean().alias("rate"))
    )
    gs = gs.join(rate, on=["config", "task_id"], how="left").with_columns(
        (pl.col("rate") - 0.5).abs().fill_null(1.0).alias("mixed")
    )
    gs = gs.sort("mixed", "config", "task_id") if task is None else gs.sort("config", "task_id")
    if config is not None:
        gs = gs.filter(pl.col("config").str.contains(config, literal=True))
    if task is not None:
        gs = gs.filter(pl.col("task_id") == task)
    if gs.height == 0:
        raise UsageError(f"no graph for task {task!r} and configuration {config!r} in {res}")
    row = gs.row(0, named=True)
    data = json.loads((res / row["graph_file"]).read_text("utf-8"))
    group = pl.read_parquet(res / "runs.parquet", columns=["config", "task_id", "run_id", "resolved"]).filter(
        (pl.col("config") == row["config"]) & (pl.col("task_id") == row["task_id"])
    )
    lay = spine_layout(data, outcomes=dict(zip(group["run_id"], group["resolved"], strict=True)))
    cmap = plt.get_cmap("RdYlBu")

    def colour(n: str) -> Any:
        r = lay.nodes[n]["success_rate"]
        return "#9e9e9e" if r is None else cmap(r)

    fig, ax = _draw_spine(lay, data["level"], colour)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=Normalize(0, 1))
    fig.colorbar(sm, ax=ax, label="share of runs through a node resolved\n(grey: no label)", shrink=0.8)
    title = (
        f"Branching graph: {plain(row['task_id'])}, {_labels(res)[row['config']]} "
        f"({row['n_runs']} runs, {row['n_strategies']} strategies)"
    )
    if lay.folded_runs:
        title += f"; rare branches of {lay.folded_runs} run(s) folded into 'other'"
    ax.set_title(title, fontsize=9)
    return save(fig, out, "graph_" + safe_name(f"{row['config']}_{row['task_id']}"))


def plot_across(res: Path, out: Path, task: str | None = None, **_: Any) -> list[Path]:
    """One task's runs from several configurations in one graph on a spine, coloured by
    configuration (dark grey: a node several configurations pass)."""
    files = sorted((res / "graphs" / "_across").glob("*.json"))
    if task is not None:
        files = [f for f in files if f.stem == safe_name(task)]
    if not files:
        raise UsageError(
            f"no graph across configurations{' for task ' + repr(task) if task else ''} in {res}"
        )
    data = json.loads(files[0].read_text("utf-8"))
    by_config = {str(n["id"]): json.loads(n["runs_by_config"]) for n in data["nodes"]}
    configs = sorted({c for counts in by_config.values() for c in counts})
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(configs)}
    shared = "#444444"
    lay = spine_layout(data)

    def pick(n: str) -> str:
        present = [c for c, k in by_config.get(n, {}).items() if k]
        return colour[present[0]] if len(present) == 1 else shared

    fig, ax = _draw_spine(lay, data["level"], pick)
    lab = _labels(res)
    for c in configs:
        ax.scatter([], [], color=colour[c], s=30, label=lab.get(c, plain(c, 34)))
    ax.scatter([], [], color=shared, s=30, label="passed by several")
    _legend(ax, frameon=False, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=1)
    title = f"{plain(files[0].stem, 40)} across configurations"
    if lay.folded_runs:
        title += f"; rare branches of {lay.folded_runs} run(s) folded into 'other'"
    ax.set_title(title, fontsize=9)
    return save(fig, out, f"across_{files[0].stem}")
