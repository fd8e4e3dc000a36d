"""The streaming pipeline: read files, spill runs by group, analyse groups, write tables.

Memory holds at most the groups in flight: pass 1 parses each file once and spills its runs to
disk (JSON with a checksum, in the cache folder when there is one); pass 2 loads one group at a time in a
worker, and its rows are appended to the tables in part files that are joined at the end.

Caching. A file's parsed runs are kept under ``<cache>/sources/`` keyed by a hash of its bytes,
its path, its reader and the settings that shape runs; a group's results are kept under
``<cache>/groups/`` keyed by the hashes of its runs, the label files and the analysis settings.
A re-run on an unchanged dump therefore parses nothing and analyses nothing; after new runs are
added, only the files and groups that changed are redone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trajdiv._digest import code_digest
from trajdiv._errors import UsageError
from trajdiv.graph._branching import build_branch_graph
from trajdiv.ingest._ingest import (
    Plan,
    bind_labels,
    label_usage,
    plan_inputs,
    resolve_labels,
)
from trajdiv.ingest._source import Source
from trajdiv.pipeline._cachedir import parse_size, prune_cache
from trajdiv.pipeline._engine import default_jobs, map_ordered
from trajdiv.pipeline._group import GroupResult, safe_name
from trajdiv.pipeline._result import PipelineResult
from trajdiv.pipeline._settings import Settings
from trajdiv.pipeline._sink import TableSink
from trajdiv.pipeline._state import manifest_digest, reuse, save_state, settle_outputs
from trajdiv.pipeline._workers import (
    VERSION,
    RunRef,
    SourceIndex,
    cached_index,
    group_cache_path,
    init_worker,
    parse_source,
    process_group,
    source_key,
)
from trajdiv.tables import TABLE_EXTENSIONS, atomic_write_text

__all__ = ["PipelineResult", "run_pipeline"]

_GROUP_TABLES = (
    "runs",
    "steps",
    "divergence_pairs",
    "divergence_groups",
    "agreement_curve",
    "strategies",
    "graph_summary",
    "branching_factor",
)


def _check_writable(folder: Path, what: str, hint: str = "") -> None:
    """Fail early, in one line, when ``folder`` cannot be created or written."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{what} {folder} is a file, not a folder{hint}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".trajdiv-probe-")  # noqa: SIM115
        probe.close()
    except OSError as exc:
        raise UsageError(f"{what} {folder} cannot be written: {exc.strerror or exc}{hint}") from None


def run_pipeline(
    inputs: list[str | Path],
    out_dir: Path,
    settings: Settings | None = None,
    *,
    jobs: int | None = None,
    engine: str = "local",
    address: str | None = None,
    cache_dir: Path | None = None,
    formats: tuple[str, ...] = ("parquet",),
    strict: bool = False,
    drill_limit: int = 40,
    across_tasks: int = 20,
    progress: Callable[[str, int, int], None] | None = None,
    plan: Plan | None = None,
    settle: bool = True,
) -> PipelineResult:
    """Run the per-group stages of ``settings`` over ``inputs`` and write the tables.

    Returns a :class:`PipelineResult`; ``manifest.json`` in ``out_dir`` accounts for every file.
    ``drill_limit`` groups keep side-by-side data for the report; graphs across configurations
    are drawn for the first ``across_tasks`` tasks that two or more configurations share.
    ``settle``: remove the files an earlier run wrote into ``out_dir`` that this one did not
    write again (False when the caller writes more outputs and settles itself).
    """
    settings = settings or Settings()
    jobs = jobs or default_jobs()
    if "parquet" not in formats:
        formats = ("parquet", *formats)
    _check_writable(out_dir, "output folder (-o)")
    if cache_dir is not None:
        _check_writable(cache_dir, "cache folder", "; use --cache-dir DIR or --no-cache")
    plan = plan or plan_inputs(
        inputs,
        settings.config_from,
        grading=settings.grading,
        f1_threshold=settings.f1_threshold,
        score=settings.score,
        exclude=[out_dir],
    )
    if strict:
        _raise_first_error(plan.entries.values())
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(tempfile.mkdtemp(prefix=".trajdiv-", dir=out_dir))
    try:
        return _run(
            _Job(
                plan,
                out_dir,
                tmp_root,
                settings,
                jobs,
                engine,
                address,
                cache_dir,
                formats,
                strict,
                drill_limit,
                across_tasks,
                progress,
                settle,
            )
        )
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
        bound = os.environ.get("TRAJDIV_CACHE_MAX_SIZE")
        if cache_dir is not None and bound:
            prune_cache(cache_dir, parse_size(bound))


def _raise_first_error(entries: Any) -> None:
    from trajdiv._errors import InputError

    for e in entries:
        if e.is_error:
            raise InputError(e.file, e.reason or (e.errors or ["unusable"])[0])


@dataclass(frozen=True, slots=True)
class _Job:
    """Everything one pipeline run needs, passed as one value."""

    plan: Plan
    out_dir: Path
    tmp_root: Path
    settings: Settings
    jobs: int
    engine: str
    address: str | None
    cache_dir: Path | None
    formats: tuple[str, ...]
    strict: bool
    drill_limit: int
    across_tasks: int
    progress: Callable[[str, int, int], None] | None
    settle: bool

    @property
    def init_args(self) -> tuple[Any, ...]:
        cache = str(self.cache_dir) if self.cache_dir else None
        return (self.settings, self.plan.ctx, self.plan.labels, cache, str(self.tmp_root / "spill"))

    def map(self, fn: Callable[[Any], Any], items: list[Any], jobs: int) -> Any:
        return map_ordered(
            fn,
            items,
            jobs=jobs,
            engine=self.engine,
            address=self.address,
            init=init_worker,
            init_args=self.init_args,
        )


def _run(job: _Job) -> PipelineResult:
    res = PipelineResult(out_dir=job.out_dir, manifest=[])
    all_refs = _read_sources(job, res)
    # labels: per-run reports bound to models, configuration labels made unique across the input
    bind_labels(job.plan, ((r.model, r.dump_key, r.scope) for r in all_refs))
    final = resolve_labels((r.lkey for r in all_refs), job.settings.pool_benchmarks)
    refs_by_group: dict[tuple[str, str], list[RunRef]] = defaultdict(list)
    for ref in all_refs:
        refs_by_group[(final[ref.lkey], ref.group[1])].append(ref)
    keyed = _keyed_groups(job, refs_by_group)
    # an output folder already written from exactly these inputs and settings is kept as it is
    state_key = hashlib.blake2b(
        json.dumps(
            [
                [k for k, _, _ in keyed],
                list(job.formats),
                job.drill_limit,
                job.across_tasks,
                manifest_digest(job.plan),
            ]
        ).encode(),
        digest_size=20,
    ).hexdigest()
    res.state_key = state_key
    reused = reuse(job.out_dir, state_key, res)
    if reused is not None:
        if job.settle:
            settle_outputs(job.out_dir, {"pipeline": reused.written})
        return reused
    sink, used_total, run_counts = _analyse_groups(job, keyed, res)
    # manifest: label files that labelled nothing, files whose runs were all duplicates
    plan = job.plan
    label_usage(plan, used_total)
    for src, _ in plan.work:
        e = plan.entries[src.display]
        e.runs = run_counts.get(src.display, 0)
        if e.status == "read" and e.runs == 0:
            e.status, e.kind = "skipped", "error"
            e.reason = (e.errors or ["every run in it duplicates a run read from another file"])[0]
    res.manifest = list(plan.entries.values())
    names = tuple(n for n in _GROUP_TABLES if n in sink.parts or n in sink.buffers or n in ("runs", "steps"))
    res.tables = sink.finish(job.out_dir, job.formats, names)
    res.written += [job.out_dir / f"{n}.{TABLE_EXTENSIONS[f]}" for n in names for f in job.formats]
    write_manifest(job.out_dir, res)
    res.written.append(job.out_dir / "manifest.json")
    save_state(job.out_dir, state_key, res)
    if job.settle:  # new tables: an earlier analysis of the folder's old tables is stale
        settle_outputs(job.out_dir, {"pipeline": res.written, "analysis": []})
    return res


def _read_sources(job: _Job, res: PipelineResult) -> list[RunRef]:
    """Pass 1: find each file in the cache by content hash, parse the others in workers."""
    plan, settings = job.plan, job.settings
    all_refs: list[RunRef] = []
    indices: list[SourceIndex | None] = []
    misses: list[tuple[Source, str, str | None]] = []
    for src, reader in plan.work:
        key = source_key(src, reader.name, settings, plan.ctx)
        idx = cached_index(key, job.cache_dir)
        indices.append(idx)
        if idx is None:
            misses.append((src, reader.name, key))
    parsed = job.map(parse_source, misses, job.jobs if len(misses) > 1 else 1)
    for k, slot in enumerate(indices, start=1):
        idx = slot if slot is not None else next(parsed)
        entry = plan.entries[idx.display]
        entry.warnings.extend(idx.warnings)
        res.sources_from_cache += idx.cached
        if idx.reason is not None:
            entry.status, entry.reason, entry.kind = "skipped", idx.reason, "error"
            if job.strict:
                _raise_first_error([entry])
        all_refs.extend(idx.refs)
        if job.progress:
            job.progress("read", k, len(indices))
    return all_refs


def _keyed_groups(
    job: _Job, refs_by_group: dict[tuple[str, str], list[RunRef]]
) -> list[tuple[str, str, list[RunRef]]]:
    """Each group's cache key, label and runs, tasks together (graphs across configurations)."""
    label_digest = hashlib.blake2b(
        json.dumps(
            sorted(
                (
                    lf.display,
                    sorted(lf.labels.items()),
                    lf.scope,
                    lf.key,
                    lf.run_index,
                    lf.model,
                    lf.per_instance,
                )
                for lf in job.plan.labels
            )
        ).encode(),
        digest_size=16,
    ).hexdigest()
    sdig = job.settings.digest()
    keyed: list[tuple[str, str, list[RunRef]]] = []
    for g in sorted(refs_by_group, key=lambda g: (g[1], g[0])):
        refs = refs_by_group[g]  # input order: the first copy of a duplicated run wins
        h = hashlib.blake2b(digest_size=20)
        h.update(VERSION + code_digest() + sdig.encode() + label_digest.encode())
        h.update(len(g[0]).to_bytes(8, "little") + g[0].encode())
        for ref in refs:
            # the run's content, and where it was read from (labels bind by file and scope)
            where = json.dumps([ref.file, ref.scope]).encode()
            h.update(ref.digest.encode() + len(where).to_bytes(8, "little") + where)
        keyed.append((h.hexdigest(), g[0], refs))
    return keyed


def _analyse_groups(
    job: _Job, keyed: list[tuple[str, str, list[RunRef]]], res: PipelineResult
) -> tuple[TableSink, dict[str, int], dict[str, int]]:
    """Pass 2: one group at a time; rows to the table sink, graphs to their files."""
    out_dir, plan = job.out_dir, job.plan
    n_miss = sum(1 for k, _, _ in keyed if not ((p := group_cache_path(job.cache_dir, k)) and p.exists()))
    sink = TableSink(job.tmp_root / "parts")
    used_total: dict[str, int] = defaultdict(int)
    run_counts: dict[str, int] = defaultdict(int)
    across: list[GroupResult] = []
    across_done = 0
    for k, gout in enumerate(job.map(process_group, keyed, job.jobs if n_miss > 1 else 1), start=1):
        r = gout.result
        res.n_groups += 1
        res.n_runs += gout.n_runs
        res.groups_from_cache += gout.cached
        for name, df in gout.frames.items():
            sink.add(name, df)
        for key_, v in gout.used.items():
            used_total[key_] += v
        for src_name, w in gout.warnings:
            plan.entries[src_name].warnings.append(w)
        for src_name, w in gout.errors:
            plan.entries[src_name].errors.append(w)
        for f, n in gout.files.items():
            run_counts[f] += n
        if r.graph_file and r.graph_json is not None and r.graph_graphml is not None:
            graph_json, graphml = out_dir / r.graph_file, out_dir / r.graph_file.replace(".json", ".graphml")
            atomic_write_text(graph_json, r.graph_json)
            atomic_write_text(graphml, r.graph_graphml)
            res.written += [graph_json, graphml]
        if r.drill is not None and len(res.drill) < job.drill_limit:
            res.drill.append({"config": r.config, "task_id": r.task_id, **r.drill})
        if across and across[0].task_id != r.task_id:
            across_done += _write_across(across, out_dir, res.written)
            across = []
        if r.seqs and across_done < job.across_tasks:
            across.append(r)
        if job.progress:
            job.progress("analyse", k, len(keyed))
    if across_done < job.across_tasks:
        _write_across(across, out_dir, res.written)
    return sink, used_total, run_counts


def _write_across(groups: list[GroupResult], out_dir: Path, written: list[Path]) -> int:
    """Graph of one task across configurations; returns 1 if one was written."""
    if len(groups) < 2:
        return 0
    run_ids, seqs, outcomes, configs = [], [], [], []
    for g in groups:
        run_ids += [f"{g.config}/{rid}" for rid in g.run_ids]
        seqs += g.seqs
        outcomes += g.outcomes
        configs += [g.config] * len(g.run_ids)
    bg = build_branch_graph(run_ids, seqs, outcomes, level="verb", configs=configs)
    base = out_dir / "graphs" / "_across" / safe_name(groups[0].task_id)
    for path, text in (
        (base.parent / f"{base.name}.json", bg.to_json()),
        (base.parent / f"{base.name}.graphml", bg.to_graphml()),
    ):
        atomic_write_text(path, text)
        written.append(path)
    return 1


def write_manifest(out_dir: Path, res: PipelineResult) -> None:
    """``manifest.json``: every input file, read or skipped with its reason, and the totals."""
    entries = [e.to_dict() for e in res.manifest]
    summary = {
        "files": len(entries),
        "read": sum(e["status"] == "read" for e in entries),
        "skipped_error": sum(e["status"] == "skipped" and e["kind"] == "error" for e in entries),
        "read_with_errors": sum(e["status"] == "read" and bool(e["errors"]) for e in entries),
        "skipped_not_a_dump": sum(e["status"] == "skipped" and e["kind"] != "error" for e in entries),
        "runs": res.n_runs,
        "groups": res.n_groups,
    }
    atomic_write_text(
        out_dir / "manifest.json",
        json.dumps({"summary": summary, "files": entries}, indent=1, ensure_ascii=False) + "\n",
    )
