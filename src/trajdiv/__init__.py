"""trajdiv: where repeated agent runs diverge, which strategies they branch into, and whether
differences between runs are real.

Everything the ``trajdiv`` command does is available here under the same names.
"""

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
from trajdiv._errors import InputError, TrajdivError, UsageError
from trajdiv.ingest import Dataset, read_runs
from trajdiv.model import Config, Outcome, Run, Step
from trajdiv.pipeline import PipelineResult, Settings, run_pipeline

__all__ = [
    "AnalysisResult",
    "Comparison",
    "Config",
    "Dataset",
    "InputError",
    "Outcome",
    "PipelineResult",
    "Run",
    "Settings",
    "Step",
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
