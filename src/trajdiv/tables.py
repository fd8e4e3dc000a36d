"""Documented schemas of every table trajdiv writes, and the safe writer.

Every table is built through :func:`frame`, so its columns, order and types are exactly the ones
documented here (`trajdiv schema` prints them); the README's table reference is generated from
this module.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv._io import atomic_write_bytes, atomic_write_text, tmp_path

__all__ = [
    "SCHEMAS",
    "TABLE_FORMATS",
    "atomic_write_bytes",
    "atomic_write_text",
    "frame",
    "register_schema",
    "schema_markdown",
    "write_table",
]

Str, I64, F64, Bool = pl.String, pl.Int64, pl.Float64, pl.Boolean

_RUN_KEY = {
    "config": (Str, "configuration label (`scaffold:model` unless overridden)"),
    "task_id": (Str, "task id"),
    "run_id": (Str, "run id, unique within its (config, task) group"),
}

SCHEMAS: dict[str, dict[str, tuple[Any, str]]] = {
    "runs": {
        **_RUN_KEY,
        "run_index": (I64, "1-based position among the task's repeated runs"),
        "model": (Str, "model name from the dump"),
        "scaffold": (Str, "agent scaffold / harness"),
        "attrs": (Str, "other configuration attributes, JSON object"),
        "n_steps": (I64, "number of steps (actions)"),
        "resolved": (Bool, "outcome; null when no label was found"),
        "reward": (F64, "scalar reward where the benchmark has one"),
        "label_source": (Str, "file (or `reward`) the outcome came from"),
        "cost": (F64, "model cost in dollars, where known"),
        "tokens_sent": (I64, "prompt tokens billed, where known"),
        "tokens_received": (I64, "completion tokens billed, where known"),
        "api_calls": (I64, "model calls, where known"),
        "duration_s": (F64, "wall-clock seconds, where known"),
        "patch_chars": (I64, "length of the final patch or answer; null if none"),
        "format": (Str, "reader that produced the run"),
        "source_file": (Str, "input file the run was read from"),
    },
    "steps": {
        **_RUN_KEY,
        "step": (I64, "1-based step index"),
        "thought": (Str, "agent reasoning before the action"),
        "action": (Str, "action text (shell command, or `tool {json args}`)"),
        "tool_name": (Str, "tool called; null for plain shell actions"),
        "tool_args": (Str, "tool arguments, JSON; null for plain shell actions"),
        "observation": (Str, "environment's answer"),
        "returncode": (I64, "exit status where recorded"),
        "format_error": (Bool, "the model's output could not be parsed: no action was run"),
    },
}

_LEVEL_DOC = "exact / normalized / verb / category / phase"
_LEVELS = ("exact", "normalized", "verb", "category", "phase")

# columns that `analyze` adds to the ingest tables
SCHEMAS["runs"].update(
    {
        "agent_tokens": (I64, "tokens of the agent's own output (thoughts and actions)"),
        "total_tokens": (I64, "agent output plus observations"),
        "strategy": (I64, "strategy cluster within the group, 1.."),
        "div_token_pct_median": (
            F64,
            "median over the run's pairs of the first token divergence, % of the shorter stream",
        ),
        "div_step_verb_median": (
            F64,
            "median over the run's pairs of the first divergence step (verb)",
        ),
    }
)
SCHEMAS["steps"].update(
    {
        "normalized": (Str, "action at the normalized level"),
        "verb": (Str, "action at the verb level"),
        "category": (Str, "action at the category level"),
        "phase": (Str, "action at the phase level"),
        "agent_tokens": (I64, "tokens of this step's thought and action"),
        "obs_tokens": (I64, "tokens of this step's observation"),
    }
)
SCHEMAS["divergence_pairs"] = {
    "config": (Str, "configuration label"),
    "task_id": (Str, "task id"),
    "run_a": (Str, "first run id (lower run index)"),
    "run_b": (Str, "second run id"),
    "resolved_a": (Bool, "outcome of run a"),
    "resolved_b": (Bool, "outcome of run b"),
    "steps_a": (I64, "steps of run a"),
    "steps_b": (I64, "steps of run b"),
    "agent_tokens_a": (I64, "agent-output tokens of run a"),
    "agent_tokens_b": (I64, "agent-output tokens of run b"),
    "token_div_index": (I64, "0-based first differing agent-output token; null if identical"),
    "token_div_pct_shorter": (F64, "token_div_index as % of the shorter stream"),
    "token_div_pct_mean": (F64, "token_div_index as % of the mean stream length"),
    **{
        f"step_div_{lvl}": (
            I64,
            f"1-based first differing step at the {lvl} level; null if identical",
        )
        for lvl in _LEVELS
    },
    "step_similarity_normalized": (F64, "normalized edit similarity of the normalized actions"),
    "step_similarity_verb": (F64, "normalized edit similarity of the verbs"),
    "token_weighted_similarity": (F64, "share of agent tokens in exactly matched steps"),
}
SCHEMAS["divergence_groups"] = {
    "config": (Str, "configuration label"),
    "task_id": (Str, "task id"),
    "n_runs": (I64, "runs in the group"),
    "n_labelled": (I64, "runs with an outcome label"),
    "n_resolved": (I64, "runs resolved"),
    **{
        f"first_div_step_{lvl}": (
            I64,
            f"first step at which not all runs agree ({lvl}); null if all agree",
        )
        for lvl in _LEVELS
    },
    **{
        f"majority_split_step_{lvl}": (
            I64,
            f"first step where the largest agreeing subset < half ({lvl})",
        )
        for lvl in _LEVELS
    },
    "token_div_index_min": (I64, "earliest pairwise first token divergence"),
    "token_div_pct_median": (F64, "median over pairs of token divergence % of the shorter stream"),
    "token_div_pct_mean_median": (
        F64,
        "median over pairs of token divergence % of the mean length",
    ),
    "n_distinct_exact": (I64, "distinct exact action sequences among the runs"),
}
SCHEMAS["agreement_curve"] = {
    "config": (Str, "configuration label"),
    "task_id": (Str, "task id"),
    "level": (Str, f"abstraction level ({_LEVEL_DOC})"),
    "step": (I64, "step index s, 1-based"),
    "share_identical": (F64, "share of run pairs whose actions are identical through step s"),
    "n_pairs": (I64, "run pairs in the group"),
}
SCHEMAS["strategies"] = {
    "config": (Str, "configuration label"),
    "task_id": (Str, "task id"),
    "run_id": (Str, "run id"),
    "run_index": (I64, "run index"),
    "strategy": (I64, "strategy cluster, 1.. in order of each cluster's first run"),
    "resolved": (Bool, "outcome"),
    "level": (Str, "abstraction level the clustering used"),
}
SCHEMAS["graph_summary"] = {
    "config": (Str, "configuration label"),
    "task_id": (Str, "task id"),
    "level": (Str, "abstraction level of the graph and clusters"),
    "n_runs": (I64, "runs in the group"),
    "n_nodes": (I64, "graph nodes (root included)"),
    "n_edges": (I64, "graph edges"),
    "n_branch_points": (I64, "nodes with more than one successor"),
    "n_strategies": (I64, "strategy clusters"),
    "strategy_entropy_bits": (F64, "entropy of the run distribution over strategies (bits)"),
    "strategy_success": (Str, "JSON: strategy -> success rate (null if unlabelled)"),
    "reference_run": (Str, "the medoid run the graph re-merges onto"),
    "graph_file": (Str, "node-link JSON file of the graph, relative to the output folder"),
}
SCHEMAS["branching_factor"] = {
    "config": (Str, "configuration label"),
    "task_id": (Str, "task id"),
    "level": (Str, "abstraction level"),
    "depth": (I64, "step index, 1-based"),
    "n_runs": (I64, "runs with a step at this depth"),
    "branching_factor": (F64, "exp(entropy) of the actions at this depth"),
}

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
    """Add a table schema (used by the analysis stages to declare their tables)."""
    SCHEMAS[name] = dict(columns)


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
    df: pl.DataFrame | pl.LazyFrame, out_dir: Path, name: str, formats: Sequence[str] = ("parquet",)
) -> list[Path]:
    """Write a table as `out_dir/name.parquet` / `.csv` / `.jsonl` (JSON Lines), one file per
    format, each under a temporary name renamed into place when complete.

    A lazy frame (for instance the parts of a large table) is streamed to disk, never collected.
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
                    tmp, compression="zstd", compression_level=1, row_group_size=50_000, maintain_order=True
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
