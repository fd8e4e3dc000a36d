"""The registry of table schemas, and the safe writer.

Each stage declares the tables it writes (:func:`register_schema`) next to the code that builds
their rows; every table is built through :func:`frame`, so its columns, order and types are exactly
the declared ones (`trajdiv schema` prints them, and the README's table reference is generated
from them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv._io import atomic_write_bytes, atomic_write_text, tmp_path

__all__ = [
    "SCHEMAS",
    "TABLE_FORMATS",
    "atomic_write_bytes",
    "atomic_write_text",
    "extend_schema",
    "frame",
    "register_schema",
    "schema_markdown",
    "spans",
    "step_order",
    "write_table",
]

Str, I64, F64, Bool = pl.String, pl.Int64, pl.Float64, pl.Boolean
"""The column types tables use."""

SCHEMAS: dict[str, dict[str, tuple[Any, str]]] = {}
"""Every table's columns: ``{table: {column: (polars type, meaning)}}``, declared by the stage that
writes the table (``trajdiv.ingest._tables``, ``trajdiv.diverge._tables``, ...)."""


TABLE_FORMATS = ("parquet", "csv", "json", "csv-raw")
"""Formats :func:`write_table` can write. ``csv`` neutralises cells a spreadsheet would run as a
formula; ``csv-raw`` writes them as they are (both to ``NAME.csv``)."""

_FORMULA_START = r"^[=+\-@\t\r]"
"""Cells starting like this run as formulas in spreadsheets (OWASP, "CSV Injection")."""


def neutralise_formulas(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Prefix ``'`` to every text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return, so that a spreadsheet shows it as text instead of running it (OWASP's
    advice for CSV files). Numbers are untouched.

    Examples
    --------
    >>> neutralise_formulas(pl.LazyFrame({"a": ["=HYPERLINK(1)", "ok", "-rf"], "n": [-1, 2, 3]})).collect().rows()
    [("'=HYPERLINK(1)", -1), ('ok', 2), ("'-rf", 3)]
    """
    text = [name for name, dtype in lf.collect_schema().items() if dtype == pl.String]
    return lf.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA_START))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )


TABLE_EXTENSIONS = {"parquet": "parquet", "csv": "csv", "csv-raw": "csv", "json": "jsonl"}
"""File extension of each table format."""


def register_schema(name: str, columns: Mapping[str, tuple[Any, str]]) -> None:
    """Declare table ``name`` (each stage declares the tables it writes)."""
    SCHEMAS[name] = dict(columns)


def extend_schema(name: str, columns: Mapping[str, tuple[Any, str]], *, before: str | None = None) -> None:
    """Add the columns a later stage fills to table ``name``: at the end, or before ``before``."""
    table = SCHEMAS[name]
    if before is None:
        table.update(columns)
        return
    items = list(table.items())
    at = [col for col, _ in items].index(before)
    SCHEMAS[name] = dict([*items[:at], *columns.items(), *items[at:]])


def frame(name: str, rows: Mapping[str, Sequence[Any]] | Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Build table `name` from columns (a mapping of lists) or from row dicts, typed by schema."""
    schema = SCHEMAS[name]
    pl_schema = {col: dtype for col, (dtype, _) in schema.items()}
    if isinstance(rows, Mapping):
        missing = set(schema) - set(rows)
        if missing:
            raise KeyError(f"table {name}: missing columns {sorted(missing)}")
        return pl.DataFrame({c: rows[c] for c in schema}, schema=pl_schema, strict=False)
    records = list(rows)
    if not records:
        return pl.DataFrame(schema=pl_schema)
    return pl.from_dicts(records, schema=pl_schema, strict=False)


def write_table(
    df: pl.DataFrame | pl.LazyFrame,
    out_dir: Path,
    name: str,
    formats: Sequence[str] = ("parquet",),
    row_group_size: int = 50_000,
) -> list[Path]:
    """Write a table as `out_dir/name.parquet` / `.csv` / `.jsonl` (JSON Lines), one file per
    format, each under a temporary name renamed into place when complete.

    A lazy frame (for instance the parts of a large table) is streamed to disk, never collected;
    ``row_group_size`` (rows per Parquet row group) bounds what writing holds in memory.
    """
    if "csv" in formats and "csv-raw" in formats:
        raise ValueError("choose csv or csv-raw, not both (they write the same file)")
    lf = df.lazy()
    paths = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        path = out_dir / f"{name}.{TABLE_EXTENSIONS[fmt]}"
        tmp = tmp_path(path)
        try:
            if fmt == "parquet":
                lf.sink_parquet(
                    tmp,
                    compression="zstd",
                    compression_level=1,
                    row_group_size=row_group_size,
                    maintain_order=True,
                )
            elif fmt == "csv":
                neutralise_formulas(lf).sink_csv(tmp, maintain_order=True)
            elif fmt == "csv-raw":
                lf.sink_csv(tmp, maintain_order=True)
            elif fmt == "json":
                lf.sink_ndjson(tmp, maintain_order=True)
            else:
                raise ValueError(f"unknown table format {fmt!r} (use {', '.join(TABLE_FORMATS)})")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        paths.append(path)
    return paths


def schema_markdown(names: Iterable[str] | None = None) -> str:
    """The schemas as Markdown tables (for `trajdiv schema` and the README)."""
    out = []
    for name in names or SCHEMAS:
        out.append(f"**{name}**\n\n| column | type | meaning |\n|---|---|---|")
        for col, (dtype, doc) in SCHEMAS[name].items():
            out.append(f"| `{col}` | {dtype} | {doc} |")
        out.append("")
    return "\n".join(out)


def spans(keys: Sequence[Any]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each run of equal consecutive ``keys``: the rows of each group of a
    table sorted by its group columns, read as Python lists rather than sliced group by group.

    >>> list(spans(["a", "a", "b"]))
    [(0, 2), (2, 3)]
    """
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            yield start, i
            start = i


def step_order(row: Mapping[str, Any]) -> tuple[str, bool, int]:
    """Sort key of a group's ``steps`` rows in the order of the table sorted by run and step
    (polars' order: a step without a number first).

    >>> [r["step"] for r in sorted([{"run_id": "a", "step": 2}, {"run_id": "a", "step": None}], key=step_order)]
    [None, 2]
    """
    step = row["step"]
    return (str(row["run_id"]), step is not None, 0 if step is None else int(step))
