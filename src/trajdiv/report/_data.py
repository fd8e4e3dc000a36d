"""The data the report's task browser is drawn from, read from the tables of an analysis.

Every group is in it (nothing is cut); each run carries every step at every abstraction level.
Text is stored once (a table of distinct strings, referred to by position), and an action longer
than :data:`ACTION_CHARS` characters is shortened, with a flag, the full text being in the steps
table. The figures (first divergence per level, strategies, CV, outcomes) are read from the
tables, never recomputed here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv._text import for_page
from trajdiv.align._abstraction import LEVELS
from trajdiv.report._cells import read_cells
from trajdiv.report._layout import ACTION_CHARS, Layout, compact_json, graph_layout, page_safe
from trajdiv.tables import spans

__all__ = [
    "ACTION_CHARS",
    "LEVELS",
    "app_data",
    "browser_data",
    "json_for_script",
    "script_json_pieces",
    "with_cv",
]


class _Raw(str):
    """JSON text made already (a run's steps), placed as it is by :func:`_json`: the browser's
    bulk travels and waits as compact text, not as millions of small lists."""

    __slots__ = ()


@dataclass(slots=True)
class _Group:
    """A group of the task browser as JSON text around its CV of steps, which comes from the
    statistics (:func:`with_cv`) while the text is made beside them."""

    head: str
    tail: str
    cv: float | None = None

    def text(self) -> str:
        return f"{self.head}{compact_json(self.cv)}{self.tail}"


def _json(value: Any) -> str:
    """``value`` as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` writes it,
    with :class:`_Raw` and :class:`_Group` parts placed as they are.

    >>> _json({"a": [1, {"b": _Raw('[1,2]')}], "c": "é"})
    '{"a":[1,{"b":[1,2]}],"c":"é"}'
    """
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, _Group):
        return value.text()
    if isinstance(value, dict):
        return "{" + ",".join(f"{compact_json(_key(k))}:{_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list, _Raw, _Group)) for v in value):
        return "[" + ",".join(_json(v) for v in value) + "]"
    return compact_json(value)


def _key(key: Any) -> str:
    """A dict key as ``json`` turns it into a string."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    return compact_json(key)


class _Strings:
    """Distinct strings, each stored once and referred to by position."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._at: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        at = self._at.get(text)
        if at is None:
            at = self._at[text] = len(self.items)
            self.items.append(for_page(text))  # made safe once, where it is stored
        return at


def _opt(path: Path) -> pl.DataFrame | None:
    return pl.read_parquet(path) if path.exists() else None


def app_data(
    out_dir: Path, *, keep_format_errors: bool = False, tasks: pl.DataFrame | None = None
) -> dict[str, Any]:
    """The task browser's data for the analysis in ``out_dir`` (``tasks``: its ``stats_tasks``
    table, when it is not written there yet)."""
    data, keys = browser_data(out_dir, keep_format_errors=keep_format_errors)
    return with_cv(data, keys, tasks if tasks is not None else _opt(out_dir / "stats_tasks.parquet"))


def with_cv(data: dict[str, Any], keys: list[tuple[str, str]], tasks: pl.DataFrame | None) -> dict[str, Any]:
    """:func:`browser_data` completed with each group's CV of steps from ``stats_tasks``."""
    cv = {(r["config"], r["task_id"]): r["cv_steps_pct"] for r in _rows(tasks)}
    for group, key in zip(data["groups"], keys, strict=True):
        group.cv = None if cv.get(key) is None else round(float(cv[key]), 2)
    return data


def browser_data(
    out_dir: Path,
    *,
    keep_format_errors: bool = False,
    layouts: Mapping[tuple[str, str], Layout] | None = None,
    digests: Mapping[str, str] | None = None,
    cells: Mapping[tuple[str, str], bytes] | None = None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """:func:`app_data` but the CV of steps, which needs the statistics (:func:`with_cv` adds
    it), and each group's ``(configuration, task)``; made apart so that it can be built beside
    the statistics. ``layouts``: graph layouts made already, per group;
    one is used only if it was made from the group's graph file and outcomes as they are
    (:func:`~trajdiv.report._layout.group_layout`). ``digests``: the digests of graph files
    (by their path in ``out_dir``) that this run wrote or checked, which are then not read
    again to know that a layout fits them. ``cells``: each group's cells made with the group
    (:mod:`~trajdiv.report._cells`), used when every group has them, made with
    ``keep_format_errors`` (else the steps table is read)."""
    layouts = layouts or {}
    digests = digests or {}
    runs = pl.read_parquet(out_dir / "runs.parquet").sort("config", "task_id", "run_index", "run_id")
    groups = _opt(out_dir / "divergence_groups.parquet")
    gsum = _opt(out_dir / "graph_summary.parquet")
    configs = sorted(runs["config"].unique().to_list())
    cfg_at = {c: i for i, c in enumerate(configs)}
    first = {
        (r["config"], r["task_id"]): [r[f"first_div_step_{lvl}"] for lvl in LEVELS]
        for r in (groups.iter_rows(named=True) if groups is not None else [])
    }
    n_strat = {(r["config"], r["task_id"]): r["n_strategies"] for r in _rows(gsum)}
    graph_file = {(r["config"], r["task_id"]): r["graph_file"] for r in _rows(gsum)}
    level = str(gsum["level"][0]) if gsum is not None and gsum.height else "verb"
    out_groups, keys = [], []
    names = ["config", "task_id", "run_id", "run_index", "resolved", "n_steps"]
    col = {c: runs[c].to_list() for c in names}
    col["strategy"] = runs["strategy"].to_list() if "strategy" in runs.columns else [None] * runs.height
    groups_at = list(spans(list(zip(col["config"], col["task_id"], strict=True))))
    made = _cells_made(
        cells, [(col["config"][i], col["task_id"][i]) for i, _ in groups_at], keep_format_errors
    )
    if made is None:
        strings = _Strings()
        by_run = _steps_by_run(out_dir / "steps.parquet", strings, keep_format_errors)
    else:
        by_run, strings = made
    for start, end in groups_at:
        key = (str(col["config"][start]), str(col["task_id"][start]))
        keys.append(key)
        out_runs = []
        for i in range(start, end):
            run_cells, hidden = by_run.pop((key[0], key[1], col["run_id"][i]), (_Raw("[]"), 0))
            head_run = {
                "id": page_safe(col["run_id"][i]),
                "i": col["run_index"][i],
                "r": col["resolved"][i],
                "s": page_safe(col["strategy"][i]),
                "n": col["n_steps"][i],
                "hidden": hidden,
            }
            # _json of the run with its cells last, in one encoding of the rest
            out_runs.append(f'{compact_json(head_run)[:-1]},"a":{run_cells}}}')
        outcomes = dict(zip(col["run_id"][start:end], col["resolved"][start:end], strict=True))
        path = graph_file.get(key)
        layout = graph_layout(out_dir, path, outcomes, strings, layouts.get(key), digests.get(path or ""))
        head = {
            "gl": layout,
            "c": cfg_at[key[0]],
            "t": page_safe(key[1]),
            "fd": first.get(key, [None] * len(LEVELS)),
            "ns": n_strat.get(key),
        }
        runs_text = ",".join(out_runs)
        out_groups.append(
            _Group(compact_json(head)[:-1] + ',"cv":', f',"runs":[{runs_text}]}}')
        )  # cv: with_cv
    # every text is made safe where it enters (strings, ids, layouts): cells are positions
    data: dict[str, Any] = {
        "levels": list(LEVELS),
        "graph_level": page_safe(level),
        "action_chars": ACTION_CHARS,
        "keep_format_errors": keep_format_errors,
        "configs": page_safe(configs),
        "strings": strings.items,
        "groups": out_groups,
        **page_safe(_manifest_lists(out_dir / "manifest.json")),
    }
    return data, keys


def _rows(df: pl.DataFrame | None) -> list[dict[str, Any]]:
    return [] if df is None else list(df.iter_rows(named=True))


def _steps_by_run(
    path: Path, strings: _Strings, keep_format_errors: bool
) -> dict[tuple[str, str, str], tuple[_Raw, int]]:
    """Per run of the steps table at ``path``: each shown step as ``[step, cut, exact,
    normalized, verb, category, phase]`` (as JSON text) (text as string positions; ``cut`` 1
    when the action was shortened), and how many steps are not shown (format errors, left out
    of divergence unless kept). One configuration's steps are held at a time, in the order of
    the table sorted by configuration, so that texts meet ``strings`` in that order."""
    out: dict[tuple[str, str, str], tuple[_Raw, int]] = {}
    columns = ["config", "task_id", "run_id", "step", "action", *LEVELS[1:], "format_error"]
    table = pl.scan_parquet(path).select(columns)
    configs = table.select(pl.col("config").unique()).collect()["config"].to_list()
    # the sort's order: null first, then by UTF-8 bytes, which is code point order
    for cfg in sorted(configs, key=lambda c: (c is not None, c or "")):
        chosen = pl.col("config").is_null() if cfg is None else pl.col("config") == cfg
        ordered = table.filter(chosen).collect().sort("task_id", "run_id", "step")  # one config
        for part in _whole_runs(ordered, _SLICE_ROWS):  # text as Python strings a slice at a time
            _add_cells(out, part, strings, keep_format_errors)
    return out


def _cells_made(
    cells: Mapping[tuple[str, str], bytes] | None, keys: list[tuple[str, str]], keep_format_errors: bool
) -> tuple[dict[tuple[str, str, str], tuple[_Raw, int]], _Strings] | None:
    """What :func:`_steps_by_run` reads, put together from the cells made with the groups
    ``keys`` (in the table's order), with the table of strings they fill; None unless every
    group has cells made with ``keep_format_errors``."""
    if not cells or not all(k in cells for k in keys):
        return None
    strings = _Strings()
    out: dict[tuple[str, str, str], tuple[_Raw, int]] = {}
    for cfg, task in keys:
        made = read_cells(cells[(cfg, task)], keep_format_errors)
        if made is None:
            return None
        texts, runs = made
        at = [str(strings(t)) for t in texts]
        try:
            for rid, template, hidden in runs:
                out[(cfg, task, rid)] = (_Raw(template.format(*at)), hidden)
        except (IndexError, KeyError, ValueError):
            return None
    return out, strings


_SLICE_ROWS = 20_000


def _whole_runs(steps: pl.DataFrame, rows: int) -> Iterator[pl.DataFrame]:
    """``steps`` (sorted by run) in slices of about ``rows`` rows that never split a run."""
    first = steps.select(pl.struct("config", "task_id", "run_id").is_first_distinct()).to_series()
    cut = 0
    for start in first.arg_true().to_list():
        if start - cut >= rows:
            yield steps.slice(cut, start - cut)
            cut = start
    if steps.height > cut:
        yield steps.slice(cut)


def _add_cells(
    out: dict[tuple[str, str, str], tuple[_Raw, int]],
    steps: pl.DataFrame,
    strings: _Strings,
    keep_format_errors: bool,
) -> None:
    """The cells of the runs in ``steps`` (whole runs, sorted by run and step) into ``out``.

    Texts enter ``strings`` in the order a step-by-step walk meets them (each shown step's
    action, then its levels), so positions are those of that walk; the walk itself runs as
    column operations: each distinct text of the slice is looked up once."""
    n = ACTION_CHARS
    run = ["config", "task_id", "run_id"]
    hide = pl.col("format_error").fill_null(False) if not keep_format_errors else pl.lit(False)
    texts = [
        pl.col(c).fill_null("").str.slice(0, n).alias(f"t{k}") for k, c in enumerate(("action", *LEVELS[1:]))
    ]
    df = steps.select(
        *run,
        pl.col("step").cast(pl.String).fill_null("null"),
        (pl.col("action").fill_null("").str.len_chars() > n).cast(pl.Int8).alias("cut"),
        hide.alias("hide"),
        *texts,
    )
    shown = df.filter(~pl.col("hide"))
    walk = shown.select(pl.concat_list([f"t{k}" for k in range(len(texts))]).alias("t"))["t"].explode()
    distinct = walk.unique(maintain_order=True)
    at = [strings(t) for t in distinct.to_list()]
    pos = walk.replace_strict(distinct, at, return_dtype=pl.Int64).cast(pl.String)
    cells = shown.select(*run, "step", "cut").with_columns(
        pl.Series(f"p{k}", pos.gather_every(len(texts), offset=k)) for k in range(len(texts))
    )
    cell = pl.concat_str(
        [
            pl.lit("["),
            pl.concat_str(["step", "cut", *(f"p{k}" for k in range(len(texts)))], separator=","),
            pl.lit("]"),
        ]
    )
    made = cells.group_by(run, maintain_order=True).agg(cell.str.join(",").alias("cells"))
    hidden = df.group_by(run, maintain_order=True).agg(pl.col("hide").sum().alias("hidden"))
    text = dict(zip(made.select(*run).iter_rows(), made["cells"].to_list(), strict=True))
    for cfg, task, rid, n_hidden in hidden.iter_rows():
        key = (str(cfg), str(task), str(rid))
        out[key] = (_Raw(f"[{text.get((cfg, task, rid), '')}]"), int(n_hidden))


def _manifest_lists(path: Path) -> dict[str, list[dict[str, str]]]:
    """Skipped files with their reason, and warnings, from ``manifest.json``."""
    try:
        entries = json.loads(path.read_text("utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {"skipped": [], "warnings": []}
    skipped = [
        {"file": e["file"], "kind": e.get("kind") or "", "reason": e.get("reason") or ""}
        for e in entries
        if e.get("status") == "skipped"
    ]
    warnings = [
        {"file": e["file"], "text": w}
        for e in entries
        for w in [*e.get("warnings", []), *e.get("errors", [])]
    ]
    return {"skipped": skipped, "warnings": warnings}


def json_for_script(data: Any) -> str:
    """JSON that can sit inside a ``<script type="application/json">`` element: ``<``, ``>`` and
    ``&`` are escaped, so no text in it can close the element or open another.

    >>> json_for_script({"a": "</script><b>&"})
    '{"a":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    return _script_safe(_json(data))


def script_json_pieces(data: dict[str, Any]) -> Iterator[str]:
    """:func:`json_for_script` of ``data`` in pieces whose concatenation is that text: a
    top-level value, or an item of a top-level list, at a time (the escapes are of single
    characters, so escaping piece by piece is escaping the whole)."""
    yield "{"
    for i, (key, value) in enumerate(data.items()):
        yield ("," if i else "") + _script_safe(compact_json(_key(key))) + ":"
        if isinstance(value, list) and any(isinstance(v, (dict, list, _Raw, _Group)) for v in value):
            yield "["
            for j, item in enumerate(value):
                yield ("," if j else "") + _script_safe(_json(item))
            yield "]"
        else:
            yield _script_safe(_json(value))
    yield "}"


def _script_safe(text: str) -> str:
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
