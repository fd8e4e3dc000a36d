"""The jackknife's refits of the early-warning model, made together, against each subset fitted
alone from zero (the definition), and the rule for a feature that does not vary."""

from __future__ import annotations

import numpy as np
import pytest

import trajdiv.stats._ridge as ridge
from trajdiv.stats._early_model import _cross_fitted, _left_out
from trajdiv.stats._ridge import refits, ridge_logistic


def _sample(seed: int, kind: str, n_tasks: int = 40, runs: int = 5):
    """Runs of ``n_tasks`` tasks; side and group as the jackknife makes them (by task code)."""
    rng = np.random.default_rng(seed)
    task = np.repeat(np.arange(n_tasks), runs)
    n = len(task)
    x = np.column_stack(
        [rng.integers(0, 5, n), np.log1p(rng.integers(0, 10**5, n)), rng.integers(0, 2, n)]
    ).astype(float)
    if kind == "collinear":  # distinct rows tie exactly in score
        x = np.column_stack([x, 2 * x[:, 0]])
    if kind == "one group varies":  # constant once group 3 is left out
        x = np.column_stack([x, np.where(task % 30 == 3, rng.random(n), np.log1p(37.0))])
    logit = x[:, 0] - 2.0 + (4.0 * x[:, 2] if kind == "nearly separated" else 0.0)
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    groups = min(n_tasks, 30)
    return x, y, task % 2, task % groups, groups


KINDS = ["plain", "collinear", "one group varies", "nearly separated"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(4))
def test_refits_are_each_subset_fitted_alone(kind: str, seed: int):
    x, y, _, group, groups = _sample(seed, kind)
    yf = y.astype(float)
    start = ridge_logistic(x, yf)
    chosen = [g for g in range(groups) if 0 < y[group != g].sum() < (group != g).sum()]
    made = dict(refits(x, yf, group, chosen, start))
    assert sorted(made) == chosen
    for g in chosen:
        alone = ridge_logistic(x[group != g], yf[group != g])[1:]
        assert np.allclose(made[g], alone, rtol=1e-9, atol=1e-9), (g, made[g], alone)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_tasks", [5, 29, 40, 97])
def test_left_out_aurocs_are_cross_fitting_of_each_subset(kind: str, n_tasks: int):
    x, y, side, group, groups = _sample(n_tasks, kind, n_tasks=n_tasks)
    fits: list[np.ndarray | None] = [None, None]
    assert _cross_fitted(x, y, side, fits) is not None
    got = _left_out(x, y, side, group, groups, fits)
    want = []
    for g in range(groups):
        keep = group != g
        want.append(_cross_fitted(x[keep], y[keep], side[keep]))
    assert got == want


def test_settled_refits_take_one_newton_step_each(monkeypatch: pytest.MonkeyPatch):
    # from the full fit, chord steps with the start's Hessian (the full one less each group's
    # part) settle well-behaved refits: their own Hessians are made once, for the last step
    x, y, _, group, groups = _sample(0, "plain", n_tasks=60)
    calls: list[int] = []
    made = ridge._Batch.newton_step

    def counted(self: ridge._Batch, grad: np.ndarray, v: np.ndarray, live: np.ndarray) -> np.ndarray:
        calls.append(len(v))
        return made(self, grad, v, live)

    monkeypatch.setattr(ridge._Batch, "newton_step", counted)
    yf = y.astype(float)
    list(refits(x, yf, group, list(range(groups)), ridge_logistic(x, yf)))
    assert calls == [groups]


def test_a_feature_that_does_not_vary_gets_no_weight():
    # np.std of a constant column is 0 or a rounding residue, depending on the values and
    # their number: either way the column is left unscaled and its slope is nothing
    rng = np.random.default_rng(0)
    x = rng.random((300, 2))
    y = (rng.random(300) < 0.4).astype(float)
    without = ridge_logistic(x, y)
    for value in (0.1, np.log1p(37.0), 1 / 3):
        with_const = ridge_logistic(np.column_stack([x, np.full(300, value)]), y)
        assert abs(with_const[3]) < 1e-12
        assert np.allclose(with_const[1:3], without[1:], rtol=0, atol=1e-12)
