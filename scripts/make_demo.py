#!/usr/bin/env python3
"""Write a synthetic corpus of repeated agent runs with planted divergence and strategies.

The corpus uses the agent-consistency layout that trajdiv reads (``results_<key>/<task>.json``
with ``runs[]``, and SWE-bench harness reports ``<key>.<key>-local-run<K>.json`` for outcomes).

What is planted, per configuration:

* ``split_step``: runs of a task share their first ``split_step - 1`` actions, then split;
* ``strategies``: after the split each run follows one of a few strategy templates, each with its
  own success probability, so strategies and outcomes are related by construction;
* ``jitter``: the chance that a step is swapped for a random exploratory command.

``python scripts/make_demo.py`` rewrites the bundled demo corpus in ``data/demo``; the options
write larger corpora (``--obs-chars`` near 4000 and ``--steps`` near 40 give runs close to real
SWE-bench trajectories) for benchmarks.
"""

from __future__ import annotations

import argparse
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

COMMON = [
    "ls -la",
    "find . -name '*.py' | grep -i {mod}",
    "cat {mod}/core.py",
    "grep -n 'def {fn}' {mod}/core.py",
]
STRATEGIES = {
    "patch-in-place": (
        [
            "sed -n '{a},{b}p' {mod}/core.py",
            "sed -i 's/{fn}(x)/{fn}(x, strict=True)/' {mod}/core.py",
            "python -m pytest tests/test_{mod}.py -x -q",
            "git diff",
        ],
        0.8,
    ),
    "reproduce-first": (
        [
            "cat <<'EOF' > repro.py\nfrom {mod}.core import {fn}\nprint({fn}({a}))\nEOF",
            "python repro.py",
            "nl -ba {mod}/core.py | sed -n '{a},{b}p'",
            "sed -i '{a}s/return x/return max(x, 0)/' {mod}/core.py",
            "python repro.py",
        ],
        0.55,
    ),
    "rewrite-module": (
        [
            "cat {mod}/utils.py",
            "python -c 'import {mod}; print({mod}.__file__)'",
            "cat <<'EOF' > {mod}/core.py\ndef {fn}(x):\n    return x\nEOF",
            "python repro.py",
        ],
        0.15,
    ),
}
JITTER = ["pwd", "ls {mod}", "head -40 {mod}/__init__.py", "grep -rn TODO {mod} | head", "wc -l {mod}/*.py"]
SUBMIT = "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached"


@dataclass(frozen=True)
class ConfigSpec:
    key: str
    model: str
    split_step: int
    strategy_weights: tuple[float, ...]
    jitter: float


CONFIGS = (
    ConfigSpec("steady", "demo-steady-1", 4, (0.7, 0.2, 0.1), 0.05),
    ConfigSpec("mixed", "demo-mixed-1", 3, (0.4, 0.4, 0.2), 0.15),
    ConfigSpec("erratic", "demo-erratic-1", 2, (0.2, 0.3, 0.5), 0.35),
)

_WORDS = np.array(
    "the of and to in is for on with as by at from this that error value test module function return "
    "line file path class import def self none true false assert raise index array table column".split()
)


def _observation(rng: np.random.Generator, chars: int) -> str:
    if chars <= 0:
        return ""
    n = max(1, chars // 6)
    words = _WORDS[rng.integers(0, len(_WORDS), n)]
    lines = [" ".join(words[i : i + 10]) for i in range(0, n, 10)]
    return "\n".join(lines)[:chars]


def make_corpus(
    out: Path,
    *,
    tasks: int = 8,
    runs: int = 5,
    configs: int = 3,
    steps: int = 12,
    obs_chars: int = 160,
    thought_chars: int = 120,
    seed: int = 0,
) -> dict[str, int]:
    """Write the corpus into ``out`` (replacing it); returns counts of what was written."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    names = list(STRATEGIES)
    specs = [CONFIGS[i % len(CONFIGS)] for i in range(configs)]
    n_runs = 0
    for ci, spec in enumerate(specs):
        key = spec.key if ci < len(CONFIGS) else f"{spec.key}{ci}"
        folder = out / f"results_{key}"
        folder.mkdir()
        resolved: dict[int, list[str]] = {k: [] for k in range(1, runs + 1)}
        unresolved: dict[int, list[str]] = {k: [] for k in range(1, runs + 1)}
        for t in range(tasks):
            task = f"demo__pkg-{1000 + t}"
            fill = {"mod": f"pkg{t % 7}", "fn": f"fn{t % 5}", "a": 10 + t, "b": 40 + t}
            difficulty = rng.uniform(-0.25, 0.25)
            prefix = [c.format(**fill) for c in COMMON][: spec.split_step - 1]
            run_objs = []
            for k in range(1, runs + 1):
                strat = names[rng.choice(len(names), p=np.array(spec.strategy_weights))]
                body, p_success = STRATEGIES[strat]
                actions = list(prefix) + [c.format(**fill) for c in body]
                # jittery configurations wander longer and less predictably
                target = steps - 1 + int(rng.integers(-2, 3 + int(20 * spec.jitter)))
                while len(actions) < target:
                    actions.append(rng.choice(JITTER).format(**fill))
                actions = [
                    rng.choice(JITTER).format(**fill)
                    if i >= len(prefix) and rng.uniform() < spec.jitter
                    else a
                    for i, a in enumerate(actions)
                ]
                actions.append(SUBMIT)
                ok = bool(rng.uniform() < np.clip(p_success + difficulty, 0.02, 0.98))
                (resolved if ok else unresolved)[k].append(task)
                run_objs.append(
                    {
                        "run_id": f"{task}_run_{k:02d}",
                        "steps": [
                            {
                                "step_number": i + 1,
                                "thought": f"Step {i + 1} of the {strat} approach. "
                                + _observation(rng, thought_chars),
                                "action": a,
                                "observation": _observation(rng, obs_chars),
                                "returncode": 0,
                            }
                            for i, a in enumerate(actions)
                        ],
                        "final_output": "diff --git a/x b/x\n",
                        "total_cost": round(float(0.02 * len(actions) * rng.uniform(0.8, 1.2)), 4),
                        "n_calls": len(actions) + 1,
                        "n_steps": len(actions),
                        "planted_strategy": strat,
                        "planted_split_step": spec.split_step,
                    }
                )
                n_runs += 1
            obj = {
                "task_id": task,
                "task": f"Synthetic task {t}",
                "model": spec.model,
                "temperature": 0.5,
                "runs": run_objs,
            }
            (folder / f"{task}.json").write_text(json.dumps(obj))
        for k in range(1, runs + 1):
            report = {
                "total_instances": tasks,
                "submitted_ids": resolved[k] + unresolved[k],
                "resolved_ids": resolved[k],
                "unresolved_ids": unresolved[k],
                "empty_patch_ids": [],
                "error_ids": [],
            }
            (out / f"{key}.{key}-local-run{k}.json").write_text(json.dumps(report))
    return {"configs": len(specs), "tasks": tasks, "runs": n_runs}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "data" / "demo")
    p.add_argument("--tasks", type=int, default=8)
    p.add_argument("--runs", type=int, default=5, help="runs per task")
    p.add_argument("--configs", type=int, default=3)
    p.add_argument("--steps", type=int, default=12, help="steps per run (at least)")
    p.add_argument("--obs-chars", type=int, default=160, help="characters per observation")
    p.add_argument("--thought-chars", type=int, default=120)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    counts = make_corpus(
        a.out,
        tasks=a.tasks,
        runs=a.runs,
        configs=a.configs,
        steps=a.steps,
        obs_chars=a.obs_chars,
        thought_chars=a.thought_chars,
        seed=a.seed,
    )
    print(
        f"wrote {counts['runs']} runs ({counts['configs']} configurations x {counts['tasks']} tasks) to {a.out}"
    )


if __name__ == "__main__":
    main()
