"""Branching graphs of runs, strategy clusters and branching factor."""

from trajdiv.graph._branching import BranchGraph, build_branch_graph, medoid
from trajdiv.graph._strategies import (
    DEFAULT_CLUSTER_THRESHOLD,
    Strategies,
    branching_factor,
    cluster_strategies,
    distance_matrix,
    entropy_bits,
)

__all__ = [
    "DEFAULT_CLUSTER_THRESHOLD",
    "BranchGraph",
    "Strategies",
    "branching_factor",
    "build_branch_graph",
    "cluster_strategies",
    "distance_matrix",
    "entropy_bits",
    "medoid",
]
