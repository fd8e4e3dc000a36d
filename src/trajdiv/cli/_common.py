"""Options shared by several commands, defined once, and the error-to-exit-code wrapper."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trajdiv._errors import TrajdivError
from trajdiv._text import for_terminal
from trajdiv.align._abstraction import LEVELS
from trajdiv.ingest._grading import GRADING
from trajdiv.ingest._options import CONFIG_FROM
from trajdiv.pipeline._engine import ENGINES, default_jobs, stop_workers

if TYPE_CHECKING:
    from trajdiv.analysis._settings import Settings
    from trajdiv.ingest._options import ReadOptions

# kept here rather than imported, so that `trajdiv --help` does not load polars; a test checks
# it equals trajdiv.tables.TABLE_FORMATS
TABLE_FORMATS = ("parquet", "csv", "json", "csv-raw")

__all__ = [
    "EXIT_ERROR",
    "EXIT_NOTHING_READ",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "add_alpha_option",
    "add_analysis_options",
    "add_execution_options",
    "add_input_options",
    "add_read_options",
    "add_seed_option",
    "cache_dir_from",
    "execution_options",
    "exit_code_for",
    "given",
    "guarded",
    "pipeline_options",
    "progress_printer",
    "read_options",
    "settings_from",
]

EXIT_OK = 0
EXIT_ERROR = 1
"""A usage or input error stopped the command (message on stderr)."""
EXIT_PARTIAL = 3
"""Output written, but some input files were skipped (see manifest.json)."""
EXIT_NOTHING_READ = 4
"""No run could be read from the inputs."""


def default_cache_dir() -> Path:
    """``$TRAJDIV_CACHE_DIR``, else ``$XDG_CACHE_HOME/trajdiv``, else ``~/.cache/trajdiv``."""
    env = os.environ.get("TRAJDIV_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "trajdiv"


def _formats(text: str) -> tuple[str, ...]:
    fmts = tuple(f.strip() for f in text.split(",") if f.strip())
    bad = [f for f in fmts if f not in TABLE_FORMATS]
    if bad or not fmts:
        raise argparse.ArgumentTypeError(f"formats are a comma list of {', '.join(TABLE_FORMATS)}")
    return fmts


def add_input_options(p: argparse.ArgumentParser, *, inputs_optional: bool = False) -> None:
    """INPUT..., -o OUT, and the reading options."""
    p.add_argument(
        "inputs",
        nargs="*" if inputs_optional else "+",
        metavar="INPUT",
        help="run dumps: files, folders (walked recursively) or .zip/.tar.gz archives"
        + ("; none: the bundled demo corpus" if inputs_optional else ""),
    )
    p.add_argument("-o", "--out", type=Path, required=True, help="output folder (created if missing)")
    add_read_options(p)
    p.add_argument("--strict", action="store_true", help="stop at the first unusable file")
    p.add_argument(
        "--table-format",
        type=_formats,
        default=("parquet",),
        metavar="FMTS",
        help="comma list of table formats: parquet (always written), csv, json (JSON Lines), "
        "csv-raw. csv prefixes ' to text cells starting with = + - @ (a spreadsheet would run "
        "them as formulas); csv-raw writes cells unchanged",
    )
    add_execution_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary output")


def add_execution_options(p: argparse.ArgumentParser) -> None:
    """Where the work runs and what it may reuse: -j, --engine, --address, --cache-dir, --no-cache."""
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=default_jobs(),
        help="worker processes (default: the machine's cores); output is identical for any value",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="local process pool, or ray (needs trajdiv[ray]; see --address)",
    )
    p.add_argument("--address", default=None, help="Ray cluster address for --engine ray")
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="cache of parsed files, token ids, group results and table chunks "
        "(default: $TRAJDIV_CACHE_DIR or ~/.cache/trajdiv)",
    )
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


# Options whose default is the library's: left out of the namespace when not given
# (argparse.SUPPRESS), so that the library's own default applies. Help texts state the defaults;
# a test checks them against the library's.
_LIBRARY_DEFAULT = argparse.SUPPRESS

_READ_OPTIONS = {
    "config_from": "config_from",
    "grade": "grading",
    "f1_threshold": "f1_threshold",
    "score": "score",
    "pool_benchmarks": "pool_benchmarks",
}
"""Namespace attribute -> ReadOptions field."""

_ANALYSIS_OPTIONS = ("encoding", "fuzzy", "phase_rules", "keep_format_errors", "level", "cluster_threshold")
"""Namespace attributes that are Settings fields of the same name."""


def add_read_options(p: argparse.ArgumentParser) -> None:
    """How runs are read: configuration labels, answer grading, benchmark pooling, inspect scorer."""
    p.add_argument(
        "--config-from",
        choices=CONFIG_FROM,
        default=_LIBRARY_DEFAULT,
        help="how runs are labelled with a configuration: auto = scaffold:model (default); model; "
        "dirname = the dump folder name; input = the INPUT argument's name",
    )
    p.add_argument(
        "--grade",
        choices=GRADING,
        default=_LIBRARY_DEFAULT,
        help="how a run's final answer is graded against a gold answer (question-answering dumps): "
        "contains = the normalised gold answer occurs in the answer (default), exact, or "
        "f1 = SQuAD token F1 >= --f1-threshold",
    )
    p.add_argument(
        "--f1-threshold",
        type=float,
        default=_LIBRARY_DEFAULT,
        metavar="F",
        help="token F1 at or above which --grade f1 counts an answer correct (default 0.5)",
    )
    p.add_argument(
        "--pool-benchmarks",
        action="store_true",
        default=_LIBRARY_DEFAULT,
        help="let one configuration hold runs of several benchmarks (by default runs of different "
        "benchmarks are separate configurations, labelled benchmark/scaffold:model)",
    )
    p.add_argument(
        "--score",
        default=_LIBRARY_DEFAULT,
        metavar="NAME",
        help="inspect_ai logs: the scorer whose value is a sample's outcome (default: the first)",
    )


def add_analysis_options(p: argparse.ArgumentParser, *, graph: bool = True) -> None:
    """Tokenizer, abstraction and clustering options."""
    p.add_argument(
        "--encoding",
        default=_LIBRARY_DEFAULT,
        help="tiktoken encoding (default cl100k_base, bundled offline)",
    )
    p.add_argument(
        "--fuzzy",
        type=float,
        default=_LIBRARY_DEFAULT,
        metavar="THRESHOLD",
        help="treat normalized actions as equal when their rapidfuzz ratio >= THRESHOLD (0-100)",
    )
    p.add_argument(
        "--phase-rules",
        default=_LIBRARY_DEFAULT,
        metavar="FILE|paper",
        help="TOML file replacing the built-in verb-to-phase rules, or the preset 'paper' (the "
        'rule of "Consistency Amplifies": phase from the start of the raw action; a group that '
        "never splits counts as its shortest run)",
    )
    p.add_argument(
        "--keep-format-errors",
        action="store_true",
        default=_LIBRARY_DEFAULT,
        help="count steps whose model output could not be parsed (no action ran) in divergence, "
        "alignment and graphs; by default they are left out (still listed in the steps table)",
    )
    if graph:
        p.add_argument(
            "--level",
            choices=LEVELS,
            default=_LIBRARY_DEFAULT,
            help="abstraction level of the branching graphs and strategy clusters (default verb)",
        )
        p.add_argument(
            "--across-tasks",
            type=int,
            default=_LIBRARY_DEFAULT,
            metavar="N",
            help="draw graphs across configurations for the first N tasks they share (default 20)",
        )
        p.add_argument(
            "--cluster-threshold",
            type=float,
            default=_LIBRARY_DEFAULT,
            help="average-linkage distance up to which strategy clusters merge (0-1, default 0.5)",
        )


def settings_from(args: argparse.Namespace, stages: tuple[str, ...]) -> Settings:
    """Settings from parsed options; what was not given keeps the library's default."""
    from trajdiv.analysis._settings import Settings

    given = {name: getattr(args, name) for name in _ANALYSIS_OPTIONS if hasattr(args, name)}
    return Settings(stages=stages, read=read_options(args), **given)


def read_options(args: argparse.Namespace) -> ReadOptions:
    """The reading options given on the command line; the library's defaults for the others."""
    from trajdiv.ingest._options import ReadOptions

    return ReadOptions(
        **{field: getattr(args, opt) for opt, field in _READ_OPTIONS.items() if hasattr(args, opt)}
    )


def add_alpha_option(p: argparse.ArgumentParser) -> None:
    """``--alpha``, the level of the tests."""
    p.add_argument("--alpha", type=float, default=_LIBRARY_DEFAULT, help="test level (default 0.05)")


def add_seed_option(p: argparse.ArgumentParser, what: str) -> None:
    """``--seed``, the seed of ``what``."""
    p.add_argument("--seed", type=int, default=_LIBRARY_DEFAULT, help=f"seed of {what} (default 0)")


def given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The options among ``names`` given on the command line, as keywords (the library's
    defaults apply to the others)."""
    return {name: getattr(args, name) for name in names if hasattr(args, name)}


def pipeline_options(args: argparse.Namespace) -> dict[str, Any]:
    """Pipeline keywords given on the command line (the library's defaults for the others)."""
    return {"across_tasks": args.across_tasks} if hasattr(args, "across_tasks") else {}


def execution_options(args: argparse.Namespace) -> dict[str, Any]:
    """Where the work runs and what it may reuse (:func:`add_execution_options`), as keywords."""
    return {
        "jobs": args.jobs,
        "engine": args.engine,
        "address": args.address,
        "cache_dir": cache_dir_from(args),
    }


def cache_dir_from(args: argparse.Namespace) -> Path | None:
    """The cache folder, or None with --no-cache."""
    if args.no_cache:
        return None
    return args.cache_dir or default_cache_dir()


def progress_printer(quiet: bool) -> Callable[[str, int, int], None] | None:
    """A one-line progress display on a terminal; None when output is not one."""
    if quiet or not sys.stderr.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{stage:8s} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
        sys.stderr.flush()

    return show


def exit_code_for(n_runs: int, n_skipped_errors: int) -> int:
    """0 when every file was read, 3 when some were skipped, 4 when no run was read."""
    if n_runs == 0:
        return EXIT_NOTHING_READ
    return EXIT_PARTIAL if n_skipped_errors else EXIT_OK


def guarded(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn library errors into a one-line message and exit code 1 (every command runs under
    it: :func:`~trajdiv.cli._main.build_parser`)."""

    def run(args: argparse.Namespace) -> int:
        try:
            code = fn(args)
            sys.stdout.flush()  # a reader gone away shows here, not at the interpreter's exit
            return code
        except TrajdivError as exc:
            print(f"trajdiv: error: {for_terminal(exc)}", file=sys.stderr)
            return EXIT_ERROR
        except BrokenPipeError:
            # the reader of our output went away (`trajdiv schema | head -1`): not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return EXIT_OK
        except OSError as exc:  # the file system refused: disk full, read-only, not a folder
            where = f"{exc.filename}: " if exc.filename else ""
            print(
                f"trajdiv: error: {for_terminal(where)}{for_terminal(exc.strerror or exc)}", file=sys.stderr
            )
            return EXIT_ERROR
        except KeyboardInterrupt:
            stop_workers()
            print("trajdiv: interrupted; outputs already written are complete", file=sys.stderr)
            return 130

    return run
