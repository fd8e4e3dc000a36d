"""The ``trajdiv`` command line."""

import os
import sys

from trajdiv.cli._main import build_parser, summary_table
from trajdiv.cli._main import main as _main

__all__ = ["build_parser", "main", "summary_table"]

_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code (the console script exits with it)."""
    try:
        code = _main(argv)
    except KeyboardInterrupt:  # before a command started (while importing, parsing)
        print("trajdiv: interrupted", file=sys.stderr)
        code = _INTERRUPTED
    if argv is None:
        if code == _INTERRUPTED:
            # after Ctrl-C, end now: the interpreter's own shutdown would wait for executor
            # threads and workers; outputs are complete files and temporary folders are gone
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        sys.exit(code)
    return code
