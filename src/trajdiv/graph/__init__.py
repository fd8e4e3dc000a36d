"""Branching graphs of runs, strategy clusters and branching factor."""

from typing import TYPE_CHECKING

from trajdiv._lazy import attach

if TYPE_CHECKING:
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

attach(
    globals(),
    {
        "BranchGraph": "trajdiv.graph._branching",
        "build_branch_graph": "trajdiv.graph._branching",
        "medoid": "trajdiv.graph._branching",
        "DEFAULT_CLUSTER_THRESHOLD": "trajdiv.graph._strategies",
        "Strategies": "trajdiv.graph._strategies",
        "branching_factor": "trajdiv.graph._strategies",
        "cluster_strategies": "trajdiv.graph._strategies",
        "distance_matrix": "trajdiv.graph._strategies",
        "entropy_bits": "trajdiv.graph._strategies",
    },
)
