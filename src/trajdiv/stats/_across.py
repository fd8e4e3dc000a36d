"""Pairs of configurations: the paired comparison family, the "lower CV succeeds more" share
with its test, and simulated power curves."""

from __future__ import annotations

import itertools
import math
from typing import Any

from trajdiv.stats._compare import compare_family
from trajdiv.stats._json import rounded
from trajdiv.stats._power import paired_variance
from trajdiv.stats._simulate import PowerModel, _Draws, rejection_rates

__all__ = ["POWER_CURVE_DIFFS", "POWER_CURVE_PAIRS", "POWER_CURVE_RUNS", "across_configs"]


_r = rounded


POWER_CURVE_RUNS = (1, 3, 5, 10)
POWER_CURVE_DIFFS = tuple(round(0.05 * i, 2) for i in range(1, 11))


def across_configs(
    task_p: dict[str, dict[str, tuple[float, int]]], task_cv: dict[str, dict[str, float | None]], seed: int
) -> list[dict[str, Any]]:
    labelled = {c: v for c, v in task_p.items() if v}
    family = compare_family(labelled, seed=seed)
    powered = _powered_pairs(labelled)
    out = []
    for a, b in itertools.combinations(sorted(task_p), 2):
        shared = sorted(set(task_p[a]) & set(task_p[b]))
        if not shared:
            continue
        decided = agree = 0
        for t in shared:
            ca, cb = task_cv[a].get(t), task_cv[b].get(t)
            pa, pb = task_p[a][t][0], task_p[b][t][0]
            if ca is None or cb is None or ca == cb or pa == pb:
                continue
            decided += 1
            agree += (ca < cb) == (pa > pb)
        item: dict[str, Any] = {
            "a": a,
            "b": b,
            "shared_tasks": len(shared),
            "tasks_decided": decided,
            "share_lower_cv_higher_success": _r(agree / decided) if decided else None,
            "share_test": _share_test(agree, decided),
        }
        cmp = family.get((a, b))
        if cmp is not None:
            item["comparison"] = {
                "diff": _r(cmp.diff),
                "ci": [_r(cmp.ci95[0]), _r(cmp.ci95[1])],
                "ci_level": _r(cmp.ci_level),
                "p_value": _r(cmp.p_value),
                "p_holm": _r(cmp.p_adjusted),
                "family_size": len(family),
                "method": cmp.method,
                "distinguishable": bool(cmp.p_adjusted is not None and cmp.p_adjusted < 0.05),
            }
        n = min(min(task_p[a][t][1] for t in shared), min(task_p[b][t][1] for t in shared))
        if len(shared) >= 2 and n >= 1 and (a, b) in powered:
            item["power"] = _power_entry(task_p, a, b, shared, n, seed)
        out.append(item)
    return out


POWER_CURVE_PAIRS = 12
"""Power curves are simulated for this many pairs (those sharing the most labelled tasks);
``trajdiv power --a A --b B`` gives any pair's."""


def _powered_pairs(task_p: dict[str, dict[str, tuple[float, int]]]) -> set[tuple[str, str]]:
    shared = {
        (a, b): len(set(task_p[a]) & set(task_p[b])) for a, b in itertools.combinations(sorted(task_p), 2)
    }
    ranked = sorted((p for p, k in shared.items() if k >= 2), key=lambda p: (-shared[p], p))
    return set(ranked[:POWER_CURVE_PAIRS])


def _share_test(agree: int, decided: int) -> dict[str, Any] | None:
    """Two-sided exact sign test of a share against 1/2 (no tendency either way)."""
    if decided == 0:
        return None
    k = max(agree, decided - agree)
    tail = sum(math.comb(decided, i) for i in range(k, decided + 1)) / 2**decided
    return {"n": decided, "p_value": _r(min(1.0, 2 * tail)), "method": "exact sign test against 1/2"}


def _power_entry(
    task_p: dict[str, dict[str, tuple[float, int]]], a: str, b: str, shared: list[str], n: int, seed: int
) -> dict[str, Any]:
    """Simulated power of compare's paired t-test on these tasks: the curve over D for n = 1, 3, 5, 10
    runs per task, and the minimum detectable difference at the observed runs."""
    pa = [task_p[a][t][0] for t in shared]
    pb = [task_p[b][t][0] for t in shared]
    var = paired_variance(pa, pb, n)
    model = PowerModel.from_counts(
        [(round(task_p[a][t][0] * task_p[a][t][1]), task_p[a][t][1]) for t in shared],
        [(round(task_p[b][t][0] * task_p[b][t][1]), task_p[b][t][1]) for t in shared],
    )

    shifts = [model.shift(d) for d in POWER_CURVE_DIFFS]  # the same for every design

    def powers(runs: int) -> list[float]:
        # the draws depend on the design, not on D: made once per design
        return rejection_rates(_Draws(model, len(shared), runs, 500, seed), POWER_CURVE_DIFFS, shifts=shifts)

    at = {runs: powers(runs) for runs in dict.fromkeys((*POWER_CURVE_RUNS, n))}  # n: often on the curve
    curve = {str(runs): [_r(pw) for pw in at[runs]] for runs in POWER_CURVE_RUNS}
    observed = at[n]
    mdd = next((d for d, pw in zip(POWER_CURVE_DIFFS, observed, strict=True) if pw >= 0.8), None)
    return {
        "runs_per_task": n,
        "s2_delta": _r(var.s2_delta),
        "w": _r(var.w),
        "min_detectable_diff": mdd,
        "method": "simulation of compare's paired t-test, 500 experiments per point (trajdiv.stats.PowerModel)",
        "curve_diffs": list(POWER_CURVE_DIFFS),
        "curve": curve,
    }
