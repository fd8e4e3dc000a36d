"""trajdiv's JSONL export reads back to the very same runs."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REALDATA, need_realdata
from trajdiv.ingest import read_runs, write_jsonl
from trajdiv.model import Config, Outcome, Run, Step


def test_round_trip_of_every_real_run(tmp_path: Path):
    need_realdata()
    runs = read_runs([REALDATA]).runs
    write_jsonl(runs, tmp_path / "all.jsonl")
    back = read_runs([tmp_path / "all.jsonl"]).runs
    assert back == runs


_text = st.text(max_size=30)
_step = st.builds(
    Step,
    index=st.integers(1, 500),
    thought=_text,
    action=_text,
    tool_name=st.none() | _text,
    tool_args=st.none() | _text,
    observation=_text,
    returncode=st.none() | st.integers(-5, 255),
)
_run = st.builds(
    Run,
    task_id=st.text(min_size=1, max_size=12),
    run_id=st.text(min_size=1, max_size=12),
    config=st.builds(Config, model=st.text(min_size=1, max_size=8), scaffold=st.text(min_size=1, max_size=8)),
    steps=st.lists(_step, min_size=1, max_size=4).map(tuple),
    run_index=st.none() | st.integers(1, 50),
    outcome=st.builds(Outcome, resolved=st.none() | st.booleans(), reward=st.none() | st.floats(0, 1)),
    cost=st.none() | st.floats(0, 100),
)


@settings(max_examples=60, deadline=None)
@given(_run)
def test_round_trip_property(tmp_path_factory, run: Run):
    path = tmp_path_factory.mktemp("j") / "r.jsonl"
    write_jsonl([run], path)
    from trajdiv.ingest._jsonl import JsonlReader
    from trajdiv.ingest._source import Source

    src = Source(str(path), (path.name,), path.stat().st_size, fs_path=str(path))
    (back,) = list(JsonlReader().read(src, None))  # type: ignore[arg-type]
    assert back == run
