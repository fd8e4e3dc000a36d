#!/usr/bin/env python3
"""A corpus of real SWE-bench steps at benchmark scale: TASKS tasks x 3 models x 5 runs.

The steps are the real ones of the agent-consistency SWE-bench dumps (Claude, GPT-5 and Llama
runs of 10 tasks, 5 runs each): synthetic task t of a model takes the 5 runs of real task
t mod 10 of that model, and each of its runs is spliced from two real runs of that task (the
first k steps of one, the rest of another, k drawn per run), keeping the runs' early agreement
and late divergence. Task ids, run ids and outcomes (of the run that gives the tail) are new.
The corpus is written in trajdiv's JSONL export, one file per (model, task), like a dump that
keeps one file per task. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from trajdiv.ingest import read_runs, write_jsonl
from trajdiv.model import Outcome, Run

SOURCE = HERE.parent.parent / "shared" / "realdata" / "agent-consistency" / "swe-bench"


def make_real_corpus(out: Path, tasks: int = 100, runs: int = 5, seed: int = 0, first_task: int = 0) -> int:
    """Write the corpus under ``out``; returns the number of runs written. ``first_task``
    numbers the synthetic tasks from there (to add new tasks to an existing corpus)."""
    ds = read_runs([SOURCE])
    by_model: dict[str, dict[str, list[Run]]] = defaultdict(lambda: defaultdict(list))
    for r in ds.runs:
        by_model[r.config.model][r.task_id].append(r)
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for model in sorted(by_model):
        real_tasks = sorted(t for t, rs in by_model[model].items() if len(rs) >= 2)
        for t in range(first_task, first_task + tasks):
            src_task = real_tasks[t % len(real_tasks)]
            pool = by_model[model][src_task]
            new_runs = []
            for i in range(runs):
                head, tail = pool[i % len(pool)], pool[rng.randrange(len(pool))]
                k = rng.randint(1, max(1, min(len(head.steps), len(tail.steps)) - 1))
                steps = tuple(
                    dataclasses.replace(s, index=j)
                    for j, s in enumerate((*head.steps[:k], *tail.steps[k:]), start=1)
                )
                new_runs.append(
                    dataclasses.replace(
                        tail,
                        task_id=f"{src_task}__syn{t:03d}",
                        run_id=f"run{i + 1}",
                        run_index=i + 1,
                        steps=steps,
                        outcome=Outcome(resolved=tail.outcome.resolved, source="make_real_corpus"),
                        source="",
                    )
                )
            name = f"{model.replace('/', '_')}__{t:03d}.jsonl"
            written += write_jsonl(new_runs, out / name)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--tasks", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    n = make_real_corpus(args.out, args.tasks, seed=args.seed)
    size = sum(p.stat().st_size for p in args.out.glob("*.jsonl"))
    print(f"{n} runs, {size / 1e6:.1f} MB, in {args.out}")


if __name__ == "__main__":
    main()
