"""Small hand-made runs and dumps for tests."""

from __future__ import annotations

import json
from pathlib import Path

from trajdiv.model import Config, Outcome, Run, Step


def make_run(
    actions: list[str],
    *,
    task: str = "t1",
    run_id: str = "r1",
    index: int | None = 1,
    resolved: bool | None = None,
    thoughts: list[str] | None = None,
    model: str = "m",
) -> Run:
    thoughts = thoughts or [""] * len(actions)
    return Run(
        task_id=task,
        run_id=run_id,
        run_index=index,
        config=Config(model=model, scaffold="test"),
        steps=tuple(
            Step(index=i + 1, thought=th, action=a, observation=f"out {i}")
            for i, (a, th) in enumerate(zip(actions, thoughts, strict=True))
        ),
        outcome=Outcome(resolved=resolved, source=None if resolved is None else "test"),
        source=f"{task}-{run_id}.json",
        fmt="test",
    )


def write_ac_dump(root: Path, key: str, tasks: dict[str, list[list[str]]], model: str = "m-1") -> Path:
    """An agent-consistency layout: results_<key>/<task>.json with runs[] of shell actions."""
    folder = root / f"results_{key}"
    folder.mkdir(parents=True, exist_ok=True)
    for n, (task, runs) in enumerate(tasks.items()):
        obj = {
            "task_id": task,
            "model": model,
            "temperature": 0.5,
            "runs": [
                {
                    "run_id": f"{task}_run_{k + 1:02d}",
                    "steps": [
                        {
                            "step_number": i + 1,
                            "thought": f"t{i}",
                            "action": a,
                            "observation": "o",
                            "returncode": 0,
                        }
                        for i, a in enumerate(actions)
                    ],
                    "final_output": "diff",
                    "total_cost": 0.1 * (k + 1),
                    "n_calls": len(actions) + 1,
                }
                for k, actions in enumerate(runs)
            ],
        }
        plain = len(task.encode()) < 200 and "/" not in task
        (folder / (f"{task}.json" if plain else f"task-{n}.json")).write_text(json.dumps(obj))
    return folder


def write_report(root: Path, key: str, k: int, resolved: list[str], unresolved: list[str]) -> Path:
    """A SWE-bench harness report named <key>.<key>-local-run<k>.json."""
    path = root / f"{key}.{key}-local-run{k}.json"
    path.write_text(
        json.dumps(
            {
                "total_instances": 100,
                "submitted_ids": resolved + unresolved,
                "resolved_ids": resolved,
                "unresolved_ids": unresolved,
                "empty_patch_ids": [],
                "error_ids": [],
            }
        )
    )
    return path


def made_with_groups(inputs: list[Path], tmp_path: Path, settings: object, part: str) -> tuple[Path, object]:
    """Analyse ``inputs`` into ``tmp_path/out`` with a cache, then again with ``-j 2`` from the
    cache; checks that ``part`` (a per-group field of the result: ``cells``, ``early``) covers
    every group of the runs table and comes back the same from the cache. Returns the output
    folder and the first result."""
    import polars as pl

    from trajdiv import run_pipeline

    out, cache = tmp_path / "out", tmp_path / "cache"
    res = run_pipeline(inputs, out, settings, jobs=1, cache_dir=cache)
    again = run_pipeline(inputs, tmp_path / "out2", settings, jobs=2, cache_dir=cache)
    keys = set(pl.read_parquet(out / "runs.parquet").select("config", "task_id").iter_rows())
    assert set(getattr(res, part)) == keys
    assert getattr(again, part) == getattr(res, part)  # kept with the cached groups
    assert again.groups_from_cache + again.chunks_from_cache > 0
    return out, res
