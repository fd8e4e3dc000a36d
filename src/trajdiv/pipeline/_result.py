"""What a pipeline run produced (shared by the runner and the output-folder state)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from trajdiv.ingest._ingest import ManifestEntry

__all__ = ["PipelineResult"]


@dataclass(slots=True)
class PipelineResult:
    """What a pipeline run produced."""

    out_dir: Path
    manifest: list[ManifestEntry]
    tables: dict[str, Path] = field(default_factory=dict)
    """Parquet file of each table written."""
    n_runs: int = 0
    n_groups: int = 0
    groups_from_cache: int = 0
    chunks_from_cache: int = 0
    """Chunks of groups whose table parts were placed from the cache (:mod:`._chunks`)."""
    sources_from_cache: int = 0
    reused: bool = False
    """True when ``out_dir`` already held these results and nothing was rewritten."""
    state_key: str = ""
    written: list[Path] = field(default_factory=list)
    """The files this run wrote (or, when reused, found intact) in ``out_dir``."""
    digests: dict[Path, str] = field(default_factory=dict)
    """The content digests of written files that this run knows already (graphs it wrote or
    found in place, files it checked), for the output folder's ledger."""
    layouts: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    """Each group's graph layout for the report, made with the group (the report checks that
    it still fits the group's graph file)."""
    action_jsd: dict[tuple[str, str], float | None] = field(default_factory=dict)
    """Each group's mean pairwise JSD of its runs' verb counts, made with the group (the
    statistics take them instead of counting the steps table's verbs when every group has one)."""
    cells: dict[tuple[str, str], bytes] = field(default_factory=dict)
    """Each group's cells of the report's task browser, made with the group (the report puts
    them together instead of reading the steps table when every group has them)."""
    early: dict[tuple[str, str], str] = field(default_factory=dict)
    """Each group's early-warning runs, made with the group (the early-warning models take them
    instead of reading the steps table when every group has them)."""

    @property
    def n_skipped_errors(self) -> int:
        """Input files skipped because they were unusable, or read with errors."""
        return sum(1 for e in self.manifest if e.is_error)

    def frame(self, name: str) -> pl.DataFrame:
        """A written table, read back."""
        return pl.read_parquet(self.tables[name])
