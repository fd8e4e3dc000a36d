"""Readers for run dumps: one module per format, a registry, and the ingest entry point."""

from trajdiv.ingest._base import ReadContext, Reader
from trajdiv.ingest._discover import ARCHIVE_LIMITS, ArchiveLimits, discover
from trajdiv.ingest._grading import GRADING, grade_answer, normalize_answer
from trajdiv.ingest._ingest import (
    CONFIG_FROM,
    Dataset,
    ManifestEntry,
    Plan,
    finalize_group,
    label_usage,
    plan_inputs,
    read_source,
    resolve_labels,
)
from trajdiv.ingest._intake import Intake, read_runs
from trajdiv.ingest._jsonl import write_jsonl
from trajdiv.ingest._labels import LabelFile
from trajdiv.ingest._options import ReadOptions
from trajdiv.ingest._registry import ENTRY_POINT_GROUP, detect_reader, readers, register_reader
from trajdiv.ingest._source import Source

__all__ = [
    "ARCHIVE_LIMITS",
    "CONFIG_FROM",
    "ENTRY_POINT_GROUP",
    "GRADING",
    "ArchiveLimits",
    "Dataset",
    "Intake",
    "LabelFile",
    "ManifestEntry",
    "Plan",
    "ReadContext",
    "ReadOptions",
    "Reader",
    "Source",
    "detect_reader",
    "discover",
    "finalize_group",
    "grade_answer",
    "label_usage",
    "normalize_answer",
    "plan_inputs",
    "read_runs",
    "read_source",
    "readers",
    "register_reader",
    "resolve_labels",
    "write_jsonl",
]
