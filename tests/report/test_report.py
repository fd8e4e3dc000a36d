"""The HTML report: self-contained, escaped, and rendered by headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import write_ac_dump
from trajdiv import analyze
from trajdiv.report import esc

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    '<a href="javascript:alert(3)">click</a>',
    "</textarea><svg onload=alert(4)>",
    "\u202eevil\u202c direction override",
    "</code></td></tr></table><iframe src=//evil.test>",
]


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((k, v or "") for k, v in attrs)


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("headless Chromium is not installed (.ci/run installs it)")
    return exe


def _chrome(*args: str) -> subprocess.CompletedProcess[str]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    return subprocess.run(
        [_chromium(), *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )


STEP_COLUMNS = [
    "config",
    "task_id",
    "run_id",
    "step",
    "action",
    "normalized",
    "verb",
    "category",
    "phase",
    "format_error",
]
"""The steps table's columns the task browser reads."""

HOSTILE_TASK = "task<img src=x onerror=alert(9)>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    dump = root / "dump"
    runs = [["ls", p, "pytest"] for p in PAYLOADS[:3]] + [["ls", p] for p in PAYLOADS[3:]]
    runs += [["ls", "<script>document.title='pwned'</script>", "x"]]
    write_ac_dump(dump, "evil<b>", {HOSTILE_TASK: runs}, model='model"><script>alert(5)</script>')
    out = root / "out"
    analyze([dump], out, jobs=1, plots=True)
    return out


def _scripts(html: str) -> list[tuple[dict[str, str], str]]:
    """(attributes, content) of every <script> element."""
    return [
        (dict(re.findall(r'(\w[\w-]*)="([^"]*)"', attrs)), body)
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    ]


def test_report_is_self_contained_and_runs_only_its_own_script(analysis: Path):
    import base64
    import hashlib

    html = (analysis / "report.html").read_text()
    scripts = _scripts(html)
    assert [a for a, _ in scripts] == [{"type": "application/json", "id": "trajdiv-data"}, {}]
    app = scripts[1][1]
    digest = base64.b64encode(hashlib.sha256(app.encode()).digest()).decode()
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    assert f"script-src 'sha256-{digest}'" in csp.group(1)
    assert "default-src 'none'" in csp.group(1)
    assert "innerHTML" not in app  # text goes in with textContent only
    assert "eval(" not in app
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.DOTALL)
    urls = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]+)""", markup)
    assert urls
    assert all(u.startswith("data:image/png;base64,") for u in urls)
    assert "url(" not in html  # no CSS loads either
    assert "fetch(" not in app
    assert "XMLHttpRequest" not in app


def test_report_data_holds_every_group_and_step(analysis: Path):
    import polars as pl

    html = (analysis / "report.html").read_text()
    data = json.loads(_scripts(html)[0][1])
    runs = pl.read_parquet(analysis / "runs.parquet")
    groups = runs.select("config", "task_id").unique()
    assert len(data["groups"]) == groups.height
    assert sum(len(g["runs"]) for g in data["groups"]) == runs.height
    steps = pl.read_parquet(analysis / "steps.parquet")
    shown = sum(len(r["a"]) + r["hidden"] for g in data["groups"] for r in g["runs"])
    assert shown == steps.height  # every step is shown or counted as left out
    div = pl.read_parquet(analysis / "divergence_groups.parquet")
    for g in data["groups"][:20]:
        row = div.filter((pl.col("config") == data["configs"][g["c"]]) & (pl.col("task_id") == g["t"])).row(
            0, named=True
        )
        assert g["fd"] == [row[f"first_div_step_{lvl}"] for lvl in data["levels"]]


def test_payloads_are_text_not_markup(hostile: Path):
    html = (hostile / "report.html").read_text()
    body = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.DOTALL)
    dom = _Dom()
    dom.feed(body)
    assert "script" not in dom.tags
    assert "iframe" not in dom.tags
    assert "svg" not in dom.tags
    assert not [k for k, _ in dom.attrs if k.startswith("on")]
    assert not [v for _, v in dom.attrs if "javascript:" in v.lower()]
    assert esc('model"><script>alert(5)</script>') in body  # the configuration, in the headline
    assert "\u202e" not in html
    # inside the data block no text can close it or open an element
    data = _scripts(html)[0][1]
    assert "<" not in data
    assert ">" not in data
    assert PAYLOADS[0] in json.loads(data)["strings"]


def _open(page: Path, fragment: str = "") -> str:
    """The DOM of ``page`` after its script ran, opened at ``#fragment``."""
    r = _chrome("--dump-dom", page.resolve().as_uri() + ("#" + fragment if fragment else ""))
    assert r.returncode == 0, r.stderr[-2000:]
    assert re.search(r'<html[^>]*data-ready="\d+"', r.stdout), "the task browser did not draw"
    return r.stdout


def _fragment(**parts: str) -> str:
    from urllib.parse import quote

    return "&".join(f"{k}={quote(v, safe='')}" for k, v in parts.items())


def test_chromium_task_table_lists_every_group(analysis: Path):
    import polars as pl

    dom = _open(analysis / "report.html")
    listed = set(re.findall(r'<tr data-task="([^"]*)" data-config="([^"]*)"', dom))
    runs = pl.read_parquet(analysis / "runs.parquet")
    expected = {(esc(t), esc(c)) for c, t in runs.select("config", "task_id").unique().iter_rows()}
    assert listed == expected
    assert f"{len(expected)} of {len(expected)} groups" in dom
    # each row opens its group: its link is the group's deep link
    from html import unescape
    from urllib.parse import unquote

    rows = re.findall(r'<tr data-task="([^"]*)" data-config="([^"]*)"><td><a href="#([^"]*)"', dom)
    assert len(rows) == len(expected)
    for task, cfg, href in rows:
        parts = dict(kv.split("=", 1) for kv in unescape(href).split("&"))
        assert (unquote(parts["task"]), unquote(parts["config"])) == (unescape(task), unescape(cfg))


def test_chromium_deep_link_opens_the_task_and_the_level_moves_the_highlight(analysis: Path):
    import polars as pl

    div = pl.read_parquet(analysis / "divergence_groups.parquet")
    g = div.filter(
        pl.col("first_div_step_exact").is_not_null()
        & pl.col("first_div_step_phase").is_not_null()
        & (pl.col("first_div_step_exact") != pl.col("first_div_step_phase"))
    ).row(0, named=True)
    for level in ("exact", "verb", "phase"):
        dom = _open(analysis / "report.html", _fragment(task=g["task_id"], config=g["config"], level=level))
        view = re.search(
            r'<section id="view" data-task="([^"]*)" data-config="([^"]*)" data-level="([^"]*)"', dom
        )
        assert view is not None
        assert view.groups() == (esc(g["task_id"]), esc(g["config"]), level)
        rows = re.findall(r'<tr data-step="(\d+)" class="div"', dom)
        assert rows == [str(g[f"first_div_step_{level}"])]
        n_runs = g["n_runs"]
        assert dom.count("<th><div>run ") == n_runs
        # the sequence index (a row per run) and the branching graph as the figure lays it out
        seq = re.search(r'<svg [^>]*id="sequence".*?</svg>', dom, re.DOTALL)
        assert seq is not None
        assert (
            seq.group(0).count("\u2713") + seq.group(0).count("\u2717") + seq.group(0).count(">?<") == n_runs
        )
        assert re.search(r'<svg [^>]*id="graph"', dom)
    across = _open(analysis / "report.html", _fragment(task=g["task_id"], level="verb"))
    assert f"{esc(g['task_id'])} across configurations" in across


def test_chromium_hostile_text_stays_text(hostile: Path):
    import polars as pl

    cfg = pl.read_parquet(hostile / "runs.parquet")["config"][0]
    for fragment in (
        "",
        _fragment(task=HOSTILE_TASK, config=cfg, level="exact"),
        _fragment(task=HOSTILE_TASK),
    ):
        dom = _open(hostile / "report.html", fragment)
        assert "<title>trajdiv report</title>" in dom  # no payload ran
        parsed = _Dom()
        parsed.feed(re.sub(r"<script[^>]*>.*?</script>", "", dom, flags=re.DOTALL))
        assert "iframe" not in parsed.tags
        # the only SVG is the report's own drawing of the sequence index and the graph
        assert parsed.tags.count("svg") == len(re.findall(r'<svg [^>]*id="(?:sequence|graph)"', dom))
        assert "b" not in parsed.tags
        assert not [k for k, _ in parsed.attrs if k.startswith("on")]
        assert not [
            v for k, v in parsed.attrs if k in ("src", "href") and not v.startswith(("data:image/png", "#"))
        ]
        assert len(_scripts(dom)) == 2
        if "level=exact" in fragment:  # the payloads are on the page, as text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
            assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
            assert "\u202e" not in dom


def test_chromium_screenshot_of_real_report(analysis: Path, tmp_path: Path):
    shot = tmp_path / "report.png"
    r = _chrome(
        f"--screenshot={shot}", "--window-size=1300,2400", (analysis / "report.html").resolve().as_uri()
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert shot.stat().st_size > 50_000  # the table and plots drew something


def test_summary_schema(analysis: Path):
    s = json.loads((analysis / "summary.json").read_text())
    assert s["version"] == 1
    c = s["configs"][0]
    assert set(c["first_divergence"]) >= {
        "exact",
        "normalized",
        "verb",
        "category",
        "phase",
        "token_pct_median",
    }
    assert set(c["strategies"]) >= {"mean_n_strategies", "consistent_wrong"}


def test_svg_plots_of_hostile_dump_are_well_formed_and_inert(hostile: Path):
    import xml.etree.ElementTree as ET

    svgs = list((hostile / "plots").glob("*.svg"))
    assert svgs
    for svg in svgs:
        root = ET.parse(svg).getroot()  # well-formed: dump text cannot break out of it
        tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
        assert "script" not in tags
        assert "foreignObject" not in tags
        for el in root.iter():
            assert not [k for k in el.attrib if k.lower().startswith("on")]


def test_report_graph_is_the_figure_layout(analysis: Path):
    import polars as pl

    from trajdiv.plot._spine import spine_layout

    data = json.loads(_scripts((analysis / "report.html").read_text())[0][1])
    gsum = pl.read_parquet(analysis / "graph_summary.parquet")
    checked = 0
    for g in data["groups"][:15]:
        row = gsum.filter((pl.col("config") == data["configs"][g["c"]]) & (pl.col("task_id") == g["t"])).row(
            0, named=True
        )
        lay = spine_layout(json.loads((analysis / row["graph_file"]).read_text()))
        assert {k: tuple(v) for k, v in g["gl"]["pos"].items()} == lay.pos
        assert [tuple(e) for e in g["gl"]["edges"]] == lay.edges
        checked += 1
    assert checked


def test_chromium_every_group_opens_by_deep_link(analysis: Path):
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl

    div = pl.read_parquet(analysis / "divergence_groups.parquet").sort("config", "task_id")
    rows = list(div.iter_rows(named=True))
    assert len(rows) == pl.read_parquet(analysis / "runs.parquet").select("config", "task_id").n_unique()

    def check(g: dict) -> str | None:
        dom = _open(analysis / "report.html", _fragment(task=g["task_id"], config=g["config"], level="verb"))
        view = re.search(r'<section id="view" data-task="([^"]*)" data-config="([^"]*)"', dom)
        if view is None or view.groups() != (esc(g["task_id"]), esc(g["config"])):
            return f"{g['config']} {g['task_id']}: view not opened"
        want = [] if g["first_div_step_verb"] is None else [str(g["first_div_step_verb"])]
        if re.findall(r'<tr data-step="(\d+)" class="div"', dom) != want:
            return f"{g['config']} {g['task_id']}: highlight not at {want}"
        return None

    with ThreadPoolExecutor(4) as pool:
        problems = [p for p in pool.map(check, rows) if p]
    assert not problems


def test_report_data_is_the_same_read_in_slices_of_a_few_steps(analysis: Path, monkeypatch):
    """Steps become Python text a slice at a time, never splitting a run: any slice size gives
    the same data, and every run's steps sit in order under their run."""
    import trajdiv.report._data as report_data

    whole = report_data.app_data(analysis)
    monkeypatch.setattr(report_data, "_SLICE_ROWS", 7)
    assert report_data.json_for_script(report_data.app_data(analysis)) == report_data.json_for_script(whole)
    for g in json.loads(report_data._json(whole))["groups"]:
        for r in g["runs"]:
            assert [c[0] for c in r["a"]] == sorted(c[0] for c in r["a"])


def _plain(value):
    """The report data with its pre-made JSON parts parsed back into Python values."""
    from trajdiv.report._data import _Group, _Raw

    if isinstance(value, _Group):
        return json.loads(value.text())
    if isinstance(value, _Raw):
        return json.loads(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("which", ["analysis", "hostile"])
def test_report_data_text_is_what_json_writes(which: str, request, tmp_path: Path):
    """The task browser's data is made as JSON text group by group (in a worker, beside the
    statistics); put together it is exactly what ``json.dumps`` writes for the same values."""
    from trajdiv.report._data import _json, app_data, json_for_script, script_json_pieces

    out = request.getfixturevalue(which)
    data = app_data(out)
    plain = _plain(data)
    expected = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    assert _json(data) == expected
    assert json_for_script(data) == expected.replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026"
    )
    pieces = list(script_json_pieces(data))  # as the page is written
    assert "".join(pieces) == json_for_script(data)
    assert len(pieces) > len(data["groups"])
    from trajdiv.report import render_report, write_report
    from trajdiv.stats import Summary

    summary = Summary.from_json(json.loads((out / "summary.json").read_text("utf-8")))
    page = write_report(tmp_path, summary, [], {"files": 1}, data=data)
    assert page.read_bytes() == render_report(summary, [], data, {"files": 1}).encode("utf-8")
    assert all(isinstance(g["runs"], list) and "cv" in g for g in plain["groups"])
    odd = {"k": {1: [1.5, None, True], None: "x", 2.5: {"é": [[1], {"a": "</script>"}]}}, "n": float("nan")}
    assert _json(odd) == json.dumps(odd, ensure_ascii=False, separators=(",", ":"))
    assert "".join(script_json_pieces(odd)) == json_for_script(odd)


def _cells_walked(steps, keep: bool):
    """The browser's cells by a plain step-by-step walk (the reference for the column form)."""
    from trajdiv.report._data import ACTION_CHARS, LEVELS

    strings: dict[str, int] = {}
    out: dict[tuple, tuple[list, int]] = {}
    for row in steps.iter_rows(named=True):
        cells, hidden = out.setdefault((row["config"], row["task_id"], row["run_id"]), ([], 0))
        if row["format_error"] and not keep:
            out[(row["config"], row["task_id"], row["run_id"])] = (cells, hidden + 1)
            continue
        action = row["action"] or ""
        texts = [action[:ACTION_CHARS], *((row[lvl] or "")[:ACTION_CHARS] for lvl in LEVELS[1:])]
        cells.append(
            [
                row["step"],
                int(len(action) > ACTION_CHARS),
                *(strings.setdefault(t, len(strings)) for t in texts),
            ]
        )
    return out, list(strings)


@pytest.mark.parametrize("keep", [False, True])
def test_report_cells_are_those_of_a_step_by_step_walk(keep: bool):
    import polars as pl

    from trajdiv.report._data import ACTION_CHARS, _add_cells, _Strings

    long = "é😀" * ACTION_CHARS
    rows = [
        ("c", "t1", "r1", 1, "ls -la", "ls", "ls", "explore", "explore", False),
        ("c", "t1", "r1", 2, long, None, "cat", None, "read", None),
        ("c", "t1", "r1", None, None, "x\u202ey", "", "edit", "edit", False),
        ("c", "t1", "r2", 1, "bad json", "bad", "bad", "other", "other", True),
        ("c", "t2", "r1", 1, "ls -la", "ls", "ls", "explore", "explore", True),
        ("c", "t2", "r1", 2, long[:ACTION_CHARS], "ls", "ls", "explore", "explore", False),
        ("d", "t1", "r1", 1, "</script>", "<b>", "&", "a\x00b", "phase", False),
    ]
    steps = pl.DataFrame(rows, schema=STEP_COLUMNS, orient="row")
    out: dict = {}
    strings = _Strings()
    _add_cells(out, steps, strings, keep)
    walked, texts = _cells_walked(steps, keep)
    assert {k: (json.loads(v), n) for k, (v, n) in out.items()} == {k: (c, n) for k, (c, n) in walked.items()}
    from trajdiv._text import for_page

    assert strings.items == [for_page(t) for t in texts]
    cells, hidden = out[("c", "t1", "r2")]  # its only step is a format error
    assert ([c[0] for c in json.loads(cells)], hidden) == (([1], 0) if keep else ([], 1))


def test_report_cells_read_one_configuration_at_a_time_are_those_of_the_sorted_table(tmp_path: Path):
    """The steps table is read one configuration at a time (in the table's sorted order: no
    configuration first, then by code point); the cells and the order in which texts are
    stored are those of a walk over the whole table sorted by configuration, task, run and step."""
    import polars as pl

    from trajdiv.report._data import _steps_by_run, _Strings

    rows = [
        ("é", "t1", "r1", 2, "cat é", "cat", "cat", "read", "read", False),
        ("b", "t2", "r1", 1, "ls", "ls", "ls", "explore", "explore", False),
        ("a", "t1", "r2", 1, "pytest", "pytest", "pytest", "test", "test", False),
        ("é", "t1", "r1", 1, "grep x", "grep", "grep", "search", "search", False),
        ("Z", "t1", "r1", 1, "vim", "vim", "vim", "edit", "edit", False),
        ("b", "t2", "r1", 2, "bad", "bad", "bad", "other", "other", True),
        (None, "t9", "r1", 1, "odd", "odd", "odd", "other", "other", False),
        ("a", "t1", "r1", 1, "sed -n 1p", "sed", "sed", "read", "read", False),
        ("b", "t1", "r1", 1, "pytest", "pytest", "pytest", "test", "test", False),
    ]
    steps = pl.DataFrame(rows, schema=STEP_COLUMNS, orient="row")
    path = tmp_path / "steps.parquet"
    steps.write_parquet(path)
    strings = _Strings()
    out = _steps_by_run(path, strings, False)
    walked, texts = _cells_walked(steps.sort("config", "task_id", "run_id", "step"), False)
    expected = {tuple(map(str, k)): (c, n) for k, (c, n) in walked.items()}  # keys as the browser's
    assert {k: (json.loads(v), n) for k, (v, n) in out.items()} == expected
    assert strings.items == texts
    assert texts[:2] == ["odd", "other"]  # the run without a configuration comes first


@pytest.mark.parametrize("hostile_text", [False, True])
def test_graph_layouts_made_with_the_groups_are_used_only_where_they_fit(
    hostile_text: bool, tmp_path: Path, monkeypatch
):
    """Each group's graph is laid out where the group is analysed and kept with its cached
    result; the report's data is then the same as when it lays every graph out itself, and a
    layout is used only for the graph file and outcomes it was made from."""
    import trajdiv.report._data as report_data
    import trajdiv.report._layout as report_layout
    from trajdiv import run_pipeline

    dump = tmp_path / "dump"
    runs = [["ls", p, "pytest"] for p in PAYLOADS] if hostile_text else [["ls", "cat a", "pytest"]] * 2
    runs += [["ls", "grep \u202ex\u202c", "pytest", "git diff"], ["find .", "ls", "sed -i s/a/b/ f"]]
    write_ac_dump(dump, "bench", {"t1": runs, "t2": runs[::-1]}, model="m")
    out, cache = tmp_path / "out", tmp_path / "cache"
    res = run_pipeline([dump], out, jobs=1, cache_dir=cache)
    again = run_pipeline([dump], tmp_path / "out2", jobs=1, cache_dir=cache)
    assert res.n_groups == 2
    assert again.groups_from_cache == 2
    assert set(res.layouts) == {("agent-consistency:m", "t1"), ("agent-consistency:m", "t2")}
    assert again.layouts == res.layouts  # kept with the cached groups

    def text(layouts=None) -> str:
        return report_data.json_for_script(report_data.browser_data(out, layouts=layouts)[0])

    fresh = text()
    assert text(res.layouts) == fresh
    assert text({k: ("another graph", "null") for k in res.layouts}) == fresh  # not used
    shape = '{"level": null, "folded": 0, "pos": {}, "edges": [], "nodes": %s}'
    bad_nodes = [shape % n for n in ('{"n": 3}', '{"n": []}', '{"n": [7, 1]}', '[["ls", 1]]')]
    for bad in ("{not json", "[1, 2]", '{"nodes": {"n": ["ls"]}}', *bad_nodes):
        assert text({k: (key, bad) for k, (key, _) in res.layouts.items()}) == fresh  # laid out again
    monkeypatch.setattr(report_layout, "spine_layout", _no_layout)  # from here, nothing is laid out again
    assert text(res.layouts) == fresh
    gsum = json.loads(text(res.layouts))
    assert all(g["gl"]["nodes"] for g in gsum["groups"])
    # another graph file or other outcomes than the layout was made from: laid out again
    (cfg, task), made = next(iter(res.layouts.items()))
    graph_file = next(iter(sorted((out / "graphs").rglob(f"{task}.json"))))
    strings = report_data._Strings()
    rel = graph_file.relative_to(out).as_posix()
    outcomes = {r: ok for r, ok in zip(*_run_outcomes(out, cfg, task), strict=True)}
    assert report_layout.graph_layout(out, rel, outcomes, strings, made) is not None
    flipped = {r: not ok for r, ok in outcomes.items()}
    assert report_layout.graph_layout(out, rel, flipped, strings, made) is None
    # the digest of the bytes this run wrote stands for them; another digest sends to the file
    digests = {path.relative_to(out).as_posix(): d for path, d in res.digests.items()}
    assert rel in digests
    assert text(res.layouts) == report_data.json_for_script(
        report_data.browser_data(out, layouts=res.layouts, digests=digests)[0]
    )
    assert report_layout.graph_layout(out, rel, flipped, strings, made, digests[rel]) is None
    graph_file.write_text(json.dumps(json.loads(graph_file.read_text()), indent=2))
    assert report_layout.graph_layout(out, rel, outcomes, strings, made) is None
    assert report_layout.graph_layout(out, rel, outcomes, strings, made, "b3:other") is None
    assert report_layout.graph_layout(out, rel, outcomes, strings, made, digests[rel]) is not None
    graph_file.unlink()  # with its digest known, the file is not read
    assert report_layout.graph_layout(out, rel, outcomes, strings, made, digests[rel]) is not None


def _no_layout(*args, **kwargs):
    raise ValueError("laid out again")


def _run_outcomes(out: Path, cfg: str, task: str) -> tuple[list[str], list[bool | None]]:
    import polars as pl

    runs = pl.read_parquet(out / "runs.parquet").filter(
        (pl.col("config") == cfg) & (pl.col("task_id") == task)
    )
    return runs["run_id"].to_list(), runs["resolved"].to_list()
