"""The graph stage's tables: strategy clusters, graph summary and branching factor of a group,
and its branching graph's files. The schemas are declared here, next to the rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import trajdiv.diverge._tables  # noqa: F401 - the runs columns it adds come first
from trajdiv._text import safe_name
from trajdiv.align._alignment import canonical_ids
from trajdiv.graph._branching import build_branch_graph
from trajdiv.graph._strategies import branching_factor, cluster_strategies
from trajdiv.model import Run
from trajdiv.tables import F64, I64, Bool, Str, extend_schema, register_schema

__all__ = ["TABLES", "GraphOut", "graph_rows"]

TABLES = ("strategies", "graph_summary", "branching_factor")
"""The tables this stage writes, in the order the schema reference lists them."""

_GROUP_KEY = {"config": (Str, "configuration label"), "task_id": (Str, "task id")}

extend_schema(
    "runs", {"strategy": (I64, "strategy cluster within the group, 1..")}, before="div_token_pct_median"
)
register_schema(
    "strategies",
    {
        **_GROUP_KEY,
        "run_id": (Str, "run id"),
        "run_index": (I64, "run index"),
        "strategy": (I64, "strategy cluster, 1.. in order of each cluster's first run"),
        "resolved": (Bool, "outcome"),
        "level": (Str, "abstraction level the clustering used"),
    },
)
register_schema(
    "graph_summary",
    {
        **_GROUP_KEY,
        "level": (Str, "abstraction level of the graph and clusters"),
        "n_runs": (I64, "runs in the group"),
        "n_nodes": (I64, "graph nodes (root included)"),
        "n_edges": (I64, "graph edges"),
        "n_branch_points": (I64, "nodes with more than one successor"),
        "n_strategies": (I64, "strategy clusters"),
        "strategy_entropy_bits": (F64, "entropy of the run distribution over strategies (bits)"),
        "strategy_success": (Str, "JSON: strategy -> success rate (null if unlabelled)"),
        "reference_run": (Str, "the medoid run the graph re-merges onto"),
        "graph_file": (Str, "node-link JSON file of the graph, relative to the output folder"),
    },
)
register_schema(
    "branching_factor",
    {
        **_GROUP_KEY,
        "level": (Str, "abstraction level"),
        "depth": (I64, "step index, 1-based"),
        "n_runs": (I64, "runs with a step at this depth"),
        "branching_factor": (F64, "exp(entropy) of the actions at this depth"),
    },
)

Rows = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class GraphOut:
    """The graph stage's output for one group."""

    tables: dict[str, Rows]
    graph_file: str
    """Path of the node-link JSON file, relative to the output folder (GraphML beside it)."""
    graph_json: str
    graph_graphml: str
    seqs: list[list[str]]
    """Actions at the graph level, per run (for graphs across configurations)."""


def graph_rows(
    runs: list[Run],
    levels: list[dict[str, list[str]]],
    level: str,
    fuzzy: float | None,
    cluster_threshold: float,
    run_rows: Rows,
) -> GraphOut:
    """Branching graph, strategies and branching factor of one group at ``level``; each run's
    strategy goes to its row of ``run_rows``."""
    config, task = runs[0].config.label, runs[0].task_id
    seqs = [lv[level] for lv in levels]
    if fuzzy is not None and level == "normalized":
        seqs = [[str(x) for x in c] for c in canonical_ids(seqs, fuzzy)]
    outcomes = [r.outcome.resolved for r in runs]
    bg = build_branch_graph([r.run_id for r in runs], seqs, outcomes, level=level)
    strat = cluster_strategies(seqs, cluster_threshold)
    per: dict[int, list[bool]] = {}
    for lab, o in zip(strat.labels, outcomes, strict=True):
        if o is not None:
            per.setdefault(lab, []).append(o)
    success = {str(k): (sum(per[k]) / len(per[k]) if per.get(k) else None) for k in sorted(set(strat.labels))}
    graph_file = f"graphs/{safe_name(config)}/{safe_name(task)}.json"
    key = {"config": config, "task_id": task}
    summary: dict[str, Any] = {
        **key,
        "level": level,
        "n_runs": len(runs),
        "n_nodes": len(bg.nodes),
        "n_edges": sum(len(out) for out in bg.succ.values()),
        "n_branch_points": sum(1 for out in bg.succ.values() if len(out) > 1),
        "n_strategies": strat.n_strategies,
        "strategy_entropy_bits": strat.entropy_bits,
        "strategy_success": json.dumps(success, sort_keys=True),
        "reference_run": bg.reference_run,
        "graph_file": graph_file,
    }
    strategies = [
        {
            **key,
            "run_id": r.run_id,
            "run_index": r.run_index,
            "strategy": lab,
            "resolved": r.outcome.resolved,
            "level": level,
        }
        for r, lab in zip(runs, strat.labels, strict=True)
    ]
    for row, lab in zip(run_rows, strat.labels, strict=True):
        row["strategy"] = lab
    bf = [
        {**key, "level": level, "depth": d, "n_runs": m, "branching_factor": f}
        for d, m, f in branching_factor(seqs)
    ]
    tables = {"graph_summary": [summary], "strategies": strategies, "branching_factor": bf}
    return GraphOut(tables, graph_file, bg.to_json(), bg.to_graphml(), seqs)
