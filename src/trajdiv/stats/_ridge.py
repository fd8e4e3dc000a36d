"""The ridge logistic regression of the across-task early-warning model, fitted alone or, for
the jackknife, refitted for many subsets of one sample at once.

A jackknife refit leaves out a group of tasks from a sample whose fit is known. The refits of
all groups are made together: each is the same penalised likelihood (the ridge on the slopes
standardised on the refit's own runs) solved in the original units of the features, where
Newton's method takes the same steps (it does not depend on the coordinates) and the refits
share every array but their weights (a left-out run has weight 0). From the full fit, at which
every refit's Hessian is the full Hessian less the left-out runs' part, the refits take steps
with that Hessian kept (chord steps: a few products of the runs with the coefficients each)
until their steps vanish, then one Newton step with their own Hessian: the optimum of
:func:`ridge_logistic` on the same runs, to rounding. A refit whose steps do not vanish is made
alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

__all__ = ["RIDGE", "flat", "refits", "ridge_logistic"]

RIDGE = 1.0
_STEPS = 50
_TOL = 1e-8
"""A step is vanishing below this on the standardised scale (every coefficient)."""
_CHORD_STEPS = 12
"""Chord steps before a refit that has not settled takes Newton steps."""
_CELLS = 1 << 20
"""Cells of a runs x (features + 1)^2 or refits x runs x features array held at once (8 MB)."""


def flat(sd: npt.NDArray[np.float64], mu: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Which features do not vary: a standard deviation at rounding's size next to the mean
    (whether a constant's computed spread is exactly 0 depends on the order of the sums)."""
    return np.asarray(sd <= 1e-12 * np.maximum(np.abs(mu), 1.0))


def ridge_logistic(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    ridge: float = RIDGE,
    start: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """Coefficients (intercept first) of a logistic regression with an L2 penalty on the
    standardised slopes, by Newton's method.

    ``start`` (coefficients as returned, such as the fit of most of the same rows) saves
    iterations. Newton's method may leave a start far from the optimum, but the penalised
    likelihood is strictly concave, so a fit whose steps vanish is at the optimum: a start from
    which the steps do not vanish is dropped for the usual start at zero. A feature that does
    not vary (:func:`flat`) keeps its scale: it is centred to rounding noise, not divided by it."""
    n, p = x.shape
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[flat(sd, mu)] = 1.0
    z = np.hstack([np.ones((n, 1)), (x - mu) / sd])
    penalty = np.full(p + 1, ridge)
    penalty[0] = 0.0
    beta = None
    if start is not None:  # to the standardised scale: slope_j sd_j, intercept + sum slope_j mu_j
        first = np.concatenate([[start[0] + float(start[1:] @ mu)], start[1:] * sd])
        beta = _newton(z, y, penalty, first)
    if beta is None:
        beta = _newton(z, y, penalty, np.zeros(p + 1), must_converge=False)
    assert beta is not None
    # back to the original scale: slope_j / sd_j, intercept - sum slope_j mu_j / sd_j
    slopes = beta[1:] / sd
    return np.concatenate([[beta[0] - float(slopes @ mu)], slopes])


def _newton(
    z: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    penalty: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    *,
    must_converge: bool = True,
) -> npt.NDArray[np.float64] | None:
    """Newton steps from ``beta`` (changed in place) until they vanish, at most 50; None when
    they do not and ``must_converge``."""
    diag, jitter = np.diag(penalty), 1e-9 * np.eye(len(beta))
    zt = z.T
    for _ in range(_STEPS):
        prob = _prob(z @ beta)
        grad = zt @ (y - prob) - penalty * beta
        hess = (z * (prob * (1 - prob))[:, None]).T @ z + diag + jitter
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < _TOL:
            return beta
    return None if must_converge else beta


def refits(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    group: npt.NDArray[np.int64],
    chosen: list[int],
    start: npt.NDArray[np.float64],
) -> Iterator[tuple[int, npt.NDArray[np.float64]]]:
    """For each g in ``chosen``, g and the slopes of :func:`ridge_logistic` of the rows of ``x``
    whose ``group`` is not g, started from ``start`` (the fit of all the rows; see the module
    docstring), a batch of refits at a time."""
    n, p = x.shape
    per_batch = max(1, _CELLS // max(n * p, 1))
    centre = x.mean(axis=0)
    x1 = np.empty((n, p + 1))
    x1[:, 0] = 1.0
    x1[:, 1:] = x - centre  # centred: sums of squares stay well conditioned
    theta0 = np.concatenate([[start[0] + float(start[1:] @ centre)], start[1:]])
    parts = _group_hessians(x1, theta0, group, max(int(group.max(initial=0)), *chosen) + 1)
    for first in range(0, len(chosen), per_batch):
        batch = np.asarray(chosen[first : first + per_batch], dtype=np.int64)
        w = (group[None, :] != batch[:, None]).astype(np.float64)
        fit = _Batch(x, x1, centre, y, w)
        theta = np.repeat(theta0[None, :], len(batch), axis=0)
        done = fit.solve(theta, parts.sum(axis=0) - parts[batch])
        for i, g in enumerate(batch.tolist()):
            rows = w[i] > 0
            yield g, theta[i, 1:] if done[i] else ridge_logistic(x[rows], y[rows])[1:]


def _group_hessians(
    x1: npt.NDArray[np.float64], theta: npt.NDArray[np.float64], group: npt.NDArray[np.int64], n_groups: int
) -> npt.NDArray[np.float64]:
    """Each group's part of the likelihood's Hessian at ``theta``: sum of p (1 - p) x x^T over
    its rows."""
    prob = _prob(x1 @ theta)
    member = group[None, :] == np.arange(n_groups)[:, None]
    return _weighted_hessians(x1, member * (prob * (1 - prob))[None, :])


def _prob(eta: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The logistic function of linear predictors clipped to +-30 (as every fit here clips them)."""
    return np.asarray(1 / (1 + np.exp(-np.clip(eta, -30, 30))))


class _Batch:
    """Refits of one sample with weights ``w`` (refit x run): the penalty and the scale of
    each refit's standardised coefficients."""

    def __init__(
        self,
        x: npt.NDArray[np.float64],
        x1: npt.NDArray[np.float64],
        centre: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        w: npt.NDArray[np.float64],
    ) -> None:
        n, p = x.shape
        count = w.sum(axis=1)
        mu = (w @ x) / count[:, None]
        sd = np.empty_like(mu)
        step = max(1, _CELLS // max(n * p, 1))
        for a in range(0, len(w), step):  # two passes, as np.std
            d = x[None, :, :] - mu[a : a + step, None, :]
            sd[a : a + step] = np.sqrt(
                np.einsum("gi,gij->gj", w[a : a + step], d * d) / count[a : a + step, None]
            )
        sd[flat(sd, mu)] = 1.0
        self.x1, self.y, self.w = x1, y, w
        self.offset = mu - centre
        self.sd = sd
        q = p + 1
        self.penalty = np.zeros((len(w), q))
        self.penalty[:, 1:] = RIDGE * sd * sd  # the ridge on slope_j sd_j, in the original units
        self.jitter = np.zeros((len(w), q))
        self.jitter[:, 0] = 1e-9
        self.jitter[:, 1:] = 1e-9 * sd * sd

    def gradient(
        self, theta: npt.NDArray[np.float64], live: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Each live refit's gradient at ``theta[live]``, and its runs' p (1 - p) weights."""
        prob = _prob(theta[live] @ self.x1.T)
        grad = (self.w[live] * (self.y[None, :] - prob)) @ self.x1 - self.penalty[live] * theta[live]
        return grad, self.w[live] * prob * (1 - prob)

    def standardised(
        self, step: npt.NDArray[np.float64], live: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """``step`` on the standardised scale: intercept + sum step_j (mu_j - centre_j), step_j sd_j."""
        out = step.copy()
        out[:, 0] += (step[:, 1:] * self.offset[live]).sum(axis=1)
        out[:, 1:] *= self.sd[live]
        return out

    def solve(
        self, theta: npt.NDArray[np.float64], hessian: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        """Chord steps with ``hessian`` (each refit's likelihood Hessian at the start) until each
        refit's step vanishes, then one Newton step; ``theta`` changed in place. Whether each
        refit converged."""
        g, q = theta.shape
        eye = np.arange(q)
        held = hessian.copy()
        held[:, eye, eye] += self.penalty + self.jitter
        inverse = np.linalg.inv(held)
        done = np.zeros(g, dtype=bool)
        polish = np.zeros(g, dtype=bool)
        for i in range(_STEPS):
            live = np.flatnonzero(~done)
            if not len(live):
                break
            grad, v = self.gradient(theta, live)
            if i < _CHORD_STEPS:
                step = np.einsum("gij,gj->gi", inverse[live], grad)
            else:  # slow to settle (the start was far): Newton steps, each with its own Hessian
                step = self.newton_step(grad, v, live)
            theta[live] += step
            ended = live[np.abs(self.standardised(step, live)).max(axis=1) < _TOL]
            done[ended] = True
            polish[ended] = i < _CHORD_STEPS
        live = np.flatnonzero(polish)
        if len(live):  # after chord steps, one Newton step
            grad, v = self.gradient(theta, live)
            theta[live] += self.newton_step(grad, v, live)
        return done

    def newton_step(
        self, grad: npt.NDArray[np.float64], v: npt.NDArray[np.float64], live: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float64]:
        """Each live refit's Newton step, from its gradient and its runs' weights ``v``."""
        own = _weighted_hessians(self.x1, v)
        eye = np.arange(own.shape[1])
        own[:, eye, eye] += self.penalty[live] + self.jitter[live]
        return np.asarray(np.linalg.solve(own, grad[:, :, None])[:, :, 0])


def _weighted_hessians(x1: npt.NDArray[np.float64], v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """sum_i v[g, i] x_i x_i^T for each row g of ``v``, a slice of runs at a time."""
    n, q = x1.shape
    out = np.zeros((len(v), q * q))
    rows = max(1, _CELLS // (q * q))
    for a in range(0, n, rows):
        part = x1[a : a + rows]
        out += v[:, a : a + rows] @ (part[:, :, None] * part[:, None, :]).reshape(len(part), q * q)
    return out.reshape(len(v), q, q)
