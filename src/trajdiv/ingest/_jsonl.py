"""trajdiv's own JSON Lines export: a header line, then one run a line (exact round trip)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from trajdiv._errors import InputError
from trajdiv.ingest._base import ReadContext
from trajdiv.ingest._source import Source
from trajdiv.ingest._stream import json_lines
from trajdiv.model import Run

__all__ = ["EXPORT_HEADER", "JsonlReader", "write_jsonl"]

EXPORT_HEADER = {"trajdiv_export": 1}
"""First line of an export; its version number changes if the line format ever does."""


def write_jsonl(runs: Iterable[Run], path: Path) -> int:
    """Write runs to ``path`` in the export format; returns the number of runs written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from trajdiv.model import Config, Run, Step
    >>> run = Run(task_id="t", run_id="r", config=Config(model="m", scaffold="s"),
    ...           steps=(Step(index=1, action="ls"),))
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "runs.jsonl"
    >>> write_jsonl([run], p)
    1
    """
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(EXPORT_HEADER) + "\n")
        for run in runs:
            fh.write(json.dumps(run.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n


class JsonlReader:
    """Reader for trajdiv's JSONL export."""

    name = "trajdiv-jsonl"
    description = 'trajdiv\'s own JSONL export (header line {"trajdiv_export": 1})'

    def sniff(self, source: Source, head: bytes) -> bool:
        return head.lstrip().startswith(b'{"trajdiv_export"')

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        rows = json_lines(source)
        first = next(rows, None)
        if first is None or first[1] != EXPORT_HEADER:
            raise InputError(source.display, f"first line should be {json.dumps(EXPORT_HEADER)}")
        for lineno, row in rows:
            try:
                yield Run.from_dict(row)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise InputError(source.display, f"line {lineno} is not a run: {exc!r}") from None
