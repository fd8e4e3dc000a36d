"""An interrupted analysis leaves complete files only, and the re-run resumes from the cache."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.helpers import write_ac_dump
from trajdiv.pipeline import run_pipeline


def test_interrupted_run_leaves_old_or_new_and_resumes(tmp_path: Path):
    dump = tmp_path / "dump"
    write_ac_dump(dump, "m", {f"t{i}": [["ls", f"cat {i}"], ["ls", "pwd"]] for i in range(6)})
    out, cache = tmp_path / "out", tmp_path / "cache"
    old = run_pipeline([dump], out, jobs=1, cache_dir=tmp_path / "other-cache")
    before = (out / "runs.parquet").read_bytes()
    write_ac_dump(dump, "m", {"t9": [["grep x"], ["grep y"]]})

    def stop_midway(stage: str, done: int, total: int) -> None:
        if stage == "analyse" and done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_pipeline([dump], out, jobs=1, cache_dir=cache, progress=stop_midway)
    # the old tables are still whole; no temporary file is left behind
    assert (out / "runs.parquet").read_bytes() == before
    assert pl.read_parquet(out / "runs.parquet").height == old.n_runs
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert not [p for p in out.iterdir() if p.name.startswith(".trajdiv-") and p.is_dir()]
    again = run_pipeline([dump], out, jobs=1, cache_dir=cache)
    assert again.sources_from_cache == 7
    assert again.groups_from_cache == 3  # analysed before the interruption
    assert pl.read_parquet(out / "runs.parquet").height == 14
