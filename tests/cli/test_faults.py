"""File-system faults and hostile names: one line on stderr and a documented exit code."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import write_ac_dump
from trajdiv.cli import main


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    d = tmp_path / "dump"
    write_ac_dump(d, "m", {"t1": [["ls", "cat a"], ["ls", "pwd"]], "t2": [["grep x"], ["grep y"]]})
    return d


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("trajdiv: error:")
    assert "Traceback" not in err
    return lines[0]


def test_output_that_is_a_file(tmp_path: Path, dump: Path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["ingest", str(dump), "-o", str(f), "--no-cache"]) == 1
    assert "is a file, not a folder" in _one_error_line(capsys.readouterr().err)


def test_output_that_cannot_be_created(dump: Path, capsys):
    assert main(["ingest", str(dump), "-o", "/proc/trajdiv-cannot-be-here", "--no-cache"]) == 1
    assert "cannot be written" in _one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("kind", ["file", "uncreatable"])
def test_bad_cache_folder(tmp_path: Path, dump: Path, capsys, kind: str):
    cache = tmp_path / "cache-file" if kind == "file" else Path("/proc/trajdiv-cache")
    if kind == "file":
        cache.write_text("x")
    assert main(["ingest", str(dump), "-o", str(tmp_path / "o"), "--cache-dir", str(cache)]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "cache folder" in line
    assert "--no-cache" in line


def test_disk_full_while_writing_is_one_line(tmp_path: Path, dump: Path, capsys, monkeypatch):
    import trajdiv._io

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(trajdiv._io, "atomic_write_bytes", full)
    assert main(["ingest", str(dump), "-o", str(tmp_path / "o"), "--no-cache", "-j", "1"]) == 1
    assert "No space left on device" in _one_error_line(capsys.readouterr().err)


def test_broken_pipe_is_quiet():
    proc = subprocess.run(
        f"{sys.executable} -m trajdiv schema | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout.strip() == "**runs**"
    assert proc.stderr == ""


def test_plot_on_a_damaged_results_folder(tmp_path: Path, dump: Path, capsys):
    out = tmp_path / "o"
    assert main(["analyze", str(dump), "-o", str(out), "--no-cache", "-j", "1", "-q"]) == 0
    (out / "pass_k.parquet").write_bytes(b"PAR1 not really")
    capsys.readouterr()
    assert main(["plot", "passk", str(out)]) == 1
    assert "damaged analysis output" in _one_error_line(capsys.readouterr().err)
    (out / "pass_k.parquet").unlink()
    assert main(["plot", "passk", str(out)]) == 1
    assert "missing" in _one_error_line(capsys.readouterr().err)


def test_control_characters_in_names_are_escaped(tmp_path: Path, capsys):
    d = tmp_path / "dump"
    evil = "evil\x1b]0;owned\x07\ntrajdiv: all good"
    write_ac_dump(d, evil, {"t1": [["ls"], ["pwd"]]}, model=evil)
    bad = d / "results_x" / "broken\x1b[2J.json"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text('{"task_id": "t9", "model": "m", "runs": [')
    code = main(["analyze", str(d), "-o", str(tmp_path / "o"), "--no-cache", "-j", "1"])
    assert code == 3
    cap = capsys.readouterr()
    for stream in (cap.out, cap.err):
        assert "\x1b" not in stream
        assert "\x07" not in stream
    assert "\\x1b[2J" in cap.err
    assert not [ln for ln in cap.out.splitlines() if ln.startswith("trajdiv: all good")]


def test_long_and_colliding_task_ids_get_their_own_files(tmp_path: Path):
    d = tmp_path / "dump"
    ids = ["dup<1", "dup>1", "x" * 300, "x" * 299 + "y", "任务" * 45]
    write_ac_dump(d, "m", {t: [["ls", "cat a"], ["ls", "pwd"]] for t in ids})
    out = tmp_path / "o"
    assert main(["analyze", str(d), "-o", str(out), "--no-cache", "-j", "1", "-q"]) == 0
    files = sorted(p for p in (out / "graphs").rglob("*.json") if "_across" not in p.parts)
    assert len(files) == len(ids)
    assert all(len(p.name.encode()) <= 255 for p in files)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["configs"][0]["n_tasks"] == len(ids)


@pytest.mark.parametrize("command", ["schema", "formats", "--help"])
def test_output_to_a_closed_pipe_is_quiet(command: str):
    """The reader is gone before the command writes: every command, the listing ones too, ends
    with exit 0 and nothing on stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "trajdiv", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the interpreter has started: the first write meets a closed pipe
    _, err = proc.communicate(timeout=60)
    assert err == b""
    assert proc.returncode == 0
