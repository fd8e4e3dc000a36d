"""The plan of a reading: every input file discovered and classified (dump, label file, side
file, not a dump), with a manifest entry each, before any run is read."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from trajdiv._errors import InputError, UsageError
from trajdiv.ingest._base import ReadContext, Reader, parse_simple_yaml, side_key
from trajdiv.ingest._discover import discover
from trajdiv.ingest._labels import LabelFile, parse_label_file, sniff_label_file
from trajdiv.ingest._options import CONFIG_FROM, ConfigFrom, ReadOptions
from trajdiv.ingest._registry import detect_reader
from trajdiv.ingest._source import HEAD_BYTES, Source
from trajdiv.ingest._tau2_bench import RESULTS_MARKERS

__all__ = ["CONFIG_FROM", "ConfigFrom", "ManifestEntry", "Plan", "plan_inputs"]

_DOC_NAMES = re.compile(
    r"(?i)^(readme|license|licence|copying|notice|changelog|authors)(\..*)?$|\.(md|rst|txt|py|sh|"
    r"png|jpe?g|svg|pdf|html|css|js|csv|parquet|ipynb|toml|cfg|ini|lock|log)$"
)


@dataclass(slots=True)
class ManifestEntry:
    """What happened to one input file."""

    file: str
    status: Literal["read", "skipped"]
    role: str
    """``trajectories``, ``labels``, ``metadata`` or ``none``."""
    format: str | None = None
    reason: str | None = None
    kind: str | None = None
    """For skipped files: ``error`` (unusable input) or ``not-a-dump`` (documentation, ...)."""
    runs: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Problems that made part of a file unusable (the file is still read)."""

    @property
    def is_error(self) -> bool:
        """Skipped as unusable, or read with errors: either makes the exit code non-zero."""
        return (self.status == "skipped" and self.kind == "error") or bool(self.errors)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``manifest.json``."""
        return {
            "file": self.file,
            "status": self.status,
            "role": self.role,
            "format": self.format,
            "reason": self.reason,
            "kind": self.kind,
            "runs": self.runs,
            "warnings": list(self.warnings),
            "errors": list(self.errors),
        }


@dataclass(slots=True)
class Plan:
    """The classified inputs: trajectory files with their reader, label files, side files."""

    work: list[tuple[Source, Reader]]
    labels: list[LabelFile]
    ctx: ReadContext
    entries: dict[str, ManifestEntry]
    """Manifest entries by display name, in input order (trajectory entries filled in later)."""
    read: ReadOptions = field(default_factory=ReadOptions)
    """The reading options the plan was made with."""
    ambiguous: dict[str, str] = field(default_factory=dict)
    """Label files whose key names several models, with the reason (set by :func:`bind_labels`)."""


def _not_a_dump_reason(source: Source) -> str | None:
    name = source.name
    if any(p.startswith(".") for p in source.parts[1:]):
        return "hidden file or folder"
    if name.endswith(".jsonl") and "preds" in name:
        return "SWE-bench predictions file (patches only, no steps)"
    if _DOC_NAMES.search(name):
        return "not a run dump (documentation, code or image)"
    if "llm_completions" in source.folder_parts:
        return "one model call's log of an OpenHands evaluation (its run is read from output.jsonl)"
    if _SIDE_NAMES.search(name) and name not in ("metadata.yaml", "metadata.yml"):
        return "a run's configuration, exit statuses or patch (no steps)"
    return None


_SIDE_NAMES = re.compile(r"(?i)\.(ya?ml|patch|diff)$")
"""What agent runs write beside their trajectories: SWE-agent's and mini-swe-agent's
``*.config.yaml`` and exit-status YAML, patches (``*.patch``, OpenHands' ``patch.diff``)."""

_PREDICTION_MARKERS = (b'"model_patch"', b'"instance_id"')
_STEP_MARKERS = (b'"history"', b'"trajectory"', b'"messages"', b'"steps"', b'"traj"', b'"runs"')


def _predictions_reason(head: bytes) -> str | None:
    """A SWE-bench predictions file under any name (``preds.json``, a SWE-agent ``.pred``,
    OpenHands' ``output.swebench.jsonl``): patches only, no steps. Asked only of a file no
    reader recognises."""
    if all(m in head for m in _PREDICTION_MARKERS) and not any(m in head for m in _STEP_MARKERS):
        return "SWE-bench predictions (patches only, no steps)"
    return None


_HARBOR_TRIAL_RESULT = (b'"trial_name"', b'"verifier_result"', b'"agent_info"')
_HARBOR_JOB_FILE = (b'"n_total_trials"', b'"trials_dir"', b'"job_name"', b'"n_attempts"')


def _side_role(source: Source, head: bytes) -> tuple[str, str] | None:
    """``(role, format)`` of a Harbor side file or an OpenHands evaluation's ``metadata.json``,
    or None for any other file."""
    if source.name.endswith(".pane") and source.folder_parts[-1:] == ("agent",):
        return "none", "harbor-terminal-recording"
    if (
        source.name == "results.json"
        and source.fs_path is not None
        and all(m in head for m in RESULTS_MARKERS)
        and (Path(source.fs_path).parent / "simulations").is_dir()
    ):
        return "metadata", "tau2-results-index"  # the directory form: runs in simulations/
    if source.name == "metadata.json" and any(m in head for m in (b'"agent_class"', b'"max_iterations"')):
        return "metadata", "openhands-metadata"  # beside output.jsonl, whose reader consults it
    if source.name not in ("result.json", "config.json"):
        return None
    if source.name == "result.json" and any(m in head for m in _HARBOR_TRIAL_RESULT):
        return "outcomes", "harbor-trial-result"
    if any(m in head for m in _HARBOR_JOB_FILE + _HARBOR_TRIAL_RESULT):
        return "metadata", "harbor-" + source.name.removesuffix(".json")
    return None


def _sniffable(head: bytes) -> bytes:
    """The first bytes as UTF-8 without a byte-order mark, whatever encoding the file declares."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", errors="ignore").encode("utf-8")
    return head.removeprefix(b"\xef\xbb\xbf")


def plan_inputs(
    inputs: Sequence[str | Path], read: ReadOptions | None = None, *, exclude: Sequence[str | Path] = ()
) -> Plan:
    """Discover and classify every input file. Raises UsageError for a missing input.

    Parameters
    ----------
    inputs
        Files, folders or archives.
    read
        How runs are read (grading of answers, inspect_ai scorer, ...); the defaults when None.
    exclude
        trajdiv's own outputs, never read (see :func:`discover`).
    """
    read = read or ReadOptions()
    if not inputs:
        raise UsageError("no input given")
    sources, skips = discover(inputs, exclude=exclude)
    entries: dict[str, ManifestEntry] = {}
    for s in skips:
        entries[s.display] = ManifestEntry(s.display, "skipped", "none", reason=s.reason, kind=s.kind)
    found = _Found()
    for src in sources:
        entries[src.display] = _classify(src, found)
    ctx = ReadContext(
        found.metadata,
        grading=read.grading,
        f1_threshold=read.f1_threshold,
        score=read.score,
        side=found.side,
    )
    return Plan(found.work, found.labels, ctx, entries, read)


@dataclass(slots=True)
class _Found:
    """What classifying the input files collects besides their manifest entries."""

    work: list[tuple[Source, Reader]] = field(default_factory=list)
    labels: list[LabelFile] = field(default_factory=list)
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    side: dict[str, str] = field(default_factory=dict)
    """Text of side files readers consult, by :func:`side_key`."""


def _keep_side_text(src: Source, found: _Found) -> None:
    found.side[side_key(src.archive, src.parts)] = src.read_bytes().decode("utf-8", errors="replace")


def _classify(src: Source, found: _Found) -> ManifestEntry:
    """The manifest entry of one input file; trajectory files, label files, metadata and side
    files go to ``found``. An unreadable file is an entry with its reason, never an exception."""
    if src.name == "reward.txt" and src.folder_parts[-1:] == ("verifier",):
        try:
            _keep_side_text(src, found)
        except InputError as exc:
            return ManifestEntry(src.display, "skipped", "outcomes", "harbor-reward", exc.reason, "error")
        return ManifestEntry(src.display, "read", "outcomes", "harbor-reward")
    why_not = _not_a_dump_reason(src)
    if why_not:
        return ManifestEntry(src.display, "skipped", "none", reason=why_not, kind="not-a-dump")
    if src.name in ("metadata.yaml", "metadata.yml"):
        try:
            found.metadata[src.sibling_key()] = parse_simple_yaml(
                src.read_bytes().decode("utf-8", errors="replace")
            )
        except InputError as exc:
            return ManifestEntry(src.display, "skipped", "metadata", reason=exc.reason, kind="error")
        return ManifestEntry(src.display, "read", "metadata", "metadata")
    try:
        head = _sniffable(src.head(HEAD_BYTES))
    except InputError as exc:
        return ManifestEntry(src.display, "skipped", "none", reason=exc.reason, kind="error")
    if not head.strip():
        return ManifestEntry(src.display, "skipped", "none", reason="empty file", kind="error")
    side = _side_role(src, head)
    if side is not None:
        role, fmt = side
        if role == "none":
            why = "Harbor terminal recording (the steps come from agent/trajectory.json)"
            return ManifestEntry(src.display, "skipped", "none", fmt, why, "not-a-dump")
        if role == "outcomes" or fmt in ("openhands-metadata", "tau2-results-index"):
            try:
                _keep_side_text(src, found)
            except InputError as exc:
                return ManifestEntry(src.display, "skipped", role, fmt, exc.reason, "error")
        return ManifestEntry(src.display, "read", role, fmt)
    if sniff_label_file(src, head):
        try:
            found.labels.append(parse_label_file(src))
        except InputError as exc:
            return ManifestEntry(src.display, "skipped", "labels", "swe-bench-labels", exc.reason, "error")
        return ManifestEntry(src.display, "read", "labels", "swe-bench-labels")
    reader = detect_reader(src, head)
    if reader is None:
        if (why_not := _predictions_reason(head)) is not None:
            return ManifestEntry(src.display, "skipped", "none", reason=why_not, kind="not-a-dump")
        why = "unknown format: no reader recognises it (see `trajdiv formats`)"
        return ManifestEntry(src.display, "skipped", "none", reason=why, kind="error")
    found.work.append((src, reader))
    return ManifestEntry(src.display, "read", "trajectories", reader.name)
