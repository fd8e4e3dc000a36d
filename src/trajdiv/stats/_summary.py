"""Per-configuration summary of every statistic, from the tables the pipeline wrote."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv.stats._across import across_configs
from trajdiv.stats._early import early_warning_rows
from trajdiv.stats._early_groups import early_from_groups
from trajdiv.stats._early_summary import early_summary, load_early_runs
from trajdiv.stats._json import rounded
from trajdiv.stats._outcome import (
    pass1_clustered,
    pass_k_curve,
    per_run_index_pass1,
    single_run_spread,
)
from trajdiv.stats._per_task import PerTask, consistency, verb_counts
from trajdiv.stats._per_task import per_task as per_task_figures
from trajdiv.stats._power import benchmark_runs_needed
from trajdiv.stats._relations import incoherence, spearman, stratified_correlation
from trajdiv.stats._result import Summary
from trajdiv.stats._schemas import STATS_TABLES
from trajdiv.stats._structure import consistent_wrong, structure

__all__ = [
    "STATS_TABLES",
    "SUMMARY_VERSION",
    "EarlyWarnings",
    "SummaryApart",
    "consistent_wrong",
    "early_warnings",
    "summarize",
    "summarize_apart",
]

SUMMARY_VERSION = 1

_r = rounded


def summarize(
    out_dir: Path, *, seed: int = 0, diffs: tuple[float, ...] = (1.0, 2.0, 5.0)
) -> tuple[Summary, dict[str, pl.DataFrame]]:
    """Compute the statistics from the tables in ``out_dir``; returns (summary, tables).

    Parameters
    ----------
    out_dir
        An output folder holding at least ``runs.parquet`` (and, when the stages ran, the
        divergence, strategy and steps tables).
    seed
        Seed of the permutation tests and power simulations.
    diffs
        Differences in points for which whole-benchmark runs needed are reported.
    """
    return summarize_apart(out_dir, seed=seed, diffs=diffs).finish(early_warnings(out_dir))


EarlyWarnings = tuple[str, dict[str, list[dict[str, Any]]]]
"""The abstraction level of the early-warning models and each configuration's rows."""


def early_warnings(out_dir: Path, made: Mapping[tuple[str, str], str] | None = None) -> EarlyWarnings:
    """The early-warning rows of every configuration in ``out_dir`` (the costliest part of
    :func:`summarize`, computed apart so that it can run beside the rest). ``made``: each
    group's early-warning runs made with the groups (:mod:`._early_groups`), used when every
    group of the runs table has them, made at the analysis level (else the steps table is read)."""
    runs = pl.read_parquet(out_dir / "runs.parquet")
    gsum = _read_opt(out_dir / "graph_summary.parquet")
    level = str(gsum["level"][0]) if gsum is not None and gsum.height else "verb"
    if not (out_dir / "steps.parquet").exists():
        return level, {}
    steps = str(out_dir / "steps.parquet")
    configs = sorted(runs["config"].unique().to_list())
    keys = sorted(set(zip(runs["config"].to_list(), runs["task_id"].to_list(), strict=True)))
    schema = pl.read_parquet_schema(steps)
    if (
        made
        and all(c in schema for c in (level, "agent_tokens", "returncode"))
        and all(k in made for k in keys)
    ):
        out = {}
        for cfg in configs:  # one configuration's runs in memory at a time
            from_groups = early_from_groups(made, [k for k in keys if k[0] == cfg], level)
            if from_groups is None:
                break
            early, departures = from_groups.get(cfg, ([], []))
            out[cfg] = early_warning_rows(early, cfg, departures)
        else:
            return level, out
    return level, {  # one configuration's runs in memory at a time
        cfg: early_warning_rows(load_early_runs(steps, runs, level, cfg).get(cfg, []), cfg) for cfg in configs
    }


@dataclass(slots=True)
class SummaryApart:
    """Every statistic but the early-warning models (:func:`summarize_apart`)."""

    summary: dict[str, Any]
    tables: dict[str, pl.DataFrame]

    def finish(self, early: EarlyWarnings) -> tuple[Summary, dict[str, pl.DataFrame]]:
        """The summary and tables of :func:`summarize`, given :func:`early_warnings`."""
        level, by_config = early
        early_rows: list[dict[str, Any]] = []
        for entry in self.summary["configs"]:
            rows = by_config.get(entry["config"], [])
            early_rows += rows
            if rows:
                entry["early_warning"] = {"level": level, **early_summary(rows)}
        tables = {"early_warning": _frame("early_warning", early_rows), **self.tables}
        return Summary.from_json(self.summary), tables


Runner = Callable[..., Callable[[], Any]]
"""``run(fn, *args)`` starts ``fn(*args)`` and returns the call that gives its result."""


def _here(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    value = fn(*args)
    return lambda: value


def summarize_apart(
    out_dir: Path,
    *,
    seed: int = 0,
    diffs: tuple[float, ...] = (1.0, 2.0, 5.0),
    action_jsd: Mapping[tuple[str, str], float | None] | None = None,
    run: Runner | None = None,
) -> SummaryApart:
    """:func:`summarize` without the early-warning models; ``.finish(early_warnings(out_dir))``
    completes it (its ``stats_tasks`` table is final already). ``action_jsd``: each group's
    mean pairwise JSD of its runs' verb counts, made with the groups (used when it has every
    group of the runs table; else they are counted from the steps table). ``run``: how the
    statistics of pairs of configurations (comparisons and power simulations) are made, once
    every configuration's task rates are known: here when None, or in a worker meanwhile (the
    same figures: they draw from their own seeded streams)."""
    runs = pl.read_parquet(out_dir / "runs.parquet")
    has = set(runs.columns)
    groups = _read_opt(out_dir / "divergence_groups.parquet")
    strat = _read_opt(out_dir / "strategies.parquet")
    gsum = _read_opt(out_dir / "graph_summary.parquet")
    steps = out_dir / "steps.parquet"
    made = (
        action_jsd is not None
        and steps.exists()
        and "verb" in pl.read_parquet_schema(steps)
        and set(zip(runs["config"].to_list(), runs["task_id"].to_list(), strict=True)) <= action_jsd.keys()
    )
    verbs = None if made else verb_counts(steps)
    configs_out = []
    task_rows: list[dict[str, Any]] = []
    passk_rows: list[dict[str, Any]] = []
    single_rows: list[dict[str, Any]] = []
    task_p: dict[str, dict[str, tuple[float, int]]] = {}
    task_cv: dict[str, dict[str, float | None]] = {}
    figures = []
    for cfg in sorted(runs["config"].unique().to_list()):
        r = runs.filter(pl.col("config") == cfg).sort("task_id", "run_index", "run_id")
        jsd = {t: v for (c, t), v in action_jsd.items() if c == cfg} if made and action_jsd else None
        per_task = per_task_figures(cfg, r, verbs, groups, has, jsd)
        task_p[cfg], task_cv[cfg] = per_task.p, per_task.cv
        figures.append((cfg, r, per_task))
    across = (run or _here)(across_configs, task_p, task_cv, seed)
    for cfg, r, per_task in figures:
        entry: dict[str, Any] = {
            "config": cfg,
            "model": r["model"][0],
            "scaffold": r["scaffold"][0],
            "n_tasks": r["task_id"].n_unique(),
            "n_runs": r.height,
            "n_labelled_runs": int(r["resolved"].is_not_null().sum()),
        }
        task_rows += per_task.rows
        entry.update(consistency(per_task.rows))
        if per_task.outcomes:
            outcome, pk, single = _outcome(cfg, per_task, diffs)
            entry.update(outcome)
            passk_rows += pk
            single_rows += single
            entry.update(_relations(r, per_task, has, seed))
        entry.update(structure(cfg, groups, strat, gsum))
        configs_out.append(entry)
    summary = {
        "version": SUMMARY_VERSION,
        "configs": configs_out,
        "across_configs": across(),
        "definitions": DEFINITIONS,
    }
    tables = {
        "stats_tasks": _frame("stats_tasks", task_rows),
        "pass_k": _frame("pass_k", passk_rows),
        "single_run": _frame("single_run", single_rows),
    }
    return SummaryApart(summary, tables)


def _outcome(
    cfg: str, per_task: PerTask, diffs: tuple[float, ...]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """pass@1, pass@k, pass^k, single-run spread and incoherence of one configuration, with its
    pass_k and single_run rows."""
    outcomes, nc, idx_rows = per_task.outcomes, per_task.nc, per_task.idx_rows
    ps = [sum(o) / len(o) for o in outcomes]
    p1 = pass1_clustered(ps, [len(o) for o in outcomes])
    spread = single_run_spread(outcomes)
    kmax = max(n for n, _ in nc)
    at = pass_k_curve(nc, "pass_at_k", range(1, kmax + 1))
    hat = pass_k_curve(nc, "pass_hat_k", range(1, kmax + 1))
    passk_rows = [
        {
            "config": cfg,
            "k": k,
            "n_tasks": at[k][3],
            "pass_at_k": at[k][0],
            "pass_at_k_low": at[k][1],
            "pass_at_k_high": at[k][2],
            "pass_hat_k": hat[k][0],
            "pass_hat_k_low": hat[k][1],
            "pass_hat_k_high": hat[k][2],
        }
        for k in sorted(at)
    ]
    by_idx = per_run_index_pass1(idx_rows)
    single_rows = [
        {"config": cfg, "run_index": k, "n_tasks": sum(1 for x in idx_rows if x[1] == k), "pass1": p_idx}
        for k, p_idx in by_idx.items()
    ]
    sigma_pts = 100 * spread.sd
    entry = {
        "n_tasks_labelled": len(outcomes),
        "pass1": {
            "mean": _r(p1.mean),
            "se": _r(p1.se),
            "ci95": None if p1.ci95 is None else [_r(p1.ci95[0]), _r(p1.ci95[1])],
        },
        "pass1_by_run_index": {str(k): _r(v) for k, v in by_idx.items()},
        "single_run_pass1": {
            "min": _r(spread.min),
            "max": _r(spread.max),
            "sd": _r(spread.sd),
            "mean": _r(spread.mean),
            "range_points": _r(spread.range_points),
            "n_selections": spread.n_selections,
        },
        "pass_at_k": {str(k): _r(v[0]) for k, v in at.items()},
        "pass_at_k_ci95": {str(k): [_r(v[1]), _r(v[2])] for k, v in at.items()},
        "pass_hat_k": {str(k): _r(v[0]) for k, v in hat.items()},
        "pass_hat_k_ci95": {str(k): [_r(v[1]), _r(v[2])] for k, v in hat.items()},
        "incoherence": _r(incoherence(ps)),
        "power": {
            "single_run_sd_points": _r(sigma_pts),
            "benchmark_runs_needed": {
                f"{d:g}": (benchmark_runs_needed(sigma_pts, d) if sigma_pts > 0 else 1) for d in diffs
            },
        },
    }
    return entry, passk_rows, single_rows


def _relations(r: pl.DataFrame, per_task: PerTask, has: set[str], seed: int) -> dict[str, Any]:
    """CV of steps against success across tasks; divergence timing against success, pooled and
    within tasks."""
    cv_s = [(cv, per_task.p[t][0]) for t in per_task.p if (cv := per_task.cv.get(t)) is not None]
    out: dict[str, Any] = {
        "cv_vs_success": _rel(spearman([a for a, _ in cv_s], [b for _, b in cv_s], seed=seed))
    }
    if "div_token_pct_median" in has:
        rr = r.filter(pl.col("resolved").is_not_null() & pl.col("div_token_pct_median").is_not_null())
        x = rr["div_token_pct_median"].to_list()
        y = [float(v) for v in rr["resolved"].to_list()]
        pooled = stratified_correlation(x, y, ["all"] * len(x), seed=seed)
        within = stratified_correlation(x, y, rr["task_id"].to_list(), seed=seed)
        out["divergence_vs_success"] = {
            "measure": "run's median first token divergence, % of shorter stream",
            "pooled": _rel(pooled, "correlation over all runs, permutation over runs"),
            "within_task": _rel(within),
        }
    return out


def _frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    from trajdiv.tables import frame

    return frame(name, rows)


def _read_opt(path: Path) -> pl.DataFrame | None:
    return pl.read_parquet(path) if path.exists() else None


MIN_MIXED_TASKS = 5
"""Fewer tasks with mixed outcomes than this, and a within-task relation is flagged, not a finding."""


def _rel(rel: Any, method: str | None = None) -> dict[str, Any]:
    out = {
        "estimate": _r(rel.estimate),
        "p_value": _r(rel.p_value),
        "n": rel.n,
        "method": method or rel.method,
    }
    if rel.n_strata is not None and method is None:
        out["mixed_tasks"] = rel.n_strata
        out["flag"] = (
            f"only {rel.n_strata} task(s) with mixed outcomes (fewer than {MIN_MIXED_TASKS}): not a finding"
            if rel.n_strata < MIN_MIXED_TASKS
            else None
        )
    return out


DEFINITIONS = {
    "pass1": "mean over tasks of the task success rate; se = sd over tasks (ddof=1) / sqrt(T) "
    "(tasks as clusters, Miller 2024); ci95 = Student-t score interval on the effective number "
    "of runs m(1-m)/se^2, at most all runs (never of zero width)",
    "pass_at_k": "mean over tasks of 1 - C(n-c,k)/C(n,k) (Chen et al. 2021); tasks with n < k left out",
    "pass_hat_k": "mean over tasks of C(c,k)/C(n,k) (Yao et al. 2024)",
    "single_run_pass1": "pass@1 from one run per task over all selections of that run (exact)",
    "cv": "sample sd (ddof=1) / mean * 100 over a task's runs; mean over tasks",
    "incoherence": "sum p(1-p) / sum (1-p) over tasks (Brier-form variance share of error)",
    "hal": "HAL reliability: (2p-1)^2, exp(-CV) of cost/time/calls, mean pairwise JSD of verb counts",
    "first_divergence": "first step at which not all runs of a group agree, per abstraction level; "
    "steps whose output could not be parsed are left out unless --keep-format-errors",
    "consistent_wrong": "see trajdiv.stats.consistent_wrong",
    "comparison": "paired t-test over the shared tasks (task-clustered SE, floored at 1/(n T)); "
    "p-values Holm-adjusted over all pairs; each interval at the level Holm grants its pair",
    "power": "simulated for the comparison's test: observed tasks resampled, A shifted on the "
    "logit scale to a mean difference D (trajdiv.stats.PowerModel)",
    "early_warning": "AUROC of predicting failure from the first k steps; across tasks: a model "
    "cross-fitted over two halves of the tasks, jackknife interval; within tasks: departure from "
    "the other successful runs' prefix tree, score interval over tasks (as pass1)",
}
