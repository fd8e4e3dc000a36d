"""The Ray engine on a two-node cluster started on this machine: outputs byte-identical to the
local engine, and no task argument names a file on the driver's disk (input, spill or cache).

The nodes are two `ray start` processes with their own temporary folders and one CPU each; the
driver joins them by address, as it would join a cloud cluster whose workers do not share its
disk. Workers start in another folder than the driver's, so a relative input path they tried to
open would not resolve there.
"""

from __future__ import annotations

import os
import pickle
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REALDATA, need_realdata
from tests.ray_cluster import RayMissingError, two_node_cluster
from trajdiv.ingest import Source
from trajdiv.pipeline import _engine, run_pipeline

ray = pytest.importorskip("ray", reason="the optional extra trajdiv[ray] is not installed")


def _warm_up_client(address: str) -> None:
    """Connect once through Ray Client before the test: in a fresh environment its server's
    first start (a new Python process importing Ray for the first time) can outlast Ray's own
    connection timeout; later connections are quick."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    for attempt in range(3):
        try:
            ray.init(address=address, log_to_driver=False)
            return
        except Exception:
            if attempt == 2:
                raise
        finally:
            if ray.is_initialized():
                ray.shutdown()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    try:
        with two_node_cluster(tmp_path_factory.mktemp("ray")) as c:
            try:
                _warm_up_client(c.client)
                yield {"gcs": c.gcs, "client": c.client}
            finally:
                if ray.is_initialized():
                    ray.shutdown()
    except RayMissingError as exc:
        pytest.skip(str(exc))


def _paths_in(value: Any, found: list[str]) -> None:
    """Every Source in a task argument that still has a path on disk."""
    if isinstance(value, Source):
        if value.fs_path is not None or value.data is None:
            found.append(value.display)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _paths_in(v, found)


@pytest.mark.parametrize("address", ["gcs", "client"])
def test_two_node_cluster_gets_data_not_paths(cluster, address, tmp_path: Path, monkeypatch):
    need_realdata()
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    # inputs by relative path from the driver's folder, an archive among them
    work = tmp_path / "driver"
    work.mkdir()
    (work / "dumps").symlink_to(REALDATA, target_is_directory=True)
    with tarfile.open(work / "tau.tar.gz", "w:gz") as tf:
        tf.add(REALDATA / "tau-bench", arcname="tau-bench-copy")
    monkeypatch.chdir(work)
    inputs: list[str | Path] = ["dumps", "tau.tar.gz"]
    cache = tmp_path / "cache"

    submitted: list[tuple[Any, bytes]] = []
    unsafe: list[str] = []

    def observe(item: Any, setup: Any) -> None:
        submitted.append((item, pickle.dumps((item, setup))))
        _paths_in(item, unsafe)

    monkeypatch.setattr(_engine, "RAY_SUBMIT", [observe])
    try:
        first = run_pipeline(
            inputs, tmp_path / "ray", jobs=2, engine="ray", address=cluster[address], cache_dir=cache
        )
        n_first = len(submitted)
        alive = [n for n in ray.nodes() if n["Alive"]]
        again = run_pipeline(
            inputs, tmp_path / "ray2", jobs=2, engine="ray", address=cluster[address], cache_dir=cache
        )
    finally:
        ray.shutdown()
    local = run_pipeline(inputs, tmp_path / "local", jobs=2, cache_dir=None)

    assert len(alive) == 2
    assert first.n_runs == local.n_runs > 300
    assert first.n_groups == local.n_groups
    # pass 1 (a task per file) and pass 2 (a task per group) went through the cluster ...
    files = [item for item, _ in submitted if isinstance(item[0], Source)]
    groups = [item for item, _ in submitted if not isinstance(item[0], Source)]
    assert len(files) == len({item[0].display for item in files}) > 50
    assert len(groups) == local.n_groups
    assert all(len(g[3]) == len(g[2]) for g in groups)
    # ... and the second run found everything in the driver's cache
    assert n_first == len(submitted)
    assert again.sources_from_cache == len(files)
    assert again.groups_from_cache == local.n_groups
    assert not unsafe
    for _, blob in submitted:
        for forbidden in (str(tmp_path), str(REALDATA), str(REALDATA.resolve()), str(cache)):
            assert forbidden.encode() not in blob
    names = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*") if p.is_file())
    names = [n for n in names if not n.name.startswith(".trajdiv-")]
    assert any(n.suffix == ".graphml" for n in names)
    for out in ("ray", "ray2"):
        for name in names:
            assert (tmp_path / out / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), (
                out,
                name,
            )
