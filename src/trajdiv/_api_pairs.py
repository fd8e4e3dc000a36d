"""The entry points that compare configurations: ``power`` and ``compare``."""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv._errors import UsageError
from trajdiv.analysis._settings import Settings
from trajdiv.ingest._options import ReadOptions
from trajdiv.pipeline._run import run_pipeline
from trajdiv.stats._compare import PairedDiff, compare_family
from trajdiv.stats._consistency import cv_pct
from trajdiv.stats._power import (
    PairedVariance,
    PowerModel,
    benchmark_runs_needed,
    paired_power,
    paired_variance,
    plan_power,
)
from trajdiv.tables import atomic_write_text

__all__ = ["Comparison", "compare", "power"]


def _task_rates(runs: pl.DataFrame, config: str) -> dict[str, tuple[float, int]]:
    r = runs.filter((pl.col("config") == config) & pl.col("resolved").is_not_null())
    agg = r.group_by("task_id").agg(pl.col("resolved").mean().alias("p"), pl.len().alias("n"))
    return {t: (float(p), int(n)) for t, p, n in agg.sort("task_id").iter_rows()}


def _match_config(configs: list[str], wanted: str) -> str:
    if wanted in configs:
        return wanted
    hits = [c for c in configs if wanted.lower() in c.lower()]
    if len(hits) == 1:
        return hits[0]
    listing = ", ".join(configs)
    if not hits:
        raise UsageError(f"no configuration matches {wanted!r}; configurations: {listing}")
    raise UsageError(f"{wanted!r} matches several configurations: {', '.join(hits)}")


def power(
    inputs: Sequence[str | Path],
    *,
    diff: float = 0.05,
    alpha: float = 0.05,
    power: float = 0.8,
    runs_per_task: int | None = None,
    n_tasks: int | None = None,
    a: str | None = None,
    b: str | None = None,
    s2_delta: float | None = None,
    seed: int = 0,
    read: ReadOptions | None = None,
) -> dict[str, Any]:
    """Runs per task and tasks needed to detect a pass@1 difference of ``diff`` (a fraction)
    with the paired test that :func:`compare` runs.

    Power is simulated for that test (:class:`~trajdiv.stats.PowerModel`: the observed tasks of
    ``a`` and ``b``, or of each configuration against a copy of itself, with the mean
    difference set to ``diff``), seeded by ``seed``; designs too large to simulate use the
    normal formula (Miller 2024), where the two agree. A stated ``s2_delta`` (variance of the
    true per-task differences) uses the formula. Also reports whole-benchmark runs needed from
    the single-run sd.

    Parameters
    ----------
    inputs
        The dumps whose observed tasks the design is based on.
    diff, alpha, power
        The difference to detect (a fraction of pass@1), the test's level and the power wanted.
    runs_per_task, n_tasks
        The design to evaluate (default: the runs and tasks observed).
    a, b
        Two configurations (labels or unique parts of them): the design for comparing them.
    s2_delta
        A stated variance of the true per-task differences (the normal formula is used).
    seed
        Seed of the simulations.
    read
        How runs are read (:class:`~trajdiv.ingest.ReadOptions`).
    """
    if not 0 < diff < 1:
        raise UsageError("--diff is a difference in pass@1 as a fraction, in (0, 1)")
    runs = _read_runs_table(inputs, read)
    configs = sorted(runs["config"].unique().to_list())
    design = _Design(diff, alpha, power, runs_per_task, n_tasks, s2_delta, seed)
    out: dict[str, Any] = {"diff": diff, "alpha": alpha, "power": power, "configs": []}
    if a is not None and b is not None:
        out["paired"] = _pair_power(runs, _match_config(configs, a), _match_config(configs, b), design)
    for cfg in configs:
        rates = _task_rates(runs, cfg)
        if len(rates) >= 2:
            out["configs"].append(_config_power(cfg, rates, design))
    return out


@dataclass(frozen=True, slots=True)
class _Design:
    """What :func:`power` was asked."""

    diff: float
    alpha: float
    power: float
    runs_per_task: int | None
    n_tasks: int | None
    s2_delta: float | None
    seed: int

    def solve(self, var: PairedVariance, model: PowerModel, runs: int, tasks: int) -> Any:
        """Simulated power of compare's test, or the formula for a stated ``s2_delta``."""
        if self.s2_delta is not None:
            var = dataclasses.replace(var, s2_delta=self.s2_delta)
            return paired_power(var, self.diff, runs, self.n_tasks, self.alpha, self.power)
        return plan_power(
            model, var, self.diff, runs, self.n_tasks or tasks, self.alpha, self.power, seed=self.seed
        )


def _read_runs_table(inputs: Sequence[str | Path], read: ReadOptions | None) -> pl.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        res = run_pipeline(
            list(inputs), Path(tmp), Settings(stages=("ingest",), read=read or ReadOptions()), jobs=1
        )
        if res.n_runs == 0:
            raise UsageError("no run could be read from the inputs")
        return res.frame("runs")


def _counts(rates: dict[str, tuple[float, int]], tasks: Sequence[str]) -> list[tuple[int, int]]:
    return [(round(rates[t][0] * rates[t][1]), rates[t][1]) for t in tasks]


def _pair_power(runs: pl.DataFrame, ca: str, cb: str, design: _Design) -> dict[str, Any]:
    """The design for comparing ``ca`` with ``cb`` on the tasks they share."""
    ra, rb = _task_rates(runs, ca), _task_rates(runs, cb)
    shared = sorted(set(ra) & set(rb))
    if len(shared) < 2:
        raise UsageError(f"{ca} and {cb} share {len(shared)} labelled task(s); need 2 or more")
    n_obs = min(min(ra[t][1] for t in shared), min(rb[t][1] for t in shared))
    var = paired_variance([ra[t][0] for t in shared], [rb[t][0] for t in shared], n_obs)
    model = PowerModel.from_counts(_counts(ra, shared), _counts(rb, shared))
    pw = design.solve(var, model, design.runs_per_task or n_obs, len(shared))
    s2 = design.s2_delta if design.s2_delta is not None else var.s2_delta
    return {"a": ca, "b": cb, "shared_tasks": len(shared), "s2_delta": s2, "w": var.w, **_power_dict(pw)}


def _config_power(cfg: str, rates: dict[str, tuple[float, int]], design: _Design) -> dict[str, Any]:
    """The design for telling a configuration from a copy of itself shifted by ``diff``."""
    tasks = list(rates)
    ps = [rates[t][0] for t in tasks]
    n_obs = min(n for _, n in rates.values())
    var = dataclasses.replace(paired_variance(ps, ps, n_obs), s2_delta=design.s2_delta or 0.0)
    counts = _counts(rates, tasks)
    pw = design.solve(var, PowerModel.from_counts(counts, counts), design.runs_per_task or n_obs, len(ps))
    sd_single = math.sqrt(sum(p * (1 - p) for p in ps)) / len(ps)
    return {
        "config": cfg,
        "n_tasks": len(ps),
        "runs_per_task_observed": n_obs,
        "assumed_s2_delta": design.s2_delta or 0.0,
        "w": var.w,
        **_power_dict(pw),
        "single_run_sd_points": 100 * sd_single,
        "benchmark_runs_needed": benchmark_runs_needed(
            100 * sd_single, 100 * design.diff, design.alpha, design.power
        )
        if sd_single > 0
        else 1,
    }


def _power_dict(pw: Any) -> dict[str, Any]:
    return {
        "runs_per_task": pw.runs_per_task,
        "n_tasks": pw.n_tasks,
        "min_detectable_diff": pw.min_detectable_diff,
        "tasks_needed": pw.tasks_needed,
        "runs_needed": pw.runs_needed,
        "power_at_diff": pw.achieved_power,
        "method": pw.method,
    }


@dataclass(slots=True)
class Comparison:
    """Result of :func:`compare`."""

    a: str
    b: str
    data: dict[str, Any]
    verdict: str


def compare(
    a: str,
    b: str,
    inputs: Sequence[str | Path] = (),
    *,
    out: Path | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    jobs: int | None = None,
    engine: str = "local",
    address: str | None = None,
    cache_dir: Path | None = None,
    read: ReadOptions | None = None,
) -> Comparison:
    """Paired comparison of configuration A with B on the tasks they share.

    Parameters
    ----------
    a, b
        Two dump paths, or two configuration labels (or unique substrings of them) inside
        ``inputs``.
    inputs
        The dumps holding both configurations (none: ``a`` and ``b`` are the dumps).
    out
        A folder for the tables and ``compare.json`` (default: nothing is kept).
    alpha
        Level of the test; every pair of the input's configurations is one Holm family.
    seed
        Seed of the tests' resampling.
    jobs, engine, address, cache_dir
        Where the work runs and what it may reuse, as for :func:`~trajdiv.analyze`.
    read
        How runs are read (:class:`~trajdiv.ingest.ReadOptions`).
    """
    if not inputs:
        if not (Path(a).exists() and Path(b).exists()):
            raise UsageError("give A and B as two dumps, or as configuration labels with --input")
        inputs = [a, b]
        read = dataclasses.replace(read or ReadOptions(), config_from="input")
        a, b = Path(a).name, Path(b).name
    with tempfile.TemporaryDirectory() as tmp:
        res = run_pipeline(
            list(inputs),
            out or Path(tmp),
            Settings(read=read or ReadOptions()),
            jobs=jobs,
            engine=engine,
            address=address,
            cache_dir=cache_dir,
        )
        runs, groups = res.frame("runs"), res.frame("divergence_groups")
    configs = sorted(runs["config"].unique().to_list())
    ca, cb = _match_config(configs, a), _match_config(configs, b)
    if ca == cb:
        raise UsageError(f"A and B are the same configuration ({ca})")
    data = _paired_figures(runs, groups, configs, ca, cb, alpha, seed)
    data["verdict"] = _verdict(data, alpha)
    if out is not None:
        atomic_write_text(out / "compare.json", json.dumps(data, indent=1) + "\n")
    return Comparison(ca, cb, data, data["verdict"])


def _paired_figures(
    runs: pl.DataFrame, groups: pl.DataFrame, configs: list[str], ca: str, cb: str, alpha: float, seed: int
) -> dict[str, Any]:
    """The paired test of ``ca`` against ``cb`` (in the Holm family of every pair of
    ``configs``) and the two configurations' figures on their shared tasks."""
    ra, rb = _task_rates(runs, ca), _task_rates(runs, cb)
    shared = sorted(set(ra) & set(rb))
    if not shared:
        raise UsageError(f"{ca} and {cb} share no labelled task")
    # every pair of the input's configurations is one family, Holm-adjusted together
    family_rates = {c: r for c in configs if (r := _task_rates(runs, c))}
    family = compare_family(family_rates, alpha=alpha, seed=seed)
    pd_ = family[(ca, cb)] if (ca, cb) in family else _flipped(family[(cb, ca)])
    data: dict[str, Any] = {
        "a": ca,
        "b": cb,
        "shared_tasks": len(shared),
        "runs_per_task": min(min(ra[t][1] for t in shared), min(rb[t][1] for t in shared)),
        "pass1_a": sum(ra[t][0] for t in shared) / len(shared),
        "pass1_b": sum(rb[t][0] for t in shared) / len(shared),
        "diff": pd_.diff,
        "se": pd_.se,
        "ci": list(pd_.ci95),
        "ci_level": pd_.ci_level,
        "p_value": pd_.p_value,
        "p_holm": pd_.p_adjusted,
        "family_size": len(family),
        "method": pd_.method,
        "cv_steps_a": _cv_mean(runs, ca, shared),
        "cv_steps_b": _cv_mean(runs, cb, shared),
        "first_div_step_phase_a": _div_mean(groups, ca, shared),
        "first_div_step_phase_b": _div_mean(groups, cb, shared),
    }
    return data


def _cv_mean(runs: pl.DataFrame, cfg: str, tasks: list[str]) -> float | None:
    """Mean over ``tasks`` of the CV of steps across a configuration's runs."""
    vals = []
    for t in tasks:
        cv = cv_pct(runs.filter((pl.col("config") == cfg) & (pl.col("task_id") == t))["n_steps"].to_list())
        if cv is not None:
            vals.append(cv)
    return sum(vals) / len(vals) if vals else None


def _div_mean(groups: pl.DataFrame, cfg: str, tasks: list[str]) -> float | None:
    """Mean first divergence step (phase level) of a configuration's groups on ``tasks``."""
    g = groups.filter((pl.col("config") == cfg) & pl.col("task_id").is_in(tasks))
    v = g["first_div_step_phase"].drop_nulls()
    return float(v.mean()) if v.len() else None  # type: ignore[arg-type]


def _flipped(p: PairedDiff) -> PairedDiff:
    """The comparison B - A from A - B."""
    lo, hi = p.ci95
    return dataclasses.replace(p, diff=-p.diff, ci95=(-hi, -lo))


def _verdict(d: dict[str, Any], alpha: float) -> str:
    pts = 100 * d["diff"]
    lo, hi = d["ci"]
    level = 100 * d["ci_level"]
    adjusted = d["family_size"] > 1
    p_txt = f"p = {d['p_value']:.3g}" + (
        f", Holm-adjusted over {d['family_size']} comparisons p = {d['p_holm']:.3g}" if adjusted else ""
    )
    head = (
        f"{d['a']} minus {d['b']}: {pts:+.1f} points of pass@1 over {d['shared_tasks']} shared "
        f"tasks ({level:.4g}% interval {100 * lo:+.1f} to {100 * hi:+.1f}), {p_txt} ({d['method']})."
    )
    if d["p_holm"] <= alpha:
        return head + " The difference is larger than run-to-run noise."
    return (
        head + " The difference is not distinguishable from run-to-run noise; `trajdiv power` says "
        "how many tasks and runs would tell a difference of a given size apart."
    )
