"""Early warning from an analysis folder: the labelled runs read from its tables, and the
per-configuration summary entry."""

from __future__ import annotations

from collections.abc import Sequence

from trajdiv.stats._early import EarlyRun
from trajdiv.stats._json import rounded

__all__ = ["THRESHOLD", "early_summary", "load_early_runs"]


def load_early_runs(
    steps_path: str, runs: object, level: str, config: str | None = None
) -> dict[str, list[EarlyRun]]:
    """Per configuration, the labelled runs as :class:`EarlyRun` (format-error steps left out),
    from ``steps.parquet`` and the runs table; with ``config``, that configuration's only (one
    configuration's steps in memory at a time)."""
    import polars as pl

    assert isinstance(runs, pl.DataFrame)
    cols = ["config", "task_id", "run_id", "step", level, "agent_tokens", "returncode"]
    schema = pl.read_parquet_schema(steps_path)
    if not all(c in schema for c in cols):
        return {}
    steps = pl.scan_parquet(steps_path).select(cols + (["format_error"] if "format_error" in schema else []))
    if config is not None:
        steps = steps.filter(pl.col("config") == config)
    if "format_error" in schema:
        steps = steps.filter(~pl.col("format_error").fill_null(False))
    grouped = (
        steps.sort("config", "task_id", "run_id", "step")
        .group_by("config", "task_id", "run_id", maintain_order=True)
        .agg(
            pl.col(level).cast(pl.String).fill_null("None").alias("actions"),
            pl.col("agent_tokens").fill_null(0),
            (pl.col("returncode").fill_null(0) != 0).alias("returncode"),
        )
        .collect()
    )
    outcome = {
        (c, t, r): v
        for c, t, r, v in runs.select("config", "task_id", "run_id", "resolved").iter_rows()
        if v is not None
    }
    out: dict[str, list[EarlyRun]] = {}
    names: dict[str, str] = {}  # one string object per distinct action
    for c, t, r, actions, toks, rcs in grouped.iter_rows():
        resolved = outcome.get((c, t, r))
        if resolved is None:
            continue
        out.setdefault(c, []).append(
            EarlyRun(t, tuple(map(names.setdefault, actions, actions)), tuple(toks), tuple(rcs), not resolved)
        )
    return out


THRESHOLD = 0.7
"""An AUROC this high is reported as "can tell" in the summary."""


def early_summary(rows: Sequence[dict[str, object]]) -> dict[str, object]:
    """The ``early_warning`` summary entry of one configuration: per scope, the earliest k
    whose AUROC reaches :data:`THRESHOLD` with its interval (None if no k does), the runs and
    tasks behind it, and whether the interval lies above 0.5 (``above_chance``; otherwise the
    figure is not evidence that failure can be told apart that early)."""
    out: dict[str, object] = {"threshold": THRESHOLD}
    for scope in ("across_tasks", "within_task"):
        by_k = [r for r in rows if r["scope"] == scope and r["k"] is not None]
        hit = next((r for r in by_k if r["auroc"] is not None and float(r["auroc"]) >= THRESHOLD), None)  # type: ignore[arg-type]
        out[scope] = (
            None
            if hit is None
            else {
                "k": hit["k"],
                "auroc": _round(hit["auroc"]),
                "ci95": None if hit["ci_low"] is None else [_round(hit["ci_low"]), _round(hit["ci_high"])],
                "n_runs": hit["n_runs"],
                "n_tasks": hit["n_tasks"],
                "above_chance": hit["ci_low"] is not None and float(hit["ci_low"]) > 0.5,  # type: ignore[arg-type]
            }
        )
    return out


def _round(x: object) -> float | None:
    return rounded(x)
