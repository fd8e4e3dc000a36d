"""The self-contained HTML report."""

from trajdiv.report._html import esc, render_report, write_report

__all__ = ["esc", "render_report", "write_report"]
