#!/usr/bin/env python3
"""Ray benchmark on a two-node cluster started on this machine, and a projection to N nodes.

Measured side by side in one run, on the shared dumps (or the folders given):

* the per-group stages with the local engine on one core (the per-run compute cost);
* the same through a two-node Ray cluster (two `ray start` processes with their own temporary
  folders, one CPU each), with the bytes every task carried through the object store;
* the object store's transfer rate between the driver and a task on the other node.

From these it projects the wall time of 60,000 runs on N nodes: the driver's own work (planning,
label bookkeeping, spilling, writing tables), plus the larger of the task compute divided over
the cluster's cores and the data that must pass through the driver (every file's bytes out, its
runs back; every group's runs out, its tables back) at the measured transfer rate.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent))

from tests.ray_cluster import two_node_cluster

from trajdiv.pipeline import _engine, _passes, run_pipeline


def _timed(fn: Any, spent: list[float]) -> Any:
    def wrapper(state: Any, item: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(state, item)
        finally:
            spent.append(time.perf_counter() - t0)

    return wrapper


def _transfer_rate(ray: Any, mb: int, repeats: int) -> tuple[float, float]:
    """MB/s driver -> task on the other node, and task -> driver (median of ``repeats``)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    head = ray.get_runtime_context().get_node_id()
    other = next(n["NodeID"] for n in ray.nodes() if n["Alive"] and n["NodeID"] != head)
    strategy = NodeAffinitySchedulingStrategy(node_id=other, soft=False)

    @ray.remote(scheduling_strategy=strategy)
    def take(blob: bytes) -> int:
        return len(blob)

    @ray.remote(scheduling_strategy=strategy)
    def make(n: int) -> bytes:
        return os.urandom(n)

    n = mb * 1024 * 1024
    ray.get(take.remote(b"warm-up"))
    out, back = [], []
    for _ in range(repeats):
        blob = os.urandom(n)
        t0 = time.perf_counter()
        assert ray.get(take.remote(blob)) == n
        out.append(mb / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        assert len(ray.get(make.remote(n))) == n
        back.append(mb / (time.perf_counter() - t0))
    return sorted(out)[len(out) // 2], sorted(back)[len(back) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", type=Path, default=[HERE.parent.parent / "shared" / "realdata"])
    ap.add_argument("--runs", type=int, default=60_000, help="corpus size of the projection")
    ap.add_argument("--nodes", default="1,4,16,64", help="node counts of the projection")
    ap.add_argument("--cores", type=int, default=8, help="cores per node in the projection")
    ap.add_argument("--mb", type=int, default=64, help="object size of the transfer-rate probe")
    args = ap.parse_args()
    import ray

    with tempfile.TemporaryDirectory(prefix="trajdiv-bench-ray-") as tmp_:
        tmp = Path(tmp_)
        # one core, in this process: the tasks' own time is the compute a cluster spreads out;
        # the rest (planning, label bookkeeping, writing tables) stays on the driver
        spent: list[float] = []
        parse, group = _passes.parse_source, _passes.process_group
        _passes.parse_source, _passes.process_group = _timed(parse, spent), _timed(group, spent)  # type: ignore[assignment]
        try:
            t0 = time.perf_counter()
            local = run_pipeline(args.inputs, tmp / "local", jobs=1, cache_dir=None)
            t_local = time.perf_counter() - t0
        finally:
            _passes.parse_source, _passes.process_group = parse, group  # type: ignore[assignment]
        t_tasks = sum(spent)

        sent: list[int] = []
        back: list[int] = []
        get = _engine._ray_result

        def measured_get(ray_: Any, ref: Any) -> Any:
            value = get(ray_, ref)
            back.append(len(pickle.dumps(value)))
            return value

        with two_node_cluster(tmp, object_store_mb=400) as cluster:
            try:
                _engine.RAY_SUBMIT.append(lambda item, setup: sent.append(len(pickle.dumps(item))))
                _engine._ray_result = measured_get  # type: ignore[assignment]
                t0 = time.perf_counter()
                run_pipeline(
                    args.inputs, tmp / "ray", jobs=2, engine="ray", address=cluster.gcs, cache_dir=None
                )
                t_ray = time.perf_counter() - t0
                rate_out, rate_back = _transfer_rate(ray, args.mb, 3)
            finally:
                _engine.RAY_SUBMIT.clear()
                _engine._ray_result = get  # type: ignore[assignment]
                if ray.is_initialized():
                    ray.shutdown()
        same = all(
            (tmp / "ray" / p.relative_to(tmp / "local")).read_bytes() == p.read_bytes()
            for p in (tmp / "local").rglob("*.parquet")
        )

    runs, groups = local.n_runs, local.n_groups
    per_run_cpu = t_tasks / runs
    per_run_driver = (t_local - t_tasks) / runs
    per_run_bytes = (sum(sent) + sum(back)) / runs
    rate = min(rate_out, rate_back) * 1024 * 1024
    print(f"corpus: {runs} runs in {groups} groups ({', '.join(str(p) for p in args.inputs)})")
    print(f"local engine, 1 core:       {t_local:6.2f} s: tasks {t_tasks:.2f} s ({1000 * per_run_cpu:.2f} ms per run), "
          f"driver {t_local - t_tasks:.2f} s ({1000 * per_run_driver:.2f} ms per run)")  # fmt: skip
    print(f"Ray, 2 nodes x 1 CPU:       {t_ray:6.2f} s  (ratio to 1 local core {t_ray / t_local:.2f}); "
          f"tables identical: {same}")  # fmt: skip
    print(f"data through the object store: {sum(sent) / 1e6:.1f} MB out in {len(sent)} tasks, "
          f"{sum(back) / 1e6:.1f} MB back ({per_run_bytes / 1e3:.1f} kB per run)")  # fmt: skip
    print(f"object store, driver -> other node: {rate_out:.0f} MB/s; other node -> driver: {rate_back:.0f} MB/s "
          f"({args.mb} MB objects, median of 3)")  # fmt: skip
    print(f"projection for {args.runs:,} runs of this kind, {args.cores} cores per node "
          f"(driver work + the larger of spread compute and driver transfers):")  # fmt: skip
    driver = args.runs * per_run_driver
    compute = args.runs * per_run_cpu
    data = args.runs * per_run_bytes / rate
    for n in (int(x) for x in args.nodes.split(",")):
        spread = compute / (n * args.cores)
        wall = driver + max(spread, data)
        print(f"  {n:3d} node(s): {wall / 60:6.1f} min  (driver {driver / 60:.1f} min + "
              f"max(compute {spread / 60:.2f} min, transfers {data / 60:.2f} min))")  # fmt: skip


if __name__ == "__main__":
    main()
