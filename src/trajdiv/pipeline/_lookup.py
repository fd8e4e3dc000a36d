"""Pass 1's look-up of each input file in the cache, by content hash."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from trajdiv.analysis._settings import Settings
from trajdiv.ingest._plan import Plan
from trajdiv.ingest._source import Source
from trajdiv.pipeline._entries import SourceIndex, cached_index
from trajdiv.pipeline._known import remembered_hash
from trajdiv.pipeline._workers import source_key

__all__ = ["LOOKUP_THREADS", "lookups"]

LOOKUP_THREADS = 4
"""Most threads hashing files whose hash is not remembered (hashing releases the GIL)."""


_Lookup = tuple[str | None, SourceIndex | None]
"""A file's cache key and its cached parse."""


def lookups(plan: Plan, settings: Settings, cache_dir: Path | None, jobs: int) -> Iterator[_Lookup]:
    """Each file's cache key and cached parse (None: not cached), in plan order. A plain file
    whose content hash is remembered (:mod:`._known`) is looked up here; the others are hashed
    by threads, a few ahead; archive members here, in turn (their archive's open handle is
    shared). Without a cache there is nothing to look up, and a file's content is read once, by
    its parse.

    Looking up remembered files on threads too was twice as slow: each lookup is mostly Python
    (reading two small entries), and threads that take turns at the interpreter's lock after
    every small read wait on each other (an unchanged re-run of 3,030 files: 1.25-1.31 s
    against 0.55-0.65 s here)."""
    if cache_dir is None:
        for _ in plan.work:
            yield None, None
        return

    def look(src: Source, reader_name: str, content: str | None = None) -> _Lookup:
        key = source_key(src, reader_name, settings, plan.ctx, cache_dir, content)
        return key, cached_index(key, cache_dir)

    threads = min(jobs, LOOKUP_THREADS)
    if threads < 2 or len(plan.work) < 2:
        for src, reader in plan.work:
            yield look(src, reader.name)
        return
    pool = ThreadPoolExecutor(threads, thread_name_prefix="trajdiv-lookup")
    try:
        ahead: deque[Future[_Lookup] | tuple[Source, str, str | None]] = deque()
        work = iter(plan.work)
        while True:
            while len(ahead) < 2 * threads and (item := next(work, None)) is not None:
                src, reader = item
                if src.fs_path is None or src.data is not None:  # an archive member
                    ahead.append((src, reader.name, None))
                elif (known := remembered_hash(cache_dir, src.fs_path)) is not None:
                    ahead.append((src, reader.name, known))
                else:
                    ahead.append(pool.submit(look, src, reader.name))
            if not ahead:
                return
            first = ahead.popleft()
            yield first.result() if isinstance(first, Future) else look(*first)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
