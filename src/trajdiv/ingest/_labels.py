"""Outcome labels from SWE-bench evaluation files, and the rule that pairs them with runs.

Recognised label files (any ``.json`` whose content has one of these shapes):

* a harness summary report (``resolved_ids`` / ``unresolved_ids`` / ``empty_patch_ids`` /
  ``error_ids``, as written by ``swebench.harness.run_evaluation`` under the name
  ``<model>.<run_id>.json``);
* a submission's ``results/results.json`` (``resolved`` / ``unresolved_ids`` /
  ``empty_error_patch_ids`` / ``completed_ids`` ...);
* a summary with an ``instances`` list (``results_summary.json``:
  ``[{"instance_id": ..., "resolved": ...}]``);
* a per-instance ``report.json`` in the harness form ``{instance_id: {"resolved": bool, ...}}``,
  also inside the harness tree ``logs/run_evaluation/<run_id>/<model>/<instance>/report.json``;
* a per-instance ``report.json`` in the flat form ``{"resolved": bool, "patch_exists": ...}``,
  whose instance id is the name of the folder holding it (``logs/<instance>/report.json``).

Ids listed under ``incomplete_ids`` were never evaluated: they stay unlabelled, whatever other
list also names them. Every other listed id that is not resolved counts as not resolved.

Pairing rule. A label file applies to the runs read from its *scope folder* and the folders below
it. The scope folder is the folder that holds the file; for a file under a ``logs/`` folder, the
folder above ``logs``; for a file in a ``results`` folder, the folder above that. A file named
``<key>.<run>.json`` (two or more dot-separated parts before ``.json``) is a per-run harness
report; so is a report in the harness tree, whose key is the ``<model>`` folder and whose run is
``<run_id>``. A per-run report applies only to runs whose dump key or model equals ``key``
(ignoring case), or, failing that, to the one model of the runs read that has ``key`` as a name
fragment (``claude`` in ``claude-sonnet-4-5``; a key that is a fragment of several models pairs
with none and the file is skipped with the models it could mean); when ``<run>`` ends in a number
K, only to runs with run index K (``claude.claude-local-run3.json`` -> the third run of every
task). Among the files that apply to a run, the one with the deepest scope wins and a per-run
report beats a summary of equal depth; two equally specific files that disagree (a summary and a
per-instance report of one submission, say) leave the run unlabelled, with a warning. A run's own label (tau-bench ``reward``,
a graded answer) is never overridden. A run that no file lists keeps ``resolved=None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import trailing_number
from trajdiv.ingest._openhands_eval import eval_labels
from trajdiv.ingest._source import Source, load_json
from trajdiv.ingest._stream import json_lines
from trajdiv.model import Outcome, Run

__all__ = ["LabelFile", "apply_labels", "bind_keys", "parse_label_file", "sniff_label_file"]

_RESOLVED_KEYS = ("resolved_ids", "resolved")
_FAILED_KEYS = ("unresolved_ids", "empty_patch_ids", "error_ids", "empty_error_patch_ids")
_SUBMITTED_KEYS = ("completed_ids", "submitted_ids")
_UNLABELLED_KEYS = ("incomplete_ids",)
_HEAD_MARKERS = (
    b'"resolved_ids"',
    b'"total_instances"',
    b'"unresolved_ids"',
    b'"resolved":',
    b'"resolved" :',
    b'"incomplete_ids"',
)
_REPORT_NAME = re.compile(r"^(?P<key>[^.]+)\.(?P<run>.+)\.json$")
_FLAT_REPORT_KEYS = ("patch_exists", "patch_is_None", "tests_status", "patch_successfully_applied")


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
    incomplete: frozenset[str] = frozenset()
    """Instance ids listed as never evaluated (``incomplete_ids``): they stay unlabelled."""
    per_instance: bool = False
    """A per-instance ``report.json`` (as specific as a summary of the same scope)."""
    model: str | None = None
    """The one model of the runs read that ``key`` names as a fragment (set by :func:`bind_keys`)."""

    @property
    def specificity(self) -> tuple[int, int]:
        """Sort key: deeper scope first, then per-run reports before summaries."""
        return (len(self.scope), 1 if self.key is not None else 0)


def sniff_label_file(source: Source, head: bytes) -> bool:
    """True if the file looks like one of the recognised label files."""
    if source.name.endswith(".swebench_eval.jsonl"):
        return True
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


def _resolved_flag(val: Any) -> bool | None:
    """A resolved flag as dumps write it: a boolean, or the strings ``true``/``false``."""
    if isinstance(val, bool):
        return val
    if isinstance(val, str) and val.strip().lower() in ("true", "false"):
        return val.strip().lower() == "true"
    return None


def _labels_of(obj: dict[str, Any], source: Source) -> tuple[dict[str, bool], bool]:
    """``(instance id -> resolved, is a per-instance report)`` of a label file's content.

    Ids listed as incomplete are left out (see :func:`_incomplete_of`).
    """
    labels: dict[str, bool] = {}
    if any(k in obj for k in _RESOLVED_KEYS + _FAILED_KEYS + _UNLABELLED_KEYS) and not (
        _resolved_flag(obj.get("resolved")) is not None
    ):
        resolved = {i for k in _RESOLVED_KEYS for i in _id_list(obj, k, source)}
        for k in _FAILED_KEYS + _SUBMITTED_KEYS:
            for i in _id_list(obj, k, source):
                labels[i] = i in resolved
        for i in resolved:
            labels[i] = True
        for i in _incomplete_of(obj, source):
            labels.pop(i, None)
        return labels, False
    if isinstance(obj.get("instances"), list):
        for j, inst in enumerate(obj["instances"]):
            iid = inst.get("instance_id") if isinstance(inst, dict) else None
            flag = _resolved_flag(inst.get("resolved")) if isinstance(inst, dict) else None
            if not isinstance(iid, str) or flag is None:
                raise InputError(source.display, f"instances[{j}] should have instance_id and resolved")
            labels[iid] = flag
        return labels, False
    flat = _resolved_flag(obj.get("resolved"))
    if flat is not None and any(k in obj for k in _FLAT_REPORT_KEYS):
        if not source.folder_parts:
            raise InputError(source.display, "a flat report.json needs its instance id as folder name")
        return {source.folder_parts[-1]: flat}, True
    for iid, rep in obj.items():
        flag = _resolved_flag(rep.get("resolved")) if isinstance(rep, dict) else None
        if flag is not None:
            labels[str(iid)] = flag
    return labels, bool(labels) and len(labels) == 1


def _incomplete_of(obj: dict[str, Any], source: Source) -> frozenset[str]:
    return frozenset(i for k in _UNLABELLED_KEYS for i in _id_list(obj, k, source))


def _harness_tree(folders: tuple[str, ...]) -> tuple[tuple[str, ...], str, str] | None:
    """``(folders above logs/, model key, run id)`` of a report in the harness tree."""
    for i in range(len(folders) - 1, -1, -1):
        if folders[i] == "run_evaluation" and i >= 1 and folders[i - 1] == "logs" and len(folders) >= i + 4:
            return folders[: i - 1], folders[i + 2], folders[i + 1]
    return None


def _scope_folders(folders: tuple[str, ...]) -> tuple[str, ...]:
    if "logs" in folders:
        return folders[: len(folders) - 1 - folders[::-1].index("logs")]
    if folders and folders[-1] == "results":
        return folders[:-1]
    return folders


def _openhands_eval_labels(source: Source) -> LabelFile:
    """An OpenHands ``*.swebench_eval.jsonl``: per line an instance's ``test_result.report``
    (an instance whose evaluation failed, ``error_eval``, stays unlabelled)."""
    labels: dict[str, bool] = {}
    incomplete: set[str] = set()
    for line, obj in json_lines(source):
        if not isinstance(obj, dict) or not isinstance(obj.get("instance_id"), (str, int)):
            raise InputError(source.display, f"line {line}: expected an object with an instance_id")
        resolved = eval_labels(obj)
        if resolved is None:
            incomplete.add(str(obj["instance_id"]))
        else:
            labels[str(obj["instance_id"])] = resolved
    if not labels and not incomplete:
        raise InputError(source.display, "no evaluated instance in it")
    return LabelFile(
        display=source.display,
        scope=(source.archive or "", *source.folder_parts),
        key=None,
        run_index=None,
        labels=labels,
        incomplete=frozenset(incomplete),
        per_instance=False,
    )


def parse_label_file(source: Source) -> LabelFile:
    """Read a label file; raises :class:`InputError` when it holds no usable label."""
    if source.name.endswith(".swebench_eval.jsonl"):
        return _openhands_eval_labels(source)
    obj = load_json(source)
    if not isinstance(obj, dict):
        raise InputError(source.display, "a label file should be a JSON object")
    labels, per_instance = _labels_of(obj, source)
    incomplete = _incomplete_of(obj, source)
    if not labels and not incomplete:
        keys = ", ".join(sorted(map(str, obj))[:12]) or "none"
        raise InputError(
            source.display,
            f"not a recognised label file: no resolved/unresolved instance ids (keys found: {keys})",
        )
    key = run_index = None
    tree = _harness_tree(source.folder_parts)
    if tree is not None:
        folders, model_key, run_id = tree
        key, run_index = model_key.lower(), trailing_number(run_id)
    else:
        folders = _scope_folders(source.folder_parts)
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
        incomplete=incomplete,
        per_instance=per_instance,
    )


def _is_fragment(key: str, name: str) -> bool:
    """``key`` occurs in ``name`` bounded by the ends or by characters other than letters/digits."""
    key, name = key.lower(), name.lower()
    start = name.find(key)
    while start >= 0:
        end = start + len(key)
        if (start == 0 or not name[start - 1].isalnum()) and (end == len(name) or not name[end].isalnum()):
            return True
        start = name.find(key, start + 1)
    return False


def bind_keys(
    files: list[LabelFile], runs: Iterable[tuple[str, str, tuple[str, ...]]]
) -> tuple[list[LabelFile], dict[str, str]]:
    """Give each per-run report the one model its key names as a fragment.

    ``runs`` are ``(model, dump key, scope)`` of the runs read. A key equal to a dump key or a
    model needs no binding; otherwise the models of the runs in the file's scope that have the
    key as a name fragment are looked up. Returns the files (bound where one model was found)
    and ``{file: reason}`` for keys that name several models: such files pair with no run.
    """
    seen = sorted(set(runs))
    out: list[LabelFile] = []
    ambiguous: dict[str, str] = {}
    for lf in files:
        if lf.key is None:
            out.append(lf)
            continue
        in_scope = [(m, d) for m, d, sc in seen if sc[: len(lf.scope)] == lf.scope]
        if any(lf.key in (m.lower(), d.lower()) for m, d in in_scope):
            out.append(lf)
            continue
        models = sorted({m for m, _ in in_scope})
        hits = [m for m in models if _is_fragment(lf.key, m)]
        # the harness names model folders with '/' replaced by '__'
        hits = hits or [m for m in models if m.lower().replace("/", "__") == lf.key]
        if len(hits) > 1:
            ambiguous[lf.display] = f"key '{lf.key}' is a fragment of several models: {', '.join(hits)}"
            out.append(replace(lf, labels={}, incomplete=frozenset()))
        else:
            out.append(replace(lf, model=hits[0].lower()) if hits else lf)
    return out, ambiguous


def _applies(lf: LabelFile, run: Run, run_scope: tuple[str, ...]) -> bool:
    if run_scope[: len(lf.scope)] != lf.scope:
        return False
    if lf.key is not None:
        model = run.config.model.lower()
        if lf.key not in (run.dump_key.lower(), model) and lf.model != model:
            return False
        if lf.run_index is not None and lf.run_index != run.run_index:
            return False
    return run.task_id in lf.labels or run.task_id in lf.incomplete


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
        verdict = best.labels.get(run.task_id)
        if verdict is None:  # listed as never evaluated
            out.append(run)
            continue
        rivals = [lf for lf in applicable[1:] if lf.specificity == best.specificity]
        clash = next((lf for lf in rivals if lf.labels.get(run.task_id, verdict) != verdict), None)
        if clash is not None:
            warnings.append((run, f"{run.run_id}: {best.display} and {clash.display} disagree; unlabelled"))
            out.append(run)
            continue
        out.append(replace(run, outcome=Outcome(resolved=verdict, source=best.display)))
    return out, used, warnings
