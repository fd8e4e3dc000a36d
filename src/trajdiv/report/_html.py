"""One self-contained HTML report: headline table, comparisons, plots, and a task browser.

Safety: the only script that runs is the report's own (``app.js``, allowed by its hash in the
Content-Security-Policy, which forbids every other script, remote loads and form targets). The
data it draws from sits in a ``<script type="application/json">`` block that is never executed,
with ``<``, ``>`` and ``&`` escaped so that no text in it can close the block; the script puts
text on the page with ``textContent`` only. Every string from a dump in the static part goes
through :func:`html.escape` (quotes included) with control and direction-override characters
replaced. Images are embedded as ``data:`` URIs, so the page opens offline.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from trajdiv._io import atomic_write_pieces
from trajdiv._text import for_page
from trajdiv.report._data import app_data, json_for_script, script_json_pieces
from trajdiv.stats._result import EarlyHit, PairSummary, Summary

__all__ = ["esc", "render_report", "write_report"]

_APP = resources.files("trajdiv.report").joinpath("app.js").read_text("utf-8")
_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{base64.b64encode(hashlib.sha256(_APP.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def esc(text: object) -> str:
    """Escape untrusted text for HTML element content and attribute values."""
    return html.escape(for_page(text), quote=True)


def _fmt(x: Any, nd: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return esc(x)


def _headline(summary: Summary) -> str:
    rows = []
    for c in summary.configs:
        p1, sr, fd, st = c.pass1, c.single_run_pass1, c.first_divergence, c.strategies
        ci = p1.ci95 if p1 else None
        k = c.k_max
        pk = (c.pass_at_k or {}).get(k)
        ph = (c.pass_hat_k or {}).get(k)
        cw = st.consistent_wrong if st else None
        if not c.has_repeats:  # one run per task: nothing to diverge, cluster or vary
            fd, st, cw = None, None, None
        rows.append(
            "<tr>"
            f"<td>{esc(c.config)}</td><td>{c.n_tasks}</td><td>{c.n_runs}</td>"
            f"<td>{_fmt(p1 and p1.mean)} ± {_fmt(p1 and p1.se)}"
            f"{'<br><small>[' + _fmt(ci[0]) + ', ' + _fmt(ci[1]) + ']</small>' if ci else ''}</td>"
            f"<td>{_fmt(sr and sr.min, 2)}–{_fmt(sr and sr.max, 2)}<br><small>sd {_fmt(sr and sr.sd)}</small></td>"
            f"<td>{_fmt(pk, 2)} / {_fmt(ph, 2)}"
            f"<br><small>k = {k if k else '–'}</small></td>"
            f"<td>{_fmt(c.cv_steps_mean_pct if c.has_repeats else None, 1)}</td>"
            f"<td>{_fmt(fd and fd.exact.mean_step, 2)} / "
            f"{_fmt(fd and fd.verb.mean_step, 2)} / "
            f"{_fmt(fd and fd.phase.mean_step, 2)}</td>"
            f"<td>{_fmt(fd and fd.token_pct_median, 2)}</td>"
            f"<td>{_fmt(st and st.mean_n_strategies, 1)}</td>"
            f"<td>{_fmt(cw and cw.share_failures_on_all_fail_tasks, 2)} / "
            f"{_fmt(cw and cw.share_failures_in_shared_cluster, 2)}</td>"
            "</tr>"
        )
    head = (
        "<tr><th>configuration</th><th>tasks</th><th>runs</th><th>pass@1 ± SE<br><small>95% CI, tasks as "
        "clusters</small></th><th>single-run pass@1<br><small>min–max over run choices</small></th>"
        "<th>pass@k / pass^k</th><th>CV steps %</th><th>first divergence step<br><small>exact / verb / "
        "phase</small></th><th>first divergent token<br><small>median % of shorter stream</small></th>"
        "<th>strategies per task</th><th>consistent-wrong<br><small>all-fail-task share / shared-cluster "
        "share</small></th></tr>"
    )
    return f"<table class='head'>{head}{''.join(rows)}</table>"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"<figure><img alt='{esc(alt)}' src='data:image/png;base64,{data}'><figcaption>{esc(alt)}</figcaption></figure>"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:12.5px}td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top}
th{background:#f4f4f4;text-align:left}table.head td:nth-child(n+2){text-align:right;white-space:nowrap}
figure{margin:1em 0}img{max-width:min(100%,900px);border:1px solid #eee}figcaption{font-size:12px;color:#555}
.scroll{overflow-x:auto}table.side td{max-width:320px;overflow-wrap:anywhere}
code{font-size:11.5px;white-space:pre-wrap}tr.div td{background:#fff3cd}
.ph{font-size:9px;padding:0 3px;border-radius:3px;color:#000}.gap{color:#aaa;text-align:center}
.o1{color:#007a4d;font-weight:bold}.o0{color:#b00020;font-weight:bold}.o{color:#777}
details{margin:.4em 0}summary{cursor:pointer}dl dt{font-weight:bold}small{color:#555}
.controls{margin:.6em 0;display:flex;gap:.6em;align-items:center;flex-wrap:wrap}.count{color:#555}
table.tasks th{cursor:pointer}table.side td.odd{background:#eef4fb}table.side td.div,tr.div td.num{background:#ffd54f}
table.side th small,table.side th div{display:block}td.num{color:#777;text-align:right}
.warn{background:#fff3cd;border:1px solid #e0c36c;padding:.5em .8em}
.branches ul{list-style:none;padding-left:1.2em;margin:.2em 0}.sw{display:inline-block;width:.8em;height:.8em;
border:1px solid #999;margin-right:.4em;vertical-align:middle}.note{color:#555;font-size:12.5px}
"""


_EARLY_THRESHOLD = 0.7


def _early_cell(e: EarlyHit | None) -> str:
    if e is None:
        return "<td>not reached</td>"
    ci_txt = f"{e.ci95[0]:.2f}-{e.ci95[1]:.2f}" if e.ci95 else "no interval"
    return f"<td>k = {e.k} ({_fmt(e.auroc, 2)}, {ci_txt}, {e.n_runs}/{e.n_tasks})</td>"


def _early_rows(summary: Summary) -> str:
    return "".join(
        f"<tr><td>{esc(c.config)}</td>{_early_cell(c.early_warning.across_tasks)}"
        f"{_early_cell(c.early_warning.within_task)}</tr>"
        for c in summary.configs
        if c.early_warning
    )


def _across_row(a: PairSummary) -> str:
    c, test = a.comparison, a.share_test
    mdd = a.power.min_detectable_diff if a.power else None
    if c is not None:
        lo, hi = c.ci
        cells = (
            f"<td>{_points(c.diff)}</td><td>{_points(lo)} to {_points(hi)} "
            f"({100 * (c.ci_level or 0):.4g}%)</td><td>{_fmt(c.p_value, 3)}</td><td>{_fmt(c.p_holm, 3)}</td>"
            f"<td>{'distinguishable' if c.distinguishable else 'not distinguishable from noise'}</td>"
        )
    else:
        cells = "<td colspan=5>no labelled shared task</td>"
    share_txt = (
        f"{_fmt(a.share_lower_cv_higher_success, 2)} (n={test.n}, p={_fmt(test.p_value, 3)})" if test else "-"
    )
    mdd_txt = f"{100 * mdd:.0f} points" if mdd is not None else "over 50 points"
    return (
        f"<tr><td>{esc(a.a)}</td><td>{esc(a.b)}</td><td>{a.shared_tasks}</td>{cells}"
        f"<td>{share_txt}</td><td>{mdd_txt if a.power else '-'}</td></tr>"
    )


def _points(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:+.1f}"


def _warnings(summary: Summary) -> str:
    single = [c.config for c in summary.configs if not c.has_repeats]
    if not single:
        return ""
    names = ", ".join(esc(c) for c in single)
    return (
        f"<p class='warn'>One run per task in {len(single)} of {len(summary.configs)} configuration(s) "
        f"({names}): divergence, agreement, strategies, consistency (CV) and pass@k beyond k = 1 need "
        "repeated runs of a task, and are left blank for them.</p>"
    )


def _left_out(left_out: dict[str, str]) -> str:
    if not left_out:
        return ""
    items = "".join(f"<li><code>{esc(k)}</code>: {esc(v)}</li>" for k, v in sorted(left_out.items()))
    return f"<p>Plots left out of this report:</p><ul>{items}</ul>"


_NO_PLOTS = (
    "<p>No plots were drawn in this analysis. <code>trajdiv analyze --plots</code> draws them "
    "(and embeds them here), or <code>trajdiv plot all RESULTS</code> draws them afterwards into "
    "<code>RESULTS/plots</code>.</p>"
)


def render_report(
    summary: Summary,
    plots: list[Path],
    data: dict[str, Any],
    manifest: dict[str, int],
    left_out: dict[str, str] | None = None,
) -> str:
    """The report page as a string; ``data`` is the task browser's (:func:`app_data`),
    ``left_out`` the plot kinds not drawn, with the reason."""
    head, tail = _page(summary, plots, manifest, left_out)
    return head + json_for_script(data) + tail


def _page(
    summary: Summary, plots: list[Path], manifest: dict[str, int], left_out: dict[str, str] | None
) -> tuple[str, str]:
    """The report page before and after the task browser's data."""
    figs = "".join(_img(p, p.stem.replace("_", " ")) for p in plots if p.suffix == ".png")
    defs = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in summary.definitions.items())
    across = "".join(_across_row(a) for a in summary.across_configs)
    totals = ", ".join(f"{esc(k)} {v}" for k, v in manifest.items())
    head = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>trajdiv report</title><style>{_CSS}</style></head><body>
<h1>trajdiv report</h1>
<p>Input files: {totals}. Every file is listed in <code>manifest.json</code> as read or skipped with its reason.</p>
{_warnings(summary)}
<h2>Headline per configuration</h2>{_headline(summary)}
<h2>Across configurations</h2>
<p>Every pair of configurations that share labelled tasks is compared with the paired t-test over
tasks (task-clustered SE); the p-values of all pairs are Holm-adjusted as one family, and the verdict uses the
adjusted value. Each interval inverts the test at the level Holm grants its pair, so it excludes
0 exactly when the verdict says "distinguishable".</p>
<table><tr><th>A</th><th>B</th><th>shared tasks</th><th>A - B (points)</th><th>interval</th><th>p</th>
<th>p (Holm)</th><th>verdict</th><th>share of tasks where the lower-CV configuration succeeds
more (n, sign-test p)</th><th>min. detectable difference at power 0.8 (simulated)</th></tr>{across}</table>
<h2>How early can you tell?</h2>
<p>Can a run's failure be predicted from its first k steps? <em>Across tasks</em>: a small model
fitted on the other tasks scores each held-out task's runs (what a monitor watching a new task
could do). <em>Within tasks</em>: among runs of one task with mixed outcomes, does the run that
leaves the successful runs' path earlier fail more? The table gives the earliest k at which the
AUROC reaches {_EARLY_THRESHOLD}, with its interval and the runs and tasks behind it; the
<code>early</code> plot shows every k. On a handful of tasks the intervals are wide: read them,
not the point estimates.</p>
<table><tr><th>configuration</th><th>across tasks: earliest k (AUROC, interval, runs/tasks)</th>
<th>within tasks: earliest k (AUROC, interval, runs/tasks)</th></tr>{_early_rows(summary)}</table>
<h2>Plots</h2>{_NO_PLOTS if left_out is None else _left_out(left_out)}{figs}
<h2 id="tasks-heading">Tasks</h2>
<p>Every group (task x configuration) of the analysis: sort by a column, filter, search, and open
a task to see its runs side by side with the first divergence highlighted at any level, and how
they branch. A task's address (<code>report.html#task=...&amp;config=...&amp;level=...</code>)
opens it directly.</p>
<noscript><p>The task browser needs JavaScript; the tables in the output folder hold the same
data.</p></noscript>
<div id="browser"></div>
<h2>Input files skipped, and warnings</h2><div id="inputs-list"></div>
<h2>Definitions</h2><dl>{defs}</dl>
<script type="application/json" id="trajdiv-data">"""
    return (
        head,
        f"""</script>
<script>{_APP}</script>
</body></html>
""",
    )


def write_report(
    out_dir: Path,
    summary: Summary,
    plots: Sequence[Path],
    totals: dict[str, int],
    *,
    keep_format_errors: bool = False,
    left_out: dict[str, str] | None = None,
    data: dict[str, Any] | None = None,
) -> Path:
    """Write ``out_dir/report.html``.

    Parameters
    ----------
    out_dir
        The analysis output folder.
    summary
        The statistics (``summary.json``).
    plots
        The plots this analysis drew (only these are embedded; older files in ``plots/`` are not).
    totals
        Input file counts for the header (files, read, skipped, runs).
    keep_format_errors
        Whether the analysis counted steps whose output could not be parsed (else the task
        browser leaves them out, as divergence did, and says how many).
    left_out
        Plot kinds not drawn, with the reason (listed in the report).
    data
        The task browser's data (:func:`app_data`), when made already.
    """
    order = ["divergence", "agreement", "passk", "spread", "cv", "steps"]
    pngs = sorted(
        (p for p in plots if p.suffix == ".png"),
        key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.stem),
    )
    path = out_dir / "report.html"
    if data is None:
        data = app_data(out_dir, keep_format_errors=keep_format_errors)
    head, tail = _page(summary, pngs, totals, left_out)
    # written piece by piece: the page of a big analysis is never held whole (render_report's text)
    atomic_write_pieces(path, itertools.chain([head], script_json_pieces(data), [tail]))
    return path
