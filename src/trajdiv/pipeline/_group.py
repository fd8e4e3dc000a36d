"""Everything computed from one group of runs (one task x one configuration), in one function.

The function is pure and picklable so that it can run in worker processes or on Ray.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trajdiv._text import safe_name
from trajdiv.align._abstraction import LEVELS, PhaseRules, abstract_steps, load_phase_rules
from trajdiv.align._alignment import align_steps, canonical_ids
from trajdiv.diverge._first import (
    agreement_curve,
    first_token_divergence,
    group_first_divergence,
    majority_split_step,
    pairwise_step_divergence,
)
from trajdiv.graph._branching import build_branch_graph
from trajdiv.graph._strategies import branching_factor, cluster_strategies
from trajdiv.model import STEP_FIELDS, Run, Step
from trajdiv.pipeline._settings import Settings
from trajdiv.tokens._tokenize import RunTokens, TokenCache

__all__ = ["GroupResult", "analyze_group", "run_row", "safe_name"]


@dataclass(slots=True)
class GroupResult:
    """Rows for every table, and the graph files, of one group."""

    config: str
    task_id: str
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    graph_json: str | None = None
    graph_graphml: str | None = None
    graph_file: str | None = None
    seqs: list[list[str]] = field(default_factory=list)
    """Actions at the graph level, per run (for graphs across configurations)."""
    run_ids: list[str] = field(default_factory=list)
    outcomes: list[bool | None] = field(default_factory=list)
    drill: dict[str, Any] | None = None
    """Side-by-side data for the report."""


def step_row(config: str, task: str, run: Run, s: Step) -> dict[str, Any]:
    """The ingest columns of a step's row in the steps table."""
    return {
        "config": config,
        "task_id": task,
        "run_id": run.run_id,
        "step": s.index,
        **{name: getattr(s, name) for name in STEP_FIELDS},
    }


def run_row(run: Run) -> dict[str, Any]:
    """The ingest columns of a run's row in the runs table."""
    c = run.config
    return {
        "config": c.label,
        "task_id": run.task_id,
        "run_id": run.run_id,
        "run_index": run.run_index,
        "model": c.model,
        "scaffold": c.scaffold,
        "attrs": c.attrs_json(),
        "n_steps": len(run.steps),
        "resolved": run.outcome.resolved,
        "reward": run.outcome.reward,
        "label_source": run.outcome.source,
        "cost": run.cost,
        "tokens_sent": run.tokens_sent,
        "tokens_received": run.tokens_received,
        "api_calls": run.api_calls,
        "duration_s": run.duration_s,
        "patch_chars": None if run.patch is None else len(run.patch),
        "format": run.fmt,
        "source_file": run.source,
    }


def _pct(num: int | None, den: float) -> float | None:
    if num is None or den <= 0:
        return None
    return 100.0 * num / den


def _median(vals: list[float | None]) -> float | None:
    xs = [v for v in vals if v is not None]
    return float(statistics.median(xs)) if xs else None


def analyze_group(
    runs: list[Run], settings: Settings, cache: TokenCache | None, digests: list[str] | None = None
) -> GroupResult:
    """Compute every per-group table of ``runs`` (already ordered, labelled and indexed).

    ``digests`` are content hashes of the runs, used as token-cache keys when given.
    """
    config, task = runs[0].config.label, runs[0].task_id
    res = GroupResult(config=config, task_id=task)
    run_rows = [run_row(r) for r in runs]
    step_rows = [step_row(config, task, r, st) for r in runs for st in r.steps]
    res.tables = {"runs": run_rows, "steps": step_rows}
    if "diverge" not in settings.stages and "graph" not in settings.stages:
        return res

    # abstraction and tokens
    rules = load_phase_rules(settings.phase_rules)
    levels = [abstract_steps(r.steps, rules) for r in runs]
    toks: list[RunTokens] = (cache or TokenCache(None, settings.encoding)).many(runs, digests)
    k = 0
    for r, lv, tk in zip(runs, levels, toks, strict=True):
        for i in range(len(r.steps)):
            srow = step_rows[k]
            for lvl in ("normalized", "verb", "category", "phase"):
                srow[lvl] = lv[lvl][i]
            srow["agent_tokens"] = int(tk.agent_per_step[i])
            srow["obs_tokens"] = int(tk.obs_per_step[i])
            k += 1
    for rrow, tk in zip(run_rows, toks, strict=True):
        rrow["agent_tokens"] = tk.agent_total
        rrow["total_tokens"] = tk.total
    if not settings.keep_format_errors and any(s.format_error for r in runs for s in r.steps):
        runs, levels, toks = _without_format_errors(runs, levels, toks)
    ids = {
        lvl: canonical_ids([lv[lvl] for lv in levels], settings.fuzzy if lvl == "normalized" else None)
        for lvl in LEVELS
    }

    pair_steps = {lvl: pairwise_step_divergence(ids[lvl]) for lvl in LEVELS}
    pair_rows = _pair_rows(config, task, runs, toks, ids, pair_steps, run_rows)
    group_row, curve_rows = _group_rows(config, task, runs, ids, pair_steps, pair_rows, rules)
    res.tables.update(
        {
            "divergence_pairs": pair_rows,
            "divergence_groups": [group_row],
            "agreement_curve": curve_rows,
        }
    )
    res.drill = _drill(runs, levels, pair_steps["normalized"], toks)

    if "graph" in settings.stages:
        _graph_tables(res, runs, levels, run_rows, settings)
    return res


def _pair_rows(
    config: str,
    task: str,
    runs: list[Run],
    toks: list[RunTokens],
    ids: dict[str, Any],
    pair_steps: dict[str, dict[tuple[int, int], int | None]],
    run_rows: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The divergence_pairs rows of a group; each run's median divergences go to its run row."""
    n = len(runs)
    pair_rows: list[dict[str, Any]] = []
    run_tok_pcts: list[list[float | None]] = [[] for _ in runs]
    run_step_divs: list[list[float | None]] = [[] for _ in runs]
    for i in range(n):
        for j in range(i + 1, n):
            a, b = toks[i], toks[j]
            tdi = first_token_divergence(a.agent_ids, b.agent_ids)
            la, lb = len(a.agent_ids), len(b.agent_ids)
            pct_short = _pct(tdi, min(la, lb))
            sim_norm = align_steps(ids["normalized"][i], ids["normalized"][j])
            al = align_steps(ids["exact"][i], ids["exact"][j], a.agent_per_step, b.agent_per_step)
            sim_verb = align_steps(ids["verb"][i], ids["verb"][j]).step_similarity
            row: dict[str, Any] = {
                "config": config,
                "task_id": task,
                "run_a": runs[i].run_id,
                "run_b": runs[j].run_id,
                "resolved_a": runs[i].outcome.resolved,
                "resolved_b": runs[j].outcome.resolved,
                "steps_a": len(runs[i].steps),
                "steps_b": len(runs[j].steps),
                "agent_tokens_a": la,
                "agent_tokens_b": lb,
                "token_div_index": tdi,
                "token_div_pct_shorter": pct_short,
                "token_div_pct_mean": _pct(tdi, (la + lb) / 2),
                **{f"step_div_{lvl}": pair_steps[lvl][(i, j)] for lvl in LEVELS},
                "step_similarity_normalized": sim_norm.step_similarity,
                "step_similarity_verb": sim_verb,
                "token_weighted_similarity": al.token_weighted_similarity,
            }
            pair_rows.append(row)
            sv = pair_steps["verb"][(i, j)]
            for x in (i, j):
                run_tok_pcts[x].append(pct_short)
                run_step_divs[x].append(None if sv is None else float(sv))
    for x, rrow in enumerate(run_rows):
        rrow["div_token_pct_median"] = _median(run_tok_pcts[x])
        rrow["div_step_verb_median"] = _median(run_step_divs[x])
    return pair_rows


def _group_rows(
    config: str,
    task: str,
    runs: list[Run],
    ids: dict[str, Any],
    pair_steps: dict[str, dict[tuple[int, int], int | None]],
    pair_rows: list[dict[str, Any]],
    rules: PhaseRules,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The divergence_groups row and the agreement_curve rows of a group."""
    n = len(runs)
    max_len = max(len(r.steps) for r in runs)
    group_row: dict[str, Any] = {
        "config": config,
        "task_id": task,
        "n_runs": n,
        "n_labelled": sum(r.outcome.resolved is not None for r in runs),
        "n_resolved": sum(r.outcome.resolved is True for r in runs),
        "token_div_index_min": min(
            (p["token_div_index"] for p in pair_rows if p["token_div_index"] is not None),
            default=None,
        ),
        "token_div_pct_median": _median([p["token_div_pct_shorter"] for p in pair_rows]),
        "token_div_pct_mean_median": _median([p["token_div_pct_mean"] for p in pair_rows]),
        "n_distinct_exact": len({tuple(x.tolist()) for x in ids["exact"]}),
    }
    curve_rows = []
    shortest = min(len(r.steps) for r in runs)
    for lvl in LEVELS:
        first = group_first_divergence(pair_steps[lvl])
        if lvl == "phase" and rules.never_split_at_shortest and shortest > 0:
            first = min(first, shortest) if first is not None else shortest
        group_row[f"first_div_step_{lvl}"] = first
        group_row[f"majority_split_step_{lvl}"] = majority_split_step(ids[lvl])
        for s, share in enumerate(agreement_curve(pair_steps[lvl], max_len), start=1):
            curve_rows.append(
                {
                    "config": config,
                    "task_id": task,
                    "level": lvl,
                    "step": s,
                    "share_identical": share,
                    "n_pairs": len(pair_steps[lvl]),
                }
            )
    return group_row, curve_rows


def _without_format_errors(
    runs: list[Run], levels: list[dict[str, list[str]]], toks: list[RunTokens]
) -> tuple[list[Run], list[dict[str, list[str]]], list[RunTokens]]:
    """The runs, their levels and their tokens without the steps whose output could not be
    parsed (no action ran): divergence, alignment and graphs count actions only."""
    out_runs, out_levels, out_toks = [], [], []
    for r, lv, tk in zip(runs, levels, toks, strict=True):
        keep = [not s.format_error for s in r.steps]
        ends = np.cumsum(tk.agent_per_step)
        segments = [
            tk.agent_ids[e - n : e] for e, n, k in zip(ends, tk.agent_per_step, keep, strict=True) if k
        ]
        out_runs.append(
            dataclasses.replace(r, steps=tuple(s for s, k in zip(r.steps, keep, strict=True) if k))
        )
        out_levels.append(
            {name: [v for v, k in zip(vals, keep, strict=True) if k] for name, vals in lv.items()}
        )
        out_toks.append(
            RunTokens(
                np.concatenate(segments) if segments else tk.agent_ids[:0],
                tk.agent_per_step[keep],
                tk.obs_per_step[keep],
            )
        )
    return out_runs, out_levels, out_toks


def _graph_tables(
    res: GroupResult,
    runs: list[Run],
    levels: list[dict[str, list[str]]],
    run_rows: list[dict[str, Any]],
    settings: Settings,
) -> None:
    lvl = settings.level
    seqs = [lv[lvl] for lv in levels]
    if settings.fuzzy is not None and lvl == "normalized":
        canon = canonical_ids(seqs, settings.fuzzy)
        seqs = [[str(x) for x in c] for c in canon]
    outcomes = [r.outcome.resolved for r in runs]
    run_ids = [r.run_id for r in runs]
    bg = build_branch_graph(run_ids, seqs, outcomes, level=lvl)
    strat = cluster_strategies(seqs, settings.cluster_threshold)
    per: dict[int, list[bool]] = {}
    for lab, o in zip(strat.labels, outcomes, strict=True):
        if o is not None:
            per.setdefault(lab, []).append(o)
    success = {str(k): (sum(per[k]) / len(per[k]) if per.get(k) else None) for k in sorted(set(strat.labels))}
    fname = f"graphs/{safe_name(res.config)}/{safe_name(res.task_id)}"
    res.graph_json = bg.to_json()
    res.graph_graphml = bg.to_graphml()
    res.graph_file = fname + ".json"
    g = bg.graph
    res.tables["graph_summary"] = [
        {
            "config": res.config,
            "task_id": res.task_id,
            "level": lvl,
            "n_runs": len(runs),
            "n_nodes": g.number_of_nodes(),
            "n_edges": g.number_of_edges(),
            "n_branch_points": sum(1 for v in g.nodes if g.out_degree(v) > 1),
            "n_strategies": strat.n_strategies,
            "strategy_entropy_bits": strat.entropy_bits,
            "strategy_success": json.dumps(success, sort_keys=True),
            "reference_run": bg.reference_run,
            "graph_file": res.graph_file,
        }
    ]
    res.tables["strategies"] = [
        {
            "config": res.config,
            "task_id": res.task_id,
            "run_id": r.run_id,
            "run_index": r.run_index,
            "strategy": lab,
            "resolved": r.outcome.resolved,
            "level": lvl,
        }
        for r, lab in zip(runs, strat.labels, strict=True)
    ]
    for row, lab in zip(run_rows, strat.labels, strict=True):
        row["strategy"] = lab
    res.tables["branching_factor"] = [
        {
            "config": res.config,
            "task_id": res.task_id,
            "level": lvl,
            "depth": d,
            "n_runs": m,
            "branching_factor": bf,
        }
        for d, m, bf in branching_factor(seqs)
    ]
    res.seqs, res.run_ids, res.outcomes = seqs, run_ids, outcomes


_DRILL_MAX_STEPS = 60
_DRILL_MAX_CHARS = 240


def _drill(
    runs: list[Run],
    levels: list[dict[str, list[str]]],
    pair_norm: dict[tuple[int, int], int | None],
    toks: list[RunTokens],
) -> dict[str, Any]:
    """Aligned side-by-side view data: every run aligned to the first run (normalized level)."""
    first_div = group_first_divergence(pair_norm)
    ref = levels[0]["normalized"]
    cols = []
    for r, lv, tk in zip(runs, levels, toks, strict=True):
        al = align_steps(lv["normalized"], ref)
        cols.append(
            {
                "run_id": r.run_id,
                "run_index": r.run_index,
                "resolved": r.outcome.resolved,
                "n_steps": len(r.steps),
                "agent_tokens": tk.agent_total,
                "ops": [list(op) for op in al.ops],
                "actions": [s.action[:_DRILL_MAX_CHARS] for s in r.steps[:_DRILL_MAX_STEPS]],
                "phases": lv["phase"][:_DRILL_MAX_STEPS],
            }
        )
    return {"first_div_step_normalized": first_div, "runs": cols}
