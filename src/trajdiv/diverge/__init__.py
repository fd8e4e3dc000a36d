"""Where repeated runs first diverge: token level and step level, pairwise and per group."""

from trajdiv.diverge._first import (
    agreement_curve,
    first_step_divergence,
    first_token_divergence,
    group_first_divergence,
    majority_split_step,
    pairwise_step_divergence,
)

__all__ = [
    "agreement_curve",
    "first_step_divergence",
    "first_token_divergence",
    "group_first_divergence",
    "majority_split_step",
    "pairwise_step_divergence",
]
