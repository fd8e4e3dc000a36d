"""Where per-item work runs: in this process, in a local process pool, or on a Ray cluster.

Every engine yields results in the order of its inputs, so outputs do not depend on the number
of workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from trajdiv._errors import UsageError

__all__ = ["ENGINES", "default_jobs", "map_ordered"]

T = TypeVar("T")
R = TypeVar("R")

ENGINES = ("local", "ray")


def default_jobs() -> int:
    """The machine's usable cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


_STATE: dict[str, Any] = {}


def _init_worker(init: Callable[..., None] | None, init_args: tuple[Any, ...]) -> None:
    if init is not None:
        init(*init_args)


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int = 1,
    engine: str = "local",
    address: str | None = None,
    init: Callable[..., None] | None = None,
    init_args: tuple[Any, ...] = (),
    window: int = 64,
) -> Iterator[R]:
    """Apply ``fn`` to ``items``, yielding results in input order.

    ``init(*init_args)`` runs once in every worker (and here, for ``jobs == 1``) before any item.
    At most ``window`` items per worker are in flight, so memory stays bounded.
    """
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}")
    if engine == "ray":
        yield from _map_ray(fn, items, address, init, init_args, window * max(jobs, 1))
        return
    if jobs <= 1:
        if init is not None:
            init(*init_args)
        for item in items:
            yield fn(item)
        return
    ctx = mp.get_context("spawn")  # fork is unsafe once polars' thread pool exists
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(init, init_args)) as pool:
        pending: deque[Any] = deque()
        it = iter(items)
        for item in it:
            pending.append(pool.apply_async(fn, (item,)))
            if len(pending) >= window * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _map_ray(
    fn: Callable[[T], R],
    items: Iterable[T],
    address: str | None,
    init: Callable[..., None] | None,
    init_args: tuple[Any, ...],
    window: int,
) -> Iterator[R]:
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs the optional extra: pip install 'trajdiv[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)

    def run_one(item: Any, init_fn: Any, args: Any) -> Any:
        key = "ray-init"
        if init_fn is not None and _STATE.get(key) != args:
            init_fn(*args)
            _STATE[key] = args
        return fn(item)

    task: Any = ray.remote(run_one)

    pending: deque[Any] = deque()
    for item in items:
        pending.append(task.remote(item, init, init_args))
        if len(pending) >= window:
            yield ray.get(pending.popleft())
    while pending:
        yield ray.get(pending.popleft())
