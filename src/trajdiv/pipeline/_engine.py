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
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from trajdiv._errors import TrajdivError, UsageError

__all__ = [
    "ENGINES",
    "ONE_THREAD",
    "RAY_SUBMIT",
    "WorkerError",
    "WorkerPool",
    "default_jobs",
    "map_ordered",
    "stop_workers",
]

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
"""This process's worker state: what the ``setup`` of :func:`map_ordered` made (``"state"``), or
the error it raised (``"setup-error"``); the engine's, not its callers'."""


class WorkerError(TrajdivError):
    """A worker process could not start or died (killed, out of memory, crashed)."""


def _exit_with_parent() -> None:
    parent = mp.parent_process()
    if parent is not None:
        parent.join()
        os._exit(1)


def _init_worker(setup: Callable[[], Any] | None) -> None:
    # A worker whose parent is gone (killed, or stopped before it could end its workers) ends.
    threading.Thread(target=_exit_with_parent, name="trajdiv-parent-watch", daemon=True).start()
    _setup(setup)


def _setup(setup: Callable[[], Any] | None, token: str | None = None) -> None:
    # A setup that raises would leave the pool without workers; keep the error and raise it
    # from the first task instead, where the parent sees it as one error.
    _STATE.clear()
    _STATE["token"] = token
    if setup is None:
        return
    try:
        _STATE["state"] = setup()
    except TrajdivError as exc:
        _STATE["setup-error"] = exc
    except Exception as exc:
        _STATE["setup-error"] = WorkerError(f"a worker could not start: {type(exc).__name__}: {exc}")


def _call(fn: Callable[..., R], item: Any) -> R:
    error = _STATE.get("setup-error")
    if error is not None:
        raise error
    return fn(_STATE["state"], item) if "state" in _STATE else fn(item)


@contextlib.contextmanager
def _quiet_spawn() -> Iterator[None]:
    """Start worker processes that ignore Ctrl-C and do not re-run the main script.

    The parent alone handles Ctrl-C (and stops the workers); a child that inherited a default
    SIGINT handler would print a traceback. Worker code lives in trajdiv's modules, so the
    child has no need of ``__main__``: hiding it lets a plain script without an
    ``if __name__ == "__main__":`` guard call trajdiv's API with several jobs.

    A worker's linear algebra runs on one thread (:data:`ONE_THREAD`, unless the user set
    them): the workers are trajdiv's parallelism, and a BLAS library's own threads in each of
    them only add to the processes competing for the cores.
    """
    unset = [name for name in ONE_THREAD if name not in os.environ]
    # Blocked, not ignored: a Ctrl-C that arrives meanwhile is delivered to the parent on
    # unblocking. The child inherits the blocked mask through exec and never sees SIGINT.
    blocked = threading.current_thread() is threading.main_thread() and hasattr(signal, "pthread_sigmask")
    if blocked:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    old_main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        os.environ.update(dict.fromkeys(unset, "1"))
        yield
    finally:
        if old_main is not None:
            sys.modules["__main__"] = old_main
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        for name in unset:
            os.environ.pop(name, None)


ONE_THREAD = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")
"""The thread counts of the BLAS libraries numpy may be built with: OpenBLAS (numpy's wheels),
MKL, and OpenMP builds. Measured: the early-warning models of a +1% re-run at 10x took 4.6 s
of CPU with OpenBLAS's own threads and 2.7 s without, in the same time."""


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


class WorkerPool:
    """Local worker processes kept for several :func:`map_ordered` calls with the same
    ``setup`` (the passes of one run), so that workers start, import and set up once.
    Started at the first task; :meth:`close` ends them."""

    def __init__(self, jobs: int, setup: Callable[[], Any] | None = None) -> None:
        self.jobs, self.setup = jobs, setup
        self._pool: ProcessPoolExecutor | None = None

    def bind(self, setup: Callable[[], Any]) -> None:
        """Set up workers with ``setup`` (before they start; later, they keep theirs)."""
        if self._pool is None:
            self.setup = setup

    def warm(self) -> None:
        """Start every worker now: they import trajdiv and set up while this process goes on."""
        for _ in range(self.jobs):
            self.pool.submit(_ready)

    def submit(self, fn: Callable[..., R], *args: Any) -> Callable[[], R]:
        """Start ``fn(*args)`` (no worker state) in a worker; returns the call that waits for
        its result (an error there is raised by that call)."""
        future = self.pool.submit(fn, *args)
        return lambda: _result(future)

    @property
    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = _new_pool(self.jobs, self.setup)
        return self._pool

    def close(self, stop: bool = False) -> None:
        """End the workers: when idle, or at once (``stop``: an error or Ctrl-C)."""
        if self._pool is not None:
            if stop:
                _stop(self._pool)
            else:
                _end_idle(self._pool)
                self._pool.shutdown(wait=True)
            self._pool = None
            _SPAWNED[:] = [p for p in _SPAWNED if p.poll() is None]


def _end_idle(pool: ProcessPoolExecutor) -> None:
    """End the workers of ``pool`` at once when it has no task left: an idle worker holds
    nothing, and one that exits on its own first tears down its interpreter and heap (0.1 s,
    a twentieth of a small re-run). With tasks left (or a pool that does not say), they are
    let finish."""
    if getattr(pool, "_pending_work_items", None) != {}:
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError):
            process.terminate()


def _ready() -> None:
    """A task that does nothing: submitted to start a worker."""


def _new_pool(jobs: int, setup: Callable[[], Any] | None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(jobs, mp_context=_WorkerContext(), initializer=_init_worker, initargs=(setup,))


def map_ordered(
    fn: Callable[..., R],
    items: Iterable[Any],
    *,
    jobs: int = 1,
    engine: str = "local",
    address: str | None = None,
    setup: Callable[[], Any] | None = None,
    window: int = 64,
    workers: WorkerPool | None = None,
) -> Iterator[R]:
    """Apply ``fn`` to ``items``, yielding results in input order.

    Parameters
    ----------
    fn
        ``fn(item)``, or ``fn(state, item)`` when ``setup`` is given.
    items
        Consumed lazily: at most ``window`` items per worker are in flight, so memory stays
        bounded.
    jobs
        Worker processes (``1``: everything runs in this process).
    engine
        ``local`` (a process pool on this machine) or ``ray`` (tasks on a Ray cluster; ``fn``,
        ``setup`` and the items travel through Ray's object store, so they must be data, not
        paths on this machine's disk).
    address
        The Ray cluster to join (``ray://host:10001``, ``host:6379``); None starts or finds a
        local one.
    setup
        A picklable callable run once in every worker (and here, for ``jobs == 1``) before any
        item; what it returns is the ``state`` passed to ``fn``.
    workers
        Local worker processes to use (and keep running) instead of starting new ones; their
        own ``setup`` and number of processes apply.

    An error in a worker (or in its ``setup``) is raised here once; a worker that dies raises
    :class:`WorkerError`; on any error or Ctrl-C the workers are stopped at once.
    """
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}")
    if engine == "ray":
        yield from _map_ray(fn, items, address, setup, window * max(jobs, 1))
        return
    if jobs <= 1:
        state = setup() if setup is not None else None
        for item in items:
            yield fn(state, item) if setup is not None else fn(item)
        return
    pool = workers.pool if workers is not None else _new_pool(jobs, setup)
    try:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(_call, fn, item))
            if len(pending) >= window * jobs:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    except GeneratorExit:
        # closed by its consumer: kept workers stay unless tasks were left running
        if workers is None:
            _stop(pool)
        elif pending:
            workers.close(stop=True)
        raise
    except BaseException:
        if workers is None:
            _stop(pool)
        else:
            workers.close(stop=True)
        raise
    if workers is None:
        pool.shutdown(wait=True)
        _SPAWNED[:] = [p for p in _SPAWNED if p.poll() is None]


def _result(future: Future[R]) -> R:
    try:
        return future.result()
    except BrokenProcessPool:
        raise WorkerError(
            "a worker process died (killed, out of memory or crashed); run with -j 1 to see where"
        ) from None


RAY_SUBMIT: list[Callable[[Any, Any], None]] = []
"""Observers of every Ray task submitted: called with ``(item, setup)`` (tests check that no
task argument is a path on this machine's disk)."""


def _ray_task(fn: Callable[..., R], item: Any, setup: Callable[[], Any] | None, token: str) -> R:
    """One Ray task: the worker's state is made once per worker process and map call."""
    if _STATE.get("token") != token:
        _setup(setup, token)
    return _call(fn, item)


def _map_ray(
    fn: Callable[..., R],
    items: Iterable[Any],
    address: str | None,
    setup: Callable[[], Any] | None,
    window: int,
) -> Iterator[R]:
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs the optional extra: pip install 'trajdiv[ray]'") from None
    if address is not None and address.startswith("ray://"):
        # Ray Client: every task's data goes through the client connection, as intended here
        warnings.filterwarnings("ignore", "More than 10MB of messages", UserWarning, r"ray\.util\.client")
    if not ray.is_initialized():
        options: dict[str, Any] = (
            {} if address and address.startswith("ray://") else {"include_dashboard": False}
        )
        try:
            ray.init(address=address, log_to_driver=False, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UsageError(f"cannot reach the Ray cluster at {address or 'auto'}: {exc}") from None
    task: Any = ray.remote(max_retries=0)(_ray_task)
    setup_ref = ray.put(setup)  # sent once, not with every task
    token = os.urandom(8).hex()
    pending: deque[Any] = deque()
    for item in items:
        for observe in RAY_SUBMIT:
            observe(item, setup)
        pending.append(task.remote(fn, item, setup_ref, token))
        if len(pending) >= window:
            yield _ray_result(ray, pending.popleft())
    while pending:
        yield _ray_result(ray, pending.popleft())


def _ray_result(ray: Any, ref: Any) -> Any:
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None) or exc
        if isinstance(cause, TrajdivError):
            raise cause from None
        raise WorkerError(f"a Ray task failed: {type(cause).__name__}: {cause}") from None
    except ray.exceptions.RayError as exc:
        raise WorkerError(f"a Ray worker failed: {type(exc).__name__}: {exc}") from None
