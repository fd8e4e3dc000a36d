"""Branching graph of a group of runs: a prefix tree that re-merges onto a reference run.

Construction (deterministic):

1. The *reference run* is the group's medoid: the run with the smallest summed normalized edit
   distance to the others at the chosen level (ties: the lowest run order). Its steps form the
   reference path ``r1, r2, ...``.
2. Every run is aligned to the reference run (:func:`trajdiv.align.align_steps`). A step aligned
   as *equal* to reference step j lands on node ``r<j>``: this is where branches that come back to
   the same actions merge again.
3. Any other step lands on a branch node keyed by (the last reference node the run passed, the
   actions it took since). Runs that agree off the reference path therefore share nodes, as in a
   prefix tree hanging from that reference node.

Edges join consecutive nodes of each run, from a ``root`` node. Because alignments are monotone,
the graph is a DAG. Nodes and edges carry the number of runs through them, their run ids and
the success rate of those runs (over runs with a label).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
from rapidfuzz.distance import Levenshtein

from trajdiv.align._alignment import align_steps

__all__ = ["BranchGraph", "build_branch_graph", "medoid"]


def medoid(seqs: Sequence[Sequence[str]]) -> int:
    """Index of the sequence with the smallest summed normalized edit distance to the others."""
    best, best_cost = 0, float("inf")
    for i, a in enumerate(seqs):
        cost = sum(Levenshtein.normalized_distance(list(a), list(b)) for b in seqs)
        if cost < best_cost - 1e-12:
            best, best_cost = i, cost
    return best


@dataclass(frozen=True, slots=True)
class BranchGraph:
    """A branching graph with its construction parameters."""

    graph: nx.DiGraph
    level: str
    reference_run: str

    def to_node_link(self) -> dict[str, object]:
        """JSON-ready node-link form (nodes and edges in a stable order)."""
        g = self.graph
        return {
            "directed": True,
            "level": self.level,
            "reference_run": self.reference_run,
            "nodes": [{"id": n, **g.nodes[n]} for n in g.nodes],
            "edges": [{"source": u, "target": v, **g.edges[u, v]} for u, v in g.edges],
        }

    def to_json(self) -> str:
        """Node-link JSON text."""
        return json.dumps(self.to_node_link(), ensure_ascii=False, sort_keys=True, indent=1)

    def to_graphml(self) -> str:
        """GraphML text (attributes that are null are left out)."""
        g = nx.DiGraph()
        g.graph["level"] = self.level
        g.graph["reference_run"] = self.reference_run
        for n, d in self.graph.nodes(data=True):
            g.add_node(n, **{k: v for k, v in d.items() if v is not None})
        for u, v, d in self.graph.edges(data=True):
            g.add_edge(u, v, **{k: w for k, w in d.items() if w is not None})
        return "\n".join(nx.generate_graphml(g)) + "\n"


def _rate(outcomes: list[bool | None]) -> float | None:
    lab = [o for o in outcomes if o is not None]
    return sum(lab) / len(lab) if lab else None


def build_branch_graph(
    run_ids: Sequence[str],
    seqs: Sequence[Sequence[str]],
    outcomes: Sequence[bool | None],
    *,
    level: str = "verb",
    configs: Sequence[str] | None = None,
) -> BranchGraph:
    """Build the branching graph of one group (or of several configurations on one task).

    Parameters
    ----------
    run_ids, seqs, outcomes
        Per run: its id, its actions at ``level``, its outcome (None = unlabelled).
    configs
        Per run, its configuration; when given, nodes and edges also carry ``runs_by_config``.

    Examples
    --------
    >>> bg = build_branch_graph(["a", "b"], [["ls", "cat"], ["ls", "grep"]], [True, False])
    >>> sorted(bg.graph.successors("r1"))
    ['b1', 'r2']
    """
    if not seqs:
        raise ValueError("a branching graph needs at least one run")
    ref = medoid(seqs)
    ref_seq = list(seqs[ref])
    node_runs: dict[str, list[int]] = {"root": list(range(len(seqs)))}
    node_meta: dict[str, dict[str, object]] = {"root": {"label": "START", "depth": 0, "on_reference": True}}
    for j, lab in enumerate(ref_seq):
        node_meta[f"r{j + 1}"] = {"label": lab, "depth": j + 1, "on_reference": True}
        node_runs[f"r{j + 1}"] = []
    branch_ids: dict[tuple[str, tuple[str, ...]], str] = {}
    edge_runs: dict[tuple[str, str], list[int]] = {}
    ends: dict[str, int] = {}
    for r, seq in enumerate(seqs):
        matched = dict(align_steps(seq, ref_seq).matches)
        prev, anchor, suffix = "root", "root", ()  # type: tuple[str, str, tuple[str, ...]]
        for i, lab in enumerate(seq):
            if i in matched:
                node = f"r{matched[i] + 1}"
                anchor, suffix = node, ()
            else:
                suffix = (*suffix, lab)
                key = (anchor, suffix)
                node = branch_ids.get(key, "")
                if not node:
                    node = f"b{len(branch_ids) + 1}"
                    branch_ids[key] = node
                    node_meta[node] = {"label": lab, "depth": i + 1, "on_reference": False}
                    node_runs[node] = []
            if r not in node_runs[node]:
                node_runs[node].append(r)
            meta = node_meta[node]
            meta["depth"] = min(int(str(meta["depth"])), i + 1)
            edge_runs.setdefault((prev, node), []).append(r)
            prev = node
        ends[prev] = ends.get(prev, 0) + 1
    g = nx.DiGraph()
    for node in node_meta:
        members = node_runs[node]
        if not members and node != "root":
            continue  # a reference node no run passes cannot happen, kept for safety
        g.add_node(
            node,
            **node_meta[node],
            **_attrs(members, run_ids, outcomes, configs),
            n_end=ends.get(node, 0),
        )
    for (u, v), members in edge_runs.items():
        g.add_edge(u, v, **_attrs(members, run_ids, outcomes, configs))
    return BranchGraph(graph=g, level=level, reference_run=run_ids[ref])


def _attrs(
    members: list[int],
    run_ids: Sequence[str],
    outcomes: Sequence[bool | None],
    configs: Sequence[str] | None,
) -> dict[str, object]:
    out: dict[str, object] = {
        "n_runs": len(members),
        "run_ids": ",".join(run_ids[m] for m in members),
        "success_rate": _rate([outcomes[m] for m in members]),
    }
    if configs is not None:
        counts: dict[str, int] = {}
        for m in members:
            counts[configs[m]] = counts.get(configs[m], 0) + 1
        out["runs_by_config"] = json.dumps(dict(sorted(counts.items())))
    return out
