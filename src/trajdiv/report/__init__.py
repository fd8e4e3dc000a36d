"""The self-contained HTML report."""

from trajdiv.report._data import app_data, browser_data, with_cv
from trajdiv.report._html import esc, render_report, write_report

__all__ = ["app_data", "browser_data", "esc", "render_report", "with_cv", "write_report"]
