"""The streaming, parallel, cached pipeline that runs the per-group stages."""

from typing import TYPE_CHECKING

from trajdiv._lazy import attach

if TYPE_CHECKING:
    from trajdiv.analysis._group import GroupResult, analyze_group
    from trajdiv.analysis._settings import STAGES, Settings
    from trajdiv.pipeline._engine import ENGINES, default_jobs, map_ordered
    from trajdiv.pipeline._result import PipelineResult
    from trajdiv.pipeline._run import run_pipeline, write_manifest

__all__ = [
    "ENGINES",
    "STAGES",
    "GroupResult",
    "PipelineResult",
    "Settings",
    "analyze_group",
    "default_jobs",
    "map_ordered",
    "run_pipeline",
    "write_manifest",
]

attach(
    globals(),
    {
        "ENGINES": "trajdiv.pipeline._engine",
        "default_jobs": "trajdiv.pipeline._engine",
        "map_ordered": "trajdiv.pipeline._engine",
        "GroupResult": "trajdiv.analysis._group",
        "analyze_group": "trajdiv.analysis._group",
        "PipelineResult": "trajdiv.pipeline._result",
        "run_pipeline": "trajdiv.pipeline._run",
        "write_manifest": "trajdiv.pipeline._run",
        "STAGES": "trajdiv.analysis._settings",
        "Settings": "trajdiv.analysis._settings",
    },
)
