"""The early-warning inputs made with each group give the early-warning rows read from the steps
table."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import made_with_groups, write_ac_dump
from trajdiv.stats._early_features import majority_departures
from trajdiv.stats._early_groups import early_from_groups, group_early
from trajdiv.stats._early_summary import load_early_runs
from trajdiv.stats._summary import early_warnings


@pytest.fixture(scope="module")
def dumps(tmp_path_factory, realdata: Path) -> list[Path]:
    """Real dumps with format errors (Gemini) and runs without an outcome (fixtures), tau-bench,
    and a dump whose runs share and leave a common path."""
    root = tmp_path_factory.mktemp("early")
    runs = [["ls", "cat a", "pytest"], ["ls", "cat a", "sed -i x f"], ["ls", "grep b"], ["find .", "ls"]]
    write_ac_dump(
        root / "paths", "bench", {f"t{i}": runs[i % 4 :] + runs[: i % 4] for i in range(6)}, model="m"
    )
    return [
        realdata / "mini-swe-agent-gemini",
        realdata / "tau-bench",
        realdata / "swe-agent",
        root / "paths",
    ]


@pytest.mark.parametrize("level", ["verb", "phase"])
def test_early_warning_from_the_groups_is_that_of_the_steps_table(
    level: str, dumps: list[Path], tmp_path: Path, monkeypatch
):
    import trajdiv.stats._summary as summary
    from trajdiv import Settings, run_pipeline

    out, res = made_with_groups(dumps, tmp_path, Settings(level=level), "early")
    keys = set(res.early)
    read = early_warnings(out)
    assert any(rows for rows in read[1].values())
    load = summary.load_early_runs
    monkeypatch.setattr(summary, "load_early_runs", _not_read)
    assert early_warnings(out, res.early) == read  # the steps table is not read
    monkeypatch.setattr(summary, "load_early_runs", load)
    other = "phase" if level == "verb" else "verb"
    elsewhere = run_pipeline(dumps, tmp_path / "other", Settings(level=other), jobs=1, cache_dir=None)
    assert set(elsewhere.early) == keys
    assert any(json.loads(elsewhere.early[k])[1] != json.loads(res.early[k])[1] for k in keys)
    assert early_warnings(out, elsewhere.early) == read  # made at another level: read from the table
    first = sorted(res.early)[0]
    assert early_warnings(out, {k: v for k, v in res.early.items() if k != first}) == read
    assert early_warnings(out, {**res.early, first: "[1, 2]"}) == read


def test_group_parts_are_the_runs_and_departures_read_from_the_table(dumps: list[Path], tmp_path: Path):
    from trajdiv import run_pipeline

    out = tmp_path / "out"
    res = run_pipeline(dumps, out, jobs=1, cache_dir=None)
    runs = pl.read_parquet(out / "runs.parquet")
    keys = sorted(set(runs.select("config", "task_id").iter_rows()))
    made = early_from_groups(res.early, keys, "verb")
    assert made is not None
    read = load_early_runs(str(out / "steps.parquet"), runs, "verb")
    assert {c: r for c, (r, _) in made.items() if r} == read
    for early, departures in made.values():
        assert departures == majority_departures(early)  # within each task, as the statistics take it
    steps = pl.read_parquet(out / "steps.parquet")
    assert steps["format_error"].any()  # the Gemini runs have steps left out
    assert runs["resolved"].is_null().any()  # and some runs have no outcome


def test_a_group_part_skips_unlabelled_runs_and_format_errors():
    runs = [
        {"run_id": "b", "resolved": True},
        {"run_id": "a", "resolved": False},
        {"run_id": "c", "resolved": None},
    ]
    steps = [
        {"run_id": "a", "step": 2, "verb": "cat", "agent_tokens": 5, "returncode": 1},
        {"run_id": "a", "step": 1, "verb": "ls", "agent_tokens": None, "returncode": None},
        {"run_id": "b", "step": 1, "verb": None, "agent_tokens": 3, "returncode": 0, "format_error": False},
        {"run_id": "b", "step": 2, "verb": "x", "agent_tokens": 3, "returncode": 0, "format_error": True},
        {"run_id": "c", "step": 1, "verb": "ls", "agent_tokens": 1, "returncode": 0},
    ]
    level, names, rows = json.loads(group_early("t", runs, steps, "verb"))
    assert level == "verb"
    assert [[r[0], [names[i] for i in r[1]], r[2], r[3], r[4]] for r in rows] == [
        ["a", ["ls", "cat"], [0, 5], [0, 1], True],
        ["b", ["None"], [3], [0], False],
    ]
    assert [r[5] for r in rows] == [1, 1]  # each leaves the other's path at once


def _not_read(*args, **kwargs):
    raise AssertionError("the steps table was read")
