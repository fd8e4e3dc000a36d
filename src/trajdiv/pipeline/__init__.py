"""The streaming, parallel, cached pipeline that runs the per-group stages."""

from trajdiv.pipeline._engine import ENGINES, default_jobs, map_ordered
from trajdiv.pipeline._group import GroupResult, analyze_group
from trajdiv.pipeline._run import PipelineResult, run_pipeline, write_manifest
from trajdiv.pipeline._settings import STAGES, Settings

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
