"""Coverage of trajdiv's 95% intervals by simulation, at the sample sizes evaluations have.

    python scripts/coverage.py [--reps 4000] [--seed 0]

Scenarios (n = 5 runs per task; 10 and 50 tasks): task success rates drawn afresh each
replication from Beta(0.5, 0.5) (spread out) or Beta(0.2, 4.8) (mean 0.04: mostly failing, like
Llama-3.1-70B on the shared SWE-bench tasks), or fixed at the observed per-task rates of the
three models on the shared SWE-bench tasks (the truth is then their mean). Each row gives the
share of replications whose interval holds the truth, and how many intervals had zero width.
The paired comparison is checked for two identical configurations (truth 0) and for
A ~ Beta(2, 2) against B ~ Beta(1, 3) (truth 0.25). The within-task early-warning AUROC at k = 3
is checked on runs of 3-14 steps whose outcome ignores the actions (truth 0.5) and on runs whose
successes keep to a common path more than the failures do (truth: the mean of the estimate over
ten times as many replications).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from trajdiv.stats import pass1_clustered, pass_k_curve
from trajdiv.stats._compare import paired_t, t_interval
from trajdiv.stats._early import EarlyRun, within_task_aurocs

RUNS = 5
# observed per-task success rates (of 5 runs) on the shared agent-consistency SWE-bench tasks
FIXED = {
    "fixed: Claude's 10 tasks": [1.0, 0.6, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.2, 1.0],
    "fixed: GPT-5's 10 tasks": [0.4, 0.0, 0.0, 0.0, 0.6, 0.6, 0.0, 0.6, 0.0, 1.0],
    "fixed: Llama's 10 tasks": [0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2],
}


def _beta_moment(a: float, b: float, k: int) -> float:
    """E[p^k] for p ~ Beta(a, b)."""
    return math.prod((a + j) / (a + b + j) for j in range(k))


def _scenarios(tasks: int) -> dict[str, tuple[Callable[[np.random.Generator], np.ndarray], dict[str, float]]]:
    out: dict[str, tuple[Callable[[np.random.Generator], np.ndarray], dict[str, float]]] = {}
    for a, b in ((0.5, 0.5), (0.2, 4.8)):
        truth = {"pass@1": a / (a + b)}
        for k in (2, 5):
            truth[f"pass@{k}"] = 1 - _beta_moment(b, a, k)
            truth[f"pass^{k}"] = _beta_moment(a, b, k)
        out[f"Beta({a:g}, {b:g})"] = (lambda rng, a=a, b=b: rng.beta(a, b, tasks), truth)
    for name, rates in FIXED.items():
        p = np.resize(np.array(rates), tasks)
        truth = {"pass@1": float(p.mean())}
        for k in (2, 5):
            truth[f"pass@{k}"] = float(np.mean(1 - (1 - p) ** k))  # per task: E over its runs
            truth[f"pass^{k}"] = float(np.mean(p**k))
        out[name] = (lambda rng, p=p: p, truth)
    return out


def outcome_coverage(tasks: int, reps: int, seed: int) -> list[tuple[str, str, float, int]]:
    """(scenario, estimator, coverage, zero-width intervals) for pass@1, pass@k and pass^k."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, (draw, truth) in _scenarios(tasks).items():
        hits = dict.fromkeys(truth, 0)
        zero = dict.fromkeys(truth, 0)
        for _ in range(reps):
            c = rng.binomial(RUNS, draw(rng))
            ci = pass1_clustered(c / RUNS, [RUNS] * tasks).ci95
            assert ci is not None
            got = {"pass@1": ci}
            nc = [(RUNS, int(x)) for x in c]
            for k in (2, 5):
                got[f"pass@{k}"] = pass_k_curve(nc, "pass_at_k", [k])[k][1:3]
                got[f"pass^{k}"] = pass_k_curve(nc, "pass_hat_k", [k])[k][1:3]
            for key, (lo, hi) in got.items():
                hits[key] += lo <= truth[key] <= hi
                zero[key] += hi - lo <= 1e-12
        rows += [(name, key, hits[key] / reps, zero[key]) for key in truth]
    return rows


def compare_coverage(tasks: int, reps: int, seed: int) -> list[tuple[str, str, float, int]]:
    """Coverage of compare's interval (the paired t interval) for a true difference."""
    rng = np.random.default_rng(seed)
    cases: dict[str, tuple[Callable[[], tuple[np.ndarray, np.ndarray]], float]] = {
        "A = B, Beta(0.5, 0.5)": (lambda: (lambda p: (p, p))(rng.beta(0.5, 0.5, tasks)), 0.0),
        "A ~ Beta(2, 2), B ~ Beta(1, 3)": (lambda: (rng.beta(2, 2, tasks), rng.beta(1, 3, tasks)), 0.25),
    }
    rows = []
    for name, (draw, truth) in cases.items():
        hits = zero = 0
        for _ in range(reps):
            pa, pb = draw()
            d = (rng.binomial(RUNS, pa) - rng.binomial(RUNS, pb)) / RUNS
            lo, hi = t_interval(*paired_t(d, RUNS), 0.95)
            hits += lo <= truth <= hi
            zero += hi - lo <= 1e-12
        rows.append((name, "A - B", hits / reps, zero))
    return rows


_ACTIONS = ("ls", "cat", "grep", "edit", "python", "sed")


def _early_runs(rng: np.random.Generator, tasks: int, path: bool) -> list[EarlyRun]:
    """Runs of ``tasks`` tasks (success rate ~ Beta(0.5, 0.5)); without ``path`` each action is
    drawn at random, with it a success takes the task's common next action 85% of the time and a
    failure 60%."""
    runs = []
    for t in range(tasks):
        p = rng.beta(0.5, 0.5)
        for _ in range(RUNS):
            n = int(rng.integers(3, 15))
            failed = bool(rng.random() > p)
            keep = 0.6 if failed else 0.85
            acts = tuple(
                _ACTIONS[j % 6] if path and rng.random() < keep else _ACTIONS[int(rng.integers(6))]
                for j in range(n)
            )
            runs.append(EarlyRun(f"t{t}", acts, (1,) * n, (False,) * n, failed))
    return runs


def early_coverage(tasks: int, reps: int, seed: int) -> list[tuple[str, str, float, int]]:
    """Coverage of the within-task early-warning AUROC's interval at k = 3 (replications with
    fewer than two usable tasks give no interval and are left out)."""
    rows = []
    for name, path in (("outcome ignores actions", False), ("successes on a path", True)):
        truth = 0.5
        if path:
            rng = np.random.default_rng(seed + 1)
            draws = [
                within_task_aurocs(_early_runs(rng, tasks, True), [(3, None)])[0] for _ in range(10 * reps)
            ]
            truth = float(np.mean([d[0] for d in draws if d[1] is not None]))
        rng = np.random.default_rng(seed)
        hits = zero = seen = 0
        for _ in range(reps):
            _, ci, _, _ = within_task_aurocs(_early_runs(rng, tasks, path), [(3, None)])[0]
            if ci is None:
                continue
            seen += 1
            hits += ci[0] <= truth <= ci[1]
            zero += ci[1] - ci[0] <= 1e-12
        rows.append((f"{name} ({truth:.3f})", "early k=3", hits / max(seen, 1), zero))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=4000)
    ap.add_argument("--compare-reps", type=int, default=4000)
    ap.add_argument("--early-reps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    start = time.perf_counter()
    print(
        f"coverage of 95% intervals, {RUNS} runs per task ({args.reps} replications; compare {args.compare_reps})"
    )
    print(f"{'tasks':>5s}  {'scenario':32s} {'estimator':9s} {'coverage':>8s} {'zero-width':>10s}")
    for tasks in (10, 50):
        for name, est, cov, zero in outcome_coverage(tasks, args.reps, args.seed):
            print(f"{tasks:5d}  {name:32s} {est:9s} {100 * cov:7.1f}% {zero:10d}")
        for name, est, cov, zero in compare_coverage(tasks, args.compare_reps, args.seed):
            print(f"{tasks:5d}  {name:32s} {est:9s} {100 * cov:7.1f}% {zero:10d}")
        for name, est, cov, zero in early_coverage(tasks, args.early_reps, args.seed):
            print(f"{tasks:5d}  {name:32s} {est:9s} {100 * cov:7.1f}% {zero:10d}")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
