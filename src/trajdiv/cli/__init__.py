"""The ``trajdiv`` command line."""

import sys

from trajdiv.cli._main import build_parser, summary_table
from trajdiv.cli._main import main as _main

__all__ = ["build_parser", "main", "summary_table"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code (the console script exits with it)."""
    code = _main(argv)
    if argv is None:
        sys.exit(code)
    return code
