#!/usr/bin/env python3
"""`trajdiv analyze` on real SWE-bench steps at benchmark scale, against raw tiktoken on one core.

For each scale (1x = 100 tasks x 3 models x 5 runs, built by ``make_real_corpus.py``; 10x = 1,000
tasks) it measures, side by side in this one run and ``--repeat`` times over (the machine's
speed drifts: every figure is given as min / median / max over the repetitions):

* raw ``tiktoken`` ``encode_ordinary`` of every step's thought + action and observation, on ONE
  core, timed before the first repetition and after each one; a repetition's reference is the
  mean of the raw timings just before and just after it;
* ``trajdiv analyze -j 2`` with an empty cache (cold): wall time, its ratio to raw tiktoken, and
  the peak memory of the whole process tree;
* the unchanged re-run into the same folder, and the re-run after adding 1% new runs (new task
  files, as a new batch of a benchmark would arrive), both as ratios of the cold run.

Then the projection to 60,000 runs, from the per-run slope between the smallest and largest
scale (median repetition) and the fixed cost that the fit leaves.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from bench_scale import raw_tiktoken, run_measured
from make_real_corpus import make_real_corpus
from trajdiv.tokens import agent_piece

PROJECT_RUNS = 60_000


def corpus_texts(corpus: Path) -> list[str]:
    """The exact pieces of text trajdiv tokenizes for every run of the corpus (JSONL export)."""
    texts = []
    for f in sorted(corpus.glob("*.jsonl")):
        for line in f.read_text("utf-8").splitlines()[1:]:
            steps = json.loads(line)["steps"]
            texts.extend(agent_piece(s["thought"], s["action"]) for s in steps)
            texts.extend(f"{s['observation']}\n" for s in steps)
    return texts


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """``median (min-max)`` of the repetitions."""
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def measure_scale(work: Path, scale: int, jobs: int, repeat: int) -> dict[str, list[float]]:
    """Every figure of one scale, one list entry per repetition."""
    tasks = 100 * scale
    corpus = work / f"real-{scale}x"
    shutil.rmtree(corpus, ignore_errors=True)  # files another run of this script added
    n = make_real_corpus(corpus, tasks)
    size_mb = sum(f.stat().st_size for f in corpus.glob("*.jsonl")) / 1e6
    texts = corpus_texts(corpus)
    exe = [sys.executable, "-m", "trajdiv", "analyze"]
    t_raw, n_tok = raw_tiktoken(texts, 1)
    print(
        f"\n{scale}x: {n} runs, {size_mb:.0f} MB of JSON, {n_tok / 1e6:.1f} M tokens; raw tiktoken {t_raw:.2f} s"
    )
    figs: dict[str, list[float]] = {k: [] for k in ("raw", "cold", "mem", "same", "more", "mem_more")}
    before = set(corpus.glob("*.jsonl"))
    for rep in range(1, repeat + 1):
        for f in set(corpus.glob("*.jsonl")) - before:  # the previous repetition's additions
            f.unlink()
        out, cache = work / f"out-{scale}x", work / f"cache-{scale}x"
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        cmd = [*exe, str(corpus), "-o", str(out), "-j", str(jobs), "-q", "--cache-dir", str(cache)]
        t_cold, mem_cold = run_measured(cmd)
        t_same, _ = run_measured(cmd)
        added = make_real_corpus(corpus, max(1, tasks // 100), seed=1, first_task=tasks)
        t_more, mem_more = run_measured(cmd)
        runs_after = json.loads((out / "manifest.json").read_text("utf-8"))["summary"]["runs"]
        if runs_after != n + added:  # the re-run must have taken the new runs in
            raise SystemExit(f"the +1% re-run analysed {runs_after} runs, not {n + added}")
        t_after, _ = raw_tiktoken(texts, 1)
        ref = (t_raw + t_after) / 2
        t_raw = t_after
        for k, v in (
            ("raw", ref),
            ("cold", t_cold),
            ("mem", mem_cold),
            ("same", t_same),
            ("more", t_more),
            ("mem_more", mem_more),
        ):
            figs[k].append(v)
        print(
            f"  repetition {rep}: raw {ref:6.2f} s  cold {t_cold:6.2f} s (ratio {t_cold / ref:.2f}, "
            f"{mem_cold:.0f} MB)  unchanged {t_same:5.2f} s ({t_same / t_cold:.3f})  "
            f"+{added} runs {t_more:6.2f} s ({t_more / t_cold:.3f}, {mem_more:.0f} MB)"
        )
    figs["runs"] = [float(n)]
    figs["added"] = [float(added)]
    return figs


def report(scale: int, f: dict[str, list[float]]) -> None:
    ratio = [c / r for c, r in zip(f["cold"], f["raw"], strict=True)]
    same = [s / c for s, c in zip(f["same"], f["cold"], strict=True)]
    more = [m / c for m, c in zip(f["more"], f["cold"], strict=True)]
    n = int(f["runs"][0])
    print(f"\n{scale}x ({n} runs), median (min-max) of {len(ratio)} repetition(s):")
    print(f"  raw tiktoken, 1 core:      {spread(f['raw'])} s")
    print(
        f"  analyze, cold:             {spread(f['cold'])} s   ratio to raw tiktoken {spread(ratio)}  (target <= 1.0)"
    )
    print(f"  unchanged re-run:          {spread(f['same'])} s   ratio to cold {spread(same, '{:.3f}')}")
    print(
        f"  +{int(f['added'][0])} runs ({100 * f['added'][0] / n:.1f}%) re-run: {spread(f['more'])} s   "
        f"ratio to cold {spread(more, '{:.3f}')}  (target <= 0.10)"
    )
    mem = f["mem"] + f["mem_more"]
    print(f"  peak RSS of the process tree: {spread(mem, '{:.0f}')} MB  (target < 1500)")


def project(results: dict[int, dict[str, list[float]]]) -> None:
    """60,000 runs from the slope between the smallest and largest scale, for each repetition."""
    lo, hi = min(results), max(results)
    if lo == hi:
        return
    a, b = results[lo], results[hi]
    na, nb = a["runs"][0], b["runs"][0]
    print(f"\nprojection to {PROJECT_RUNS:,} runs (slope between {lo}x and {hi}x, per repetition pair):")
    for key, name in (("cold", "analyze, cold"), ("raw", "raw tiktoken, 1 core"), ("more", "+1% re-run")):
        slopes = [(tb - ta) / (nb - na) for ta, tb in zip(sorted(a[key]), sorted(b[key]), strict=False)]
        fixed = [tb - s * nb for s, tb in zip(slopes, sorted(b[key]), strict=False)]
        minutes = [(f + s * PROJECT_RUNS) / 60 for s, f in zip(slopes, fixed, strict=True)]
        per_run = [1000 * s for s in slopes]
        print(
            f"  {name:22s} {spread(per_run)} ms per run + {spread(fixed, '{:.1f}')} s fixed: "
            f"{spread(minutes, '{:.1f}')} min"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scales", default="1,10", help="corpus sizes as multiples of 100 tasks per model")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers of trajdiv analyze")
    p.add_argument("--repeat", type=int, default=3, help="repetitions of every measurement")
    p.add_argument("--workdir", type=Path, default=None)
    a = p.parse_args()
    work = a.workdir or Path(tempfile.mkdtemp(prefix="trajdiv-bench-real-"))
    # trajdiv as installed: a regular install compiles its bytecode, the editable one does not
    compileall.compile_dir(HERE.parent / "src", quiet=1)
    print(
        f"machine: {os.cpu_count()} cores; trajdiv analyze -j {a.jobs}; raw tiktoken on 1 core; workdir {work}"
    )
    results = {}
    for scale in (int(x) for x in a.scales.split(",")):
        results[scale] = measure_scale(work, scale, a.jobs, a.repeat)
    for scale, figs in results.items():
        report(scale, figs)
    project(results)


if __name__ == "__main__":
    main()
