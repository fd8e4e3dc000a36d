"""Every table format is written atomically and matches its documented schema."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from trajdiv.schemas import all_schemas
from trajdiv.tables import SCHEMAS, frame, schema_markdown, write_table


def test_formats_and_schema(tmp_path: Path):
    df = frame("single_run", [{"config": "c", "run_index": 1, "n_tasks": 3, "pass1": 0.5}])
    paths = write_table(df, tmp_path, "single_run", ("parquet", "csv", "json"))
    assert [p.name for p in paths] == ["single_run.parquet", "single_run.csv", "single_run.jsonl"]
    assert pl.read_parquet(paths[0]).equals(df)
    assert json.loads(paths[2].read_text().splitlines()[0]) == {
        "config": "c",
        "run_index": 1,
        "n_tasks": 3,
        "pass1": 0.5,
    }
    assert list(pl.read_csv(paths[1]).columns) == list(SCHEMAS["single_run"])
    assert not list(tmp_path.glob(".*"))


def test_frame_orders_and_types_columns():
    df = frame("runs", [])
    assert df.columns == list(SCHEMAS["runs"])
    assert df.schema["resolved"] == pl.Boolean
    assert "| `resolved` |" in schema_markdown(["runs"])


def test_each_stage_declares_its_tables_in_stage_order():
    from trajdiv.ingest._tables import RUN_COLUMNS

    assert list(all_schemas()) == [
        "runs",
        "steps",
        "divergence_pairs",
        "divergence_groups",
        "agreement_curve",
        "strategies",
        "graph_summary",
        "branching_factor",
        "early_warning",
        "stats_tasks",
        "pass_k",
        "single_run",
    ]
    runs = list(SCHEMAS["runs"])
    assert runs[: len(RUN_COLUMNS)] == list(RUN_COLUMNS)
    # the columns later stages fill, in the documented order (graph's strategy among diverge's)
    assert runs[len(RUN_COLUMNS) :] == [
        "agent_tokens",
        "total_tokens",
        "strategy",
        "div_token_pct_median",
        "div_step_verb_median",
    ]


def test_atomic_write_makes_its_folder_again_when_it_was_removed(tmp_path: Path):
    import shutil

    from trajdiv._io import atomic_write_bytes

    target = tmp_path / "a" / "b" / "entry"
    atomic_write_bytes(target, b"one")
    shutil.rmtree(tmp_path / "a")  # the folder this process already made, removed since
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["entry"]  # no temporary file left


def test_atomic_write_pieces_writes_their_concatenation_as_utf8(tmp_path: Path):
    """Pieces are written as they come, newlines untranslated; the file is the UTF-8 of their
    concatenation, and a piece that cannot be encoded leaves no file and no temporary behind."""
    import pytest

    from trajdiv._io import atomic_write_pieces

    pieces = ["<p>a\r\nb</p>", "é😀", "", "\n", "\r"]
    target = tmp_path / "page.html"
    atomic_write_pieces(target, iter(pieces))
    assert target.read_bytes() == "".join(pieces).encode("utf-8")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_pieces(tmp_path / "bad.html", ["ok", "\ud800"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 3 << 20])
def test_read_bytes_is_the_files_bytes(tmp_path: Path, size: int):
    from trajdiv._io import read_bytes

    path = tmp_path / "f.bin"
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path.write_bytes(data)
    assert read_bytes(path) == read_bytes(str(path)) == path.read_bytes() == data
    with pytest.raises(FileNotFoundError):
        read_bytes(tmp_path / "missing")
    with pytest.raises(IsADirectoryError):
        read_bytes(tmp_path)
