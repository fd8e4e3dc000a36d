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
from trajdiv.plot._style import PALETTE, new_figure, plain, save

__all__ = ["plot_across", "plot_graph"]


def _read_graph(path: Path) -> tuple[Any, dict[str, Any]]:
    """A node-link JSON graph written by the pipeline, as a networkx DiGraph, and its raw data."""
    import networkx as nx

    data = json.loads(path.read_text("utf-8"))
    g = nx.DiGraph()
    for n in data["nodes"]:
        g.add_node(n["id"], **n)
    for e in data["edges"]:
        g.add_edge(e["source"], e["target"], **{k: v for k, v in e.items() if k not in ("source", "target")})
    return g, data


def _layout(g: Any) -> dict[str, tuple[float, float]]:
    """Nodes placed by depth (x), reference path first within a depth (y)."""
    depth = {n: d["depth"] for n, d in g.nodes(data=True)}
    by_depth: dict[int, list[str]] = {}
    for n in sorted(g.nodes, key=lambda x: (depth[x], not g.nodes[x]["on_reference"], x)):
        by_depth.setdefault(depth[n], []).append(n)
    return {n: (d, -k + (len(nodes) - 1) / 2) for d, nodes in by_depth.items() for k, n in enumerate(nodes)}


def _draw_graph(
    g: Any, level: str, height: float, edge_colour: Callable[[dict[str, Any]], str], alpha: float = 1.0
) -> tuple[Any, Any, dict[str, tuple[float, float]]]:
    """Figure, axes and layout of a branching graph, with its edges drawn (width by runs)."""
    pos = _layout(g)
    max_depth = max((d["depth"] for _, d in g.nodes(data=True)), default=1)
    fig, axes = new_figure(min(14.0, 2.0 + 0.28 * max_depth), height)
    ax = axes[0][0]
    max_runs = max((d["n_runs"] for _, _, d in g.edges(data=True)), default=1)
    for u, v, d in g.edges(data=True):
        (x0, y0), (x1, y1) = pos[u], pos[v]
        ax.plot(
            [x0, x1],
            [y0, y1],
            color=edge_colour(d),
            lw=0.6 + 4.0 * d["n_runs"] / max_runs,
            alpha=alpha,
            zorder=1,
            solid_capstyle="round",
        )
    ax.set_xlabel(f"step ({plain(level)} level)")
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    return fig, ax, pos


def plot_graph(
    res: Path, out: Path, task: str | None = None, config: str | None = None, **_: Any
) -> list[Path]:
    """Branching graph of one group: edge width by runs, node colour by success rate."""
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
    g, data = _read_graph(res / row["graph_file"])
    fig, ax, pos = _draw_graph(g, data["level"], 4.5, lambda d: "#777777")
    cmap = plt.get_cmap("cividis")
    nodes = list(g.nodes)
    rates = [g.nodes[n].get("success_rate") for n in nodes]
    ax.scatter(
        [pos[n][0] for n in nodes],
        [pos[n][1] for n in nodes],
        s=[18 + 10 * g.nodes[n]["n_runs"] for n in nodes],
        c=["#BBBBBB" if r is None else cmap(r) for r in rates],
        edgecolors="black",
        linewidths=0.4,
        zorder=2,
    )
    for n in nodes:
        if g.out_degree(n) > 1 or n == "root":
            ax.annotate(
                plain(g.nodes[n]["label"], 18),
                pos[n],
                fontsize=6,
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
            )
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=Normalize(0, 1))
    fig.colorbar(sm, ax=ax, label="success rate of runs through node (grey: no label)", shrink=0.8)
    ax.set_title(
        f"Branching graph: {plain(row['task_id'])}, {_labels(res)[row['config']]} "
        f"({row['n_runs']} runs, {row['n_strategies']} strategies)"
    )
    return save(fig, out, "graph_" + safe_name(f"{row['config']}_{row['task_id']}"))


def plot_across(res: Path, out: Path, task: str | None = None, **_: Any) -> list[Path]:
    """One task's runs from several configurations in one graph, coloured by configuration."""
    files = sorted((res / "graphs" / "_across").glob("*.json"))
    if task is not None:
        files = [f for f in files if f.stem == safe_name(task)]
    if not files:
        raise UsageError(
            f"no graph across configurations{' for task ' + repr(task) if task else ''} in {res}"
        )
    g, data = _read_graph(files[0])
    configs = sorted({c for _, d in g.nodes(data=True) for c in json.loads(d["runs_by_config"])})
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(configs)}
    shared = "#444444"

    def pick(by_config: str) -> str:
        present = [c for c, k in json.loads(by_config).items() if k]
        return colour[present[0]] if len(present) == 1 else shared

    fig, ax, pos = _draw_graph(g, data["level"], 4.8, lambda d: pick(d["runs_by_config"]), alpha=0.8)
    nodes = list(g.nodes)
    ax.scatter(
        [pos[n][0] for n in nodes],
        [pos[n][1] for n in nodes],
        s=[18 + 8 * g.nodes[n]["n_runs"] for n in nodes],
        c=[pick(g.nodes[n]["runs_by_config"]) for n in nodes],
        edgecolors="white",
        linewidths=0.5,
        zorder=2,
    )
    lab = _labels(res)
    for c in configs:
        ax.plot([], [], color=colour[c], lw=3, label=lab.get(c, plain(c, 34)))
    ax.plot([], [], color=shared, lw=3, label="shared by several")
    _legend(ax, frameon=False, fontsize=7, loc="upper left")
    ax.set_title(f"Runs of {plain(files[0].stem)} across configurations: where they take different roads")
    return save(fig, out, f"across_{files[0].stem}")
