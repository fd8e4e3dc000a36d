"""From input paths to grouped, labelled runs and a manifest that accounts for every file.

Grouping rule: runs belong to one group when they share the task id and the configuration label
(``scaffold:model`` by default; see :data:`CONFIG_FROM`). This holds whether the runs sit in one
file (``runs[]``), in one folder per run (``run1/``, ``run2/``), or in several dumps given on the
command line. Within a group, runs are ordered by run index, then run id. The run index comes
from the dump (``_run_03``, tau-bench ``trial``), else from the nearest enclosing folder named like
``run3`` / ``run-3``; runs still without one are numbered in source order after the others.

Labels are then made unique across the whole input (:func:`resolve_labels`): runs of different
benchmarks never share a configuration (the label becomes ``benchmark/label`` when the input holds
more than one benchmark, unless ``pool_benchmarks``), and runs of different submission folders of
the swe-bench/experiments layout never share one (``label (submission folder)`` when two
submissions would otherwise have the same label).

Two runs with the same configuration, task and run id are one run read twice when their steps are
equal (the later copy is dropped with a warning); when their steps differ, the configuration was
not told apart: the later run is dropped and its file is reported as an error, with a hint.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from trajdiv._errors import InputError
from trajdiv.ingest._base import ReadContext, Reader
from trajdiv.ingest._labels import LabelFile, apply_labels, bind_keys
from trajdiv.ingest._options import CONFIG_FROM
from trajdiv.ingest._plan import ManifestEntry, Plan, plan_inputs
from trajdiv.ingest._source import Source
from trajdiv.model import Config, Run

__all__ = [
    "CONFIG_FROM",
    "Dataset",
    "ManifestEntry",
    "Plan",
    "finalize_group",
    "plan_inputs",
    "read_source",
    "resolve_labels",
]

_RUN_FOLDER = re.compile(r"(?i)^(?:.*[-_])?run[-_]?(\d+)$")


def bind_labels(plan: Plan, runs: Iterable[tuple[str, str, tuple[str, ...]]]) -> None:
    """Bind per-run reports to models once the runs' ``(model, dump key, scope)`` are known."""
    plan.labels, plan.ambiguous = bind_keys(plan.labels, runs)


LabelKey = tuple[str, str, str]
"""``(configuration label as read, benchmark, submission folder)`` of a run."""


def label_key(run: Run) -> LabelKey:
    """The parts of a run's configuration that :func:`resolve_labels` looks at."""
    c = run.config
    return (c.label, c.attr("benchmark") or "", c.attr("submission") or "")


def resolve_labels(keys: Iterable[LabelKey], pool_benchmarks: bool = False) -> dict[LabelKey, str]:
    """Final configuration labels, unique per benchmark and per submission folder.

    A label that two submission folders share becomes ``label (folder)``; when the input holds
    more than one benchmark, every label of a known benchmark becomes ``benchmark/label`` (unless
    ``pool_benchmarks``).

    Examples
    --------
    >>> keys = [("a:m", "swe-bench", ""), ("a:m", "hotpotqa", "")]
    >>> sorted(resolve_labels(keys).values())
    ['hotpotqa/a:m', 'swe-bench/a:m']
    >>> sorted(resolve_labels(keys, pool_benchmarks=True).values())
    ['a:m', 'a:m']
    """
    keys = sorted(set(keys))
    subs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for label, bench, sub in keys:
        subs[(label, bench)].add(sub)
    several = len({bench for _, bench, _ in keys}) > 1 and not pool_benchmarks
    out: dict[LabelKey, str] = {}
    for label, bench, sub in keys:
        new = label
        # labels read back from an export already carry their suffix and prefix
        if sub and len(subs[(label, bench)]) > 1 and not new.endswith(f" ({sub})"):
            new = f"{new} ({sub})"
        if several and bench and not new.startswith(f"{bench}/"):
            new = f"{bench}/{new}"
        out[(label, bench, sub)] = new
    return out


def relabel(run: Run, label: str) -> Run:
    """``run`` under configuration label ``label``."""
    if run.config.label == label:
        return run
    c = run.config
    return replace(run, config=Config(model=c.model, scaffold=c.scaffold, attrs=c.attrs, label=label))


def _relabel_config(run: Run, source: Source, config_from: str) -> Run:
    if config_from == "auto":
        return run
    c = run.config
    if config_from == "model":
        label = c.model
    elif config_from == "dirname":
        label = c.attr("dump") or (source.folder_parts[-1] if source.folder_parts else c.model)
    else:
        label = source.parts[0]
    return replace(run, config=Config(model=c.model, scaffold=c.scaffold, attrs=c.attrs, label=label))


def _run_index_from_folders(source: Source) -> int | None:
    for part in reversed(source.folder_parts):
        m = _RUN_FOLDER.match(part)
        if m:
            return int(m.group(1))
    return None


def read_source(
    source: Source, reader: Reader, ctx: ReadContext, config_from: str = "auto"
) -> tuple[list[Run], str | None, list[str]]:
    """Read one trajectory file: ``(runs, skip reason or None, warnings)``.

    Runs without steps are dropped with a warning; a file left with no run is skipped.
    Never raises for bad input.
    """
    runs: list[Run] = []
    reason, warnings = read_source_into(source, reader, ctx, runs.append, config_from)
    return (runs, None, warnings) if reason is None else ([], reason, warnings)


def read_source_into(
    source: Source,
    reader: Reader,
    ctx: ReadContext,
    take: Callable[[Run], None],
    config_from: str = "auto",
) -> tuple[str | None, list[str]]:
    """Read one trajectory file, handing each run to ``take`` as soon as it is read (a big file
    is never held whole); returns ``(skip reason or None, warnings)``. When a reason is
    returned, the runs already taken must be dropped: the file is skipped. Never raises for bad
    input.
    """
    warnings: list[str] = []
    n_raw = n_kept = 0
    try:
        for run in reader.read(source, ctx):
            n_raw += 1
            warnings.extend(f"run {run.run_id}: {w}" for w in run.warnings)
            if not run.steps:
                warnings.append(f"run {run.run_id} has no steps; skipped")
                continue
            if run.run_index is None:
                idx = _run_index_from_folders(source)
                if idx is not None:
                    run = replace(run, run_index=idx)
            take(_relabel_config(run, source, config_from))
            n_kept += 1
    except InputError as exc:
        return exc.reason, []
    except Exception as exc:  # a reader bug must not lose the rest of the input
        return f"reader '{reader.name}' failed: {type(exc).__name__}: {exc}", []
    if not n_kept:
        return "no run with at least one step" + (f" ({n_raw} empty)" if n_raw else ""), warnings
    return None, warnings


def finalize_group(
    members: list[tuple[Run, str, tuple[str, ...]]], labels: list[LabelFile]
) -> tuple[list[tuple[Run, str]], dict[str, int], list[tuple[str, str]], list[tuple[str, str]]]:
    """Order a group, fill run indices, drop duplicate run ids, and join labels.

    ``members`` are ``(run, file it was read from, scope)`` in input order, the scope being
    ``(archive, *folders of that file)``. Returns ``(run, file)`` pairs, the number of runs each
    label file labelled, ``(file, warning)`` pairs, and ``(file, error)`` pairs for runs that share
    configuration, task and run id with a different run (a configuration not told apart).
    """
    warnings: list[tuple[str, str]] = []
    errors: list[tuple[str, str]] = []
    seen: dict[str, tuple[Run, str]] = {}
    kept: list[Run] = []
    files: dict[int, str] = {}
    scopes: dict[int, tuple[str, ...]] = {}
    for run, file, scope in members:
        if run.run_id in seen:
            first, first_file = seen[run.run_id]
            if first.steps == run.steps:
                warnings.append((file, f"duplicate run id {run.run_id}; later copy skipped"))
            else:
                errors.append(
                    (
                        file,
                        f"run {run.run_id} of task {run.task_id} under configuration "
                        f"'{run.config.label}' differs from the run of the same id in {first_file}: "
                        "the configurations were not told apart (try --config-from dirname or "
                        "input); later run skipped",
                    )
                )
            continue
        seen[run.run_id] = (run, file)
        kept.append(run)
        files[id(run)] = file
        scopes[id(run)] = scope
    indices = [r.run_index for r in kept]
    if None in indices or len(set(indices)) != len(indices):
        known = sorted({i for i in indices if i is not None})
        if len(known) == len([i for i in indices if i is not None]):
            nxt = (known[-1] if known else 0) + 1
            fixed = []
            for r in kept:
                if r.run_index is None:
                    new = replace(r, run_index=nxt)
                    files[id(new)], scopes[id(new)] = files[id(r)], scopes[id(r)]
                    r = new
                    nxt += 1
                fixed.append(r)
            kept = fixed
        else:  # clashing indices from different dumps: number them in input order
            renumbered = []
            for i, r in enumerate(kept):
                new = replace(r, run_index=i + 1)
                files[id(new)], scopes[id(new)] = files[id(r)], scopes[id(r)]
                renumbered.append(new)
            kept = renumbered
    kept.sort(key=lambda r: (r.run_index or 0, r.run_id))
    labelled, used, label_warn = apply_labels(((r, scopes[id(r)]) for r in kept), labels)
    warnings.extend((files[id(r)], w) for r, w in label_warn)
    return list(zip(labelled, (files[id(r)] for r in kept), strict=True)), used, warnings, errors


@dataclass(slots=True)
class Dataset:
    """Runs read into memory with the manifest of every input file."""

    runs: list[Run]
    """All runs, ordered by configuration label, task id, run index."""
    manifest: list[ManifestEntry]
    """One entry per input file (and per archive member)."""

    @property
    def n_skipped_errors(self) -> int:
        """Files skipped as unusable or read with errors (not counting documentation and the like)."""
        return sum(1 for e in self.manifest if e.is_error)


def label_usage(plan: Plan, used: dict[str, int]) -> None:
    """Mark label files that labelled no run as skipped, with the pairing they were given."""
    for lf in plan.labels:
        entry = plan.entries[lf.display]
        n = used.get(lf.display, 0)
        entry.runs = n
        if n == 0:
            pairing = f"key '{lf.key}', run {lf.run_index}" if lf.key else "its folder"
            entry.status = "skipped"
            entry.kind = "error"
            entry.reason = plan.ambiguous.get(lf.display) or (
                f"none of its {len(lf.labels)} labels matches a run read (paired by {pairing})"
            )
