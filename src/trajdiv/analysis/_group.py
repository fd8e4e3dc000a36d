"""Everything computed from one group of runs (one task x one configuration): each stage's
tables, in stage order.

The function is pure and its arguments picklable, so that it runs in worker processes or on a
Ray cluster alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trajdiv.align._abstraction import PhaseRules, load_phase_rules
from trajdiv.analysis._settings import Settings
from trajdiv.diverge._tables import divergence_rows, prepare
from trajdiv.graph._tables import graph_rows
from trajdiv.ingest._tables import ingest_rows
from trajdiv.model import Run
from trajdiv.tokens._tokenize import TokenCache

__all__ = ["GroupResult", "analyze_group"]


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
    layout: tuple[str, str] | None = None
    """The report's layout of the graph, made with the group (``trajdiv.report.group_layout``)."""
    action_jsd: list[float | None] = field(default_factory=list)
    """The mean pairwise JSD of its runs' verb counts, as the statistics compute it from the
    ``steps`` table, made with the group (empty when not made)."""
    cells: bytes | None = None
    """The report's cells of its steps, made with the group (``trajdiv.report._cells``)."""
    early: str | None = None
    """What early warning needs of its runs, made with the group (``trajdiv.stats._early_groups``)."""


def analyze_group(
    runs: list[Run],
    settings: Settings,
    cache: TokenCache | None,
    digests: list[str] | None = None,
    *,
    rules: PhaseRules | None = None,
) -> GroupResult:
    """Compute every per-group table of ``runs`` (already ordered, labelled and indexed).

    Parameters
    ----------
    runs
        The runs of one (configuration, task) group, in run order.
    settings
        Which stages run and how (level, fuzzy threshold, phase rules, ...).
    cache
        A token cache, or None to tokenize without one.
    digests
        Content hashes of the runs, the token cache's keys, when the caller has them.
    rules
        The phase rules, when the caller has them loaded (else read from ``settings``).
    """
    config, task = runs[0].config.label, runs[0].task_id
    run_rows, step_rows = ingest_rows(runs)
    res = GroupResult(config=config, task_id=task, tables={"runs": run_rows, "steps": step_rows})
    if "diverge" not in settings.stages and "graph" not in settings.stages:
        return res
    rules = rules or load_phase_rules(settings.phase_rules)
    prepared = prepare(
        runs,
        rules,
        cache or TokenCache(None, settings.encoding),
        digests,
        run_rows,
        step_rows,
        keep_format_errors=settings.keep_format_errors,
    )
    res.tables.update(divergence_rows(prepared, rules, settings.fuzzy, run_rows))
    if "graph" in settings.stages:
        g = graph_rows(
            prepared.runs,
            prepared.levels,
            settings.level,
            settings.fuzzy,
            settings.cluster_threshold,
            run_rows,
        )
        res.tables.update(g.tables)
        res.graph_json, res.graph_graphml, res.graph_file = g.graph_json, g.graph_graphml, g.graph_file
        res.seqs = g.seqs
        res.run_ids = [r.run_id for r in prepared.runs]
        res.outcomes = [r.outcome.resolved for r in prepared.runs]
    return res
