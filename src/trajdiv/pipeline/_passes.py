"""The two passes of a pipeline run, scheduled on an engine: pass 1 reads every file (from the
cache or in workers), pass 2 analyses every group (from the cache or in workers) and streams its
rows to the tables. :class:`Job` holds everything one run needs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trajdiv._codec import pack
from trajdiv._errors import InputError, TrajdivError
from trajdiv._io import atomic_write_bytes, update_text
from trajdiv._text import safe_name
from trajdiv.analysis._group import GroupResult
from trajdiv.analysis._settings import Settings
from trajdiv.graph._branching import build_branch_graph
from trajdiv.ingest._intake import Intake
from trajdiv.ingest._plan import Plan
from trajdiv.pipeline._cachedir import hold_files
from trajdiv.pipeline._chunks import (
    across_path,
    cached_across,
    chunk_key,
    chunk_path,
    load_chunk,
    split_chunks,
    store_chunk,
)
from trajdiv.pipeline._engine import WorkerPool, map_ordered
from trajdiv.pipeline._entries import (
    GroupOut,
    RunRef,
    SourceIndex,
    cached_group,
    damaged_files,
    group_cache_path,
    spilled_runs,
    store_group,
    store_index,
)
from trajdiv.pipeline._lookup import LOOKUP_THREADS, lookups
from trajdiv.pipeline._rechunk import EarlierChunks
from trajdiv.pipeline._result import PipelineResult
from trajdiv.pipeline._sink import TableSink
from trajdiv.pipeline._workers import (
    GroupItem,
    ParseItem,
    WorkerSetup,
    WorkerState,
    parse_source,
    process_group,
    worker_setup,
)

__all__ = ["Job", "Keyed", "analyse_groups", "read_sources"]

Keyed = list[tuple[str, str, list[RunRef]]]
"""Each group's cache key, final configuration label and runs, in analysis order."""


@dataclass(frozen=True)
class Job:
    """Everything one pipeline run needs, passed as one value."""

    plan: Plan
    intake: Intake
    out_dir: Path
    tmp_root: Path
    settings: Settings
    jobs: int
    engine: str
    address: str | None
    cache_dir: Path | None
    formats: tuple[str, ...]
    across_tasks: int
    progress: Callable[[str, int, int], None] | None
    settle: bool
    given_workers: WorkerPool | None = None
    """Worker processes the caller keeps running after the run (else started and ended here)."""
    cached_sources: dict[str, tuple[ParseItem, list[RunRef]]] = dataclasses.field(default_factory=dict)
    """Files whose parse came from the cache: their parse task and runs, by file (their spilled
    bytes are checked when a run is needed: :func:`repair_spills`)."""

    @property
    def spill_dir(self) -> str:
        return str(self.tmp_root / "spill")

    @property
    def data_mode(self) -> bool:
        """Workers get data, never paths (Ray: workers need not share this machine's disk)."""
        return self.engine == "ray"

    @functools.cached_property
    def setup(self) -> WorkerSetup:
        if self.data_mode:  # the cache and the spill files stay in this process
            return worker_setup(self.settings, self.plan.ctx, self.plan.labels, None, None)
        cache = str(self.cache_dir) if self.cache_dir else None
        return worker_setup(self.settings, self.plan.ctx, self.plan.labels, cache, self.spill_dir)

    @functools.cached_property
    def local_state(self) -> WorkerState:
        """A worker's state in this process: a group whose cache entry was damaged since the
        run found it is analysed here, and a file whose spill was damaged is parsed again."""
        return self.setup()

    @functools.cached_property
    def workers(self) -> WorkerPool:
        """The local worker processes of both passes (started at their first task)."""
        if self.given_workers is not None:
            self.given_workers.bind(self.setup)
            return self.given_workers
        return WorkerPool(self.jobs, self.setup)

    @property
    def pooled(self) -> bool:
        """Whether work may go to local worker processes (else Ray, or this process alone)."""
        return self.engine == "local" and self.jobs > 1

    def map(self, fn: Callable[..., Any], items: Iterable[Any], jobs: int) -> Iterator[Any]:
        return map_ordered(
            fn,
            items,
            jobs=jobs,
            engine=self.engine,
            address=self.address,
            setup=self.setup,
            workers=self.workers if self.pooled and jobs > 1 else None,
        )


def read_sources(job: Job, res: PipelineResult) -> list[RunRef]:
    """Pass 1: find each file in the cache by content hash, parse the others in workers."""
    plan = job.plan
    all_refs: list[RunRef] = []
    indices: list[SourceIndex | None] = []
    misses: list[ParseItem] = []
    for (src, reader), (key, idx) in zip(
        plan.work, lookups(plan, job.settings, job.cache_dir, job.jobs), strict=True
    ):
        indices.append(idx)
        if idx is None:
            misses.append((src, reader.name, key, None))
            # workers start while the other files are hashed, at the first file to parse when
            # there are others (a lone file is parsed here, without workers beside it)
            if job.pooled and len(misses) == (1 if len(plan.work) > 1 else 2):
                job.workers.warm()
        else:
            job.cached_sources[idx.display] = ((src, reader.name, key, None), idx.refs)
    items = (_carrying_data(m) for m in misses) if job.data_mode else misses
    parsed = job.map(parse_source, items, job.jobs if len(misses) > 1 else 1)
    cache = str(job.cache_dir) if job.cache_dir else None
    for k, (slot, miss) in enumerate(zip(indices, _align(indices, misses), strict=True), start=1):
        idx = slot if slot is not None else next(parsed)
        if idx.blobs is not None:  # data mode: the runs came back as bytes; spilled here
            assert miss is not None
            idx = store_index(idx, miss[2], cache, job.spill_dir)
        res.sources_from_cache += idx.cached
        if job.intake.file_read(idx.display, idx.reason, idx.warnings):
            all_refs.extend(idx.refs)
        if job.progress:
            job.progress("read", k, len(indices))
    return all_refs


def _align(indices: list[SourceIndex | None], misses: list[ParseItem]) -> Iterator[ParseItem | None]:
    """The parse task of each file not found in the cache, None for the others."""
    it = iter(misses)
    for idx in indices:
        yield next(it) if idx is None else None


def _carrying_data(item: ParseItem) -> ParseItem:
    """A parse task that carries the file's content instead of its path (data mode)."""
    src, reader, key, _ = item
    try:
        return (src.carrying_data(), reader, key, None)
    except InputError as exc:
        return (dataclasses.replace(src, fs_path=None), reader, key, exc.reason)


def analyse_groups(job: Job, keyed: Keyed, res: PipelineResult) -> TableSink:
    """Pass 2: one group at a time, a chunk of groups (:mod:`._chunks`) at a time; rows to the
    table sink, graphs to their files. A chunk kept in the cache is placed whole."""
    sink = TableSink(job.tmp_root / "parts")
    chunks = split_chunks(keyed)
    ckeys = [chunk_key([k for k, _, _ in c]) for c in chunks]
    kept = [(p := chunk_path(job.cache_dir, ck)) is not None and p.exists() for ck in ckeys]
    todo = [g for c, hit in zip(chunks, kept, strict=True) if not hit for g in c]
    cache = str(job.cache_dir) if job.cache_dir else None
    hits = {k for k, _, _ in todo if (p := group_cache_path(cache, k)) is not None and p.exists()}
    earlier = EarlierChunks(job.cache_dir, keyed, {k for k, _, _ in todo}, hits)
    from_earlier = earlier.keys
    outs = _group_outs(job, [g for g in todo if g[0] not in from_earlier], hits)
    done = _GroupsDone(job, res, len(keyed))
    for chunk, ck, hit in zip(chunks, ckeys, kept, strict=True):
        expected = [(label, refs[0].group[1]) for _, label, refs in chunk]
        placed = load_chunk(job.cache_dir, ck, sink, expected) if hit else None
        if placed is not None:
            res.chunks_from_cache += 1
            for gout in placed:
                done.add(gout)
            continue
        if hit:  # damaged since it was found: its groups are read or analysed here
            gouts: Iterator[GroupOut] = (_group_here(job, k, label, refs) for k, label, refs in chunk)
        else:
            gouts = (
                (earlier.take(k) or _group_here(job, k, label, refs)) if k in from_earlier else next(outs)
                for k, label, refs in chunk
            )
        analysed = []
        for gout in gouts:
            for name, df in gout.frames.items():
                sink.add(name, df)
            gout.rows = {name: df.height for name, df in gout.frames.items()}
            gout.frames = {}
            done.add(gout)
            analysed.append(gout)
        store_chunk(job.cache_dir, ck, analysed, sink.cut())
    done.finish()
    return sink


class _GroupsDone:
    """What pass 2 does with each group's result besides its tables: counts, the manifest,
    graph files and graphs across configurations."""

    def __init__(self, job: Job, res: PipelineResult, total: int) -> None:
        self.job, self.res, self.total = job, res, total
        self.across: list[GroupResult] = []
        self.across_done = 0

    def add(self, gout: GroupOut) -> None:
        job, res, r = self.job, self.res, gout.result
        res.n_groups += 1
        res.n_runs += gout.n_runs
        res.groups_from_cache += gout.cached
        job.intake.group_done(gout.used, gout.warnings, gout.errors, gout.files)
        if r.layout is not None:
            res.layouts[(r.config, r.task_id)] = r.layout
        if r.action_jsd:
            res.action_jsd[(r.config, r.task_id)] = r.action_jsd[0]
        if r.cells is not None:
            res.cells[(r.config, r.task_id)] = r.cells
        if r.early is not None:
            res.early[(r.config, r.task_id)] = r.early
        if r.graph_file and r.graph_json is not None and r.graph_graphml is not None:
            graph_json = job.out_dir / r.graph_file
            graphml = job.out_dir / r.graph_file.replace(".json", ".graphml")
            res.digests[graph_json] = update_text(graph_json, r.graph_json)
            res.digests[graphml] = update_text(graphml, r.graph_graphml)
            res.written += [graph_json, graphml]
        if self.across and self.across[0].task_id != r.task_id:
            self.across_done += _write_across(self.across, job, res)
            self.across = []
        if r.seqs and self.across_done < job.across_tasks:
            self.across.append(r)
        if job.progress:
            job.progress("analyse", res.n_groups, self.total)

    def finish(self) -> None:
        if self.across_done < self.job.across_tasks:
            _write_across(self.across, self.job, self.res)


def _group_outs(job: Job, keyed: Keyed, hits: set[str]) -> Iterator[GroupOut]:
    """Each group's result, in order: read here from the cache (``hits``: the groups it holds),
    or analysed by a worker."""
    cache = str(job.cache_dir) if job.cache_dir else None
    repair_spills(job, [ref for k, _, refs in keyed if k not in hits for ref in refs])
    n_misses = sum(k not in hits for k, _, _ in keyed)  # ``hits`` may hold groups not in ``keyed``
    misses = (_group_item(job, k, label, refs) for k, label, refs in keyed if k not in hits)
    computed = job.map(process_group, misses, job.jobs if n_misses > 1 else 1)
    for k, label, refs in keyed:
        out = cached_group(cache, k) if k in hits else None
        if out is None and k in hits:  # damaged since it was found: analysed here
            out = _group_here(job, k, label, refs)
        elif out is None:
            out = next(computed)
        if job.data_mode and not out.cached:  # data mode: the cache is written here
            store_group(cache, k, out)
        yield out


def _group_here(job: Job, key: str, label: str, refs: list[RunRef]) -> GroupOut:
    """A group's result from the cache, else analysed in this process."""
    cache = str(job.cache_dir) if job.cache_dir else None
    out = cached_group(cache, key)
    if out is None:
        repair_spills(job, refs)
        out = process_group(job.local_state, _group_item(job, key, label, refs))
        if job.data_mode:
            store_group(cache, key, out)
    return out


def repair_spills(job: Job, refs: list[RunRef]) -> None:
    """Check the spilled bytes of the runs about to be analysed whose parse came from the
    cache, after giving their spill files a second name in the run's folder (read from there
    on); a file with a damaged or missing spill is parsed again here and its runs point to the new
    spill. A file whose content changed since pass 1 stops the run (its groups were keyed by
    the old runs)."""
    if job.cache_dir is not None:  # held: another run pruning the cache cannot remove them now
        held = hold_files({ref.spill for ref in refs}, job.tmp_root / "held")
        for ref in refs:
            ref.spill = held.get(ref.spill, ref.spill)
    checked = [ref for ref in refs if ref.file in job.cached_sources]
    for display in sorted(damaged_files(checked, min(job.jobs, LOOKUP_THREADS))):
        item, old = job.cached_sources.pop(display)
        idx = parse_source(job.local_state, item)
        if idx.blobs is not None:  # data mode: spilled here
            idx = store_index(idx, item[2], str(job.cache_dir) if job.cache_dir else None, job.spill_dir)
        if [r.digest for r in idx.refs] != [r.digest for r in old]:
            raise TrajdivError(f"{display}: changed during the analysis: run again")
        for was, now in zip(old, idx.refs, strict=True):
            was.spill, was.offset, was.length = now.spill, now.offset, now.length


def _group_item(job: Job, key: str, label: str, refs: list[RunRef]) -> GroupItem:
    """A pass-2 task; in data mode it carries the runs' bytes instead of spill paths."""
    if job.data_mode:
        return (key, label, [dataclasses.replace(r, spill="") for r in refs], spilled_runs(refs))
    return (key, label, refs, None)


def _write_across(groups: list[GroupResult], job: Job, res: PipelineResult) -> int:
    """Graph of one task across configurations; returns 1 if one was written."""
    if len(groups) < 2:
        return 0
    run_ids, seqs, outcomes, configs = [], [], [], []
    for g in groups:
        run_ids += [f"{g.config}/{rid}" for rid in g.run_ids]
        seqs += g.seqs
        outcomes += g.outcomes
        configs += [g.config] * len(g.run_ids)
    kept = across_path(job.cache_dir, [run_ids, seqs, outcomes, configs])
    texts = cached_across(kept)
    if texts is None:
        bg = build_branch_graph(run_ids, seqs, outcomes, level="verb", configs=configs)
        texts = bg.to_json(), bg.to_graphml()
        if kept is not None:
            atomic_write_bytes(kept, pack({"json": texts[0], "graphml": texts[1]}, key=kept.stem))
    base = job.out_dir / "graphs" / "_across" / safe_name(groups[0].task_id)
    for path, text in zip(
        (base.parent / f"{base.name}.json", base.parent / f"{base.name}.graphml"), texts, strict=True
    ):
        res.digests[path] = update_text(path, text)
        res.written.append(path)
    return 1
