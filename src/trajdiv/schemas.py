"""Every table trajdiv writes, as declared by the stage that writes it, in stage order."""

from __future__ import annotations

from typing import Any

import trajdiv.diverge._tables as _diverge
import trajdiv.graph._tables as _graph
import trajdiv.ingest._tables as _ingest
import trajdiv.stats._schemas as _stats
from trajdiv.tables import SCHEMAS, schema_markdown

__all__ = ["TABLE_NAMES", "all_schemas", "schema_markdown"]

TABLE_NAMES: tuple[str, ...] = (*_ingest.TABLES, *_diverge.TABLES, *_graph.TABLES, *_stats.STATS_TABLES)
"""Every table, in the order of the stages that write them."""


def all_schemas() -> dict[str, dict[str, tuple[Any, str]]]:
    """``{table: {column: (polars type, meaning)}}`` for every table, in stage order."""
    return {name: SCHEMAS[name] for name in TABLE_NAMES}
