"""The worker side of the pipeline: parsing a file and spilling its runs (pass 1), analysing one
group (pass 2), and the cache entries of both.

The task functions run in worker processes (or in this one with ``-j 1``, or on a Ray cluster);
each takes the worker's :class:`WorkerState`, made once per worker by a :class:`WorkerSetup`.
Locally, workers read input files, spill files and the cache themselves. In data mode (Ray,
where workers do not share this machine's disk) they touch no file: a file's bytes arrive with
its task and its runs go back as bytes, a group's runs arrive as bytes and its result goes back
as data; this process reads and writes the spill files and the cache (:func:`store_index`,
:func:`spilled_runs`, :func:`store_group`)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trajdiv._codec import CacheMiss, run_from_bytes, run_to_bytes
from trajdiv._digest import blob_digest, code_digest, content_hash
from trajdiv._errors import TrajdivError
from trajdiv.align._abstraction import PhaseRules, load_phase_rules, parse_phase_rules
from trajdiv.analysis._group import analyze_group
from trajdiv.analysis._settings import Settings
from trajdiv.ingest._base import SIDE_FILES, ReadContext, Reader
from trajdiv.ingest._ingest import finalize_group, label_key, read_source_into, relabel
from trajdiv.ingest._labels import LabelFile
from trajdiv.ingest._registry import readers
from trajdiv.ingest._source import Source
from trajdiv.model import Run
from trajdiv.pipeline._entries import (
    VERSION,
    GroupOut,
    RunRef,
    SourceIndex,
    SpillFile,
    cache_index,
    spilled_runs,
    store_group,
)
from trajdiv.pipeline._known import known_hash
from trajdiv.tables import frame
from trajdiv.tokens._tokenize import TokenCache

__all__ = [
    "GroupItem",
    "ParseItem",
    "WorkerSetup",
    "WorkerState",
    "parse_source",
    "process_group",
    "source_key",
    "worker_setup",
]


@dataclass(frozen=True, slots=True)
class WorkerState:
    """What every task of one pipeline run needs, made once per worker."""

    settings: Settings
    ctx: ReadContext
    labels: list[LabelFile]
    cache_dir: str | None
    """The cache folder (None: no cache, or data mode)."""
    spill_dir: str | None
    """Where runs are spilled without a cache; None in data mode (nothing is written)."""
    readers: dict[str, Reader]
    tokens: TokenCache | None
    rules: PhaseRules


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """The picklable recipe of a :class:`WorkerState` (sent to every worker once)."""

    settings: Settings
    ctx: ReadContext
    labels: list[LabelFile]
    cache_dir: str | None
    spill_dir: str | None
    rules_text: str
    rules_source: str

    def __call__(self) -> WorkerState:
        tokens = None
        if self.cache_dir and {"diverge", "graph"} & set(self.settings.stages):
            tokens = TokenCache(Path(self.cache_dir), self.settings.encoding)
        return WorkerState(
            self.settings,
            self.ctx,
            self.labels,
            self.cache_dir,
            self.spill_dir,
            {r.name: r for r in readers()},
            tokens,
            parse_phase_rules(self.rules_text, self.rules_source),
        )


def worker_setup(
    settings: Settings,
    ctx: ReadContext,
    labels: list[LabelFile],
    cache_dir: str | None,
    spill_dir: str | None,
) -> WorkerSetup:
    """The setup of a pipeline's workers; ``spill_dir=None`` for data mode (no file touched)."""
    rules = load_phase_rules(settings.phase_rules)  # read here: workers may not see the file
    return WorkerSetup(settings, ctx, labels, cache_dir, spill_dir, rules.content, rules.source)


def source_key(
    source: Source,
    reader_name: str,
    settings: Settings,
    ctx: ReadContext,
    cache_dir: Path | None = None,
    content: str | None = None,
) -> str | None:
    """Content hash of a file and of everything that shapes the runs read from it. With a
    ``cache_dir``, a plain file's content hash is remembered there by the file's identity
    (:mod:`._known`): an unchanged file is not read again. ``content``: the file's content
    hash, when the caller has it."""
    h = content_hash()
    for piece in (
        VERSION,
        code_digest(),
        source.display.encode(),
        # names from the input argument down: they shape configuration labels and label scopes
        json.dumps([source.parts, source.archive, source.member, source.index]).encode(),
        reader_name.encode(),
        settings.read.config_from.encode(),
        f"{ctx.grading}:{ctx.f1_threshold!r}:{ctx.score}".encode(),
        json.dumps([ctx.side_text(source, up, *rel) for up, rel in SIDE_FILES]).encode(),
        json.dumps(ctx.metadata_for(source), sort_keys=True).encode(),
    ):
        h.update(len(piece).to_bytes(8, "little"))
        h.update(piece)
    plain = source.fs_path is not None and source.data is None
    if content is None and cache_dir is not None and plain:
        assert source.fs_path is not None
        content = known_hash(cache_dir, source.fs_path, lambda: _content_hash(source))
    elif content is None:
        content = _content_hash(source)
    if content is None:
        return None
    h.update(content.encode())
    return h.hexdigest()[:40]


def _content_hash(source: Source) -> str | None:
    """:func:`~trajdiv._digest.content_hash` of a file's bytes and their number, None when it
    cannot be read (the parse step reports why)."""
    h = content_hash()
    size = 0
    try:
        for chunk in source.chunks():  # a big file is hashed without holding it whole
            h.update(chunk)
            size += len(chunk)
    except Exception:
        return None
    h.update(size.to_bytes(8, "little"))
    return h.hexdigest()


ParseItem = tuple[Source, str, str | None, str | None]
"""A pass-1 task: the file, its reader's name, its cache key, and (data mode) the reason its
content could not be read here."""


def parse_source(state: WorkerState, item: ParseItem) -> SourceIndex:
    """Parse one file; locally its runs are spilled as they are read (and the index cached), in
    data mode the runs come back as bytes in :attr:`SourceIndex.blobs`."""
    source, reader_name, key, unreadable = item
    if unreadable is not None:
        return SourceIndex(source.display, [], unreadable, [])
    scope = (source.archive or "", *source.folder_parts)
    idx = SourceIndex(source.display, [], None, [])
    blobs: list[bytes] = []
    spill = SpillFile(source.display, key, state.cache_dir, state.spill_dir) if state.spill_dir else None

    def take(run: Run) -> None:
        blob = run_to_bytes(run)
        digest = blob_digest(blob)
        ref = RunRef(
            source.display,
            run.group_key,
            run.run_id,
            digest,
            "",
            0,
            len(blob),
            scope,
            label_key(run),
            run.config.model,
            run.dump_key,
        )
        idx.refs.append(ref)
        if spill is not None:
            spill.add(ref, blob)
        else:
            blobs.append(blob)

    reader = state.readers[reader_name]
    try:
        idx.reason, idx.warnings = read_source_into(
            source, reader, state.ctx, take, state.settings.read.config_from
        )
    except BaseException:
        if spill is not None:
            spill.abort()
        raise
    if idx.reason is not None:  # the file is skipped: none of its runs count
        idx.refs, blobs = [], []
    if spill is None:
        idx.blobs = blobs
        return idx
    if idx.reason is None:
        spill.commit()
    else:
        spill.abort()
    return cache_index(idx, key, state.cache_dir)


def _runs_from(blobs: list[bytes]) -> list[Run]:
    """The runs of ``blobs``, each run's bytes let go of as soon as it is read (a big group is
    never held both as bytes and as runs)."""
    runs = []
    try:
        for i, blob in enumerate(blobs):
            runs.append(run_from_bytes(blob))
            blobs[i] = b""
    except CacheMiss as exc:
        raise TrajdivError(f"a spilled run cannot be read back: {exc}; run again") from None
    return runs


GroupItem = tuple[str, str, list[RunRef], list[bytes] | None]
"""A pass-2 task: group cache key, final configuration label, the runs' references, and in data
mode the runs' bytes."""


def process_group(state: WorkerState, item: GroupItem) -> GroupOut:
    """Analyse one group: order and label its runs, run the stages, build its frames."""
    key, label, refs, blobs = item
    if blobs is None:  # the caller reads cached groups itself: this one is to be analysed
        blobs = spilled_runs(refs)
    runs = [relabel(r, label) for r in _runs_from(blobs)]
    del blobs
    kept, used, warnings, errors = finalize_group(
        [(r, ref.file, ref.scope) for r, ref in zip(runs, refs, strict=True)], state.labels
    )
    # run ids are unique once duplicates are dropped, and the first copy is the one kept
    digest_of: dict[str, str] = {}
    for r, ref in zip(runs, refs, strict=True):
        digest_of.setdefault(r.run_id, ref.digest)
    kept_runs = [r for r, _ in kept]
    n_kept = len(kept)
    files: dict[str, int] = {}
    for _, f in kept:
        files[f] = files.get(f, 0) + 1
    result = analyze_group(
        kept_runs, state.settings, state.tokens, [digest_of[r.run_id] for r in kept_runs], rules=state.rules
    )
    del runs, kept, kept_runs  # the rows hold what the frames need; each table's rows go once framed
    if result.graph_json is not None:  # the report's layout of the graph, kept with the group
        from trajdiv.report._layout import group_layout

        outcomes = {str(r["run_id"]): r["resolved"] for r in result.tables["runs"]}
        result.layout = group_layout(result.graph_json, outcomes)
    result.action_jsd = action_jsd(result.tables.get("steps", []))
    if {"diverge", "graph"} <= set(state.settings.stages):  # what the report and early warning take
        from trajdiv.report._cells import group_cells
        from trajdiv.stats._early_groups import group_early

        steps = result.tables.get("steps", [])
        result.cells = group_cells(steps, state.settings.keep_format_errors)
        if all(state.settings.level in row for row in steps[:1]):  # a column of the steps table
            result.early = group_early(result.task_id, result.tables["runs"], steps, state.settings.level)
    # typed frames are built here, in parallel, rather than row by row in the main process
    frames = {name: frame(name, result.tables.pop(name)) for name in list(result.tables)}
    out = GroupOut(result, frames, used, warnings, errors, n_kept, files)
    if state.spill_dir is not None:
        store_group(state.cache_dir, key, out)
    return out


def action_jsd(steps: list[dict[str, Any]]) -> list[float | None]:
    """``[x]``: the mean pairwise JSD of the runs' verb counts in a group's ``steps`` rows, as
    :func:`trajdiv.stats._per_task.per_task` computes it from the table (runs in run id order,
    each run's count of steps per verb), so that the statistics of a re-run need not count
    every group's verbs again; ``[]`` when verbs of different kinds do not sort together (the
    statistics meet that themselves)."""
    from trajdiv.stats._consistency import mean_pairwise_jsd

    counts: dict[str, Counter[Any]] = {}
    for row in steps:
        counts.setdefault(row["run_id"], Counter())[row.get("verb")] += 1
    try:
        return [mean_pairwise_jsd([counts[r] for r in sorted(counts)])]
    except TypeError:
        return []
