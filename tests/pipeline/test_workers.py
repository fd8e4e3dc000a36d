"""Worker processes: errors come back once, dead workers are an error, Ctrl-C ends the run at
once, and the README's Python example runs as a plain script."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REALDATA, ROOT, need_realdata
from trajdiv._errors import UsageError
from trajdiv.pipeline._engine import ONE_THREAD, WorkerError, WorkerPool, map_ordered


def _square(x: int) -> int:
    return x * x


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise UsageError("three is not allowed")
    return x


def _die_on_two(x: int) -> int:
    if x == 2:
        os._exit(9)
    return x


def _bad_init() -> None:
    raise UsageError("the encoding cannot be loaded")


def _broken_init() -> None:
    raise RuntimeError("boom")


def _thread_settings(_: int) -> list[str | None]:
    return [os.environ.get(name) for name in ONE_THREAD]


def _slow_square(x: int) -> int:
    time.sleep(x)
    return x * x


def test_workers_do_linear_algebra_on_one_thread_unless_the_user_chose(monkeypatch: pytest.MonkeyPatch):
    for name in ONE_THREAD:
        monkeypatch.delenv(name, raising=False)
    assert list(map_ordered(_thread_settings, range(2), jobs=2)) == [["1"] * len(ONE_THREAD)] * 2
    assert all(name not in os.environ for name in ONE_THREAD)  # the parent's as it was
    monkeypatch.setenv(ONE_THREAD[0], "3")
    chosen = ["3"] + ["1"] * (len(ONE_THREAD) - 1)
    assert list(map_ordered(_thread_settings, range(2), jobs=2)) == [chosen] * 2
    assert os.environ[ONE_THREAD[0]] == "3"
    assert all(name not in os.environ for name in ONE_THREAD[1:])


def test_results_in_input_order_with_workers():
    assert list(map_ordered(_square, range(20), jobs=2, window=2)) == [x * x for x in range(20)]


def test_idle_workers_end_at_once_and_busy_ones_finish_their_tasks():
    """Closing a pool whose tasks are all done ends its workers at once (they hold nothing);
    a task still running when the pool is closed finishes, and its workers exit by themselves."""
    idle = WorkerPool(2)
    assert idle.submit(_square, 3)() == 9
    processes = list(idle.pool._processes.values())
    idle.close()
    assert [p.exitcode for p in processes] == [-signal.SIGTERM] * len(processes)
    busy = WorkerPool(2)
    busy.warm()
    result = busy.submit(_slow_square, 1)
    processes = list(busy.pool._processes.values())
    busy.close()
    assert result() == 1
    assert [p.exitcode for p in processes] == [0] * len(processes)


def test_task_error_is_raised_once():
    with pytest.raises(UsageError, match="three is not allowed"):
        list(map_ordered(_fail_on_three, range(10), jobs=2))


@pytest.mark.parametrize(
    ("init", "error", "message"), [(_bad_init, UsageError, "encoding"), (_broken_init, WorkerError, "boom")]
)
def test_failing_initializer_is_one_error_not_a_respawn_loop(init, error, message):
    start = time.perf_counter()
    with pytest.raises(error, match=message):
        list(map_ordered(_square, range(100), jobs=2, setup=init))
    assert time.perf_counter() - start < 30


def test_dead_worker_is_an_error():
    with pytest.raises(WorkerError, match="died"):
        list(map_ordered(_die_on_two, range(10), jobs=2))


def test_unloadable_encoding_with_workers_is_one_line(tmp_path: Path):
    need_realdata()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "trajdiv",
            "analyze",
            str(REALDATA / "tau-bench"),
            "-o",
            str(tmp_path / "o"),
            "--no-cache",
            "-j",
            "2",
            "--encoding",
            "no_such_encoding",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("trajdiv: error:")


@pytest.mark.parametrize("when", ["reading", "statistics"])
def test_ctrl_c_ends_the_run_at_once(tmp_path: Path, when: str):
    """Ctrl-C while the files are read (0.8 s in), and once the tables are written (the
    manifest is there) while the workers compute the statistics."""
    need_realdata()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trajdiv",
            "analyze",
            str(REALDATA),
            "-o",
            str(tmp_path / "o"),
            "--no-cache",
            "-j",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    if when == "reading":
        time.sleep(0.8)
    else:
        deadline = time.perf_counter() + 120
        while not (tmp_path / "o" / "manifest.json").exists() and proc.poll() is None:
            if time.perf_counter() > deadline:
                break
            time.sleep(0.01)
    sent = time.perf_counter()
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the run (or a worker holding its output) did not end after Ctrl-C")
    elapsed = time.perf_counter() - sent
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err  # one line, and no warning of the ended workers' queues
    assert elapsed < 2.0


def test_readme_python_example_runs_as_a_plain_script(tmp_path: Path):
    need_realdata()
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Using trajdiv from Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    assert "__main__" not in code.group(1)
    assert "jobs=2" in code.group(1)
    script = tmp_path / "example.py"
    script.write_text(code.group(1).replace('Path("out")', f"Path({str(tmp_path / 'out')!r})"))
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "Pass1Estimate(mean=0.58," in proc.stdout


def test_one_set_of_workers_serves_both_passes_and_the_statistics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """An analysis with -j 2 starts its worker processes once: files, groups and the
    early-warning models all run in them, and the outputs equal those of -j 1."""
    from tests.helpers import write_ac_dump
    from trajdiv import analyze
    from trajdiv.pipeline import _engine

    pools = []
    real = _engine._new_pool

    def counting(jobs: int, setup: object) -> object:
        pools.append(jobs)
        return real(jobs, setup)  # type: ignore[arg-type]

    monkeypatch.setattr(_engine, "_new_pool", counting)
    dump = tmp_path / "dump"
    tasks = {f"t{i}": [["ls", "cat a", f"edit {j}"] for j in range(3)] for i in range(6)}
    write_ac_dump(dump, "m", tasks)
    write_ac_dump(tmp_path / "dump2", "n", tasks)
    two = analyze([dump, tmp_path / "dump2"], tmp_path / "two", jobs=2, cache_dir=None)
    assert pools == [2]
    one = analyze([dump, tmp_path / "dump2"], tmp_path / "one", jobs=1, cache_dir=None)
    assert two.summary == one.summary
    for f in (tmp_path / "one").glob("*.parquet"):
        assert f.read_bytes() == (tmp_path / "two" / f.name).read_bytes(), f.name
