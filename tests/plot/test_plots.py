"""Every plot kind renders from the analysis of the real dumps, in PNG and SVG."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajdiv import UsageError
from trajdiv.plot import PLOT_KINDS, plain, plot_one


@pytest.mark.parametrize("kind", list(PLOT_KINDS))
def test_each_kind_renders(analysis: Path, tmp_path: Path, kind: str):
    paths = plot_one(kind, analysis, tmp_path)
    assert {p.suffix for p in paths} == {".png", ".svg"}
    png = next(p for p in paths if p.suffix == ".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
    svg = next(p for p in paths if p.suffix == ".svg").read_text()
    assert "<svg" in svg
    assert "<script" not in svg


def test_analysis_made_every_plot(analysis: Path):
    names = {p.stem.split("_")[0] for p in (analysis / "plots").glob("*.png")}
    assert names == set(PLOT_KINDS)


def test_graph_plot_for_a_chosen_task(analysis: Path, tmp_path: Path):
    (png, _svg) = plot_one("graph", analysis, tmp_path, task="astropy__astropy-13453", config="gpt-5")
    assert "astropy__astropy-13453" in png.name
    with pytest.raises(UsageError, match="no graph"):
        plot_one("graph", analysis, tmp_path, task="nope")


def test_plots_are_deterministic(analysis: Path, tmp_path: Path):
    a = plot_one("passk", analysis, tmp_path / "a")
    b = plot_one("passk", analysis, tmp_path / "b")
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes()


def test_unknown_kind_and_folder(tmp_path: Path):
    with pytest.raises(UsageError, match="unknown plot kind"):
        plot_one("pie", tmp_path, tmp_path)
    with pytest.raises(UsageError, match="not the output folder"):
        plot_one("cv", tmp_path, tmp_path)


def test_plain_escapes_mathtext_and_controls():
    assert plain("cost $5 and $x$") == r"cost \$5 and \$x\$"
    assert "\u202e" not in plain("abc\u202edef")
    assert len(plain("x" * 200, 20)) == 20


class _Captured:
    """Figures handed to ``save``, with what they were drawn from."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import trajdiv.plot._plots as plots

        self.figures: dict[str, object] = {}
        real = plots.save

        def capture(fig, out, name):  # type: ignore[no-untyped-def]
            self.figures[name] = fig
            fig.canvas.draw()  # labels and data as they are rendered
            axes = [
                {
                    "title": ax.get_title(),
                    "xlabel": ax.get_xlabel(),
                    "ylabel": ax.get_ylabel(),
                    "lines": [
                        (ln.get_label(), list(ln.get_xdata()), list(ln.get_ydata())) for ln in ax.get_lines()
                    ],
                    "collections": len(ax.collections),
                }
                for ax in fig.axes
            ]
            self.figures[name] = axes
            return real(fig, out, name)

        monkeypatch.setattr(plots, "save", capture)


def test_plots_draw_the_data_of_their_tables(analysis: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import json

    import numpy as np
    import polars as pl

    cap = _Captured(monkeypatch)
    for kind in ("passk", "cv", "power", "early", "divergence", "agreement", "spread", "steps"):
        plot_one(kind, analysis, tmp_path)
    # every plot labels its axes and draws at least one series
    for name, axes in cap.figures.items():
        assert any(a["xlabel"] for a in axes), name  # type: ignore[index]
        assert any(a["lines"] or a["collections"] for a in axes), name  # type: ignore[index]

    # passk: one line per configuration with two or more k, the values of pass_k.parquet
    pk = pl.read_parquet(analysis / "pass_k.parquet")
    at, hat = cap.figures["passk"][0], cap.figures["passk"][1]  # type: ignore[index]
    assert (at["title"], hat["title"]) == ("pass@k", "pass^k")
    multi = [c for c in sorted(pk["config"].unique()) if pk.filter(pl.col("config") == c).height >= 2]
    assert len(at["lines"]) == len(multi)
    for (_, xs, ys), cfg in zip(at["lines"], multi, strict=True):
        d = pk.filter(pl.col("config") == cfg).sort("k")
        assert xs == d["k"].to_list()
        assert np.allclose(ys, d["pass_at_k"].to_list())

    # power: four curves per pair (1, 3, 5, 10 runs), the values in summary.json
    summary = json.loads((analysis / "summary.json").read_text())
    pairs = [a for a in summary["across_configs"] if (a.get("power") or {}).get("curve")][:3]
    for ax, pair in zip(cap.figures["power"], pairs, strict=True):  # type: ignore[call-overload]
        curves = [ln for ln in ax["lines"] if ln[0].endswith("per task")]
        assert [ln[0] for ln in curves] == [
            "1 run per task",
            "3 runs per task",
            "5 runs per task",
            "10 runs per task",
        ]
        for (_, xs, ys), runs in zip(curves, ("1", "3", "5", "10"), strict=True):
            assert np.allclose(xs, [100 * d for d in pair["power"]["curve_diffs"]])
            assert np.allclose(ys, pair["power"]["curve"][runs])
        assert ax["ylabel"] in ("power of the paired t-test", "")

    # early: per scope, one line per configuration with figures (and the chance line at 0.5)
    ew = pl.read_parquet(analysis / "early_warning.parquet").filter(pl.col("k").is_not_null())
    for ax, scope in zip(cap.figures["early"], ("across_tasks", "within_task"), strict=True):  # type: ignore[call-overload]
        drawn = ew.filter((pl.col("scope") == scope) & pl.col("auroc").is_not_null())
        cfgs = [c for c in sorted(ew["config"].unique())[:8] if c in set(drawn["config"])]
        series = ax["lines"][: len(cfgs)]
        assert len(ax["lines"]) == len(cfgs) + 1
        assert ax["lines"][-1][2] == [0.5, 0.5]
        for (_, xs, ys), cfg in zip(series, cfgs, strict=True):
            ref = drawn.filter(pl.col("config") == cfg).sort("k")
            assert xs == ref["k"].to_list()
            assert np.allclose(ys, ref["auroc"].to_list())


def test_configuration_labels_are_distinct_and_keep_the_scaffold():
    from trajdiv.plot._common import config_labels

    cfgs = [
        "hotpotqa/agent-consistency:gpt-4o",
        "tau-bench/tau-bench:gpt-4o",
        "swe-bench/20240825_SWE-agent_deepseek-coder-v2:deepseek-coder",
        "swe-bench/20240825_SWE-agent_deepseek-chat-v2:deepseek-chat",
        "x" * 50 + "1",
        "x" * 50 + "2",
        "y" * 60 + "same-end",
        "y" * 61 + "same-end",
    ]
    lab = config_labels(cfgs, width=30)
    assert len(set(lab.values())) == len(cfgs)
    assert all(len(v) <= 30 + 3 for v in lab.values())  # " #k" only where still equal
    assert lab["tau-bench/tau-bench:gpt-4o"] == "tau-bench/tau-bench:gpt-4o"  # fits: whole
    assert lab["hotpotqa/agent-consistency:gpt-4o"].endswith(":gpt-4o")
    assert lab["hotpotqa/agent-consistency:gpt-4o"].startswith("hotpotqa/")


def test_sequence_rows_line_up_shared_prefixes(
    analysis: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import polars as pl

    from trajdiv.plot._sequence import prefix_order, sequence_blocks

    def lcp(a: list[str], b: list[str]) -> int:
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return n

    # the order puts runs sharing a longer prefix next to each other: for rows i < j < k, the
    # prefix i shares with k is never longer than the one it shares with j
    seqs = [["a", "b"], ["c"], ["a", "b", "c"], ["a", "c"], ["c", "a"], ["a", "b", "d"]]
    ordered = [seqs[i] for i in prefix_order(seqs)]
    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            for k in range(j + 1, len(ordered)):
                assert lcp(ordered[i], ordered[k]) <= lcp(ordered[i], ordered[j])
    div = pl.read_parquet(analysis / "divergence_groups.parquet")
    cfg = "swe-bench/agent-consistency:claude-sonnet-4-5-20250929"
    blocks = sequence_blocks(analysis, cfg, "phase")
    steps = pl.read_parquet(analysis / "steps.parquet").filter(pl.col("config") == cfg)
    assert len(blocks) == steps["task_id"].n_unique()
    for b in blocks:
        assert (
            b.first_divergence
            == div.filter((pl.col("config") == cfg) & (pl.col("task_id") == b.task_id))[
                "first_div_step_phase"
            ].item()
        )
        rows = b.seqs
        for i in range(len(rows)):
            for j in range(i + 1, len(rows)):
                for k in range(j + 1, len(rows)):
                    assert lcp(rows[i], rows[k]) <= lcp(rows[i], rows[j])
        # every shown step is a parsed step of the run, in order
        kept = steps.filter((pl.col("task_id") == b.task_id) & ~pl.col("format_error"))
        assert sum(len(r) for r in rows) == kept.height
    cap = _Captured(monkeypatch)
    import trajdiv.plot._sequence as seq_mod

    monkeypatch.setattr(seq_mod, "save", __import__("trajdiv.plot._plots", fromlist=["save"]).save)
    paths = plot_one("sequence", analysis, tmp_path, config="claude", task=blocks[0].task_id, level="verb")
    assert {p.suffix for p in paths} == {".png", ".svg"}
    assert cap is not None


def test_plots_that_need_repeats_are_left_out_with_a_reason(tmp_path: Path):
    from tests.helpers import write_ac_dump
    from trajdiv import analyze
    from trajdiv.plot import NEEDS_REPEATS

    dump = tmp_path / "dump"
    write_ac_dump(dump, "m", {"t1": [["ls", "cat a"]], "t2": [["grep x"]], "t3": [["ls"]]})
    res = analyze([dump], tmp_path / "out", jobs=1, cache_dir=None, plots=True)
    drawn = {p.stem.split("_")[0] for p in res.plots}
    assert not drawn & NEEDS_REPEATS
    html = (tmp_path / "out" / "report.html").read_text()
    assert "no task was run more than once" in html


def test_graph_figure_is_a_tree_on_a_straight_spine(analysis: Path):
    import json

    from trajdiv.plot._spine import NODE_BUDGET, spine_layout

    files = sorted((analysis / "graphs").glob("*/*.json"))
    files = [f for f in files if f.parent.name != "_across"]
    assert len(files) > 30
    folded_somewhere = False
    for f in files:
        data = json.loads(f.read_text())
        nodes = {n["id"]: n for n in data["nodes"]}
        succ: dict[str, list[str]] = {}
        for e in data["edges"]:
            succ.setdefault(e["source"], []).append(e["target"])
        lay = spine_layout(data)
        # the reference run is one straight line, in step order
        assert all(lay.pos[n][1] == 0 for n in lay.spine)
        xs = [lay.pos[n][0] for n in lay.spine]
        assert xs == sorted(xs)
        assert len(set(xs)) == len(xs)
        assert all(nodes[n]["on_reference"] for n in lay.spine)
        # chains are collapsed: a drawn branch node starts a branch, splits, or ends it
        spine = {n for n, d in nodes.items() if d["on_reference"]}
        starts = {v for _, v in lay.departures}
        for n, d in lay.nodes.items():
            assert n in lay.pos
            if d["spine"] or d["other"]:
                continue
            assert lay.pos[n][1] != 0
            kids = succ.get(n, [])
            assert n in starts or len(kids) != 1 or kids[0] in spine, (f.name, n)
        # branches leave the spine in order of departure
        dep = [lay.pos[u][0] for u, _ in lay.departures]
        assert dep == sorted(dep)
        for u, v, steps, runs in lay.edges:
            assert u in lay.pos
            assert v in lay.pos
            assert steps >= 1
            assert runs >= 1
        # within the node budget, the rarest branches folded into "other"
        others = [n for n, d in lay.nodes.items() if d["other"]]
        if others:
            folded_somewhere = True
            assert lay.folded_runs >= 1
            assert len(lay.nodes) - len(others) <= NODE_BUDGET or len(lay.departures) == 1
        small = spine_layout(data, budget=10)
        assert len(small.nodes) <= len(lay.nodes)
    assert folded_somewhere


def test_plots_are_drawn_on_request_and_later_the_same(tmp_path: Path):
    """`analyze` draws no plot by default and its report says how to; `trajdiv plot all` then
    draws exactly what `analyze --plots` draws, byte for byte."""
    from tests.helpers import write_ac_dump
    from trajdiv.cli import main

    dump = tmp_path / "dump"
    write_ac_dump(
        dump, "m", {"t1": [["ls", "cat a"], ["ls", "grep x"]], "t2": [["grep x"], ["grep y", "ls"]]}
    )
    plain_out, with_plots = tmp_path / "plain", tmp_path / "with"
    assert main(["analyze", str(dump), "-o", str(plain_out), "--no-cache", "-j", "1", "-q"]) == 0
    assert not (plain_out / "plots").exists()
    assert "No plots were drawn" in (plain_out / "report.html").read_text()
    assert main(["analyze", str(dump), "-o", str(with_plots), "--no-cache", "-j", "1", "-q", "--plots"]) == 0
    assert "No plots were drawn" not in (with_plots / "report.html").read_text()
    assert main(["plot", "all", str(plain_out), "-q"]) == 0
    drawn = sorted(p.name for p in (with_plots / "plots").iterdir())
    assert drawn
    assert sorted(p.name for p in (plain_out / "plots").iterdir()) == drawn
    for name in drawn:
        assert (plain_out / "plots" / name).read_bytes() == (with_plots / "plots" / name).read_bytes()
