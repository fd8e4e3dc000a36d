"""trajdiv: where repeated agent runs diverge, which strategies they branch into, and whether
differences between runs are real.

Everything the ``trajdiv`` command does is available here under the same names. Names are loaded
on first use, so ``import trajdiv`` does not pull in polars, networkx or matplotlib until needed.
"""

from typing import TYPE_CHECKING

from trajdiv._errors import InputError, TrajdivError, UsageError
from trajdiv._lazy import attach
from trajdiv.model import Config, Outcome, Run, Step

if TYPE_CHECKING:
    from trajdiv._api import (
        AnalysisResult,
        Comparison,
        analyze,
        compare,
        demo_corpus,
        export_jsonl,
        ingest,
        power,
    )
    from trajdiv.analysis import Settings
    from trajdiv.ingest import Dataset, ReadOptions, read_runs
    from trajdiv.pipeline import PipelineResult, run_pipeline
    from trajdiv.stats import Summary

__all__ = [
    "AnalysisResult",
    "Comparison",
    "Config",
    "Dataset",
    "InputError",
    "Outcome",
    "PipelineResult",
    "ReadOptions",
    "Run",
    "Settings",
    "Step",
    "Summary",
    "TrajdivError",
    "UsageError",
    "analyze",
    "compare",
    "demo_corpus",
    "export_jsonl",
    "ingest",
    "power",
    "read_runs",
    "run_pipeline",
]

attach(
    globals(),
    {
        **dict.fromkeys(
            (
                "AnalysisResult",
                "Comparison",
                "analyze",
                "compare",
                "demo_corpus",
                "export_jsonl",
                "ingest",
                "power",
            ),
            "trajdiv._api",
        ),
        "Dataset": "trajdiv.ingest",
        "ReadOptions": "trajdiv.ingest",
        "read_runs": "trajdiv.ingest",
        "PipelineResult": "trajdiv.pipeline",
        "Settings": "trajdiv.analysis",
        "Summary": "trajdiv.stats",
        "run_pipeline": "trajdiv.pipeline",
    },
)
