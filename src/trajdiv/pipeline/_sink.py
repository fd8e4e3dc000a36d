"""Tables written incrementally: frames appended to parquet parts, joined at the end."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import polars as pl

from trajdiv.tables import frame, write_table

__all__ = ["TableSink"]

_FLUSH_ROWS = 20_000
"""Rows of one table held in memory before they go to a part file."""

_FLUSH_FRAMES = 256
"""Frames of one table held apart before they are joined into one (a group's frame of a row or
two carries an Arrow array per column: thousands of them would hold hundreds of MB)."""

_ROW_GROUP_BYTES = 32 << 20
"""About this many bytes of a table (uncompressed) per Parquet row group: writing holds a row
group in memory, and a table of long texts (the steps' observations) would otherwise hold
hundreds of MB at 50,000 rows."""


Part = tuple[Path, int]
"""A part file and its rows."""


class TableSink:
    """Appends frames per table to numbered parquet parts; joins them at the end.

    :meth:`cut` ends a run of parts (every table's rows so far are in parts, and the parts since
    the previous cut are returned): the pipeline cuts after each chunk of groups, so that the
    parts of a chunk depend on its groups alone and can be kept and placed again
    (:meth:`add_part`) by a later run.
    """

    def __init__(self, parts_dir: Path) -> None:
        self.parts_dir = parts_dir
        self.buffers: dict[str, list[pl.DataFrame]] = defaultdict(list)
        self.rows: dict[str, int] = defaultdict(int)
        self.total: dict[str, int] = defaultdict(int)
        self.parts: dict[str, list[Path]] = defaultdict(list)
        self.part_rows: dict[str, list[int]] = defaultdict(list)
        self._cut_at: dict[str, int] = defaultdict(int)
        self._staged = 0

    def add(self, name: str, df: pl.DataFrame) -> None:
        frames = self.buffers[name]
        frames.append(df)
        self.rows[name] += df.height
        self.total[name] += df.height
        if self.rows[name] >= _FLUSH_ROWS:
            self.flush(name)
        elif len(frames) >= _FLUSH_FRAMES:  # many small frames cost more than their rows
            self.buffers[name] = [pl.concat(frames, how="vertical", rechunk=True)]

    def flush(self, name: str) -> None:
        frames = self.buffers.pop(name, [])
        self.rows[name] = 0
        if not frames:
            return
        path = self._next_part(name)
        # parts are compressed once, when they are joined into the final table; a big part is
        # written in row groups of about _ROW_GROUP_BYTES (one row group is encoded in memory)
        df = pl.concat(frames, how="vertical")
        size = int(df.estimated_size())
        rows = None if size <= 2 * _ROW_GROUP_BYTES else max(1, _ROW_GROUP_BYTES * df.height // size)
        df.write_parquet(path, compression="uncompressed", row_group_size=rows)
        self.parts[name].append(path)
        self.part_rows[name].append(df.height)

    def _next_part(self, name: str) -> Path:
        d = self.parts_dir / name
        d.mkdir(parents=True, exist_ok=True)
        return d / f"part-{len(self.parts[name]):06d}.parquet"

    def cut(self) -> dict[str, list[Part]]:
        """Flush every table; the parts written since the previous cut, per table."""
        for name in list(self.buffers):
            self.flush(name)
        made = {}
        for name, paths in self.parts.items():
            at = self._cut_at[name]
            if len(paths) > at:
                made[name] = list(zip(paths[at:], self.part_rows[name][at:], strict=True))
            self._cut_at[name] = len(paths)
        return made

    def staging(self) -> Path:
        """A new name in the sink's folder for a kept part about to be placed (:meth:`add_part`
        moves it to its place)."""
        folder = self.parts_dir / ".staged"
        if not self._staged:
            folder.mkdir(parents=True, exist_ok=True)
        self._staged += 1
        return folder / f"{self._staged:08d}.parquet"

    def add_part(self, name: str, part: Path, rows: int) -> None:
        """Place a part kept from an earlier run (right after a :meth:`cut`): the file ``part``
        is moved into the sink's folder (on the same disk)."""
        if self.buffers.get(name):
            raise RuntimeError(f"table {name}: a part placed between cuts")
        path = self._next_part(name)
        os.replace(part, path)
        self.parts[name].append(path)
        self.part_rows[name].append(rows)
        self.total[name] += rows
        self._cut_at[name] = len(self.parts[name])

    def finish(self, out_dir: Path, formats: tuple[str, ...], names: tuple[str, ...]) -> dict[str, Path]:
        written = {}
        for name in names:
            self.flush(name)
            parts = self.parts.get(name, [])
            # one scan of every part (a concatenation of one scan per part is slower)
            df = pl.scan_parquet(parts) if parts else frame(name, []).lazy()
            write_table(df, out_dir, name, formats, row_group_size=_row_group_rows(parts, self.total[name]))
            written[name] = out_dir / f"{name}.parquet"
        return written


def _row_group_rows(parts: list[Path], rows: int) -> int:
    """Rows per Parquet row group: about :data:`_ROW_GROUP_BYTES` of the table (judged by its
    uncompressed parts), between 1,000 and 50,000 rows."""
    size = sum(p.stat().st_size for p in parts)
    if not rows or not size:
        return 50_000
    return max(1_000, min(50_000, _ROW_GROUP_BYTES * rows // size))
