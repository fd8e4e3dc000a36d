"""The table sink sizes Parquet row groups by bytes, so writing a table of long texts holds little."""

from __future__ import annotations

from pathlib import Path

from trajdiv.pipeline._sink import _ROW_GROUP_BYTES, _row_group_rows


def test_row_groups_hold_about_a_fixed_number_of_bytes(tmp_path: Path):
    part = tmp_path / "p.parquet"
    part.write_bytes(b"x" * 1000)
    assert _row_group_rows([part], 10) == 50_000  # short rows: the usual 50,000
    assert _row_group_rows([part], 0) == 50_000
    big = tmp_path / "big.parquet"
    with open(big, "wb") as fh:
        fh.truncate(4 * _ROW_GROUP_BYTES)
    assert _row_group_rows([big], 40_000) == 10_000  # a quarter of the rows per group
    assert _row_group_rows([big], 100) == 1_000  # never below 1,000
