#!/usr/bin/env python3
"""Big inputs: peak memory of `trajdiv ingest` on one big dump file, and archives of many members.

Builds single files of about ``--mb`` MB from the real dumps in ``../shared/realdata``, in the
formats that hold many runs in one file, and measures the peak resident memory of the whole
process tree (main process and workers) reading each with an empty cache:

* a trajdiv JSONL export (real SWE-bench runs repeated under new task ids);
* a tau-bench result list (the real tau-bench entries repeated under new task ids);
* an agent-consistency ``runs[]`` file of many tasks' runs is not a layout that exists (one file
  holds one task), so that format is measured with one task of many runs: every run is in the
  same group, which pass 2 holds at once.

Then archives of many small members (tar.gz of 1,000 and 2,000, zip of 4,000): `trajdiv
ingest` time per member, which stays flat when each archive is opened once.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from bench_scale import run_measured
from trajdiv.ingest import read_runs
from trajdiv.ingest._jsonl import EXPORT_HEADER

REAL = HERE.parent.parent / "shared" / "realdata"


def _fill(path: Path, head: str, sep: str, tail: str, items: list[str], mb: float) -> int:
    """Write ``head item sep item ... tail`` with items cycled until the file reaches ``mb``."""
    n, size = 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(head)
        while size < mb * 1e6:
            text = items[n % len(items)].replace("@N@", str(n))
            fh.write((sep if n else "") + text)
            size += len(text.encode()) + len(sep)
            n += 1
        fh.write(tail)
    return n


def make_jsonl(path: Path, mb: float) -> int:
    runs = read_runs([REAL / "agent-consistency" / "swe-bench"]).runs
    items = []
    for r in runs:
        d = r.to_dict()
        d["task_id"] = f"{r.task_id}__big@N@"
        items.append(json.dumps(d, ensure_ascii=False))
    return _fill(path, json.dumps(EXPORT_HEADER) + "\n", "\n", "\n", items, mb)


def make_tau(path: Path, mb: float) -> int:
    entries = json.loads(next((REAL / "tau-bench").rglob("*.json")).read_text("utf-8"))
    items = [json.dumps({**e, "task_id": "@N@"}, ensure_ascii=False).replace('"@N@"', "@N@") for e in entries]
    return _fill(path, "[", ",\n", "]\n", items, mb)


def make_ac(path: Path, mb: float) -> int:
    src = next((REAL / "agent-consistency" / "swe-bench").rglob("results_*/*.json"))
    doc = json.loads(src.read_text("utf-8"))
    runs = doc.pop("runs")
    items = [json.dumps({**r, "run_id": "run_@N@"}, ensure_ascii=False) for r in runs]
    head = json.dumps(doc, ensure_ascii=False)[:-1] + ', "runs": ['
    return _fill(path, head, ",\n", "]}\n", items, mb)


def make_archive(path: Path, members: int) -> None:
    """An archive of ``members`` small JSONL exports (one short real run each)."""
    run = read_runs([REAL / "agent-consistency" / "swe-bench"]).runs[0]
    d = run.to_dict()
    d["steps"] = d["steps"][:3]
    texts = []
    for i in range(members):
        d["task_id"] = f"task{i:05d}"
        texts.append(
            (f"dump/t{i:05d}.jsonl", (json.dumps(EXPORT_HEADER) + "\n" + json.dumps(d) + "\n").encode())
        )
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in texts:
                zf.writestr(name, data)
        return
    with tarfile.open(path, "w:gz") as tf:
        for name, data in texts:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def bench_archives(work: Path, jobs: int) -> None:
    for members, name in ((1000, "a1000.tar.gz"), (2000, "a2000.tar.gz"), (4000, "a4000.zip")):
        path = work / "archives" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        make_archive(path, members)
        out = work / f"out-{name}"
        t, peak = run_measured(
            [
                sys.executable,
                "-m",
                "trajdiv",
                "ingest",
                str(path),
                "-o",
                str(out),
                "--no-cache",
                "-q",
                "-j",
                str(jobs),
            ]
        )
        print(
            f"{name:14s} {members:5d} members  ingest {t:6.2f} s  ({1000 * t / members:.2f} ms a member)  peak RSS {peak:.0f} MB"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mb", type=float, default=400.0, help="size of each file (MB)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--analyze", action="store_true", help="also measure `trajdiv analyze` on each file")
    a = p.parse_args()
    work = a.workdir or Path(tempfile.mkdtemp(prefix="trajdiv-bench-mem-"))
    print(f"machine: {os.cpu_count()} cores; -j {a.jobs}; workdir {work}")
    bench_archives(work, a.jobs)
    for name, make, sub in (
        ("jsonl export", make_jsonl, "export/runs.jsonl"),
        ("tau-bench list", make_tau, "tau/gpt-4o-tool-calling-airline.json"),
        ("agent-consistency, one task", make_ac, "ac/results_big/task.json"),
    ):
        path = work / sub
        path.parent.mkdir(parents=True, exist_ok=True)
        n = make(path, a.mb)
        size = path.stat().st_size / 1e6
        commands = ["ingest", *(["analyze"] if a.analyze else [])]
        for cmd in commands:
            out = work / f"out-{cmd}-{path.stem}"
            t, peak = run_measured(
                [
                    sys.executable,
                    "-m",
                    "trajdiv",
                    cmd,
                    str(path.parent),
                    "-o",
                    str(out),
                    "--no-cache",
                    "-q",
                    "-j",
                    str(a.jobs),
                ]
            )
            print(
                f"{name:28s} {n:6d} runs {size:6.0f} MB  {cmd:8s} {t:7.1f} s  peak RSS {peak:6.0f} MB "
                f"({peak / size:.2f} x the file)"
            )


if __name__ == "__main__":
    main()
