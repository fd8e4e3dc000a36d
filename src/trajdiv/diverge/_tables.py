"""The divergence stage's tables: tokens and abstraction levels of every step, pairwise and
per-group divergence, the agreement curve, and the side-by-side data of a group.

The schemas are declared here, next to the code that builds their rows.
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trajdiv.align._abstraction import LEVELS, PhaseRules, abstract_steps
from trajdiv.align._alignment import align_steps, canonical_ids
from trajdiv.diverge._first import (
    agreement_curve,
    first_token_divergence,
    group_first_divergence,
    majority_split_step,
    pairwise_step_divergence,
)
from trajdiv.ingest._tables import RUN_KEY
from trajdiv.model import Run
from trajdiv.tables import F64, I64, Bool, Str, extend_schema, register_schema
from trajdiv.tokens._tokenize import RunTokens, TokenCache

__all__ = ["TABLES", "Prepared", "divergence_rows", "prepare"]

TABLES = ("divergence_pairs", "divergence_groups", "agreement_curve")
"""The tables this stage writes, in the order the schema reference lists them."""

_GROUP_KEY = {"config": (Str, "configuration label"), "task_id": (Str, "task id")}

extend_schema(
    "runs",
    {
        "agent_tokens": (I64, "tokens of the agent's own output (thoughts and actions)"),
        "total_tokens": (I64, "agent output plus observations"),
        "div_token_pct_median": (
            F64,
            "median over the run's pairs of the first token divergence, % of the shorter stream",
        ),
        "div_step_verb_median": (F64, "median over the run's pairs of the first divergence step (verb)"),
    },
)
extend_schema(
    "steps",
    {
        **{lvl: (Str, f"action at the {lvl} level") for lvl in LEVELS if lvl != "exact"},
        "agent_tokens": (I64, "tokens of this step's thought and action"),
        "obs_tokens": (I64, "tokens of this step's observation"),
    },
)
register_schema(
    "divergence_pairs",
    {
        **_GROUP_KEY,
        "run_a": (Str, "first run id (lower run index)"),
        "run_b": (Str, "second run id"),
        "resolved_a": (Bool, "outcome of run a"),
        "resolved_b": (Bool, "outcome of run b"),
        "steps_a": (I64, "steps of run a"),
        "steps_b": (I64, "steps of run b"),
        "agent_tokens_a": (I64, "agent-output tokens of run a"),
        "agent_tokens_b": (I64, "agent-output tokens of run b"),
        "token_div_index": (I64, "0-based first differing agent-output token; null if identical"),
        "token_div_pct_shorter": (F64, "token_div_index as % of the shorter stream"),
        "token_div_pct_mean": (F64, "token_div_index as % of the mean stream length"),
        **{
            f"step_div_{lvl}": (I64, f"1-based first differing step at the {lvl} level; null if identical")
            for lvl in LEVELS
        },
        "step_similarity_normalized": (F64, "normalized edit similarity of the normalized actions"),
        "step_similarity_verb": (F64, "normalized edit similarity of the verbs"),
        "token_weighted_similarity": (F64, "share of agent tokens in exactly matched steps"),
    },
)
register_schema(
    "divergence_groups",
    {
        **_GROUP_KEY,
        "n_runs": (I64, "runs in the group"),
        "n_labelled": (I64, "runs with an outcome label"),
        "n_resolved": (I64, "runs resolved"),
        **{
            f"first_div_step_{lvl}": (
                I64,
                f"first step at which not all runs agree ({lvl}); null if all agree",
            )
            for lvl in LEVELS
        },
        **{
            f"majority_split_step_{lvl}": (
                I64,
                f"first step where the largest agreeing subset < half ({lvl})",
            )
            for lvl in LEVELS
        },
        "token_div_index_min": (I64, "earliest pairwise first token divergence"),
        "token_div_pct_median": (F64, "median over pairs of token divergence % of the shorter stream"),
        "token_div_pct_mean_median": (F64, "median over pairs of token divergence % of the mean length"),
        "n_distinct_exact": (I64, "distinct exact action sequences among the runs"),
    },
)
register_schema(
    "agreement_curve",
    {
        **_GROUP_KEY,
        "level": (Str, f"abstraction level ({' / '.join(LEVELS)})"),
        "step": (I64, "step index s, 1-based"),
        "share_identical": (F64, "share of run pairs whose actions are identical through step s"),
        "n_pairs": (I64, "run pairs in the group"),
    },
)
assert set(RUN_KEY) >= set(_GROUP_KEY)

Rows = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A group's runs with each step's abstraction levels and tokens, format errors left out
    unless kept: what divergence and graphs are computed from."""

    runs: list[Run]
    levels: list[dict[str, list[str]]]
    """Per run: level name -> the action of each step at that level."""
    toks: list[RunTokens]


def prepare(
    runs: list[Run],
    rules: PhaseRules,
    tokens: TokenCache,
    digests: list[str] | None,
    run_rows: Rows,
    step_rows: Rows,
    *,
    keep_format_errors: bool,
) -> Prepared:
    """Abstract and tokenize every step, filling the stage's columns of ``run_rows`` and
    ``step_rows`` (every step, format errors included)."""
    levels = [abstract_steps(r.steps, rules) for r in runs]
    toks = tokens.many(runs, digests)
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
    if not keep_format_errors and any(s.format_error for r in runs for s in r.steps):
        return _without_format_errors(runs, levels, toks)
    return Prepared(runs, levels, toks)


def _without_format_errors(
    runs: list[Run], levels: list[dict[str, list[str]]], toks: list[RunTokens]
) -> Prepared:
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
    return Prepared(out_runs, out_levels, out_toks)


def _pct(num: int | None, den: float) -> float | None:
    if num is None or den <= 0:
        return None
    return 100.0 * num / den


def _median(vals: list[float | None]) -> float | None:
    xs = [v for v in vals if v is not None]
    return float(statistics.median(xs)) if xs else None


def divergence_rows(p: Prepared, rules: PhaseRules, fuzzy: float | None, run_rows: Rows) -> dict[str, Rows]:
    """The stage's tables for one group; each run's medians go to its row of ``run_rows``."""
    ids = {
        lvl: canonical_ids([lv[lvl] for lv in p.levels], fuzzy if lvl == "normalized" else None)
        for lvl in LEVELS
    }
    pair_steps = {lvl: pairwise_step_divergence(ids[lvl]) for lvl in LEVELS}
    pair_rows = _pair_rows(p, ids, pair_steps, run_rows)
    group_row, curve_rows = _group_rows(p.runs, ids, pair_steps, pair_rows, rules)
    return {"divergence_pairs": pair_rows, "divergence_groups": [group_row], "agreement_curve": curve_rows}


def _pair_rows(
    p: Prepared,
    ids: dict[str, list[npt.NDArray[np.int64]]],
    pair_steps: dict[str, dict[tuple[int, int], int | None]],
    run_rows: Rows,
) -> Rows:
    """The divergence_pairs rows of a group; each run's median divergences go to its run row."""
    runs, toks = p.runs, p.toks
    config, task = runs[0].config.label, runs[0].task_id
    n = len(runs)
    pair_rows: Rows = []
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
            pair_rows.append(
                {
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
            )
            sv = pair_steps["verb"][(i, j)]
            for x in (i, j):
                run_tok_pcts[x].append(pct_short)
                run_step_divs[x].append(None if sv is None else float(sv))
    for x, rrow in enumerate(run_rows):
        rrow["div_token_pct_median"] = _median(run_tok_pcts[x])
        rrow["div_step_verb_median"] = _median(run_step_divs[x])
    return pair_rows


def _group_rows(
    runs: list[Run],
    ids: dict[str, list[npt.NDArray[np.int64]]],
    pair_steps: dict[str, dict[tuple[int, int], int | None]],
    pair_rows: Rows,
    rules: PhaseRules,
) -> tuple[dict[str, Any], Rows]:
    """The divergence_groups row and the agreement_curve rows of a group."""
    config, task = runs[0].config.label, runs[0].task_id
    max_len = max(len(r.steps) for r in runs)
    group_row: dict[str, Any] = {
        "config": config,
        "task_id": task,
        "n_runs": len(runs),
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
        n_pairs = len(pair_steps[lvl])
        for s, share in enumerate(agreement_curve(pair_steps[lvl], max_len), start=1):
            curve_rows.append(
                {
                    "config": config,
                    "task_id": task,
                    "level": lvl,
                    "step": s,
                    "share_identical": share,
                    "n_pairs": n_pairs,
                }
            )
    return group_row, curve_rows
