"""Early warning: AUROC by hand, the model against statsmodels, honesty on synthetic runs
(chance when outcomes ignore the actions, near 1 when the first action decides), real dumps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.conftest import AC, need_realdata
from trajdiv.stats._early import (
    EarlyRun,
    auroc,
    clustered_auroc,
    early_warning_rows,
    ridge_logistic,
    within_task_auroc,
)

VERBS = ("ls", "cat", "grep", "sed", "python")


def _run(task: str, actions: tuple[str, ...], failed: bool) -> EarlyRun:
    n = len(actions)
    return EarlyRun(task, actions, (10,) * n, (False,) * n, failed)


def test_auroc_by_hand_and_against_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    assert (
        auroc([0.9, 0.8, 0.3, 0.1], [True, False, True, False]) == 0.75
    )  # pairs: (.9>.8, .9>.1, .3<.8, .3>.1)
    rng = np.random.default_rng(1)
    s = rng.integers(0, 5, 40).astype(float)
    y = rng.random(40) < 0.4
    u = scipy_stats.mannwhitneyu(s[y], s[~y]).statistic
    assert auroc(s.tolist(), y.tolist()) == pytest.approx(u / (y.sum() * (~y).sum()))


def test_ridge_logistic_without_penalty_is_the_maximum_likelihood_fit():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 3))
    y = (rng.random(200) < 1 / (1 + np.exp(-(0.3 + x @ np.array([1.0, -0.5, 0.0]))))).astype(float)
    ours = ridge_logistic(x, y, ridge=0.0)
    ref = sm.Logit(y, sm.add_constant(x)).fit(disp=0).params
    assert np.allclose(ours, ref, atol=1e-6)


def test_within_task_by_hand():
    # task t: successes take a then b; the failure takes a then c; a second success takes a, b
    runs = [
        _run("t", ("a", "b", "x"), False),
        _run("t", ("a", "b", "y"), False),
        _run("t", ("a", "c", "z"), True),
    ]
    # k = 1: everyone is on the tree at step 1 -> ties -> 0.5
    assert within_task_auroc(runs, k=1)[0] == 0.5
    # k = 2: the failure leaves at step 2, each success stays (its partner's path) -> 1.0
    est, ci, n_runs, n_tasks = within_task_auroc(runs, k=2)
    assert (est, n_runs, n_tasks) == (1.0, 3, 1)
    assert ci is None  # one task: no interval


def _departure_by_definition(run: tuple[str, ...], others: list[tuple[str, ...]], cap: int) -> int:
    """The step at which ``run`` first takes an action that no other path with the same prefix
    takes, seen through the first cap - 1 steps (cap when it does not leave within them)."""
    for step in range(1, cap):
        if step > len(run):
            return cap  # ended on the tree
        if not any(o[:step] == run[:step] for o in others):
            return step
    return cap


def test_within_task_at_every_setting_at_once_is_the_definition_at_each():
    """All prefixes in one walk give, setting by setting, the pairwise definition computed
    directly (the departure of each run through its own cap: k + 1 or ceil(f x length) + 1)."""
    import math

    from trajdiv.stats._early import within_task_aurocs

    rng = np.random.default_rng(8)
    runs = []
    for t in range(12):
        for _ in range(int(rng.integers(3, 7))):
            n = int(rng.integers(1, 25))
            acts = tuple(str(v) for v in rng.integers(0, 2 + t % 3, n))
            runs.append(_run(f"t{t}", acts, bool(rng.random() < 0.4)))
    settings = [(k, None) for k in range(1, 11)] + [(None, f) for f in (0.1, 0.25, 0.5)]
    got = within_task_aurocs(runs, settings)
    for (k, frac), (est, _ci, n_runs, n_tasks) in zip(settings, got, strict=True):
        values, used = [], 0
        for t in sorted({r.task_id for r in runs}):
            group = [r for r in runs if r.task_id == t]
            fails = [r for r in group if r.failed]
            wins = [r for r in group if not r.failed]
            if not fails or len(wins) < 2:
                continue
            used += len(group)
            score = 0.0
            for w in wins:
                tree = [o.actions for o in wins if o is not w]
                for f in fails:
                    cap = {id(r): (k if k else max(1, math.ceil(frac * len(r.actions)))) + 1 for r in (w, f)}
                    df = _departure_by_definition(f.actions, tree, cap[id(f)])
                    dw = _departure_by_definition(w.actions, tree, cap[id(w)])
                    score += 1.0 if df < dw else 0.5 if df == dw else 0.0
            values.append(score / (len(fails) * len(wins)))
        assert n_tasks == len(values)
        assert n_runs == used
        assert est == pytest.approx(float(np.mean(values)), abs=1e-12)
        assert within_task_auroc(runs, k, frac)[0] == est


def test_clustered_auroc_equals_delong_when_every_run_is_its_own_cluster():
    rng = np.random.default_rng(2)
    s = rng.normal(size=30)
    y = rng.random(30) < 0.5
    est, ci = clustered_auroc(s, y, [str(i) for i in range(30)])
    assert est == pytest.approx(auroc(s.tolist(), y.tolist()))
    assert ci is not None
    assert ci[0] < est < ci[1]


def _synthetic(rng: np.random.Generator, tasks: int, runs: int, first_decides: bool) -> list[EarlyRun]:
    out = []
    for t in range(tasks):
        p = rng.beta(1, 1)
        for _ in range(runs):
            length = int(rng.integers(3, 10))
            acts = tuple(str(a) for a in rng.choice(VERBS, length))
            if first_decides and rng.random() < 0.5:  # half the runs open with the winning move
                acts = ("ls", *acts[1:])
            failed = acts[0] != "ls" if first_decides else bool(rng.random() > p)
            out.append(_run(f"t{t}", acts, failed))
    return out


def test_intervals_cover_chance_when_outcomes_ignore_the_actions():
    rng = np.random.default_rng(11)
    hits = {"across_tasks": 0, "within_task": 0}
    seen = {"across_tasks": 0, "within_task": 0}
    for _ in range(40):
        for row in early_warning_rows(_synthetic(rng, 20, 5, first_decides=False), "c"):
            if row["k"] in (1, 3) and row["ci_low"] is not None:
                seen[str(row["scope"])] += 1
                hits[str(row["scope"])] += row["ci_low"] <= 0.5 <= row["ci_high"]  # type: ignore[operator]
    for scope in hits:
        assert seen[scope] >= 60
        assert hits[scope] / seen[scope] >= 0.88, (scope, hits[scope] / seen[scope])


def test_first_action_deciding_the_outcome_is_found_at_k_1():
    rng = np.random.default_rng(5)
    runs = _synthetic(rng, 20, 8, first_decides=True)
    rows = {(r["scope"], r["k"]): r for r in early_warning_rows(runs, "c")}
    assert rows[("within_task", 1)]["auroc"] > 0.95  # type: ignore[operator]
    assert rows[("across_tasks", 1)]["auroc"] > 0.95  # type: ignore[operator]
    assert rows[("within_task", 1)]["ci_low"] > 0.5  # type: ignore[operator]


def test_real_dumps_give_table_summary_plot_and_report(tmp_path: Path):
    need_realdata()
    from trajdiv import analyze

    out = tmp_path / "o"
    analyze([AC, AC.parent.parent / "tau-bench"], out, jobs=1, cache_dir=None, plots=True)
    ew = pl.read_parquet(out / "early_warning.parquet")
    assert ew.columns == [
        "config",
        "k",
        "fraction",
        "scope",
        "auroc",
        "ci_low",
        "ci_high",
        "n_runs",
        "n_tasks",
    ]
    assert set(ew["scope"].unique()) == {"across_tasks", "within_task"}
    assert ew.filter(pl.col("k").is_null())["fraction"].unique().sort().to_list() == [0.1, 0.25, 0.5]
    claude = ew.filter(pl.col("config").str.contains("claude") & (pl.col("scope") == "across_tasks"))
    assert (claude["n_runs"] == 50).all()
    assert (claude["n_tasks"] == 10).all()
    summary = json.loads((out / "summary.json").read_text())
    for c in summary["configs"]:
        assert set(c["early_warning"]) == {"level", "threshold", "across_tasks", "within_task"}
    assert (out / "plots" / "early.png").exists()
    assert "How early can you tell?" in (out / "report.html").read_text()
    # the models read one configuration's runs at a time: the same runs as one read of all
    from trajdiv.stats._early_summary import load_early_runs

    runs = pl.read_parquet(out / "runs.parquet")
    every = load_early_runs(str(out / "steps.parquet"), runs, "verb")
    assert len(every) == runs["config"].n_unique() > 1
    for cfg, early_runs in every.items():
        assert load_early_runs(str(out / "steps.parquet"), runs, "verb", cfg) == {cfg: early_runs}


def _auroc_pairwise(s: np.ndarray, y: np.ndarray) -> float:
    pos, neg = s[y], s[~y]
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


@pytest.mark.parametrize("seed", range(5))
def test_auroc_from_sorted_successes_equals_every_pair_counted(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    s = rng.integers(0, 6, n).astype(float) if seed % 2 else rng.normal(size=n)  # ties, or none
    y = rng.random(n) < 0.3
    y[0], y[1] = True, False
    assert auroc(s.tolist(), y.tolist()) == _auroc_pairwise(s, y)  # bit for bit
    s[rng.integers(0, n, 3)] = np.nan  # NaN compares false both ways: counted pair by pair
    assert auroc(s.tolist(), y.tolist()) == _auroc_pairwise(s, y)


def _features_by_hand(runs: list[EarlyRun], ks: list[int], top: list[str]) -> np.ndarray:
    """The module docstring's features, each prefix counted afresh."""
    import math
    from collections import Counter

    from trajdiv.stats._early_features import _majority_departure

    rows = []
    for i, (r, k) in enumerate(zip(runs, ks, strict=True)):
        seen = min(k, len(r.actions))
        others = [o.actions for j, o in enumerate(runs) if j != i and o.task_id == r.task_id]
        dep = _majority_departure(r.actions, others, k)
        counts = Counter(r.actions[:seen])
        rows.append(
            [
                float(seen),
                float(len(r.actions) < k),
                math.log1p(sum(r.tokens[:seen])),
                float(sum(r.failed_rc[:seen])),
                float(dep is not None),
                0.0 if dep is None else 1.0 - (dep - 1) / k,
                *(counts[a] / max(seen, 1) for a in top),
            ]
        )
    return np.asarray(rows, dtype=np.float64)


def test_prefix_features_from_running_totals_equal_each_prefix_counted_afresh():
    from trajdiv.stats._early_features import _majority_departure, majority_departures, prefix_features

    rng = np.random.default_rng(2)
    runs = []
    for i in range(40):
        n = int(rng.integers(1, 9))
        actions = tuple(VERBS[int(v)] for v in rng.integers(0, 4, n))
        tokens = tuple(int(t) for t in rng.integers(0, 500, n))
        rc = tuple(bool(b) for b in rng.random(n) < 0.3)
        runs.append(EarlyRun(f"t{i % 4}", actions, tokens, rc, bool(i % 3)))
    full = majority_departures(runs)
    for i, r in enumerate(runs):
        others = [o.actions for j, o in enumerate(runs) if j != i and o.task_id == r.task_id]
        for k in range(1, 11):
            d = full[i]
            assert (d if d is not None and d <= k else None) == _majority_departure(r.actions, others, k)
    top = list(VERBS[:3])
    for ks in ([1] * 40, [3] * 40, [10] * 40, [int(k) for k in rng.integers(1, 12, 40)]):
        expected = _features_by_hand(runs, ks, top)
        assert np.array_equal(prefix_features(runs, ks, top), expected)  # bit for bit
        assert np.array_equal(prefix_features(runs, ks, top, full), expected)


def test_running_totals_are_each_prefix_summed_step_by_step():
    """Every run's row for each prefix length 0..n holds the tokens, failed steps and steps on
    each top action of its first steps, also for runs without steps and for no runs at all."""
    from trajdiv.stats._early_features import prefix_totals

    rng = np.random.default_rng(4)
    for n_runs in (0, 1, 7, 60):
        runs = []
        for i in range(n_runs):
            n = int(rng.choice([0, 1, 3, 12]))
            actions = tuple(VERBS[int(v)] for v in rng.integers(0, 4, n))
            tokens = tuple(int(t) for t in rng.integers(0, 10**6, n))
            runs.append(
                EarlyRun(f"t{i % 3}", actions, tokens, tuple(bool(b) for b in rng.random(n) < 0.4), False)
            )
        for top in ([], list(VERBS[:2]), ["never seen", VERBS[3]]):
            pre = prefix_totals(runs, top, [None] * n_runs)
            tokens, failed, counts, start = [], [], [], []
            for r in runs:
                start.append(len(tokens))
                for k in range(len(r.actions) + 1):
                    tokens.append(sum(r.tokens[:k]))
                    failed.append(sum(r.failed_rc[:k]))
                    counts.append([r.actions[:k].count(a) for a in top])
            assert pre.tokens.tolist() == tokens
            assert pre.failed.tolist() == failed
            assert pre.counts.shape == (len(tokens), len(top))
            assert pre.counts.tolist() == counts
            assert pre.start.tolist()[:n_runs] == start
            assert pre.lengths.tolist() == [len(r.actions) for r in runs]


def test_a_start_near_the_optimum_reaches_the_same_fit():
    rng = np.random.default_rng(7)
    x = rng.integers(0, 4, size=(300, 5)).astype(float)  # discrete features, as prefixes give
    y = (rng.random(300) < 1 / (1 + np.exp(-(x @ np.array([0.4, -0.3, 0.0, 0.2, 0.1]) - 0.5)))).astype(float)
    cold = ridge_logistic(x, y)
    for start in (cold, cold + 0.3, np.zeros(6), ridge_logistic(x[:150], y[:150])):
        assert np.allclose(ridge_logistic(x, y, start=start), cold, rtol=0, atol=1e-10)


def test_jackknife_refits_started_from_the_full_fit_give_the_same_aurocs():
    # collinear features (the second is twice the first) make distinct rows tie exactly in
    # score: the scores are compared at 9 decimals, so the start of a fit cannot order them
    from trajdiv.stats._early_model import _cross_fitted

    rng = np.random.default_rng(3)
    base = rng.integers(0, 6, size=(400, 1)).astype(float)
    x = np.hstack([base, 2 * base, rng.integers(0, 3, size=(400, 1)).astype(float)])
    y = rng.random(400) < 1 / (1 + np.exp(-(base[:, 0] - 2.5)))
    side = rng.integers(0, 2, 400)
    fits: list[np.ndarray | None] = [None, None]
    assert _cross_fitted(x, y, side, fits) == _cross_fitted(x, y, side)
    for leave in range(0, 400, 40):
        keep = np.ones(400, dtype=bool)
        keep[leave : leave + 40] = False
        assert _cross_fitted(x[keep], y[keep], side[keep], fits) == _cross_fitted(
            x[keep], y[keep], side[keep]
        )
