"""Branching graphs of hand-made groups with known splits and re-merges."""

from __future__ import annotations

import json

import networkx as nx

from trajdiv.graph import build_branch_graph, medoid


def _edges(bg):
    return {(u, v): d["n_runs"] for u, v, d in bg.graph.edges(data=True)}


def test_identical_runs_give_one_path():
    seq = ["ls", "cat", "sed", "pytest"]
    bg = build_branch_graph(["a", "b", "c"], [seq] * 3, [True, True, False])
    g = bg.graph
    assert list(nx.topological_sort(g)) == ["root", "r1", "r2", "r3", "r4"]
    assert all(g.out_degree(n) <= 1 for n in g.nodes)
    assert all(d["n_runs"] == 3 for _, _, d in g.edges(data=True))
    assert g.nodes["r4"]["n_end"] == 3
    assert g.nodes["r2"]["success_rate"] == 2 / 3


def test_split_and_remerge_by_hand():
    # b and c leave the reference path after "cat", share one detour, and come back at "pytest"
    runs = {
        "a": ["ls", "cat", "sed", "pytest"],
        "b": ["ls", "cat", "grep", "vim", "pytest"],
        "c": ["ls", "cat", "grep", "vim", "pytest"],
        "d": ["ls", "find"],
    }
    ids = list(runs)
    bg = build_branch_graph(ids, list(runs.values()), [True, False, False, None])
    assert bg.reference_run == "b"  # the medoid: smallest summed distance to the others
    g = bg.graph
    labels = {n: g.nodes[n]["label"] for n in g.nodes}
    # reference path is b's: ls cat grep vim pytest
    assert [labels[f"r{i}"] for i in range(1, 6)] == ["ls", "cat", "grep", "vim", "pytest"]
    e = _edges(bg)
    assert e[("root", "r1")] == 4
    assert e[("r1", "r2")] == 3
    # a: "sed" replaces grep/vim and re-merges on pytest (r5)
    sed = next(n for n in g.nodes if labels[n] == "sed")
    assert e[("r2", sed)] == 1
    assert e[(sed, "r5")] == 1
    assert e[("r2", "r3")] == 2
    assert g.nodes["r5"]["n_runs"] == 3
    assert g.nodes["r5"]["success_rate"] == 1 / 3  # a True, b and c False
    find = next(n for n in g.nodes if labels[n] == "find")
    assert e[("r1", find)] == 1
    assert g.nodes[find]["success_rate"] is None
    assert nx.is_directed_acyclic_graph(g)
    assert g.number_of_nodes() == 1 + 5 + 2
    assert g.number_of_edges() == 8


def test_off_reference_runs_share_a_prefix_tree():
    runs = [["ls", "cat", "pytest"], ["ls", "cat", "pytest"], ["ls", "grep", "sed"], ["ls", "grep", "awk"]]
    bg = build_branch_graph(list("abcd"), runs, [None] * 4)
    g = bg.graph
    grep = [n for n in g.nodes if g.nodes[n]["label"] == "grep"]
    assert len(grep) == 1  # c and d share the node until they split
    assert g.nodes[grep[0]]["n_runs"] == 2
    assert g.out_degree(grep[0]) == 2


def test_exports_round_trip():
    bg = build_branch_graph(["a", "b"], [["ls", "cat"], ["ls", "grep"]], [True, False], configs=["x", "y"])
    data = json.loads(bg.to_json())
    assert data["level"] == "verb"
    assert {n["id"] for n in data["nodes"]} == set(bg.graph.nodes)
    assert json.loads(next(n for n in data["nodes"] if n["id"] == "r1")["runs_by_config"]) == {"x": 1, "y": 1}
    g2 = nx.parse_graphml(bg.to_graphml())
    assert set(g2.nodes) == set(bg.graph.nodes)
    assert g2.number_of_edges() == bg.graph.number_of_edges()


def test_medoid_ties_go_to_first():
    assert medoid([["a"], ["b"]]) == 0


def test_files_list_nodes_and_edges_as_networkx_does():
    """The node-link file and the summary's counts, made without networkx, against networkx's
    own walk of the same graph; runs that reach an earlier node's second successor late make
    the order of edges as made differ from networkx's (by source node)."""
    runs = [
        ["ls", "cat", "sed", "pytest"],
        ["ls", "cat", "sed", "pytest"],
        ["ls", "grep", "sed", "pytest"],
        ["find", "cat", "awk"],
        ["ls", "cat", "vim", "pytest", "git"],
    ]
    bg = build_branch_graph(list("abcde"), runs, [True, False, None, True, False], level="exact")
    data = json.loads(bg.to_json())
    # by hand: reference a (r1-r4); c: grep -> b1; d: find -> b2, awk -> b3; e: vim -> b4, git -> b5
    assert [n["id"] for n in data["nodes"]] == ["root", "r1", "r2", "r3", "r4", "b1", "b2", "b3", "b4", "b5"]
    by_source = [
        ("root", "r1"), ("root", "b2"), ("r1", "r2"), ("r1", "b1"), ("r2", "r3"), ("r2", "b3"),
        ("r2", "b4"), ("r3", "r4"), ("r4", "b5"), ("b1", "r3"), ("b2", "r2"), ("b4", "r4"),
    ]  # fmt: skip
    assert [(e["source"], e["target"]) for e in data["edges"]] == by_source
    g = nx.DiGraph()  # networkx's walk of the graph made as the runs pass, edge by edge
    g.add_nodes_from((n.pop("id"), n) for n in json.loads(bg.to_json())["nodes"])
    made = ["r1", "r2", "r3", "r4", "b1", "r3", "b2", "r2", "b3", "b4", "r4", "b5"]
    edges = {(e["source"], e["target"]): e for e in json.loads(bg.to_json())["edges"]}
    for u, v in zip(
        ["root", "r1", "r2", "r3", "r1", "b1", "root", "b2", "r2", "r2", "b4", "r4"], made, strict=True
    ):
        g.add_edge(u, v, **{k: x for k, x in edges[(u, v)].items() if k not in ("source", "target")})
    assert data["nodes"] == [{"id": n, **g.nodes[n]} for n in g.nodes]
    assert data["edges"] == [{"source": u, "target": v, **g.edges[u, v]} for u, v in g.edges]
    g2 = nx.parse_graphml(bg.to_graphml())
    assert list(g2.edges) == list(g.edges)
    assert (
        sum(1 for v in g.nodes if g.out_degree(v) > 1)
        == sum(1 for out in bg.succ.values() if len(out) > 1)
        > 0
    )
