#!/usr/bin/env python3
"""Throughput of tokenization, pairwise token divergence and step alignment on one large group.

A group of 5 runs with about 100,000 agent-output tokens each (the size the divergence issue
asks to handle "well under a second"). Everything is measured in this one run, side by side:

* raw tiktoken ``encode_ordinary_batch`` on the exact texts trajdiv tokenizes (the floor);
* trajdiv's tokenization of the same runs (``TokenCache`` without a disk cache);
* all pairwise first token divergences (numpy) and all step alignments (rapidfuzz).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from trajdiv.align import abstract_steps, align_steps, canonical_ids
from trajdiv.diverge import first_token_divergence
from trajdiv.model import Config, Run, Step
from trajdiv.tokens import TokenCache, agent_piece, get_encoding

WORDS = np.array("the of and to in is for on with error value test module function return line file".split())


def make_group(n_runs: int = 5, steps: int = 400, words_per_thought: int = 240, seed: int = 0) -> list[Run]:
    rng = np.random.default_rng(seed)
    base = [" ".join(WORDS[rng.integers(0, len(WORDS), words_per_thought)]) for _ in range(steps)]
    runs = []
    for r in range(n_runs):
        split = 3 + r  # runs agree for a few steps, then wander
        out = []
        for i in range(steps):
            thought = (
                base[i] if i < split else " ".join(WORDS[rng.integers(0, len(WORDS), words_per_thought)])
            )
            action = (
                f"grep -n foo{i % 7} src/m{i % 11}.py" if i < split or rng.uniform() < 0.5 else f"cat f{i}.py"
            )
            out.append(Step(index=i + 1, thought=thought, action=action, observation="ok"))
        runs.append(
            Run(
                task_id="t",
                run_id=f"r{r}",
                run_index=r + 1,
                config=Config(model="m", scaffold="s"),
                steps=tuple(out),
            )
        )
    return runs


def main() -> None:
    runs = make_group()
    enc = get_encoding()
    texts = [agent_piece(s.thought, s.action) for r in runs for s in r.steps]
    texts += [f"{s.observation}\n" for r in runs for s in r.steps]

    enc.encode_ordinary("warm up")
    t0 = time.perf_counter()
    raw = [enc.encode_ordinary(t) for t in texts]  # the fastest single-core use of tiktoken
    t_raw = time.perf_counter() - t0
    n_tokens = sum(len(x) for x in raw)

    t0 = time.perf_counter()
    toks = TokenCache(None).many(runs)
    t_tok = time.perf_counter() - t0
    per_run = [len(t.agent_ids) for t in toks]

    t0 = time.perf_counter()
    n_pairs = 0
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            first_token_divergence(toks[i].agent_ids, toks[j].agent_ids)
            n_pairs += 1
    t_div = time.perf_counter() - t0

    levels = [abstract_steps(r.steps) for r in runs]
    ids = canonical_ids([lv["normalized"] for lv in levels])
    t0 = time.perf_counter()
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            align_steps(ids[i], ids[j], toks[i].agent_per_step, toks[j].agent_per_step)
    t_align = time.perf_counter() - t0

    print(
        f"group: {len(runs)} runs, agent tokens per run {min(per_run):,}-{max(per_run):,}, "
        f"{len(runs[0].steps)} steps per run, {n_pairs} pairs"
    )
    print(f"raw tiktoken encode:        {n_tokens / t_raw / 1e6:8.2f} M tokens/s  ({t_raw:.3f} s)")
    print(
        f"trajdiv tokenization:       {n_tokens / t_tok / 1e6:8.2f} M tokens/s  ({t_tok:.3f} s)  "
        f"ratio to raw {t_raw / t_tok:.2f}"
    )
    print(
        f"pairwise token divergence:  {n_pairs / t_div:8.0f} pairs/s      ({t_div * 1000:.2f} ms for all pairs)"
    )
    print(
        f"pairwise step alignment:    {n_pairs / t_align:8.0f} pairs/s      ({t_align * 1000:.2f} ms for all pairs)"
    )
    print(f"divergence + alignment of the whole group: {(t_div + t_align) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
