"""The task browser's cells made with each group equal those read from the steps table."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import made_with_groups, write_ac_dump
from tests.report.test_report import PAYLOADS, STEP_COLUMNS, _cells_walked
from trajdiv.report._cells import group_cells, read_cells

ROWS = [
    ("c", "t1", "r2", 1, "bad json", "bad", "bad", "other", "other", True),
    ("c", "t1", "r1", 2, "é😀" * 200, None, "cat", None, "read", None),
    ("c", "t1", "r1", None, None, "x\u202ey", "", "edit", "edit", False),
    ("c", "t1", "r1", 1, "ls -la", "ls", "ls", "explore", "explore", False),
    ("c", "t1", "r10", 1, "</script>", "<b>", "&", "a\x00b", "{0}", False),
    ("c", "t1", "r3", 1, "ls -la", "ls", "ls", "explore", "explore", True),
    ("c", "t1", "r3", 2, "pytest {1}", "pytest", "pytest", "test", "test", False),
]


def _filled(blob: bytes, keep: bool) -> tuple[dict[str, tuple[list, int]], list[str]]:
    """A group's cells filled in with the positions of a table holding only its texts."""
    made = read_cells(blob, keep)
    assert made is not None
    texts, runs = made
    at = [str(i) for i in range(len(texts))]
    return {rid: (json.loads(t.format(*at)), h) for rid, t, h in runs}, texts


@pytest.mark.parametrize("keep", [False, True])
def test_group_cells_are_those_of_a_walk_over_the_sorted_steps(keep: bool):
    steps = pl.DataFrame(ROWS, schema=STEP_COLUMNS, orient="row")
    walked, texts = _cells_walked(steps.sort("config", "task_id", "run_id", "step"), keep)
    cells, made_texts = _filled(group_cells(steps.to_dicts(), keep), keep)
    assert made_texts == texts  # raw, cut texts in the walk's order (made page-safe when stored)
    assert cells == {k[2]: v for k, v in walked.items()}
    assert [len(cells["r2"][0]), cells["r2"][1]] == ([1, 0] if keep else [0, 1])  # a format error
    assert read_cells(group_cells(steps.to_dicts(), keep), not keep) is None  # the other setting


@pytest.mark.parametrize(
    "bad", ["{not json", "[true, [1], []]", '[true, [], [["r", "[{0}]", "1"]]]', "[]", "7"]
)
def test_cells_that_are_not_cells_are_refused(bad: str):
    assert read_cells(zlib.compress(bad.encode()), True) is None
    assert read_cells(bad.encode(), True) is None  # not compressed


@pytest.fixture(scope="module")
def dumps(tmp_path_factory, realdata: Path) -> list[Path]:
    """Real dumps with format errors (Gemini), tau-bench, and a dump of hostile texts."""
    root = tmp_path_factory.mktemp("cells")
    runs = [["ls", p, "pytest"] for p in PAYLOADS] + [["ls", "{0} {x}", "pytest"], ["find .", "ls"]]
    write_ac_dump(root / "hostile", "evil<b>", {"t<1>": runs, "t2": runs[::-1]}, model="m")
    return [realdata / "mini-swe-agent-gemini", realdata / "tau-bench", root / "hostile"]


@pytest.mark.parametrize("keep", [False, True])
def test_report_data_from_the_groups_cells_is_the_data_read_from_the_steps_table(
    keep: bool, dumps: list[Path], tmp_path: Path, monkeypatch
):
    import trajdiv.report._data as report_data
    from trajdiv import Settings

    out, res = made_with_groups(dumps, tmp_path, Settings(keep_format_errors=keep), "cells")

    def text(keep_errors: bool, cells=None) -> str:
        data, _ = report_data.browser_data(out, keep_format_errors=keep_errors, cells=cells)
        return report_data.json_for_script(data)

    fresh, other = text(keep), text(not keep)
    assert fresh != other  # the Gemini runs have steps whose output could not be parsed
    read = report_data._steps_by_run
    monkeypatch.setattr(report_data, "_steps_by_run", _not_read)
    assert text(keep, res.cells) == fresh  # the steps table is not read
    monkeypatch.setattr(report_data, "_steps_by_run", read)
    assert text(not keep, res.cells) == other  # made for the other setting: read from the table
    first = sorted(res.cells)[0]
    lacking = {k: v for k, v in res.cells.items() if k != first}
    assert text(keep, lacking) == fresh  # a group without cells: every group read from the table
    flag, texts, runs = json.loads(zlib.decompress(res.cells[first]))
    runs[0][1] = runs[0][1].replace("{0}", f"{{{len(texts)}}}", 1)  # a position it has no text for
    for bad in ("[1, 2]", json.dumps([flag, texts, runs])):
        assert text(keep, {**res.cells, first: zlib.compress(bad.encode())}) == fresh


def _not_read(*args, **kwargs):
    raise AssertionError("the steps table was read")
