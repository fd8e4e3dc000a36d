"""Figures made with the groups (in the workers, kept with each group's cached result) are the
figures the statistics compute from the tables."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers import write_ac_dump
from trajdiv.pipeline import run_pipeline
from trajdiv.pipeline._workers import action_jsd
from trajdiv.stats._consistency import jensen_shannon
from trajdiv.stats._summary import summarize_apart


def _same(out: Path, made: dict[tuple[str, str], float | None]) -> None:
    a = summarize_apart(out)
    b = summarize_apart(out, action_jsd=made)
    assert json.dumps(a.summary, sort_keys=True) == json.dumps(b.summary, sort_keys=True)
    assert a.tables.keys() == b.tables.keys()
    for name, df in a.tables.items():
        assert df.equals(b.tables[name], null_equal=True), name


def test_action_jsd_made_with_the_groups_is_the_one_from_the_steps_table(tmp_path: Path, realdata: Path):
    res = run_pipeline([realdata], tmp_path / "o", jobs=1)
    assert len(res.action_jsd) == res.n_groups
    assert any(v for v in res.action_jsd.values())
    _same(tmp_path / "o", res.action_jsd)
    # a map that lacks a group, or holds other values, is not taken for the runs table's
    some = dict(list(res.action_jsd.items())[1:])
    _same(tmp_path / "o", some)
    wrong = {k: (None if v is None else v + 0.25) for k, v in res.action_jsd.items()}
    changed = summarize_apart(tmp_path / "o", action_jsd=wrong).tables["stats_tasks"]
    assert not changed.equals(summarize_apart(tmp_path / "o").tables["stats_tasks"])


def test_action_jsd_of_unicode_run_ids_and_uneven_runs(tmp_path: Path):
    tasks = {"org__pkg-1": [["ls", "cat a", "ls"], ["grep x"], ["ls", "ls"]], "org__pkg-2": [["ls"]]}
    write_ac_dump(tmp_path / "d", "m", tasks)
    res = run_pipeline([tmp_path / "d"], tmp_path / "o", jobs=1)
    _same(tmp_path / "o", res.action_jsd)
    assert res.action_jsd[("agent-consistency:m-1", "org__pkg-2")] is None  # one run: no pair


def test_action_jsd_by_hand():
    rows = [
        {"run_id": "b", "verb": "ls"},
        {"run_id": "a", "verb": "ls"},
        {"run_id": "a", "verb": "cat"},
        {"run_id": "c", "verb": None},
    ]
    a, b, c = Counter({"ls": 1, "cat": 1}), Counter({"ls": 1}), Counter({None: 1})
    with pytest.raises(TypeError):  # None and text verbs do not sort together
        jensen_shannon(a, c)
    assert action_jsd(rows) == []  # left to the statistics
    assert action_jsd(rows[:3]) == [pytest.approx(jensen_shannon(a, b))]
    assert action_jsd([{"run_id": "x", "verb": None}] * 3) == [None]  # one run
    assert action_jsd([]) == [None]


def test_the_pairs_statistics_made_elsewhere_meanwhile_are_the_same(analysis: Path):
    """``run`` may make the comparisons and power curves elsewhere (a worker) while the rest is
    computed: they come back when the summary is put together, and nothing changes."""
    started: list[str] = []

    def later(fn, *args):
        started.append(fn.__name__)
        return lambda: fn(*args)  # made only when asked for, after everything else

    here = summarize_apart(analysis)
    apart = summarize_apart(analysis, run=later)
    assert started == ["across_configs"]
    assert apart.summary == here.summary
    assert here.summary["across_configs"]
    assert all(apart.tables[name].equals(df) for name, df in here.tables.items())
