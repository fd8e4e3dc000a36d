#!/usr/bin/env python3
"""End-to-end scale benchmark: `trajdiv analyze` on synthetic corpora of realistic run size.

For each corpus size (1x and 10x by default) it writes a corpus with the demo generator, then
measures in this one run:

* the whole pipeline (`trajdiv analyze`, plots and report included) with a fresh cache:
  runs/s, tokens/s, peak resident memory of the whole process tree;
* raw tiktoken encoding of exactly the text the pipeline tokenizes, on the same number of cores
  (the floor); the pipeline's throughput as a ratio of it;
* the re-run on the unchanged corpus with the warm cache, as a ratio of the first run;
* time per run and peak memory at each size (scaling).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SHELL_ENV = dict(os.environ)
"""The environment this script was started with. Importing polars (below, through trajdiv)
writes polars' allocator defaults into ``os.environ`` (``_RJEM_MALLOC_CONF``, freed pages kept for
0.5 s); a measured command gets the environment a shell would give it, so that it runs with
trajdiv's own allocator setting, as the ``trajdiv`` command does."""

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from make_demo import make_corpus
from trajdiv.tokens import agent_piece, get_encoding


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants (kB), from /proc."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak tree RSS (MB) of a command."""
    peak = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=SHELL_ENV)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    done.set()
    th.join()
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return wall, peak / 1024


def corpus_texts(corpus: Path) -> list[str]:
    """The exact pieces of text trajdiv tokenizes for every run of the corpus."""
    texts = []
    for f in sorted(corpus.glob("results_*/*.json")):
        for run in json.loads(f.read_text())["runs"]:
            steps = run["steps"]
            texts.extend(agent_piece(s["thought"], s["action"]) for s in steps)
            texts.extend(f"{s['observation']}\n" for s in steps)
    return texts


def raw_tiktoken(texts: list[str], jobs: int) -> tuple[float, int]:
    """Seconds and tokens of tiktoken encoding ``texts`` on ``jobs`` threads (it releases the GIL)."""
    enc = get_encoding()
    enc.encode_ordinary("warm up")
    chunks = [texts[i::jobs] for i in range(jobs)]

    def work(chunk: list[str]) -> int:
        return sum(len(enc.encode_ordinary(t)) for t in chunk)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        n = sum(pool.map(work, chunks))
    return time.perf_counter() - t0, n


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=int, default=10, help="tasks per configuration at 1x")
    p.add_argument("--runs", type=int, default=5, help="runs per task")
    p.add_argument("--configs", type=int, default=3)
    p.add_argument("--steps", type=int, default=40, help="steps per run (real SWE-bench runs: 30-60)")
    p.add_argument("--obs-chars", type=int, default=3500, help="characters per observation")
    p.add_argument("--scales", default="1,10", help="corpus sizes as multiples of --tasks")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--workdir", type=Path, default=None)
    a = p.parse_args()
    work = a.workdir or Path(tempfile.mkdtemp(prefix="trajdiv-bench-"))
    exe = [sys.executable, "-m", "trajdiv", "analyze"]
    print(f"machine: {os.cpu_count()} cores; jobs {a.jobs}; workdir {work}")
    rows = []
    for scale in (int(x) for x in a.scales.split(",")):
        corpus = work / f"corpus-{scale}x"
        counts = make_corpus(
            corpus,
            tasks=a.tasks * scale,
            runs=a.runs,
            configs=a.configs,
            steps=a.steps,
            obs_chars=a.obs_chars,
            seed=scale,
        )
        size_mb = sum(f.stat().st_size for f in corpus.rglob("*.json")) / 1e6
        texts = corpus_texts(corpus)
        t_raw_before, n_tok = raw_tiktoken(texts, a.jobs)
        cache = work / f"cache-{scale}x"
        cmd = [
            *exe,
            str(corpus),
            "-o",
            str(work / f"out-{scale}x"),
            "-j",
            str(a.jobs),
            "-q",
            "--cache-dir",
            str(cache),
        ]
        t_first, mem_first = run_measured(cmd)
        t_cached, mem_cached = run_measured(cmd)
        # the machine's speed drifts; tiktoken timed on both sides of the pipeline runs
        t_raw_after, _ = raw_tiktoken(texts, a.jobs)
        t_raw = (t_raw_before + t_raw_after) / 2
        n = counts["runs"]
        rows.append((scale, n, size_mb, n_tok, t_raw, t_first, mem_first, t_cached, mem_cached))
        print(
            f"\n{scale}x: {n} runs, {size_mb:.0f} MB of JSON, {n_tok / 1e6:.1f} M tokens "
            f"({n_tok / n:,.0f} per run)"
        )
        print(
            f"  raw tiktoken, {a.jobs} threads:   {t_raw:7.2f} s   {n_tok / t_raw / 1e6:6.2f} M tokens/s  "
            f"(mean of {t_raw_before:.2f} s before and {t_raw_after:.2f} s after)"
        )
        print(
            f"  trajdiv analyze, first run:  {t_first:7.2f} s   {n_tok / t_first / 1e6:6.2f} M tokens/s   "
            f"{n / t_first:6.1f} runs/s   peak RSS {mem_first:6.0f} MB"
        )
        print(f"  throughput ratio to raw tiktoken: {t_raw / t_first:.2f}")
        print(
            f"  cached re-run:               {t_cached:7.2f} s   ratio to first {t_cached / t_first:.3f}   "
            f"peak RSS {mem_cached:6.0f} MB"
        )
    if len(rows) > 1:
        import numpy as np

        base = rows[0]
        ns = np.array([r[1] for r in rows], dtype=float)
        ts = np.array([r[5] for r in rows])
        slope, fixed = np.polyfit(ns, ts, 1)  # t = fixed + slope * runs
        raw_per_run = np.mean([r[4] / r[1] for r in rows])
        print(
            f"\nscaling: time = {fixed:.2f} s (start-up, statistics, plots, report) + "
            f"{1000 * slope:.2f} ms per run; raw tiktoken {1000 * raw_per_run:.2f} ms per run, so at scale the "
            f"pipeline runs at {raw_per_run / slope:.2f} of raw tiktoken throughput"
        )
        for scale, n, _, _, _, t_first, mem, _, _ in rows:
            net = (t_first - fixed) / n
            print(
                f"  {scale:3d}x  {1000 * t_first / n:7.1f} ms/run overall ({t_first / n / (base[5] / base[1]):.2f} of 1x), "
                f"{1000 * net:6.2f} ms/run beyond the fixed part ({net / slope:.2f} of the fitted slope), "
                f"peak {mem:5.0f} MB"
            )
        print(f"\nprojected for 60,000 runs of this size: {(fixed + 60000 * slope) / 60:.1f} min")


if __name__ == "__main__":
    main()
