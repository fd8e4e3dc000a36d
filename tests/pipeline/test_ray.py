"""The Ray engine on a local Ray instance gives the same outputs as the local engine."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import TAU, need_realdata
from trajdiv.pipeline import run_pipeline


def test_ray_engine_matches_local_engine(tmp_path: Path, monkeypatch):
    ray = pytest.importorskip("ray", reason="the optional extra trajdiv[ray] is not installed")
    need_realdata()
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        with_ray = run_pipeline([TAU], tmp_path / "ray", jobs=2, engine="ray")
    finally:
        ray.shutdown()
    local = run_pipeline([TAU], tmp_path / "local", jobs=2)
    assert with_ray.n_runs == local.n_runs == 40
    for name in ("runs", "steps", "divergence_pairs", "divergence_groups", "strategies", "graph_summary"):
        a = (tmp_path / "ray" / f"{name}.parquet").read_bytes()
        b = (tmp_path / "local" / f"{name}.parquet").read_bytes()
        assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest(), name
