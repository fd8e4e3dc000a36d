"""The bundled demo corpus analyses cleanly and gives back what its generator planted."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from trajdiv import analyze, demo_corpus

PLANTED_SPLIT = {"demo-steady-1": 4, "demo-mixed-1": 3, "demo-erratic-1": 2}


def test_demo_corpus_recovers_planted_split_steps(tmp_path: Path):
    res = analyze([], tmp_path, jobs=1)
    assert res.pipeline.n_runs == 120
    assert res.pipeline.n_skipped_errors == 0
    assert res.report is not None
    groups = pl.read_parquet(tmp_path / "divergence_groups.parquet")
    runs = json.loads((demo_corpus() / "results_steady" / "demo__pkg-1000.json").read_text())["runs"]
    assert runs[0]["planted_split_step"] == 4
    for cfg, split in PLANTED_SPLIT.items():
        g = groups.filter(pl.col("config") == f"agent-consistency:{cfg}")
        assert g.height == 8
        # runs share exactly split - 1 actions, so no group can diverge earlier
        assert g["first_div_step_exact"].min() >= split
        assert g["first_div_step_exact"].median() == split
