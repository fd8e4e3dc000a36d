"""One reading of the inputs, however the work is scheduled: the bookkeeping that turns parsed
files into labelled groups and a manifest that accounts for every file.

:func:`read_runs` drives it in this process; the pipeline drives the same :class:`Intake` with
files parsed and groups finalised in workers, so that both give the same runs, labels and
manifest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from trajdiv._errors import InputError
from trajdiv.ingest._ingest import (
    Dataset,
    LabelKey,
    bind_labels,
    finalize_group,
    label_key,
    label_usage,
    read_source,
    relabel,
    resolve_labels,
)
from trajdiv.ingest._options import ReadOptions
from trajdiv.ingest._plan import ManifestEntry, Plan, plan_inputs
from trajdiv.model import Run

__all__ = ["Intake", "read_runs"]

Scope = tuple[str, ...]


class Intake:
    """The manifest and label bookkeeping of one reading of ``plan``.

    Call :meth:`file_read` for every trajectory file parsed, :meth:`final_labels` once with
    every run read, :meth:`group_done` for every group finalised, then :meth:`finish`. With
    ``strict``, the first unusable file raises :class:`InputError`.
    """

    def __init__(self, plan: Plan, *, strict: bool = False) -> None:
        self.plan = plan
        self.strict = strict
        self._used: dict[str, int] = defaultdict(int)
        self._runs: dict[str, int] = defaultdict(int)
        self._raise_if_strict()

    def file_read(self, display: str, reason: str | None, warnings: Sequence[str]) -> bool:
        """Record the parse of one trajectory file; False when it was skipped (``reason``)."""
        entry = self.plan.entries[display]
        entry.warnings.extend(warnings)
        if reason is None:
            return True
        entry.status, entry.reason, entry.kind = "skipped", reason, "error"
        if self.strict:
            raise InputError(display, reason)
        return False

    def final_labels(self, runs: Iterable[tuple[str, str, Scope, LabelKey]]) -> dict[LabelKey, str]:
        """Bind per-run label reports to models and make configuration labels unique across
        the input; ``runs`` are ``(model, dump key, scope, label key)`` of every run read."""
        items = list(runs)
        bind_labels(self.plan, ((model, key, scope) for model, key, scope, _ in items))
        return resolve_labels((lkey for _, _, _, lkey in items), self.plan.read.pool_benchmarks)

    def group_done(
        self,
        used: dict[str, int],
        warnings: Iterable[tuple[str, str]],
        errors: Iterable[tuple[str, str]],
        files: dict[str, int],
    ) -> None:
        """Record a finalised group: runs labelled per label file, warnings and errors per
        file, and runs kept per file."""
        for name, n in used.items():
            self._used[name] += n
        for name, w in warnings:
            self.plan.entries[name].warnings.append(w)
        for name, e in errors:
            self.plan.entries[name].errors.append(e)
        for name, n in files.items():
            self._runs[name] += n

    def finish(self) -> list[ManifestEntry]:
        """The manifest: label files that labelled nothing and files whose every run was a
        duplicate are skipped with their reason."""
        label_usage(self.plan, self._used)
        for src, _ in self.plan.work:
            e = self.plan.entries[src.display]
            e.runs = self._runs.get(src.display, 0)
            if e.status == "read" and e.runs == 0:
                e.status, e.kind = "skipped", "error"
                e.reason = (e.errors or ["every run in it duplicates a run read from another file"])[0]
        self._raise_if_strict()
        return list(self.plan.entries.values())

    def _raise_if_strict(self) -> None:
        if not self.strict:
            return
        for e in self.plan.entries.values():
            if e.is_error:
                raise InputError(e.file, e.reason or (e.errors or ["unusable"])[0])


def read_runs(
    inputs: Sequence[str | Path],
    *,
    read: ReadOptions | None = None,
    strict: bool = False,
    exclude: Sequence[str | Path] = (),
) -> Dataset:
    """Read every run under ``inputs`` into memory, grouped and labelled.

    Parameters
    ----------
    inputs
        Files, folders or archives; folders are walked recursively.
    read
        How runs are read: configuration labels, answer grading, inspect_ai scorer, benchmark
        pooling (:class:`ReadOptions`; the defaults when None).
    strict
        Raise :class:`InputError` at the first unusable file instead of skipping it.
    exclude
        Paths never read (trajdiv's own outputs); listed as skipped.

    Examples
    --------
    >>> ds = read_runs(["../shared/realdata/tau-bench"])  # from the project's folder
    >>> len(ds.runs)
    40
    """
    plan = plan_inputs(inputs, read, exclude=exclude)
    intake = Intake(plan, strict=strict)
    found: list[tuple[Run, str, Scope]] = []
    for src, reader in plan.work:
        runs, reason, warnings = read_source(src, reader, plan.ctx, plan.read.config_from)
        if intake.file_read(src.display, reason, warnings):
            scope = (src.archive or "", *src.folder_parts)
            found.extend((run, src.display, scope) for run in runs)
    final = intake.final_labels((r.config.model, r.dump_key, scope, label_key(r)) for r, _, scope in found)
    members: dict[tuple[str, str], list[tuple[Run, str, Scope]]] = defaultdict(list)
    for run, file, scope in found:
        run = relabel(run, final[label_key(run)])
        members[run.group_key].append((run, file, scope))
    out: list[Run] = []
    for key in sorted(members):
        kept, used, warnings_, errors = finalize_group(members[key], plan.labels)
        files: dict[str, int] = defaultdict(int)
        for run, file in kept:
            out.append(run)
            files[file] += 1
        intake.group_done(used, warnings_, errors, files)
    return Dataset(out, intake.finish())
