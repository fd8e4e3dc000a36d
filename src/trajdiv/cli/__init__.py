"""The ``trajdiv`` command line."""

import sys

from trajdiv.cli._main import build_parser, summary_table
from trajdiv.cli._main import main as _main

__all__ = ["build_parser", "main", "summary_table"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code (the console script exits with it)."""
    try:
        code = _main(argv)
    except KeyboardInterrupt:  # before a command started (while importing, parsing)
        print("trajdiv: interrupted", file=sys.stderr)
        code = 130
    if argv is None:
        sys.exit(code)
    return code
