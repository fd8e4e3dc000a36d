"""One configuration's figures per task (consistency, HAL reliability, outcomes), read from its
runs and the steps' verb counts in one pass over each table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trajdiv.stats._consistency import (
    consistency_of_cv,
    cv_pct_each,
    mean_pairwise_jsd,
    outcome_consistency,
)
from trajdiv.stats._json import rounded
from trajdiv.tables import spans

__all__ = ["PerTask", "consistency", "per_task", "verb_counts"]

_r = rounded


def verb_counts(steps: Path) -> pl.DataFrame | None:
    if not steps.exists() or "verb" not in pl.read_parquet_schema(steps):
        return None
    return (
        pl.scan_parquet(steps)
        .group_by("config", "task_id", "run_id", "verb")
        .agg(pl.len().alias("n"))
        .sort("config", "task_id", "run_id", "verb")
        .collect()
    )


@dataclass(slots=True)
class PerTask:
    """One configuration's per-task figures."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[list[bool]] = field(default_factory=list)
    nc: list[tuple[int, int]] = field(default_factory=list)
    """(labelled runs, successes) per task with labels."""
    idx_rows: list[tuple[str, int, bool]] = field(default_factory=list)
    p: dict[str, tuple[float, int]] = field(default_factory=dict)
    cv: dict[str, float | None] = field(default_factory=dict)


def per_task(
    cfg: str,
    r: pl.DataFrame,
    verbs: pl.DataFrame | None,
    groups: pl.DataFrame | None,
    has: set[str],
    jsd: Mapping[str, float | None] | None = None,
) -> PerTask:
    """``r``: the configuration's runs sorted by task, run index and run id (tasks contiguous);
    ``jsd``: each task's mean pairwise JSD of verb counts made already (else from ``verbs``)."""
    out = PerTask()
    jsd_by_task: dict[str, float | None] = dict(jsd or {})
    if verbs is not None and jsd is None:
        v = verbs.filter(pl.col("config") == cfg)  # sorted by task, run, verb
        counts: dict[str, dict[str, Counter[str]]] = {}
        for task, run, verb, n in zip(
            v["task_id"].to_list(), v["run_id"].to_list(), v["verb"].to_list(), v["n"].to_list(), strict=True
        ):
            counts.setdefault(task, {}).setdefault(run, Counter())[verb] = n
        jsd_by_task = {task: mean_pairwise_jsd(list(runs.values())) for task, runs in counts.items()}
    distinct = {}
    if groups is not None and "n_distinct_exact" in groups.columns:
        for row in groups.filter(pl.col("config") == cfg).iter_rows(named=True):
            distinct[row["task_id"]] = row["n_distinct_exact"] == row["n_runs"] and row["n_runs"] > 1
    names = ["task_id", "run_index", "resolved", "api_calls", "n_steps", "cost", "duration_s"]
    names += [c for c in ("agent_tokens", "total_tokens") if c in has]
    col = {c: r[c].to_list() for c in names}
    bounds = list(spans(col["task_id"]))
    cv = {  # each column's CV per task, all at once
        c: cv_pct_each([col[c][start:end] for start, end in bounds])
        for c in ("n_steps", "cost", "duration_s", *(t for t in ("agent_tokens", "total_tokens") if t in has))
    }
    cv["calls"] = cv_pct_each(
        [
            col["n_steps"][start:end] if None in col["api_calls"][start:end] else col["api_calls"][start:end]
            for start, end in bounds
        ]
    )
    for i, (start, end) in enumerate(bounds):
        task = str(col["task_id"][start])
        sl = {c: v[start:end] for c, v in col.items()}
        lab = [bool(x) for x in sl["resolved"] if x is not None]
        for ri, ok in zip(sl["run_index"], sl["resolved"], strict=True):
            if ok is not None:
                out.idx_rows.append((task, int(ri), bool(ok)))
        p = sum(lab) / len(lab) if lab else None
        if lab:
            out.outcomes.append(lab)
            out.nc.append((len(lab), sum(lab)))
            out.p[task] = (p or 0.0, len(lab))
        cvs = cv["n_steps"][i]
        out.cv[task] = cvs
        out.rows.append(
            {
                "config": cfg,
                "task_id": task,
                "n_runs": len(sl["task_id"]),
                "n_labelled": len(lab),
                "n_resolved": sum(lab),
                "success_rate": p,
                "cv_steps_pct": cvs,
                "cv_agent_tokens_pct": cv["agent_tokens"][i] if "agent_tokens" in has else None,
                "cv_total_tokens_pct": cv["total_tokens"][i] if "total_tokens" in has else None,
                "cv_cost_pct": cv["cost"][i],
                "outcome_consistency": None if p is None else outcome_consistency(p),
                "resource_consistency_cost": consistency_of_cv(cv["cost"][i]),
                "resource_consistency_time": consistency_of_cv(cv["duration_s"][i]),
                "resource_consistency_calls": consistency_of_cv(cv["calls"][i]),
                "action_jsd": jsd_by_task.get(task),
                "all_distinct": distinct.get(task),
            }
        )
    return out


def consistency(trows: list[dict[str, Any]]) -> dict[str, Any]:
    def mean_of(col: str) -> float | None:
        xs = [x[col] for x in trows if x[col] is not None]
        return _r(float(np.mean(xs))) if xs else None

    return {
        "cv_steps_mean_pct": mean_of("cv_steps_pct"),
        "cv_agent_tokens_mean_pct": mean_of("cv_agent_tokens_pct"),
        "cv_total_tokens_mean_pct": mean_of("cv_total_tokens_pct"),
        "cv_cost_mean_pct": mean_of("cv_cost_pct"),
        "share_tasks_all_distinct": mean_of("all_distinct"),
        "hal": {
            "outcome_consistency": mean_of("outcome_consistency"),
            "resource_consistency_cost": mean_of("resource_consistency_cost"),
            "resource_consistency_time": mean_of("resource_consistency_time"),
            "resource_consistency_calls": mean_of("resource_consistency_calls"),
            "action_jsd": mean_of("action_jsd"),
        },
    }
