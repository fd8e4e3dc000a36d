"""Graph files of tasks whose ids differ only in case stay apart on file systems that ignore
case (macOS, Windows)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import write_ac_dump
from trajdiv.cli import main


def test_task_ids_differing_in_case_get_distinct_files(tmp_path: Path):
    tasks = {t: [["ls", f"cat {t}"], ["ls", "pwd"]] for t in ("Task-1", "task-1", "TASK-1")}
    write_ac_dump(tmp_path / "d", "m", tasks)
    out = tmp_path / "o"
    assert main(["graph", str(tmp_path / "d"), "-o", str(out), "--no-cache", "-q", "-j", "1"]) == 0
    files = [p.relative_to(out).as_posix() for p in (out / "graphs").rglob("*.json")]
    assert len(files) == 3
    assert len({f.lower() for f in files}) == 3
