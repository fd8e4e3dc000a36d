"""How a configuration's runs are structured: first divergence per level, strategies, and
whether its failures repeat one approach."""

from __future__ import annotations

from typing import Any

import polars as pl

from trajdiv.stats._json import rounded as _r

__all__ = ["consistent_wrong", "structure"]


def consistent_wrong(strat: pl.DataFrame) -> dict[str, Any]:
    """Whether a configuration's failures repeat one approach.

    ``share_tasks_one_failing_strategy``: among tasks with two or more failing runs, the share
    whose failing runs all sit in one strategy cluster. ``share_failures_in_shared_cluster``:
    the share of failing runs whose strategy cluster holds at least one other failing run.
    ``share_failures_on_all_fail_tasks``: the label-free structural proxy ("Consistency
    Amplifies"), the share of failing runs on tasks where every run fails.
    """
    fails = strat.filter(pl.col("resolved") == False)  # noqa: E712 - polars expression
    n_fail = fails.height
    per_task = fails.group_by("task_id").agg(pl.len().alias("n"), pl.col("strategy").n_unique().alias("k"))
    multi = per_task.filter(pl.col("n") >= 2)
    cluster_sizes = fails.group_by("task_id", "strategy").agg(pl.len().alias("m"))
    in_shared = int(cluster_sizes.filter(pl.col("m") >= 2)["m"].sum()) if cluster_sizes.height else 0
    lab = strat.filter(pl.col("resolved").is_not_null())
    task_all_fail = lab.group_by("task_id").agg((~pl.col("resolved")).all().alias("all_fail"))
    on_all_fail = fails.join(task_all_fail.filter(pl.col("all_fail")), on="task_id").height
    return {
        "failing_runs": n_fail,
        "tasks_with_failure": per_task.height,
        "tasks_with_2plus_failures": multi.height,
        "share_tasks_one_failing_strategy": _r((multi["k"] == 1).mean() if multi.height else None),
        "share_failures_in_shared_cluster": _r(in_shared / n_fail if n_fail else None),
        "failures_on_all_fail_tasks": on_all_fail,
        "share_failures_on_all_fail_tasks": _r(on_all_fail / n_fail if n_fail else None),
    }


def structure(
    cfg: str, groups: pl.DataFrame | None, strat: pl.DataFrame | None, gsum: pl.DataFrame | None
) -> dict[str, Any]:
    """First divergence per level, and strategies, of one configuration."""
    out: dict[str, Any] = {}
    if groups is not None:
        out["first_divergence"] = _divergence_summary(groups.filter(pl.col("config") == cfg))
    if strat is not None and gsum is not None:
        g = gsum.filter(pl.col("config") == cfg)
        s = strat.filter(pl.col("config") == cfg)
        out["strategies"] = {
            "level": g["level"][0] if g.height else None,
            "mean_n_strategies": _r(g["n_strategies"].mean()) if g.height else None,
            "mean_entropy_bits": _r(g["strategy_entropy_bits"].mean()) if g.height else None,
            "consistent_wrong": consistent_wrong(s),
        }
    return out


def _divergence_summary(g: pl.DataFrame) -> dict[str, Any]:
    from trajdiv.align._abstraction import LEVELS

    out: dict[str, Any] = {}
    for lvl in LEVELS:
        col = g[f"first_div_step_{lvl}"].drop_nulls()
        out[lvl] = {
            "mean_step": _r(col.mean()) if col.len() else None,
            "median_step": _r(col.median()) if col.len() else None,
            "groups_diverging": col.len(),
        }
    tok = g["token_div_pct_median"].drop_nulls()
    out["token_pct_median"] = _r(tok.median()) if tok.len() else None
    out["token_pct_of_mean_median"] = (
        _r(g["token_div_pct_mean_median"].drop_nulls().median()) if tok.len() else None
    )
    return out
