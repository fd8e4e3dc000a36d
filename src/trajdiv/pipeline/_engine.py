"""Where per-item work runs: in this process, in a local process pool, or on a Ray cluster.

Every engine yields results in the order of its inputs, so outputs do not depend on the number
of workers.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from trajdiv._errors import TrajdivError, UsageError

__all__ = ["ENGINES", "WorkerError", "default_jobs", "map_ordered", "stop_workers"]

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


class WorkerError(TrajdivError):
    """A worker process could not start or died (killed, out of memory, crashed)."""


def _exit_with_parent() -> None:
    parent = mp.parent_process()
    if parent is not None:
        parent.join()
        os._exit(1)


def _init_worker(init: Callable[..., None] | None, init_args: tuple[Any, ...]) -> None:
    # A worker whose parent is gone (killed, or stopped before it could end its workers) ends.
    threading.Thread(target=_exit_with_parent, name="trajdiv-parent-watch", daemon=True).start()
    # An initializer that raises would leave the pool without workers; keep the error and
    # raise it from the first task instead, where the parent sees it as one error.
    _STATE.pop("init-error", None)
    if init is None:
        return
    try:
        init(*init_args)
    except TrajdivError as exc:
        _STATE["init-error"] = exc
    except Exception as exc:
        _STATE["init-error"] = WorkerError(f"a worker could not start: {type(exc).__name__}: {exc}")


def _call(fn: Callable[[T], R], item: T) -> R:
    error = _STATE.get("init-error")
    if error is not None:
        raise error
    return fn(item)


@contextlib.contextmanager
def _quiet_spawn() -> Iterator[None]:
    """Start worker processes that ignore Ctrl-C and do not re-run the main script.

    The parent alone handles Ctrl-C (and stops the workers); a child that inherited a default
    SIGINT handler would print a traceback. Worker code lives in trajdiv's modules, so the
    child has no need of ``__main__``: hiding it lets a plain script without an
    ``if __name__ == "__main__":`` guard call trajdiv's API with several jobs.
    """
    # Blocked, not ignored: a Ctrl-C that arrives meanwhile is delivered to the parent on
    # unblocking. The child inherits the blocked mask through exec and never sees SIGINT.
    blocked = threading.current_thread() is threading.main_thread() and hasattr(signal, "pthread_sigmask")
    if blocked:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    old_main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if old_main is not None:
            sys.modules["__main__"] = old_main
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


_SPAWNED: list[Any] = []
"""The worker processes this process started (their ``Popen`` handles)."""


class _WorkerProcess(mp.get_context("spawn").Process):  # type: ignore[misc]
    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 (multiprocessing's name)
        with _quiet_spawn():
            popen = mp.get_context("spawn").Process._Popen(process_obj)
            _SPAWNED.append(popen)  # before a pending Ctrl-C is delivered, so _stop can end it
        return popen


class _WorkerContext(type(mp.get_context("spawn"))):  # type: ignore[misc]
    Process = _WorkerProcess


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop at once: cancel what has not started and end the workers."""
    stop_workers()  # first: the workers end even if the pool's own shutdown stalls
    with contextlib.suppress(Exception):
        pool.shutdown(wait=False, cancel_futures=True)


def stop_workers() -> None:
    """End every worker process this process started, at once.

    ProcessPoolExecutor cannot end running tasks, and a worker started just before Ctrl-C may
    not be in its table yet, so the engine keeps its own list.
    """
    for popen in _SPAWNED:
        if popen.poll() is None:
            popen.terminate()
    _SPAWNED[:] = [p for p in _SPAWNED if p.poll() is None]


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
    At most ``window`` items per worker are in flight, so memory stays bounded. An error in a
    worker (or in its ``init``) is raised here once; a worker that dies raises
    :class:`WorkerError`; on any error or Ctrl-C the workers are stopped at once.
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
    pool = ProcessPoolExecutor(
        jobs, mp_context=_WorkerContext(), initializer=_init_worker, initargs=(init, init_args)
    )
    try:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(_call, fn, item))
            if len(pending) >= window * jobs:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    _SPAWNED[:] = [p for p in _SPAWNED if p.poll() is None]


def _result(future: Future[R]) -> R:
    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerError(
            "a worker process died (killed, out of memory or crashed); run with -j 1 to see where"
        ) from None


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
