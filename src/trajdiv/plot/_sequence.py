"""Sequence index plots (as in sequence analysis, e.g. TraMineR's ``seqIplot``): one row per
run, one cell per step coloured by the action at a level, rows ordered so that shared prefixes
line up, the group's first divergence marked, the outcome at the end of each row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv._errors import UsageError
from trajdiv._text import safe_name
from trajdiv.plot._common import labels as _labels
from trajdiv.plot._style import new_figure, plain, save

__all__ = ["SequenceBlock", "plot_sequence", "prefix_order", "sequence_blocks"]

MAX_COLOURS = 11
"""Actions with a colour of their own (the most frequent); the others are drawn as "other"."""
MAX_TASKS = 30
"""Tasks stacked in a configuration's plot (the first ones in task order; the plot says so)."""

_COLOURS = (
    "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377",
    "#EE7733", "#332288", "#DDCC77", "#117733", "#CC6677",
)  # fmt: skip
_OTHER = "#E0E0E0"


def prefix_order(seqs: list[list[str]]) -> list[int]:
    """Row order in which runs sharing a prefix sit together: lexicographic on the actions,
    each action ranked by its first appearance (so the order does not depend on spelling).

    >>> prefix_order([["a", "b", "c"], ["x"], ["a", "c"], ["a", "b", "d"]])
    [0, 3, 2, 1]
    """
    rank: dict[str, int] = {}
    for seq in seqs:
        for a in seq:
            rank.setdefault(a, len(rank))
    return sorted(range(len(seqs)), key=lambda i: ([rank[a] for a in seqs[i]], i))


@dataclass(frozen=True, slots=True)
class SequenceBlock:
    """One group's rows, in plot order."""

    task_id: str
    run_ids: list[str]
    seqs: list[list[str]]
    outcomes: list[bool | None]
    first_divergence: int | None
    """1-based step of the group's first divergence at the plot's level (None: never)."""
    hidden_steps: int
    """Steps left out: their output could not be parsed (left out of divergence as well)."""


def sequence_blocks(
    res: Path, config: str, level: str, tasks: list[str] | None = None
) -> list[SequenceBlock]:
    """The groups of ``config`` (or of ``tasks`` of it), each with its rows in prefix order."""
    col = "action" if level == "exact" else level  # the exact level is the action itself
    steps = pl.read_parquet(
        res / "steps.parquet", columns=["config", "task_id", "run_id", "step", col, "format_error"]
    )
    steps = steps.filter(pl.col("config") == config).rename({col: "level_value"})
    runs = pl.read_parquet(
        res / "runs.parquet", columns=["config", "task_id", "run_id", "run_index", "resolved"]
    )
    runs = runs.filter(pl.col("config") == config).sort("task_id", "run_index", "run_id")
    div = pl.read_parquet(
        res / "divergence_groups.parquet", columns=["config", "task_id", f"first_div_step_{level}"]
    )
    first = {t: v for c, t, v in div.iter_rows() if c == config}
    blocks = []
    for (task,), r in runs.group_by("task_id", maintain_order=True):
        if tasks is not None and task not in tasks:
            continue
        s = steps.filter(pl.col("task_id") == task).sort("run_id", "step")
        hidden = int(s["format_error"].sum())
        kept = s.filter(~pl.col("format_error"))
        by_run = {
            str(k[0]): g["level_value"].to_list() for k, g in kept.group_by("run_id", maintain_order=True)
        }
        ids = [str(x) for x in r["run_id"]]
        seqs = [[str(a) for a in by_run.get(i, [])] for i in ids]
        order = prefix_order(seqs)
        outcomes = r["resolved"].to_list()
        blocks.append(
            SequenceBlock(
                str(task),
                [ids[i] for i in order],
                [seqs[i] for i in order],
                [outcomes[i] for i in order],
                first.get(task),
                hidden,
            )
        )
    return blocks


def plot_sequence(
    res: Path,
    out: Path,
    task: str | None = None,
    config: str | None = None,
    level: str | None = None,
    **_: Any,
) -> list[Path]:
    """Sequence index plot of one task (``--task``) or of a configuration's tasks stacked."""
    runs = pl.read_parquet(res / "runs.parquet", columns=["config", "task_id"])
    gs = pl.read_parquet(res / "graph_summary.parquet", columns=["level"])
    lvl = level or (str(gs["level"][0]) if gs.height else "verb")
    cfgs = sorted(runs["config"].unique().to_list())
    if config is not None:
        cfgs = [c for c in cfgs if c == config] or [c for c in cfgs if config in c]
    if task is not None:
        cfgs = [c for c in cfgs if runs.filter((pl.col("config") == c) & (pl.col("task_id") == task)).height]
    if not cfgs:
        raise UsageError(f"no group for task {task!r} and configuration {config!r} in {res}")
    cfg = cfgs[0]
    all_tasks = sorted(runs.filter(pl.col("config") == cfg)["task_id"].unique().to_list())
    tasks = [task] if task is not None else all_tasks[:MAX_TASKS]
    blocks = sequence_blocks(res, cfg, lvl, tasks)
    if not blocks:
        raise UsageError(f"no runs of {cfg!r} in {res}")
    return _draw(res, out, cfg, lvl, blocks, omitted=len(all_tasks) - len(tasks) if task is None else 0)


def _draw(
    res: Path, out: Path, cfg: str, level: str, blocks: list[SequenceBlock], omitted: int
) -> list[Path]:
    import numpy as np
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Patch

    counts = Counter(a for b in blocks for seq in b.seqs for a in seq)
    colour = {a: _COLOURS[i] for i, (a, _) in enumerate(counts.most_common(MAX_COLOURS))}
    n_rows = sum(len(b.seqs) for b in blocks) + max(len(blocks) - 1, 0)
    width = max((len(s) for b in blocks for s in b.seqs), default=1)
    fig, axes = new_figure(min(14.0, 6.0 + 0.12 * width), min(30.0, 1.8 + 0.16 * n_rows))
    ax = axes[0][0]
    # one image, a pixel per (row, step): thousands of cells draw in one call
    rgba = {a: to_rgba(c) for a, c in colour.items()}
    other = to_rgba(_OTHER)
    img = np.ones((max(n_rows, 1), width, 4))
    y = 0
    ticks, names = [], []
    ends: dict[bool | None, tuple[list[float], list[float]]] = {
        True: ([], []),
        False: ([], []),
        None: ([], []),
    }
    for b in blocks:
        top = y
        for seq, ok in zip(b.seqs, b.outcomes, strict=True):
            if seq:
                img[y, : len(seq)] = [rgba.get(a, other) for a in seq]
            ends[ok][0].append(len(seq) + 0.6)
            ends[ok][1].append(y + 0.5)
            y += 1
        if b.first_divergence is not None:
            x = b.first_divergence - 1
            ax.plot([x, x], [top - 0.1, y], color="black", lw=1.2)
        ticks.append((top + y) / 2)
        names.append(plain(b.task_id, 40))
        y += 1
    # the outcome at the end of each row: one marker series per outcome (fast for many rows)
    for ok, (marker, col) in {
        True: ("o", "#228833"),
        False: ("X", "#CC3311"),
        None: ("$?$", "#777777"),
    }.items():
        if ends[ok][0]:
            ax.scatter(ends[ok][0], ends[ok][1], marker=marker, s=14, color=col, linewidths=0, zorder=3)
    ax.imshow(img, aspect="auto", interpolation="nearest", extent=(0, width, max(n_rows, 1), 0))
    ax.set_xlim(0, width + 2)
    ax.set_ylim(y, -0.5)
    ax.set_yticks(ticks, names, fontsize=6)
    ax.set_xlabel(
        f"step ({level} level)\nblack line: first divergence of the task's runs; "
        "end of row: green dot resolved, red cross failed, ? no label",
        fontsize=7,
    )
    title = f"Sequence index: {_labels(res)[cfg]}, {len(blocks)} task{'s' if len(blocks) != 1 else ''}"
    if omitted:
        title += f" (first {len(blocks)} of {len(blocks) + omitted} tasks)"
    hidden = sum(b.hidden_steps for b in blocks)
    if hidden:
        title += f"; {hidden} unparsed step(s) left out"
    ax.set_title(title, fontsize=9)
    handles = [Patch(color=c, label=plain(a, 24)) for a, c in colour.items()]
    if len(counts) > len(colour):
        handles.append(Patch(color=_OTHER, label=f"{len(counts) - len(colour)} other actions"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=6, frameon=False)
    name = "sequence_" + safe_name(f"{cfg}_{blocks[0].task_id}" if len(blocks) == 1 else cfg)
    return save(fig, out, name)
