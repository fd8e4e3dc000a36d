"""Third-party readers: registered at run time or through the entry-point group."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trajdiv import TrajdivError
from trajdiv.ingest import ReadContext, Source, _registry, read_runs, readers, register_reader
from trajdiv.model import Config, Run, Step


class CsvReader:
    """A toy format: one action per line of a .acts file."""

    name = "acts"
    description = "one action per line"

    def sniff(self, source: Source, head: bytes) -> bool:
        return source.name.endswith(".acts")

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        lines = source.read_bytes().decode().split("\\n")
        yield Run(
            task_id=source.name.removesuffix(".acts"),
            run_id="r1",
            run_index=1,
            config=Config(model="toy", scaffold="acts"),
            steps=tuple(Step(index=i + 1, action=a) for i, a in enumerate(x for x in lines if x)),
            source=source.display,
            fmt=self.name,
        )


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(_registry, "_EXTRA", [])
    monkeypatch.setattr(_registry, "_loaded_entry_points", True)


def test_register_reader_at_run_time(tmp_path: Path, clean_registry):
    register_reader(CsvReader())
    (tmp_path / "t1.acts").write_text("ls\\ncat a\\n")
    (run,) = read_runs([tmp_path]).runs
    assert [s.action for s in run.steps] == ["ls", "cat a"]
    assert run.fmt == "acts"
    with pytest.raises(TrajdivError, match="already registered"):
        register_reader(CsvReader())
    with pytest.raises(TrajdivError, match="Reader protocol"):
        register_reader(object())  # type: ignore[arg-type]


def test_entry_point_group_is_loaded(monkeypatch, clean_registry):
    class EP:
        name = "acts"

        def load(self):
            return CsvReader

    monkeypatch.setattr(_registry, "_loaded_entry_points", False)
    monkeypatch.setattr(_registry, "entry_points", lambda group: [EP()] if group == "trajdiv.readers" else [])
    assert [r.name for r in readers()][-1] == "acts"
