"""The ``trajdiv`` command line."""

import os
import sys

# Polars' allocator (jemalloc) keeps freed pages for 10 s by default: a big group's text is then
# held twice (freed Python objects and the tables built from them). Pages go back at once
# instead (measured: peak memory 0.79x, time within the machine's drift); set before polars
# loads, and a value the user set wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")

from trajdiv.pipeline._engine import ONE_THREAD

# The main process's linear algebra on one thread as well, beside the workers (set before numpy
# loads; a value the user set wins).
os.environ.update({name: os.environ.get(name, "1") for name in ONE_THREAD})

# Ctrl-C ends the workers at once; multiprocessing's resource tracker (a process that starts with
# the first worker) then removes the semaphores of the pool's queues and would warn of them after
# trajdiv's one line. Its warnings are left out (a filter added to any the user set).
os.environ["PYTHONWARNINGS"] = ",".join(
    filter(None, [os.environ.get("PYTHONWARNINGS"), "ignore::UserWarning:multiprocessing.resource_tracker"])
)

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
