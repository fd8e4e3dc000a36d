"""The per-group analysis: the settings of an analysis and the stages run on one group of runs."""

from typing import TYPE_CHECKING

from trajdiv._lazy import attach

if TYPE_CHECKING:
    from trajdiv.analysis._group import GroupResult, analyze_group
    from trajdiv.analysis._settings import STAGES, Settings

__all__ = ["STAGES", "GroupResult", "Settings", "analyze_group"]

attach(
    globals(),
    {
        "GroupResult": "trajdiv.analysis._group",
        "analyze_group": "trajdiv.analysis._group",
        "STAGES": "trajdiv.analysis._settings",
        "Settings": "trajdiv.analysis._settings",
    },
)
