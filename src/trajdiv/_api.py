"""The public entry points behind each command: ``import trajdiv`` can do what the CLI does."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from trajdiv._api_pairs import Comparison, compare, power
from trajdiv._errors import InputError, UsageError
from trajdiv.analysis._settings import Settings
from trajdiv.ingest._intake import read_runs
from trajdiv.ingest._jsonl import EXPORT_HEADER, write_jsonl
from trajdiv.ingest._options import ReadOptions
from trajdiv.pipeline._engine import WorkerPool, default_jobs
from trajdiv.pipeline._result import PipelineResult
from trajdiv.pipeline._run import ACROSS_TASKS, run_pipeline
from trajdiv.pipeline._state import owned_files, settle_outputs
from trajdiv.stats._result import Summary
from trajdiv.stats._summary import early_warnings, summarize_apart
from trajdiv.tables import atomic_write_text, write_table

__all__ = [
    "AnalysisResult",
    "Comparison",
    "analyze",
    "compare",
    "demo_corpus",
    "export_jsonl",
    "ingest",
    "power",
]

Progress = Callable[[str, int, int], None] | None


def demo_corpus() -> Path:
    """The bundled demo corpus (``data/demo`` of the source tree)."""
    path = Path(__file__).resolve().parents[2] / "data" / "demo"
    if not path.is_dir():
        raise UsageError(
            "no INPUT given and the demo corpus is not in this installation "
            "(it lives in data/demo of the source tree); pass the dumps to analyse"
        )
    return path


def ingest(
    inputs: Sequence[str | Path],
    out: Path,
    *,
    read: ReadOptions | None = None,
    strict: bool = False,
    formats: tuple[str, ...] = ("parquet",),
    jobs: int | None = None,
    engine: str = "local",
    address: str | None = None,
    cache_dir: Path | None = None,
    progress: Progress = None,
) -> PipelineResult:
    """Read run dumps into ``out/runs.parquet``, ``out/steps.parquet`` and ``out/manifest.json``.

    Parameters
    ----------
    inputs
        Files, folders or archives of run dumps.
    out
        The output folder.
    read
        How runs are read (:class:`~trajdiv.ingest.ReadOptions`; the defaults when None).
    strict, formats, jobs, engine, address, cache_dir
        As for :func:`~trajdiv.run_pipeline`: stop at the first unusable file, table formats
        besides parquet, worker processes, local pool or Ray cluster, the cache (None: none).
    progress
        Called with ``(stage, done, total)`` as files are read and groups analysed.

    Examples
    --------
    >>> import tempfile
    >>> res = ingest(["../shared/realdata/tau-bench"], Path(tempfile.mkdtemp()), cache_dir=None)
    >>> res.n_runs, res.n_groups
    (40, 10)
    """
    return run_pipeline(
        list(inputs),
        out,
        Settings(stages=("ingest",), read=read or ReadOptions()),
        jobs=jobs,
        engine=engine,
        address=address,
        cache_dir=cache_dir,
        formats=formats,
        strict=strict,
        progress=progress,
    )


@dataclass(slots=True)
class AnalysisResult:
    """Outputs of :func:`analyze` (and of the ``diverge``, ``graph`` and ``stats`` subsets)."""

    pipeline: PipelineResult
    summary: Summary | None = None
    plots: list[Path] = field(default_factory=list)
    report: Path | None = None
    written: list[Path] = field(default_factory=list)
    """Every file the statistics, plots and report wrote."""


def analyze(
    inputs: Sequence[str | Path],
    out: Path,
    settings: Settings | None = None,
    *,
    stats: bool = True,
    plots: bool = False,
    report: bool = True,
    strict: bool = False,
    formats: tuple[str, ...] = ("parquet",),
    jobs: int | None = None,
    engine: str = "local",
    address: str | None = None,
    cache_dir: Path | None = None,
    seed: int = 0,
    across_tasks: int = ACROSS_TASKS,
    progress: Progress = None,
) -> AnalysisResult:
    """Ingest, tokenize, find divergence, build graphs, compute statistics, plot and report.

    ``out/summary.json`` holds the per-configuration figures (also returned, typed, as
    ``result.summary``); ``out/report.html`` is one self-contained page.

    Parameters
    ----------
    inputs
        Files, folders or archives of run dumps; none: the bundled demo corpus.
    out
        The output folder (created; an earlier analysis there is reused or replaced).
    settings
        Stages, abstraction level, tokenizer, phase rules and reading options (:class:`Settings`).
    stats, plots, report
        Compute the statistics, draw the plots (matplotlib, PNG and SVG; off by default: they
        cost more than the rest of a re-run, and ``trajdiv.plot.plot_all`` draws them later
        from the output folder), write the report.
    strict, formats, jobs, engine, address, cache_dir
        As for :func:`~trajdiv.run_pipeline`: stop at the first unusable file, table formats
        besides parquet, worker processes, local pool or Ray cluster, the cache (None: none).
    seed
        Seed of the permutation tests and power simulations.
    across_tasks
        Tasks shared by several configurations whose graph across them is drawn.
    progress
        Called with ``(stage, done, total)`` as files are read and groups analysed.
    """
    settings = settings or Settings()
    inputs = list(inputs) or [demo_corpus()]
    if "parquet" not in formats:  # plots, the report and re-runs read the parquet tables
        formats = ("parquet", *formats)
    n_jobs = jobs or default_jobs()
    # the pipeline's workers stay for the statistics: the early-warning models run in one of
    # them beside the rest of the statistics and the report's data
    workers = WorkerPool(n_jobs) if engine == "local" and n_jobs > 1 else None
    try:
        res = run_pipeline(
            list(inputs),
            out,
            settings,
            jobs=n_jobs,
            engine=engine,
            address=address,
            cache_dir=cache_dir,
            formats=formats,
            strict=strict,
            across_tasks=across_tasks,
            progress=progress,
            settle=False,
            workers=workers,
        )
        result = AnalysisResult(pipeline=res)
        if res.n_runs == 0 or not stats:
            # an earlier analysis of other tables is stale; of the same tables, still right
            settle_outputs(
                out,
                {"pipeline": res.written, **({} if res.reused else {"analysis": []})},
                res.digests,
            )
            return result
        extras = {"diverge", "graph"} <= set(settings.stages)
        key = json.dumps([res.state_key, seed, formats, plots and extras, report and extras])
        if res.reused and (kept := _kept_analysis(out, key)) is not None:
            result.summary, result.plots, result.report = kept
            settle_outputs(out, {"pipeline": res.written}, res.digests)
            return result
        _statistics(result, out, settings, seed, formats, plots and extras, report and extras, workers)
    except BaseException:
        if workers is not None:
            workers.close(stop=True)
        raise
    finally:
        if workers is not None:
            workers.close()
    atomic_write_text(out / _ANALYSIS_STATE, json.dumps({"key": key}))
    settle_outputs(out, {"pipeline": res.written, "analysis": result.written}, res.digests)
    return result


def _statistics(
    result: AnalysisResult,
    out: Path,
    settings: Settings,
    seed: int,
    formats: tuple[str, ...],
    plots: bool,
    report: bool,
    workers: WorkerPool | None,
) -> None:
    """Statistics, plots and report of the tables in ``out``, into ``result``."""
    from trajdiv.report import browser_data, with_cv

    # the early-warning models and the report's data are made in the workers meanwhile
    early_runs = result.pipeline.early  # each group's early-warning runs, made with the groups
    early = workers.submit(early_warnings, out, early_runs) if workers is not None else None
    keep = settings.keep_format_errors
    layouts = result.pipeline.layouts  # made with the groups
    top = out.parts
    digests = {  # of the graph files this run wrote or checked, by their path in ``out``
        "/".join(path.parts[len(top) :]): digest
        for path, digest in result.pipeline.digests.items()
        if path.parts[: len(top)] == top and len(path.parts) > len(top)
    }
    browse = functools.partial(
        browser_data,
        out,
        keep_format_errors=keep,
        layouts=layouts,
        digests=digests,
        cells=result.pipeline.cells,
    )
    browser = None
    if report and workers is not None:
        browser = workers.submit(browse)
    # the pairs' statistics go to the first worker free (the report's data is the quicker)
    apart = summarize_apart(
        out,
        seed=seed,
        action_jsd=result.pipeline.action_jsd,
        run=workers.submit if workers is not None else None,
    )
    data = None
    if report:
        made = browser() if browser is not None else browse()
        data = with_cv(*made, apart.tables["stats_tasks"])
    summary, tables = apart.finish(early() if early is not None else early_warnings(out, early_runs))
    for name, df in tables.items():
        result.written += write_table(df, out, name, formats)
    result.summary = summary
    summary.write(out / "summary.json")
    result.written.append(out / "summary.json")
    if plots:
        from trajdiv.plot import plot_all

        result.plots = plot_all(out, summary)
        result.written += result.plots
    if report:
        from trajdiv.plot import left_out
        from trajdiv.report import write_report

        res = result.pipeline
        totals = {
            "files": len(res.manifest),
            "read": sum(e.status == "read" for e in res.manifest),
            "skipped": sum(e.status == "skipped" for e in res.manifest),
            "runs": res.n_runs,
        }
        result.report = write_report(
            out,
            summary,
            result.plots,
            totals,
            keep_format_errors=settings.keep_format_errors,
            left_out=left_out(summary) if plots else None,
            data=data,
        )
        result.written.append(result.report)


_ANALYSIS_STATE = ".trajdiv-analysis.json"


def _kept_analysis(out: Path, key: str) -> tuple[Summary, list[Path], Path | None] | None:
    """Summary, plots and report already in ``out`` from the same tables and options, if every
    file the analysis wrote is still there with the same content."""
    try:
        state = json.loads((out / _ANALYSIS_STATE).read_text("utf-8"))
        if state["key"] != key:
            return None
        files = owned_files(out, "analysis")
        if files is None:
            return None
        summary = Summary.read(out / "summary.json")
    except (OSError, ValueError, KeyError, TypeError, InputError):
        return None
    report = next((f for f in files if f.name == "report.html"), None)
    return summary, sorted(f for f in files if f.parent.name == "plots"), report


def export_jsonl(
    inputs: Sequence[str | Path],
    path: Path,
    *,
    read: ReadOptions | None = None,
) -> int:
    """Write every run under ``inputs`` to trajdiv's JSONL export; returns the runs written.
    The export file is never read as an input, and never replaces one: an existing file at
    ``path`` that is not an earlier trajdiv export is refused.

    Parameters
    ----------
    inputs
        Files, folders or archives of run dumps.
    path
        The ``.jsonl`` file to write.
    read
        How runs are read (:class:`~trajdiv.ingest.ReadOptions`; the defaults when None).
    """
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; name the .jsonl file to write")
    if path.exists():
        with open(path, "rb") as fh:
            head = fh.readline(200).strip()
        if head != json.dumps(EXPORT_HEADER).encode():
            raise UsageError(f"{path}: exists and is not a trajdiv export; refusing to replace it")
    ds = read_runs(list(inputs), read=read, exclude=[path])
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_jsonl(ds.runs, path)
