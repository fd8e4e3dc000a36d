"""Plots (placeholder module replaced below)."""
