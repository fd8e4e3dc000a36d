"""Layout of a branching graph as a figure a paper can use: the reference run as a straight
spine, branches leaving it in order of departure and rejoining where they merge, linear
stretches collapsed into one edge labelled with their length, rare branches folded into "other"
above a node budget.

The layout is computed on the node-link graph the pipeline writes (``graphs/<config>/<task>.json``)
and returned as plain data, so that its structure can be checked without drawing.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NODE_BUDGET", "SpineLayout", "spine_layout"]

NODE_BUDGET = 40
"""Most nodes drawn; beyond it the rarest branches are folded into one "other" node each."""


@dataclass(slots=True)
class SpineLayout:
    """Positions and drawing data of a collapsed branching graph."""

    pos: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Node -> (x, y): x the step, y 0 on the spine, lanes above and below for branches."""
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Node -> label, n_runs, success_rate, spine (bool), other (bool: folded branches)."""
    edges: list[tuple[str, str, int, int]] = field(default_factory=list)
    """(from, to, steps it stands for, runs through it)."""
    spine: list[str] = field(default_factory=list)
    """The spine's nodes, in order."""
    departures: list[tuple[str, str]] = field(default_factory=list)
    """(spine node, first node of the branch) in the order lanes were given."""
    folded_runs: int = 0
    """Runs whose rare branches were folded into "other" nodes."""


def _graph(
    data: dict[str, Any],
) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]], dict[tuple[str, str], int]]:
    nodes = {str(n["id"]): n for n in data["nodes"]}
    succ: dict[str, list[str]] = defaultdict(list)
    runs: dict[tuple[str, str], int] = {}
    for e in data["edges"]:
        u, v = str(e["source"]), str(e["target"])
        succ[u].append(v)
        runs[(u, v)] = int(e["n_runs"])
    return nodes, succ, runs


def spine_layout(
    data: dict[str, Any], budget: int = NODE_BUDGET, outcomes: dict[str, bool | None] | None = None
) -> SpineLayout:
    """The spine layout of a node-link branching graph (see the module's description).

    Branches are kept in order of the runs through them (then of departure) while the drawing
    stays within ``budget`` nodes; the others are folded, per stretch of the spine, into one
    "other" node coloured by the share of their runs resolved (``outcomes``: run id -> outcome;
    by default read off the graph's single-run edges).
    """
    nodes, succ, runs = _graph(data)
    # the reference run's nodes in its order: x is the step of the reference run
    spine_all = sorted((n for n, d in nodes.items() if d.get("on_reference")), key=_ref_step)
    for n in spine_all:
        nodes[n] = {**nodes[n], "depth": _ref_step(n)}
    on_spine = set(spine_all)
    run_ids = _edge_runs(data)
    outcome = outcomes if outcomes is not None else _run_outcomes(data)
    starts = [
        (u, v) for u in spine_all for v in sorted(succ[u], key=lambda x: -runs[(u, x)]) if v not in on_spine
    ]
    size = {v: _chain_count(v, nodes, succ, on_spine) for _, v in starts}
    rejoins = {v: _rejoins(v, succ, on_spine) for _, v in starts}
    base = {spine_all[0], spine_all[-1], *(n for n in spine_all if nodes[n].get("n_end", 0))}
    kept: list[tuple[str, str]] = []
    spine_keep = set(base)
    drawn = len(base)
    for u, v in sorted(starts, key=lambda uv: (-len(run_ids[uv]), int(nodes[uv[0]]["depth"]))):
        extra = size[v] + len({u, *rejoins[v]} - spine_keep)
        if drawn + extra > budget and kept:
            continue
        kept.append((u, v))
        spine_keep |= {u, *rejoins[v]}
        drawn += extra
    out = SpineLayout()
    out.spine = [n for n in spine_all if n in spine_keep]
    for n in out.spine:
        out.nodes[n] = _node(nodes[n], spine=True)
        out.pos[n] = (float(nodes[n]["depth"]), 0.0)
    for a, b in itertools.pairwise(out.spine):
        steps = int(nodes[b]["depth"]) - int(nodes[a]["depth"])
        out.edges.append((a, b, steps, min(int(nodes[a]["n_runs"]), int(nodes[b]["n_runs"]))))
    lanes = _Lanes()
    kept_set = set(kept)
    for u, v in starts:  # in order of departure
        if (u, v) in kept_set:
            out.departures.append((u, v))
            _place_branch(out, v, nodes, succ, runs, on_spine, lanes, u)
    folded: dict[str, set[str]] = defaultdict(set)
    for u, v in starts:
        if (u, v) not in kept_set:
            folded[_keep_for(u, out.spine, nodes)] |= run_ids[(u, v)]
    for anchor, members in folded.items():
        other = f"other@{anchor}"
        labelled = [o for r in sorted(members) if (o := outcome.get(r)) is not None]
        out.nodes[other] = {
            "label": f"other: {len(members)} run{'s' if len(members) != 1 else ''}",
            "n_runs": len(members),
            "success_rate": sum(labelled) / len(labelled) if labelled else None,
            "spine": False,
            "other": True,
        }
        x0 = out.pos[anchor][0]
        out.pos[other] = (x0 + 1, lanes.take(x0, x0 + 1))
        out.edges.append((anchor, other, 1, len(members)))
    out.folded_runs = len(set().union(*folded.values())) if folded else 0
    return out


def _ref_step(node: str) -> int:
    """Step of a reference node (``root`` 0, ``r<j>`` j)."""
    return 0 if node == "root" else int(node[1:])


def _edge_runs(data: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    return {
        (str(e["source"]), str(e["target"])): {r for r in str(e.get("run_ids", "")).split(",") if r}
        for e in data["edges"]
    }


def _run_outcomes(data: dict[str, Any]) -> dict[str, bool | None]:
    """Each run's outcome, from the nodes where a run ends (their success rate over one run)."""
    out: dict[str, bool | None] = {}
    for e in data["edges"]:
        members = [r for r in str(e.get("run_ids", "")).split(",") if r]
        rate = e.get("success_rate")
        if len(members) == 1 and members[0] not in out:
            out[members[0]] = None if rate is None else bool(rate >= 0.5)
    return out


def _rejoins(start: str, succ: dict[str, list[str]], on_spine: set[str]) -> set[str]:
    """The spine nodes a branch tree leads back to."""
    found, stack, seen = set(), [start], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        for v in succ[n]:
            if v in on_spine:
                found.add(v)
            else:
                stack.append(v)
    return found


def _node(d: dict[str, Any], *, spine: bool) -> dict[str, Any]:
    return {
        "label": str(d.get("label", "")),
        "n_runs": int(d["n_runs"]),
        "success_rate": d.get("success_rate"),
        "spine": spine,
        "other": False,
    }


def _keep_for(n: str, keep: list[str], nodes: dict[str, dict[str, Any]]) -> str:
    """The drawn spine node standing for spine node ``n`` (itself, or the last kept before it)."""
    depth = int(nodes[n]["depth"])
    best = keep[0]
    for k in keep:
        if int(nodes[k]["depth"]) <= depth:
            best = k
    return best


def _chain_count(start: str, nodes: dict[str, Any], succ: dict[str, list[str]], on_spine: set[str]) -> int:
    """Nodes a branch tree is drawn with once its chains are collapsed (the rule of
    :func:`_place_branch`: its first node, and every node that splits, ends or rejoins)."""
    count, stack, seen = 0, [start], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        kids = [v for v in succ[n] if v not in on_spine]
        if n == start or len(kids) != 1 or len(succ[n]) != 1:
            count += 1
        stack.extend(kids)
    return count


class _Lanes:
    """Horizontal lanes above and below the spine, each taken over x intervals."""

    def __init__(self) -> None:
        self.used: dict[int, list[tuple[float, float]]] = defaultdict(list)

    def take(self, x0: float, x1: float, side: int = 0) -> float:
        """The lane nearest the spine free over [x0, x1]; ``side`` +1 or -1 keeps to one side."""
        k = 1
        while True:
            for lane in (k, -k) if side == 0 else (side * k,):
                if all(x1 < a or x0 > b for a, b in self.used[lane]):
                    self.used[lane].append((x0, x1))
                    return float(lane)
            k += 1


def _place_branch(
    out: SpineLayout,
    start: str,
    nodes: dict[str, dict[str, Any]],
    succ: dict[str, list[str]],
    runs: dict[tuple[str, str], int],
    on_spine: set[str],
    lanes: _Lanes,
    anchor: str,
) -> None:
    """Place one branch tree: each path from its start in a lane of its own, x counting steps
    from the departure; chains become one edge; a path that rejoins the spine ends in an edge
    to the spine node where it merges."""
    paths: list[list[str]] = []
    stack: list[tuple[str, list[str]]] = [(start, [])]
    while stack:  # iterative: a branch can be thousands of steps long
        n, path = stack.pop()
        kids = [v for v in succ[n] if v not in on_spine]
        rejoin = sorted((v for v in succ[n] if v in on_spine), key=lambda v: -runs[(n, v)])
        if rejoin or not kids:
            paths.append([*path, n, *rejoin[:1]])
        for v in sorted(kids, key=lambda x: runs[(n, x)]):  # most runs popped first
            stack.append((v, [*path, n]))
    x_anchor = out.pos[anchor][0]
    side = 0
    for path in paths:
        last = path[-1]
        n_steps = len(path) - (1 if last in on_spine else 0)
        x_end = float(nodes[last]["depth"]) if last in on_spine else x_anchor + n_steps
        y = None
        prev, steps = anchor, 0
        for i, n in enumerate(path):
            if n in on_spine:  # the branch merges into the spine here
                out.edges.append(
                    (prev, _keep_for(n, out.spine, nodes), steps + 1, runs.get((path[i - 1], n), 1))
                )
                break
            kids = [v for v in succ[n] if v not in on_spine]
            is_last = i == len(path) - 1 or path[i + 1] in on_spine
            steps += 1
            if not (len(kids) > 1 or len(succ[n]) > 1 or is_last or n == start):
                continue  # inside a chain: collapsed into the edge that spans it
            if n not in out.pos:
                if y is None:  # the tree's later paths keep to the side of its first
                    y = lanes.take(out.pos[prev][0], max(x_end, out.pos[prev][0] + steps), side)
                    side = side or (1 if y > 0 else -1)
                out.nodes[n] = _node(nodes[n], spine=False)
                out.pos[n] = (out.pos[prev][0] + steps, y)
                out.edges.append((prev, n, steps, int(nodes[n]["n_runs"])))
            prev, steps = n, 0
