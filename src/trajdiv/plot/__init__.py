"""Plots of divergence, agreement, branching graphs, pass@k, consistency and spread."""

from trajdiv.plot._plots import PLOT_KINDS, plot_all, plot_one
from trajdiv.plot._style import PALETTE, plain

__all__ = ["PALETTE", "PLOT_KINDS", "plain", "plot_all", "plot_one"]
