"""The plot kinds trajdiv draws from an analysis output folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trajdiv._errors import UsageError
from trajdiv.plot._common import MAX_POINTS as _MAX_POINTS
from trajdiv.plot._common import MAX_TASKS as _MAX_TASKS
from trajdiv.plot._common import config_labels
from trajdiv.plot._common import configs as _configs
from trajdiv.plot._common import horizontal as _horizontal
from trajdiv.plot._common import labels as _labels
from trajdiv.plot._common import legend as _legend
from trajdiv.plot._common import style as _style
from trajdiv.plot._graphs import plot_across, plot_graph
from trajdiv.plot._sequence import plot_sequence
from trajdiv.plot._style import PALETTE, new_figure, save
from trajdiv.stats._result import Summary

__all__ = ["NEEDS_REPEATS", "PLOT_KINDS", "left_out", "plot_all", "plot_one"]


def plot_divergence(res: Path, out: Path, **_: Any) -> list[Path]:
    """First-divergence positions per configuration: token % (pairs) and step (groups)."""
    lab = _labels(res)
    pairs = pl.read_parquet(res / "divergence_pairs.parquet")
    groups = pl.read_parquet(res / "divergence_groups.parquet")
    cfgs = [c for c in _configs(groups) if groups.filter(pl.col("config") == c)["n_runs"].max() > 1]  # type: ignore[operator]
    fig, axes = new_figure(7.2, 0.6 + 0.45 * max(len(cfgs), 2) + 1.2, ncols=2)
    rng = np.random.default_rng(0)
    ax = axes[0][0]
    for i, c in enumerate(cfgs):
        v = pairs.filter(pl.col("config") == c)["token_div_pct_shorter"].drop_nulls().to_numpy()
        if len(v):
            shown = v if len(v) <= _MAX_POINTS else np.sort(rng.choice(v, _MAX_POINTS, replace=False))
            ax.boxplot(v, positions=[i], widths=0.5, showfliers=False, **_horizontal())
            ax.scatter(shown, i + rng.uniform(-0.15, 0.15, len(shown)), s=6, alpha=0.5, color=PALETTE[i % 8])
    ax.set_xscale("symlog", linthresh=0.01)
    ax.set_xlim(left=0)
    ax.set_yticks(range(len(cfgs)), [lab[c] for c in cfgs])
    ax.set_xlabel("first differing agent token\n(% of the shorter stream, symlog)")
    ax.set_title("Token level, run pairs")
    ax = axes[0][1]
    levels = ("exact", "verb", "phase")
    width = 0.8 / len(levels)
    for j, lvl in enumerate(levels):
        means = []
        for c in cfgs:
            col = groups.filter(pl.col("config") == c)[f"first_div_step_{lvl}"].drop_nulls()
            means.append(float(col.mean()) if col.len() else np.nan)  # type: ignore[arg-type]
        ax.barh(np.arange(len(cfgs)) + (j - 1) * width, means, height=width, label=lvl, color=PALETTE[j])
    ax.set_yticks(range(len(cfgs)), [""] * len(cfgs))
    ax.set_xlabel("mean first divergence step\n(first step where a task's runs disagree)")
    ax.set_title("Step level, by abstraction")
    _legend(ax, frameon=False, fontsize=8)
    return save(fig, out, "divergence")


def plot_agreement(res: Path, out: Path, **_: Any) -> list[Path]:
    """Share of run pairs still identical through each step, per configuration and level."""
    lab = _labels(res)
    curve = pl.read_parquet(res / "agreement_curve.parquet")
    levels = ("exact", "verb", "phase")
    fig, axes = new_figure(7.2, 2.8, ncols=3)
    for j, lvl in enumerate(levels):
        ax = axes[0][j]
        c = curve.filter((pl.col("level") == lvl) & (pl.col("step") <= 15))
        for i, cfg in enumerate(_configs(c) if c.height else []):
            m = (
                c.filter(pl.col("config") == cfg)
                .group_by("step")
                .agg(pl.col("share_identical").mean())
                .sort("step")
            )
            ax.plot(m["step"], m["share_identical"], marker="o", ms=3, **_style(i), label=lab[cfg])
        ax.set_title(f"{lvl} level")
        ax.set_xlabel("step (the first 15)")
        ax.set_ylim(-0.02, 1.02)
        if j == 0:
            ax.set_ylabel("share of run pairs identical so far")
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(
            handles, labels, loc="outside lower center", ncols=min(4, len(labels)), frameon=False, fontsize=7
        )
    return save(fig, out, "agreement")


def plot_passk(res: Path, out: Path, **_: Any) -> list[Path]:
    """pass@k and pass^k against k with their 95% intervals (clustered score intervals)."""
    lab = _labels(res)
    pk = pl.read_parquet(res / "pass_k.parquet")
    fig, axes = new_figure(7.2, 3.2, ncols=2)
    for j, (col, title) in enumerate((("pass_at_k", "pass@k"), ("pass_hat_k", "pass^k"))):
        ax = axes[0][j]
        for i, cfg in enumerate(_configs(pk) if pk.height else []):
            d = pk.filter(pl.col("config") == cfg).sort("k")
            if d.height < 2:
                continue
            ax.plot(d["k"], d[col], marker="o", ms=3, **_style(i), label=lab[cfg])
            ax.fill_between(d["k"], d[f"{col}_low"], d[f"{col}_high"], color=_style(i)["color"], alpha=0.15)
        ax.set_xlabel("k")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(title)
    axes[0][0].set_ylabel("rate (95% interval over tasks)")
    _legend(axes[0][1], frameon=False, fontsize=7)
    return save(fig, out, "passk")


def plot_cv(res: Path, out: Path, **_: Any) -> list[Path]:
    """Per task: coefficient of variation of steps against success rate."""
    lab = _labels(res)
    st = pl.read_parquet(res / "stats_tasks.parquet").drop_nulls(["cv_steps_pct", "success_rate"])
    fig, axes = new_figure(5.0, 3.6)
    ax = axes[0][0]
    for i, cfg in enumerate(_configs(st) if st.height else []):
        d = st.filter(pl.col("config") == cfg)
        ax.scatter(
            d["cv_steps_pct"],
            d["success_rate"],
            s=18,
            color=_style(i)["color"],
            marker="os^Dv<>p"[(i // 8) % 8],
            label=lab[cfg],
            alpha=0.8,
            edgecolors="none",
        )
    ax.set_xlabel("CV of steps across a task's runs (%)")
    ax.set_ylabel("task success rate")
    ax.set_ylim(-0.05, 1.05)
    _legend(ax, frameon=False, fontsize=7)
    return save(fig, out, "cv")


def plot_spread(res: Path, out: Path, **_: Any) -> list[Path]:
    """Exact distribution of single-run pass@1 over selections of one run per task."""
    lab = _labels(res)
    from trajdiv.stats._outcome import single_run_distribution

    runs = pl.read_parquet(res / "runs.parquet").filter(pl.col("resolved").is_not_null())
    single = pl.read_parquet(res / "single_run.parquet")
    cfgs = [c for c in _configs(runs) if runs.filter(pl.col("config") == c)["task_id"].n_unique() > 1]
    fig, axes = new_figure(7.2, 1.0 + 0.9 * max(len(cfgs), 1))
    ax = axes[0][0]
    for i, cfg in enumerate(cfgs):
        r = runs.filter(pl.col("config") == cfg)
        outcomes = [g["resolved"].to_list() for _, g in r.group_by("task_id", maintain_order=True)]
        pmf = single_run_distribution(outcomes)
        xs = np.arange(len(pmf)) / len(outcomes)
        keep = pmf > 1e-6
        ax.vlines(xs[keep], i, i + 0.8 * pmf[keep] / pmf.max(), color=PALETTE[i % 8], lw=2)
        s = single.filter(pl.col("config") == cfg)
        ax.scatter(s["pass1"], [i - 0.12] * s.height, marker="^", s=16, color="black", zorder=3)
    ax.set_yticks(range(len(cfgs)), [lab[c] for c in cfgs])
    ax.set_xlabel(
        "pass@1 reported from one run per task\n(bars: exact distribution over every "
        "choice of that run; triangles: run 1, run 2, ...)"
    )
    ax.set_xlim(-0.02, 1.02)
    return save(fig, out, "spread")


def plot_steps(res: Path, out: Path, **_: Any) -> list[Path]:
    """Steps of each run, per task and configuration, coloured by outcome."""
    lab = _labels(res)
    runs = pl.read_parquet(res / "runs.parquet")
    cfgs = _configs(runs)[:6]
    fig, axes = new_figure(7.2, 1.6 * len(cfgs) + 0.6, nrows=len(cfgs))
    colour = {True: PALETTE[2], False: PALETTE[3], None: "#999999"}
    for i, cfg in enumerate(cfgs):
        ax = axes[i][0]
        r = runs.filter(pl.col("config") == cfg).sort("task_id")
        tasks = r["task_id"].unique(maintain_order=True).to_list()[:_MAX_TASKS]
        r = r.filter(pl.col("task_id").is_in(tasks))
        x = {t: k for k, t in enumerate(tasks)}
        for ok in (True, False, None):
            d = r.filter(pl.col("resolved").is_null() if ok is None else pl.col("resolved") == ok)
            ax.scatter(
                [x[t] for t in d["task_id"]],
                d["n_steps"],
                s=10,
                color=colour[ok],
                label={True: "resolved", False: "failed", None: "no label"}[ok],
            )
        short = config_labels(tasks, width=18)  # distinct even where ids share a long prefix
        ax.set_xticks(range(len(tasks)), [short[t] for t in tasks], rotation=45, ha="right", fontsize=6)
        ax.set_ylabel("steps")
        n_tasks = (
            r["task_id"].n_unique()
            if len(tasks) < _MAX_TASKS
            else runs.filter(pl.col("config") == cfg)["task_id"].n_unique()
        )
        shown = f"task (first {len(tasks)} of {n_tasks})" if len(tasks) < n_tasks else "task"
        ax.set_xlabel(shown, fontsize=7)
        ax.set_title(lab[cfg], fontsize=8)
    all_cfgs = _configs(runs)
    if len(all_cfgs) > len(cfgs):
        fig.suptitle(f"first {len(cfgs)} of {len(all_cfgs)} configurations", fontsize=8)
    _legend(axes[0][0], frameon=False, fontsize=7, ncols=3)
    return save(fig, out, "steps")


def plot_power(res: Path, out: Path, **_: Any) -> list[Path]:
    """Power of the paired test against the difference D, for 1, 3, 5 and 10 runs per task on
    the tasks a pair shares (simulated; ``across_configs[].power.curve`` in summary.json); one
    panel per pair, up to three."""
    lab = _labels(res)
    powered = [a for a in Summary.read(res / "summary.json").across_configs if a.power and a.power.curve]
    pairs = powered[:3]
    if not pairs:
        raise UsageError(f"{res}: no two configurations share a labelled task; no power curve")
    fig, axes = new_figure(3.4 * len(pairs), 3.2, ncols=len(pairs))
    for j, a in enumerate(pairs):
        ax = axes[0][j]
        pw = a.power
        assert pw is not None
        diffs = [100 * d for d in pw.curve_diffs]
        for i, (runs, values) in enumerate(sorted(pw.curve.items())):
            ax.plot(
                diffs,
                [np.nan if v is None else v for v in values],
                marker="o",
                ms=3,
                color=PALETTE[i % 8],
                label=f"{runs} run{'' if runs == 1 else 's'} per task",
            )
        ax.axhline(0.8, color="0.6", lw=0.8, ls="--")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("true difference D (points of pass@1)")
        ax.set_title(f"{lab[a.a]} vs {lab[a.b]}\n{a.shared_tasks} shared tasks", fontsize=8)
    axes[0][0].set_ylabel("power of the paired t-test")
    _legend(axes[0][-1], frameon=False, fontsize=7)
    if len(powered) > len(pairs):
        fig.suptitle(
            f"the first {len(pairs)} of {len(powered)} pairs with a power curve (summary.json has all)",
            fontsize=8,
        )
    return save(fig, out, "power")


_EARLY_SERIES = 8
"""Configurations drawn in the early-warning plot."""


def plot_early(res: Path, out: Path, **_: Any) -> list[Path]:
    """AUROC of predicting a run's failure from its first k steps, against k, per
    configuration: across tasks (model cross-fitted over halves of the tasks) and within tasks (departure from the
    successful runs' path), with 95% intervals; 0.5 is chance."""
    lab = _labels(res)
    ew = pl.read_parquet(res / "early_warning.parquet").filter(pl.col("k").is_not_null())
    if ew.height == 0 or ew["auroc"].drop_nulls().len() == 0:
        raise UsageError(f"{res}: no early-warning figures (no labelled runs with steps)")
    fig, axes = new_figure(7.2, 3.2, ncols=2)
    for j, (scope, title) in enumerate(
        (("across_tasks", "across tasks (new task)"), ("within_task", "within tasks"))
    ):
        ax = axes[0][j]
        for i, cfg in enumerate(_configs(ew)[:_EARLY_SERIES]):
            d = (
                ew.filter((pl.col("config") == cfg) & (pl.col("scope") == scope))
                .drop_nulls("auroc")
                .sort("k")
            )
            if d.height == 0:
                continue
            ax.plot(d["k"], d["auroc"], marker="o", ms=3, **_style(i), label=lab[cfg])
            band = d.drop_nulls("ci_low")
            if band.height:
                ax.fill_between(
                    band["k"], band["ci_low"], band["ci_high"], color=_style(i)["color"], alpha=0.12
                )
        ax.axhline(0.5, color="0.6", lw=0.8, ls="--")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("steps seen (k)")
        ax.set_title(title, fontsize=9)
    axes[0][0].set_ylabel("AUROC for failure (95% interval)")
    _legend(axes[0][1], frameon=False, fontsize=7)
    if len(_configs(ew)) > _EARLY_SERIES:
        fig.suptitle(
            f"the first {_EARLY_SERIES} of {len(_configs(ew))} configurations (early_warning table has all)",
            fontsize=8,
        )
    return save(fig, out, "early")


PLOT_KINDS: dict[str, Callable[..., list[Path]]] = {
    "divergence": plot_divergence,
    "agreement": plot_agreement,
    "graph": plot_graph,
    "across": plot_across,
    "passk": plot_passk,
    "cv": plot_cv,
    "spread": plot_spread,
    "steps": plot_steps,
    "power": plot_power,
    "early": plot_early,
    "sequence": plot_sequence,
}

NEEDS_REPEATS = frozenset({"divergence", "agreement", "graph", "across", "passk", "cv", "spread", "sequence"})
"""Plot kinds that say nothing without repeated runs of a task."""


def left_out(summary: Summary) -> dict[str, str]:
    """The plot kinds :func:`plot_all` leaves out for this analysis, with the reason."""
    out: dict[str, str] = {}
    if not any(c.has_repeats for c in summary.configs):
        reason = (
            "no task was run more than once: there is no divergence, agreement, strategy or spread to show"
        )
        out.update(dict.fromkeys(sorted(NEEDS_REPEATS), reason))
    if "early" not in out and not any(c.early_warning for c in summary.configs):
        out["early"] = "no configuration has labelled runs with steps to predict from"
    if "power" not in out and not any(a.power and a.power.curve for a in summary.across_configs):
        out["power"] = "no two configurations share two or more labelled tasks"
    return out


def plot_one(
    kind: str,
    results: Path,
    out: Path,
    *,
    task: str | None = None,
    config: str | None = None,
    level: str | None = None,
) -> list[Path]:
    """Draw plot ``kind`` from the output folder ``results`` of an analysis (``level``: of the
    sequence plot; default the analysis's graph level); ``kind`` "all" draws what
    :func:`plot_all` draws."""
    if kind not in PLOT_KINDS and kind != "all":
        raise UsageError(f"unknown plot kind {kind!r}; kinds: all, {', '.join(PLOT_KINDS)}")
    if not (results / "runs.parquet").exists():
        raise UsageError(f"{results} is not the output folder of `trajdiv analyze`")
    try:
        if kind == "all":
            return plot_all(results, Summary.read(results / "summary.json"), out=out)
        return PLOT_KINDS[kind](results, out, task=task, config=config, level=level)
    except FileNotFoundError as exc:
        what = Path(str(exc.filename)).name if exc.filename else str(exc).splitlines()[0]
        raise UsageError(f"{results}: missing {what}; run `trajdiv analyze` first") from None
    except (pl.exceptions.PolarsError, ValueError, KeyError, TypeError) as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        raise UsageError(
            f"{results}: damaged analysis output ({type(exc).__name__}: {first}); run `trajdiv analyze` again"
        ) from None


def plot_all(results: Path, summary: Summary, graphs: int = 3, out: Path | None = None) -> list[Path]:
    """Every plot kind into ``out`` (default ``results/plots``), but those :func:`left_out`
    names; the branching graph and the sequence index plot for up to ``graphs`` configurations
    with repeated runs."""
    out = out or results / "plots"
    paths: list[Path] = []
    skip = left_out(summary)
    with_repeats = [c.config for c in summary.configs if c.has_repeats][:graphs]
    for kind, fn in PLOT_KINDS.items():
        if kind in skip:
            continue
        if kind in ("graph", "sequence"):
            for cfg in with_repeats:
                paths += fn(results, out, config=cfg)
        elif kind == "across":
            if any((results / "graphs" / "_across").glob("*.json")):
                paths += fn(results, out)
        elif kind != "early" or (results / "early_warning.parquet").exists():
            paths += fn(results, out)
    return paths
