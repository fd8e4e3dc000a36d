"""The streaming pipeline: read files, spill runs by group, analyse groups, write tables.

Memory holds at most the groups in flight: pass 1 parses each file once and spills its runs to
disk (JSON with a checksum, in the cache folder when there is one); pass 2 loads one group at a time in a
worker, and its rows are appended to the tables in part files that are joined at the end.

Caching. A file's parsed runs are kept under ``<cache>/sources/`` keyed by a hash of its bytes,
its path, its reader and the settings that shape runs; a group's results are kept under
``<cache>/groups/`` keyed by the hashes of its runs, the label files and the analysis settings.
Groups go to the tables in chunks (:mod:`._chunks`) whose parts are kept under ``<cache>/chunks/``.
A re-run on an unchanged dump therefore parses nothing and analyses nothing; after new runs are
added, only the files and groups that changed are redone, and the parts of every chunk they do
not touch are placed as they were kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import trajdiv.diverge._tables as diverge_tables
import trajdiv.graph._tables as graph_tables
import trajdiv.ingest._tables as ingest_tables
from trajdiv._digest import code_digest
from trajdiv._errors import UsageError
from trajdiv.analysis._settings import Settings
from trajdiv.ingest._intake import Intake
from trajdiv.ingest._plan import Plan, plan_inputs
from trajdiv.pipeline._cachedir import parse_size, prune_cache
from trajdiv.pipeline._engine import WorkerPool, default_jobs
from trajdiv.pipeline._entries import VERSION, RunRef, close_own_spill
from trajdiv.pipeline._passes import Job, Keyed, analyse_groups, read_sources
from trajdiv.pipeline._result import PipelineResult
from trajdiv.pipeline._state import manifest_digest, reuse, save_state, settle_outputs
from trajdiv.tables import TABLE_EXTENSIONS, atomic_write_text

__all__ = ["ACROSS_TASKS", "PipelineResult", "run_pipeline"]

_GROUP_TABLES = (*ingest_tables.TABLES, *diverge_tables.TABLES, *graph_tables.TABLES)
"""The per-group tables, in the order of the stages that declare them."""


ACROSS_TASKS = 20
"""Tasks (shared by two or more configurations) whose graph across configurations is drawn."""


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
    across_tasks: int = ACROSS_TASKS,
    progress: Callable[[str, int, int], None] | None = None,
    plan: Plan | None = None,
    settle: bool = True,
    workers: WorkerPool | None = None,
) -> PipelineResult:
    """Run the per-group stages of ``settings`` over ``inputs`` and write the tables.

    Returns a :class:`PipelineResult`; ``manifest.json`` in ``out_dir`` accounts for every file.

    Parameters
    ----------
    inputs
        Files, folders or archives of run dumps.
    out_dir
        The output folder.
    settings
        Stages and their options (:class:`~trajdiv.Settings`; the defaults when None).
    jobs
        Worker processes (default: the machine's cores); the outputs do not depend on it.
    engine, address
        ``local`` (a process pool) or ``ray`` (a Ray cluster at ``address``; tasks carry data,
        so the cluster needs no shared disk).
    cache_dir
        The cache of parsed files, token ids, group results and table chunks (None: no
        cache).
    formats
        Table formats; parquet is always written.
    strict
        Stop at the first unusable file (:class:`~trajdiv.InputError`).
    across_tasks
        Graphs across configurations are drawn for the first this many tasks that two or more
        configurations share.
    progress
        Called with ``(stage, done, total)``.
    plan
        An input plan made already (:func:`~trajdiv.ingest.plan_inputs`), else made here.
    settle
        Remove the files an earlier run wrote into ``out_dir`` that this one did not write
        again (False when the caller writes more outputs and settles itself).
    workers
        Local worker processes to run in and leave running (the caller ends them); None:
        started and ended here.
    """
    settings = settings or Settings()
    jobs = jobs or default_jobs()
    if "parquet" not in formats:
        formats = ("parquet", *formats)
    _check_writable(out_dir, "output folder (-o)")
    if cache_dir is not None:
        _check_writable(cache_dir, "cache folder", "; use --cache-dir DIR or --no-cache")
    plan = plan or plan_inputs(inputs, settings.read, exclude=[out_dir])
    intake = Intake(plan, strict=strict)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(tempfile.mkdtemp(prefix=".trajdiv-", dir=out_dir))
    job = Job(
        plan,
        intake,
        out_dir,
        tmp_root,
        settings,
        jobs,
        engine,
        address,
        cache_dir,
        formats,
        across_tasks,
        progress,
        settle,
        workers,
    )
    owned = workers is None
    try:
        return _run(job)
    except BaseException:
        if owned and "workers" in job.__dict__:
            job.workers.close(stop=True)
        raise
    finally:
        if owned and "workers" in job.__dict__:
            job.workers.close()
        close_own_spill(job.spill_dir)
        shutil.rmtree(tmp_root, ignore_errors=True)
        bound = os.environ.get("TRAJDIV_CACHE_MAX_SIZE")
        if cache_dir is not None and bound:
            prune_cache(cache_dir, parse_size(bound))


def _run(job: Job) -> PipelineResult:
    res = PipelineResult(out_dir=job.out_dir, manifest=[])
    all_refs = read_sources(job, res)
    # labels: per-run reports bound to models, configuration labels made unique across the input
    final = job.intake.final_labels((r.model, r.dump_key, r.scope, r.lkey) for r in all_refs)
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
            settle_outputs(job.out_dir, {"pipeline": reused.written}, reused.digests)
        return reused
    sink = analyse_groups(job, keyed, res)
    res.manifest = job.intake.finish()
    names = tuple(
        n for n in _GROUP_TABLES if n in sink.parts or n in sink.buffers or n in ingest_tables.TABLES
    )
    res.tables = sink.finish(job.out_dir, job.formats, names)
    res.written += [job.out_dir / f"{n}.{TABLE_EXTENSIONS[f]}" for n in names for f in job.formats]
    write_manifest(job.out_dir, res)
    res.written.append(job.out_dir / "manifest.json")
    save_state(job.out_dir, state_key, res)
    if job.settle:  # new tables: an earlier analysis of the folder's old tables is stale
        settle_outputs(job.out_dir, {"pipeline": res.written, "analysis": []}, res.digests)
    return res


def _keyed_groups(job: Job, refs_by_group: dict[tuple[str, str], list[RunRef]]) -> Keyed:
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
    keyed: Keyed = []
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
