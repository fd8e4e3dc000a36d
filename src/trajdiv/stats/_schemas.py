"""The tables the statistics stage writes, declared once (``trajdiv schema`` prints them)."""

from __future__ import annotations

import polars as pl

from trajdiv.tables import F64, I64, Str, register_schema

__all__ = ["STATS_TABLES"]

STATS_TABLES = ("early_warning", "stats_tasks", "pass_k", "single_run")

register_schema(
    "early_warning",
    {
        "config": (Str, "configuration label"),
        "k": (I64, "prefix length in steps; null for a fraction of each run's length"),
        "fraction": (F64, "prefix as a fraction of each run's length; null when k is set"),
        "scope": (
            Str,
            "across_tasks (model cross-fitted over halves of the tasks) or within_task (departure from successful runs)",
        ),
        "auroc": (F64, "AUROC of predicting failure from the prefix"),
        "ci_low": (F64, "lower end of its 95% interval"),
        "ci_high": (F64, "upper end"),
        "n_runs": (I64, "labelled runs behind the figure"),
        "n_tasks": (I64, "tasks behind the figure (within_task: tasks with a failure and 2+ successes)"),
    },
)
register_schema(
    "stats_tasks",
    {
        "config": (Str, "configuration label"),
        "task_id": (Str, "task id"),
        "n_runs": (I64, "runs"),
        "n_labelled": (I64, "runs with an outcome label"),
        "n_resolved": (I64, "runs resolved"),
        "success_rate": (F64, "n_resolved / n_labelled"),
        "cv_steps_pct": (F64, "CV of steps per run (ddof=1), %"),
        "cv_agent_tokens_pct": (F64, "CV of agent-output tokens per run, %"),
        "cv_total_tokens_pct": (F64, "CV of total tokens per run, %"),
        "cv_cost_pct": (F64, "CV of cost per run, %"),
        "outcome_consistency": (F64, "HAL (2p-1)^2"),
        "resource_consistency_cost": (F64, "HAL exp(-CV) of cost"),
        "resource_consistency_time": (F64, "HAL exp(-CV) of wall-clock time"),
        "resource_consistency_calls": (
            F64,
            "HAL exp(-CV) of model calls (steps when calls unknown)",
        ),
        "action_jsd": (F64, "mean pairwise Jensen-Shannon divergence of verb counts (base 2)"),
        "all_distinct": (pl.Boolean, "every run took a different exact action sequence"),
    },
)
register_schema(
    "pass_k",
    {
        "config": (Str, "configuration label"),
        "k": (I64, "k"),
        "n_tasks": (I64, "tasks with at least k labelled runs"),
        "pass_at_k": (F64, "unbiased pass@k (Chen et al. 2021)"),
        "pass_at_k_low": (F64, "lower end of the 95% clustered score interval over tasks"),
        "pass_at_k_high": (F64, "upper end of that interval"),
        "pass_hat_k": (F64, "pass^k (Yao et al. 2024)"),
        "pass_hat_k_low": (F64, "lower end of the 95% clustered score interval over tasks"),
        "pass_hat_k_high": (F64, "upper end of that interval"),
    },
)
register_schema(
    "single_run",
    {
        "config": (Str, "configuration label"),
        "run_index": (I64, "run index"),
        "n_tasks": (I64, "tasks with a labelled run of this index"),
        "pass1": (F64, "pass@1 of this run index alone"),
    },
)
