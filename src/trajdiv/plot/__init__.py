"""Plots of divergence, agreement, branching graphs, pass@k, consistency and spread."""

from trajdiv.plot._plots import NEEDS_REPEATS, PLOT_KINDS, left_out, plot_all, plot_one
from trajdiv.plot._style import PALETTE, plain

__all__ = ["NEEDS_REPEATS", "PALETTE", "PLOT_KINDS", "left_out", "plain", "plot_all", "plot_one"]
