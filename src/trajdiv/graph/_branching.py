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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz.distance import Levenshtein

from trajdiv.align._alignment import align_steps

if TYPE_CHECKING:
    import networkx as nx

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
    """A branching graph with its construction parameters.

    Nodes and edges are kept in the order networkx gives them (nodes as made; edges by source
    node, then as made), so that :attr:`graph` and the files agree without networkx being
    needed to write them."""

    nodes: dict[str, dict[str, object]]
    """Each node's attributes, by node id."""
    succ: dict[str, dict[str, dict[str, object]]]
    """Each node's successors, with the attributes of the edge to each."""
    level: str
    reference_run: str

    @property
    def graph(self) -> nx.DiGraph:
        """The graph as a networkx ``DiGraph`` (a new one at each call)."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from((n, dict(d)) for n, d in self.nodes.items())
        g.add_edges_from(self.edges())
        return g

    def edges(self) -> Iterator[tuple[str, str, dict[str, object]]]:
        """``(source, target, attributes)`` of every edge, in networkx's order."""
        for u, out in self.succ.items():
            for v, d in out.items():
                yield u, v, d

    def to_node_link(self) -> dict[str, object]:
        """JSON-ready node-link form (nodes and edges in a stable order)."""
        return {
            "directed": True,
            "level": self.level,
            "reference_run": self.reference_run,
            "nodes": [{"id": n, **d} for n, d in self.nodes.items()],
            "edges": [{"source": u, "target": v, **d} for u, v, d in self.edges()],
        }

    def to_json(self) -> str:
        """Node-link JSON text."""
        # no indent: json only uses its C encoder without one
        return json.dumps(self.to_node_link(), ensure_ascii=False, sort_keys=True)

    def to_graphml(self) -> str:
        """GraphML text (attributes that are null are left out).

        Written directly rather than through ``networkx.generate_graphml``, which builds and
        pretty-prints an ElementTree and was most of the pipeline's time after tokenization;
        the output reads back with ``networkx.read_graphml``.
        """
        keys: dict[tuple[str, str], str] = {}
        for kind, items in (
            ("node", list(self.nodes.values())),
            ("edge", [d for _, _, d in self.edges()]),
        ):
            for d in items:
                for k, v in d.items():
                    if v is not None and (kind, k) not in keys:
                        keys[(kind, k)] = _GRAPHML_TYPES[type(v)]
        out = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
            '<key id="g_level" for="graph" attr.name="level" attr.type="string"/>',
            '<key id="g_reference_run" for="graph" attr.name="reference_run" attr.type="string"/>',
        ]
        for (kind, k), typ in keys.items():
            out.append(f'<key id="{kind[0]}_{k}" for="{kind}" attr.name="{k}" attr.type="{typ}"/>')
        out.append('<graph edgedefault="directed">')
        out.append(f'<data key="g_level">{_xml(self.level)}</data>')
        out.append(f'<data key="g_reference_run">{_xml(self.reference_run)}</data>')
        for n, d in self.nodes.items():
            out.append(f"<node id={_xml_attr(n)}>{_graphml_data('n', d)}</node>")
        for u, v, d in self.edges():
            out.append(f"<edge source={_xml_attr(u)} target={_xml_attr(v)}>{_graphml_data('e', d)}</edge>")
        out.append("</graph></graphml>")
        return "\n".join(out) + "\n"


_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}


# one C-level pass: markup characters escaped; control characters that XML 1.0 cannot hold, even
# escaped, replaced
_XML_TABLE = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"}
_XML_TABLE.update({c: "\ufffd" for c in (*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF)})
_ATTR_TABLE = {**_XML_TABLE, ord('"'): "&quot;", ord("\n"): "&#10;", ord("\r"): "&#13;", ord("\t"): "&#9;"}


def _xml(text: object) -> str:
    return str(text).translate(_XML_TABLE)


def _xml_attr(text: object) -> str:
    return '"' + str(text).translate(_ATTR_TABLE) + '"'


def _graphml_data(prefix: str, d: dict[str, object]) -> str:
    parts = []
    for k, v in d.items():
        if v is None:
            continue
        if isinstance(v, str):
            val = v.translate(_XML_TABLE)
        elif isinstance(v, bool):
            val = "true" if v else "false"
        else:
            val = repr(v)  # int or float: nothing to escape
        parts.append(f'<data key="{prefix}_{k}">{val}</data>')
    return "".join(parts)


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
    nodes: dict[str, dict[str, object]] = {}
    for node in node_meta:
        members = node_runs[node]
        if not members and node != "root":
            continue  # a reference node no run passes cannot happen, kept for safety
        nodes[node] = {
            **node_meta[node],
            **_attrs(members, run_ids, outcomes, configs),
            "n_end": ends.get(node, 0),
        }
    succ: dict[str, dict[str, dict[str, object]]] = {n: {} for n in nodes}
    for (u, v), members in edge_runs.items():
        for end in (u, v):  # as networkx's add_edge: a node it does not know is added bare
            if end not in nodes:
                nodes[end], succ[end] = {}, {}
        succ[u][v] = _attrs(members, run_ids, outcomes, configs)
    return BranchGraph(nodes=nodes, succ=succ, level=level, reference_run=run_ids[ref])


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
