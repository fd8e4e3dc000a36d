#!/usr/bin/env python3
"""`trajdiv analyze` on real SWE-bench steps at benchmark scale, against raw tiktoken on one core.

For each scale (1x = 100 tasks x 3 models x 5 runs, built by ``make_real_corpus.py``) it measures
in this one run, side by side:

* raw ``tiktoken`` ``encode_ordinary`` of every step's thought + action and observation, on ONE
  core (timed before and after the pipeline runs; the mean is the reference);
* ``trajdiv analyze`` with an empty cache (cold), wall time and peak memory of the whole process
  tree; its ratio to raw tiktoken;
* the unchanged re-run into the same folder, and the re-run after adding 1% new runs (new task
  files), both as ratios of the cold run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from bench_scale import raw_tiktoken, run_measured
from make_real_corpus import make_real_corpus
from trajdiv.tokens import agent_piece


def corpus_texts(corpus: Path) -> list[str]:
    """The exact pieces of text trajdiv tokenizes for every run of the corpus (JSONL export)."""
    texts = []
    for f in sorted(corpus.glob("*.jsonl")):
        for line in f.read_text("utf-8").splitlines()[1:]:
            steps = json.loads(line)["steps"]
            texts.extend(agent_piece(s["thought"], s["action"]) for s in steps)
            texts.extend(f"{s['observation']}\n" for s in steps)
    return texts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scales", default="1,10", help="corpus sizes as multiples of 100 tasks per model")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers of trajdiv analyze")
    p.add_argument("--workdir", type=Path, default=None)
    a = p.parse_args()
    work = a.workdir or Path(tempfile.mkdtemp(prefix="trajdiv-bench-real-"))
    exe = [sys.executable, "-m", "trajdiv", "analyze"]
    print(
        f"machine: {os.cpu_count()} cores; trajdiv analyze -j {a.jobs}; raw tiktoken on 1 core; workdir {work}"
    )
    for scale in (int(x) for x in a.scales.split(",")):
        tasks = 100 * scale
        corpus = work / f"real-{scale}x"
        n = make_real_corpus(corpus, tasks)
        size_mb = sum(f.stat().st_size for f in corpus.glob("*.jsonl")) / 1e6
        texts = corpus_texts(corpus)
        t_raw_before, n_tok = raw_tiktoken(texts, 1)
        out, cache = work / f"out-{scale}x", work / f"cache-{scale}x"
        cmd = [*exe, str(corpus), "-o", str(out), "-j", str(a.jobs), "-q", "--cache-dir", str(cache)]
        t_cold, mem_cold = run_measured(cmd)
        t_same, _ = run_measured(cmd)
        added = make_real_corpus(corpus, max(1, tasks // 100), seed=1, first_task=tasks)
        t_more, mem_more = run_measured(cmd)
        t_raw_after, _ = raw_tiktoken(texts, 1)
        t_raw = (t_raw_before + t_raw_after) / 2
        print(f"\n{scale}x: {n} runs, {size_mb:.0f} MB of JSON, {n_tok / 1e6:.1f} M tokens")
        print(
            f"  raw tiktoken, 1 core:     {t_raw:7.2f} s  (before {t_raw_before:.2f} s, after {t_raw_after:.2f} s)"
        )
        print(
            f"  trajdiv analyze, cold:    {t_cold:7.2f} s  ratio to raw tiktoken {t_cold / t_raw:.2f}  peak RSS {mem_cold:.0f} MB"
        )
        print(f"  unchanged re-run:         {t_same:7.2f} s  ratio to cold {t_same / t_cold:.3f}")
        print(
            f"  +{added} runs ({100 * added / n:.1f}%), re-run: {t_more:7.2f} s  ratio to cold {t_more / t_cold:.3f}  "
            f"peak RSS {mem_more:.0f} MB"
        )
        time.sleep(0.1)


if __name__ == "__main__":
    main()
