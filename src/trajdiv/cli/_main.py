"""The ``trajdiv`` command: a thin layer over :mod:`trajdiv`'s public functions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trajdiv._text import for_terminal
from trajdiv.align._abstraction import LEVELS
from trajdiv.cli._cache import add_cache_command
from trajdiv.cli._common import (
    EXIT_OK,
    add_analysis_options,
    add_input_options,
    add_read_options,
    add_seed_option,
    execution_options,
    exit_code_for,
    given,
    guarded,
    pipeline_options,
    progress_printer,
    read_options,
    settings_from,
)
from trajdiv.cli._pairs import add_pair_commands

if TYPE_CHECKING:
    import polars as pl

    from trajdiv.pipeline._result import PipelineResult
    from trajdiv.stats._result import Summary

__all__ = ["build_parser", "main"]

_EPILOG = """exit codes: 0 every input file read; 3 output written but some files skipped or read
with errors (see manifest.json); 4 no run could be read; 1 error (message on stderr); 2 bad command line."""


def _report_ingest(res: PipelineResult, quiet: bool) -> int:
    skipped = [e for e in res.manifest if e.status == "skipped" and e.kind == "error"]
    for e in skipped:
        print(f"trajdiv: skipped {for_terminal(e.file)}: {for_terminal(e.reason)}", file=sys.stderr)
    partly = [e for e in res.manifest if e.status == "read" and e.errors]
    for e in partly:
        for err in e.errors:
            print(f"trajdiv: error in {for_terminal(e.file)}: {for_terminal(err)}", file=sys.stderr)
    if not quiet:  # every input file is in the line: read, not a run dump, or skipped
        others = sum(e.status == "skipped" and e.kind != "error" for e in res.manifest)
        print(
            f"{res.n_runs} runs in {res.n_groups} groups from "
            f"{sum(e.status == 'read' for e in res.manifest)} files; "
            + (f"{others} not run dumps (reasons in manifest.json); " if others else "")
            + f"{len(skipped)} skipped"
            + (f", {len(partly)} read with errors" if partly else "")
            + f"; tables in {for_terminal(res.out_dir)}"
        )
    return exit_code_for(res.n_runs, len(skipped) + len(partly))


def _cmd_ingest(args: argparse.Namespace) -> int:
    from trajdiv import _api

    res = _api.ingest(
        args.inputs,
        args.out,
        read=read_options(args),
        strict=args.strict,
        formats=args.table_format,
        **execution_options(args),
        progress=progress_printer(args.quiet),
    )
    if args.export_jsonl:
        n = _api.export_jsonl(args.inputs, args.out / "runs.jsonl", read=read_options(args))
        if not args.quiet:
            print(f"{n} runs exported to {for_terminal(args.out / 'runs.jsonl')}")
    return _report_ingest(res, args.quiet)


def _run_stages(args: argparse.Namespace, stages: tuple[str, ...], stats: bool, extras: bool) -> int:
    from trajdiv import _api

    res = _api.analyze(
        args.inputs,
        args.out,
        settings_from(args, stages),
        stats=stats,
        plots=extras and args.plots,
        report=extras,
        strict=args.strict,
        formats=args.table_format,
        **execution_options(args),
        progress=progress_printer(args.quiet),
        **given(args, "seed"),
        **pipeline_options(args),
    )
    code = _report_ingest(res.pipeline, args.quiet)
    if res.summary and not args.quiet:
        print(summary_table(res.summary))
    if res.summary:
        single = [c.config for c in res.summary.configs if not c.has_repeats]
        if single:
            print(
                f"trajdiv: warning: one run per task in {len(single)} configuration(s) "
                f"({', '.join(for_terminal(c) for c in single)}): divergence, consistency and pass@k "
                "beyond k = 1 need repeated runs and are left blank for them",
                file=sys.stderr,
            )
        if res.report:
            print(f"report: {for_terminal(res.report)}")
    elif "diverge" in stages and not args.quiet and res.pipeline.n_runs:
        print(divergence_table(res.pipeline.frame("divergence_groups")))
    return code


def divergence_table(groups: pl.DataFrame) -> str:
    """Per configuration: mean over tasks of the group's first divergence step at each level
    (groups that never diverge left out, or counted as their shortest run under the phase
    rules' ``never_split = "shortest-run"``), and the median token divergence."""
    import polars as pl

    head = f"{'configuration':48s} {'groups':>6s} " + " ".join(f"{lvl:>10s}" for lvl in LEVELS) + "   token %"
    lines = [head, "-" * len(head)]
    for cfg in sorted(groups["config"].unique().to_list()):
        g = groups.filter(pl.col("config") == cfg)
        cells = []
        for lvl in LEVELS:
            col = g[f"first_div_step_{lvl}"].drop_nulls().to_list()
            cells.append(f"{sum(col) / len(col):10.1f}" if col else f"{'-':>10s}")
        tok = sorted(g["token_div_pct_median"].drop_nulls().to_list())
        mid = len(tok) // 2
        tok_med = (tok[mid] if len(tok) % 2 else (tok[mid - 1] + tok[mid]) / 2) if tok else None
        tok_txt = f"{tok_med:9.2f}" if tok_med is not None else f"{'-':>9s}"
        lines.append(f"{for_terminal(cfg)[:48]:48s} {g.height:6d} " + " ".join(cells) + f" {tok_txt}")
    lines.append(
        "mean over tasks of the first step at which not all runs agree, per level; token % = "
        "median over groups of the first differing agent token, % of the shorter stream"
    )
    return "\n".join(lines)


def _cmd_diverge(args: argparse.Namespace) -> int:
    return _run_stages(args, ("ingest", "diverge"), stats=False, extras=False)


def _cmd_graph(args: argparse.Namespace) -> int:
    return _run_stages(args, ("ingest", "diverge", "graph"), stats=False, extras=False)


def _cmd_stats(args: argparse.Namespace) -> int:
    return _run_stages(args, ("ingest", "diverge", "graph"), stats=True, extras=False)


def _cmd_analyze(args: argparse.Namespace) -> int:
    return _run_stages(args, ("ingest", "diverge", "graph"), stats=True, extras=True)


def _cmd_plot(args: argparse.Namespace) -> int:
    from trajdiv.plot import plot_one

    paths = plot_one(
        args.kind,
        args.results,
        args.out or args.results / "plots",
        task=args.task,
        config=args.config,
        level=args.level,
    )
    if not args.quiet:
        for p in paths:
            print(for_terminal(p))
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from trajdiv import _api

    n = _api.export_jsonl(args.inputs, args.out, read=read_options(args))
    print(f"{n} runs written to {for_terminal(args.out)}")
    return EXIT_OK if n else 4


def _cmd_formats(args: argparse.Namespace) -> int:
    from trajdiv.ingest import readers

    for r in readers():
        print(f"{r.name:20s} {r.description}")
    print(
        f"{'swe-bench-labels':20s} outcome labels: harness reports <key>.<run>.json, "
        "results/results.json, report.json, OpenHands *.swebench_eval.jsonl"
    )
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from trajdiv.schemas import TABLE_NAMES, schema_markdown

    names = [args.table] if args.table else list(TABLE_NAMES)
    bad = [n for n in names if n not in TABLE_NAMES]
    if bad:
        print(f"trajdiv: error: no table {bad[0]!r}; tables: {', '.join(TABLE_NAMES)}", file=sys.stderr)
        return 1
    print(schema_markdown(names))
    return EXIT_OK


def summary_table(summary: Summary) -> str:
    """The closing table printed after an analysis: one line per configuration."""
    head = (
        f"{'configuration':48s} {'runs':>5s} {'pass@1':>14s} {'1-run range':>12s} "
        f"{'pass@k':>7s} {'pass^k':>7s} {'CV steps':>8s} {'div step':>8s} {'div tok%':>8s}"
    )
    lines = [head, "-" * len(head)]
    for c in summary.configs:
        p1, sr, fd = c.pass1, c.single_run_pass1, c.first_divergence
        p1s = (
            "-"
            if p1 is None or p1.mean is None
            else f"{p1.mean:.3f}" + (f"±{p1.se:.3f}" if p1.se is not None else "")
        )
        srs = f"{sr.min:.2f}-{sr.max:.2f}" if sr and sr.min is not None and sr.max is not None else "-"
        k = c.k_max
        pk, ph = (c.pass_at_k or {}).get(k), (c.pass_hat_k or {}).get(k)
        step = fd.phase.mean_step if fd else None
        tok = fd.token_pct_median if fd else None
        cv = c.cv_steps_mean_pct
        lines.append(
            f"{for_terminal(c.config)[:48]:48s} {c.n_runs:5d} {p1s:>14s} {srs:>12s} "
            f"{_num(pk, '.2f'):>7s} {_num(ph, '.2f'):>7s} {_num(cv, '.1f', '%'):>8s} "
            f"{_num(step, '.2f'):>8s} {_num(tok, '.2f'):>8s}"
        )
    lines.append(
        "pass@k / pass^k at the largest k; div step = mean first divergence step (phase "
        "level); div tok% = median first token divergence, % of the shorter stream"
    )
    return "\n".join(lines)


def _num(x: float | None, spec: str, unit: str = "") -> str:
    return "-" if x is None else f"{x:{spec}}{unit}"


def _add_plots_option(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--plots",
        action="store_true",
        help="also draw every plot (PNG and SVG in OUT/plots, embedded in the report); "
        "off by default, as drawing costs more than a re-run of the rest: "
        "`trajdiv plot all OUT` draws them later",
    )


def _add_plot_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "kind",
        metavar="KIND",
        help="all, or one of divergence, agreement, graph, across, passk, cv, spread, steps, power, "
        "early, sequence",
    )
    sp.add_argument("results", type=Path, metavar="RESULTS", help="output folder of `trajdiv analyze`")
    sp.add_argument("-o", "--out", type=Path, default=None, help="folder for the PNG and SVG")
    sp.add_argument(
        "--task", default=None, help="task for the graph and across plots (default: chosen automatically)"
    )
    sp.add_argument("--config", default=None, help="configuration for the graph and sequence plots")
    sp.add_argument(
        "--level",
        choices=LEVELS,
        default=None,
        help="level of the sequence plot (default: the analysis's graph level)",
    )
    sp.add_argument("-q", "--quiet", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``trajdiv`` command."""
    p = argparse.ArgumentParser(
        prog="trajdiv",
        description="Where repeated agent runs diverge, which strategies they branch into, and "
        "whether differences between runs are real.",
        epilog=_EPILOG,
    )
    p.add_argument("--version", action="version", version=f"trajdiv {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, help_: str, fn: Any) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_, epilog=_EPILOG)
        sp.set_defaults(func=guarded(fn))  # every command: errors as one line, a closed pipe quiet
        return sp

    sp = cmd("ingest", "read run dumps into runs.parquet, steps.parquet and manifest.json", _cmd_ingest)
    add_input_options(sp)
    sp.add_argument(
        "--export-jsonl", action="store_true", help="also write OUT/runs.jsonl (trajdiv's export)"
    )

    sp = cmd("diverge", "first divergence of repeated runs, token and step level", _cmd_diverge)
    add_input_options(sp)
    add_analysis_options(sp, graph=False)

    sp = cmd("graph", "branching graphs, strategy clusters and branching factor", _cmd_graph)
    add_input_options(sp)
    add_analysis_options(sp)

    for name, help_, fn in (
        (
            "stats",
            "pass@1 with error bars, pass@k, pass^k, consistency, relations: summary.json",
            _cmd_stats,
        ),
        (
            "analyze",
            "everything: tables, summary.json, report.html, and with --plots the plots (no INPUT: demo corpus)",
            _cmd_analyze,
        ),
    ):
        sp = cmd(name, help_, fn)
        add_input_options(sp, inputs_optional=name == "analyze")
        add_analysis_options(sp)
        add_seed_option(sp, "the permutation tests and power simulations")
        if name == "analyze":
            _add_plots_option(sp)

    add_pair_commands(cmd)

    _add_plot_options(cmd("plot", "draw plots from the output folder of `trajdiv analyze`", _cmd_plot))

    sp = cmd("export", "write runs to trajdiv's JSONL export (reads back exactly)", _cmd_export)
    sp.add_argument("inputs", nargs="+", metavar="INPUT")
    sp.add_argument("-o", "--out", type=Path, required=True, help="the .jsonl file to write")
    add_read_options(sp)

    add_cache_command(cmd)
    cmd("formats", "list the dump formats trajdiv reads", _cmd_formats)
    sp = cmd("schema", "print the columns of the tables trajdiv writes", _cmd_schema)
    sp.add_argument("table", nargs="?", default=None)
    return p


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trajdiv")
    except PackageNotFoundError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``trajdiv`` command."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code
