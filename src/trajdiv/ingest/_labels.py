"""Outcome labels from SWE-bench evaluation files, and the rule that pairs them with runs.

Three kinds of label file are recognised:

* a harness summary report (``resolved_ids`` / ``unresolved_ids`` / ``empty_patch_ids`` /
  ``error_ids``, as written by ``swebench.harness.run_evaluation`` under the name
  ``<model>.<run_id>.json``);
* a submission's ``results/results.json`` (``resolved`` / ``unresolved_ids`` /
  ``empty_error_patch_ids``);
* a per-instance ``report.json`` (``{instance_id: {"resolved": bool, ...}}``).

Pairing rule. A label file applies to the runs read from its *scope folder* (the folder that holds
it, or the parent of that folder when it is called ``results``) and the folders below it. A file
named ``<key>.<run>.json`` (two or more dot-separated parts before ``.json``) is a per-run harness
report: it applies only to runs whose ``dump_key`` or model equals ``key`` (ignoring case), and when
``<run>`` ends in a number K, only to runs with run index K (``claude.claude-local-run3.json`` ->
the third run of every task of the runs whose dump key is ``claude``). Among the files that apply
to a run, the one with the deepest scope wins, a per-run report beats a summary of equal depth;
two equally specific files that disagree leave the run unlabelled, with a warning. A run's own
label (tau-bench ``reward``) is never overridden. A run that no file lists keeps
``resolved=None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import trailing_number
from trajdiv.ingest._source import Source, load_json
from trajdiv.model import Outcome, Run

__all__ = ["LabelFile", "apply_labels", "parse_label_file", "sniff_label_file"]

_RESOLVED_KEYS = ("resolved_ids", "resolved")
_FAILED_KEYS = ("unresolved_ids", "empty_patch_ids", "error_ids", "empty_error_patch_ids")
_SUBMITTED_KEYS = ("completed_ids", "submitted_ids")
_HEAD_MARKERS = (b'"resolved_ids"', b'"total_instances"', b'"unresolved_ids"', b'"resolved":')
_REPORT_NAME = re.compile(r"^(?P<key>[^.]+)\.(?P<run>.+)\.json$")


@dataclass(frozen=True, slots=True)
class LabelFile:
    """One parsed label file and where it applies."""

    display: str
    """The file, as shown in the manifest."""
    scope: tuple[str, ...]
    """``(archive, *folders)``: runs read from below this folder are candidates."""
    key: str | None
    """Model key of a per-run harness report (``claude``), else None."""
    run_index: int | None
    """Run index of a per-run harness report, else None."""
    labels: dict[str, bool] = field(default_factory=dict)
    """Instance id -> resolved."""

    @property
    def specificity(self) -> tuple[int, int]:
        """Sort key: deeper scope first, then per-run reports before summaries."""
        return (len(self.scope), 1 if self.key is not None else 0)


def sniff_label_file(source: Source, head: bytes) -> bool:
    """True if the file looks like one of the recognised label files."""
    if not source.name.endswith(".json"):
        return False
    if source.name == "report.json":
        return True
    stripped = head.lstrip()
    return (
        stripped.startswith(b"{")
        and any(m in head for m in _HEAD_MARKERS)
        and not (b'"runs"' in head or b'"trajectory"' in head or b'"messages"' in head)
    )


def _id_list(obj: dict[str, Any], key: str, source: Source) -> list[str]:
    val = obj.get(key)
    if val is None:
        return []
    if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
        raise InputError(source.display, f"field '{key}' should be a list of instance ids")
    return list(val)


def parse_label_file(source: Source) -> LabelFile:
    """Read a label file; raises :class:`InputError` when it holds no usable label."""
    obj = load_json(source)
    if not isinstance(obj, dict):
        raise InputError(source.display, "a label file should be a JSON object")
    labels: dict[str, bool] = {}
    if any(k in obj for k in _RESOLVED_KEYS + _FAILED_KEYS):
        resolved = {i for k in _RESOLVED_KEYS for i in _id_list(obj, k, source)}
        for k in _FAILED_KEYS + _SUBMITTED_KEYS:
            for i in _id_list(obj, k, source):
                labels[i] = i in resolved
        for i in resolved:
            labels[i] = True
    else:
        for iid, rep in obj.items():
            if isinstance(rep, dict) and isinstance(rep.get("resolved"), bool):
                labels[str(iid)] = rep["resolved"]
    if not labels:
        raise InputError(source.display, "no resolved/unresolved instance ids in this label file")
    folders = source.folder_parts
    if folders and folders[-1] == "results":
        folders = folders[:-1]
    key = run_index = None
    m = _REPORT_NAME.match(source.name)
    if m and source.name not in ("results.json", "report.json"):
        key = m.group("key").lower()
        run_index = trailing_number(m.group("run"))
    return LabelFile(
        display=source.display,
        scope=(source.archive or "", *folders),
        key=key,
        run_index=run_index,
        labels=labels,
    )


def _applies(lf: LabelFile, run: Run, run_scope: tuple[str, ...]) -> bool:
    if run_scope[: len(lf.scope)] != lf.scope:
        return False
    if lf.key is not None:
        if lf.key not in (run.dump_key.lower(), run.config.model.lower()):
            return False
        if lf.run_index is not None and lf.run_index != run.run_index:
            return False
    return run.task_id in lf.labels


def apply_labels(
    runs: Iterable[tuple[Run, tuple[str, ...]]], files: list[LabelFile]
) -> tuple[list[Run], dict[str, int], list[tuple[Run, str]]]:
    """Label runs from ``files`` by the pairing rule in this module's docstring.

    ``runs`` pairs each run with its scope ``(archive, *folders of its source)``. Returns the
    relabelled runs, the number of runs each label file applies to (whether or not it won), and
    ``(run, warning)`` pairs.
    """
    used = {lf.display: 0 for lf in files}
    warnings: list[tuple[Run, str]] = []
    out: list[Run] = []
    ordered = sorted(files, key=lambda f: f.specificity, reverse=True)
    for run, scope in runs:
        if run.outcome.resolved is not None:
            out.append(run)
            continue
        applicable = [lf for lf in ordered if _applies(lf, run, scope)]
        for lf in applicable:
            used[lf.display] += 1
        if not applicable:
            out.append(run)
            continue
        best = applicable[0]
        verdict = best.labels[run.task_id]
        rivals = [lf for lf in applicable[1:] if lf.specificity == best.specificity]
        clash = next((lf for lf in rivals if lf.labels[run.task_id] != verdict), None)
        if clash is not None:
            warnings.append((run, f"{run.run_id}: {best.display} and {clash.display} disagree; unlabelled"))
            out.append(run)
            continue
        out.append(replace(run, outcome=Outcome(resolved=verdict, source=best.display)))
    return out, used, warnings
