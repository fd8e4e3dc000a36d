"""``trajdiv cache info | clear | prune``: the cache folder as a whole."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trajdiv._errors import UsageError
from trajdiv._text import for_terminal
from trajdiv.cli._common import EXIT_OK, default_cache_dir

__all__ = ["add_cache_command"]


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GiB"


def _cmd_cache(args: argparse.Namespace) -> int:
    from trajdiv.pipeline._cachedir import KINDS, cache_info, clear_cache, parse_size, prune_cache

    where: Path = args.cache_dir or default_cache_dir()
    if args.action == "info":
        info = cache_info(where)
        print(f"location: {for_terminal(where)}{'' if where.exists() else ' (does not exist yet)'}")
        width = max(map(len, KINDS.values()))
        for kind, label in KINDS.items():
            print(
                f"{label:{width}s} {info.files_by_kind[kind]:8d} files  {_human(info.bytes_by_kind[kind]):>10s}"
            )
        print(
            f"{'total':{width}s} {sum(info.files_by_kind.values()):8d} files  {_human(info.total_bytes):>10s}"
        )
    elif args.action == "clear":
        print(f"freed {_human(clear_cache(where))} in {for_terminal(where)}")
    else:
        if args.max_size is None:
            raise UsageError("prune needs --max-size SIZE (for example 2G)")
        print(f"freed {_human(prune_cache(where, parse_size(args.max_size)))} in {for_terminal(where)}")
    return EXIT_OK


def add_cache_command(cmd: Callable[[str, str, Any], argparse.ArgumentParser]) -> None:
    """Declare ``trajdiv cache``."""
    sp = cmd(
        "cache",
        "show, clear or bound the cache (parsed files, token ids, group results, table chunks); "
        "set TRAJDIV_CACHE_MAX_SIZE (e.g. 5G) to prune after every run",
        _cmd_cache,
    )
    sp.add_argument("action", choices=("info", "clear", "prune"), help="info: location, entries and size")
    sp.add_argument(
        "--cache-dir", type=Path, default=None, help="the cache folder (default: as for every command)"
    )
    sp.add_argument(
        "--max-size", default=None, metavar="SIZE", help="prune: least recently used first, down to SIZE"
    )
