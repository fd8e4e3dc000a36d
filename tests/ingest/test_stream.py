"""Big JSON files read value by value: same values as json.loads, same runs as a whole read,
loud errors, and memory that holds a run rather than the file."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

import trajdiv.ingest._stream as stream
from tests.conftest import AC, TAU, need_realdata
from trajdiv._errors import InputError
from trajdiv.ingest import read_runs, write_jsonl
from trajdiv.ingest._source import Source

VALUES = [
    {"a": "é" * 7, "b": [1, 2.5, -3e-7, True, None], "c": {"d": '\u2028 \\n "q"'}},
    12345678901234567890,
    "𝄞 clef",
    [],
    {},
    0.1,
]


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is streamed, through a window of a few bytes (elements span many chunks,
    multi-byte characters and numbers are cut at chunk boundaries)."""
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "_CHUNK", 3)


def _src(path: Path) -> Source:
    return Source(str(path), (path.name,), path.stat().st_size, fs_path=str(path))


def _write(tmp_path: Path, text: str, name: str = "f.json") -> Source:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return _src(path)


@pytest.mark.parametrize("indent", [None, 2])
def test_array_elements_equal_json_loads(tmp_path: Path, streamed: None, indent: int | None):
    src = _write(tmp_path, "\ufeff  " + json.dumps(VALUES, indent=indent, ensure_ascii=False) + "\n")
    items = stream.json_array(src)
    assert items is not None
    assert list(items) == VALUES


def test_object_array_taken_out_wherever_it_is(tmp_path: Path, streamed: None):
    doc = '{"x": 1, "runs": [1, {"y": [2]}], "z": "after", "runs2": []}'
    rest, items = stream.json_object_with_array(_write(tmp_path, doc), "runs")
    assert rest == {"x": 1, "z": "after", "runs2": []}
    assert list(items or [None]) == [1, {"y": [2]}]
    # duplicate keys: the last one counts, as for json.loads
    dup = '{"runs": [1], "a": 0, "runs": [2, 3]}'
    rest, items = stream.json_object_with_array(_write(tmp_path, dup, "d.json"), "runs")
    assert rest == {"a": 0}
    assert list(items or [None]) == [2, 3]
    last_scalar = '{"runs": [1], "runs": 5}'
    rest, items = stream.json_object_with_array(_write(tmp_path, last_scalar, "s.json"), "runs")
    assert (rest, items) == ({"runs": 5}, None)
    rest, items = stream.json_object_with_array(_write(tmp_path, "[1, 2]", "l.json"), "runs")
    assert (rest, items) == ([1, 2], None)


def test_small_files_take_the_same_path_results(tmp_path: Path):
    doc = '{"x": 1, "runs": [1, {"y": [2]}]}'
    rest, items = stream.json_object_with_array(_write(tmp_path, doc), "runs")
    assert rest == {"x": 1}
    assert list(items or [None]) == [1, {"y": [2]}]
    assert stream.json_array(_write(tmp_path, '{"a": 1}', "o.json")) is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[1, 2, {"a": ', "line 1"),  # truncated
        ("[1, 2]\n\n  x", "line 3 column 3"),  # extra data
        ("[1,\n 2\n 3]", "line 3"),  # missing comma
        ('{"runs": [1, 2}', "line 1"),
    ],
)
def test_broken_documents_name_the_file_and_line(tmp_path: Path, streamed: None, text: str, where: str):
    src = _write(tmp_path, text)

    def read_all() -> None:
        items = stream.json_object_with_array(src, "runs")[1]
        list(items or [])
        list(stream.json_array(src) or [])

    with pytest.raises(InputError, match=where) as info:
        read_all()
    assert info.value.path == src.display


def test_invalid_utf8_is_refused_with_its_offset(tmp_path: Path, streamed: None):
    path = tmp_path / "b.json"
    path.write_bytes(b'["ok", "\xff"]')
    with pytest.raises(InputError, match=r"not UTF-8 text .*offset 8"):
        list(stream.json_array(_src(path)) or [])


def test_json_lines_stream_with_true_line_numbers(tmp_path: Path, streamed: None):
    src = _write(tmp_path, '{"a": 1}\n\n[2]\n', "f.jsonl")
    assert list(stream.json_lines(src)) == [(1, {"a": 1}), (3, [2])]
    bad = _write(tmp_path, '{"a": 1}\n\n{"b": \n', "g.jsonl")
    with pytest.raises(InputError, match="invalid JSON on line 3"):
        list(stream.json_lines(bad))


def test_real_dumps_read_the_same_streamed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """agent-consistency, tau-bench and a JSONL export give identical runs and manifests either way."""
    need_realdata()
    export = tmp_path / "all.jsonl"
    whole = read_runs([AC, TAU])
    write_jsonl(whole.runs, export)
    whole_export = read_runs([export])
    monkeypatch.setattr(stream, "STREAM_BYTES", 0)
    monkeypatch.setattr(stream, "_CHUNK", 4096)
    assert read_runs([AC, TAU]).runs == whole.runs
    assert [e.to_dict() for e in read_runs([AC, TAU]).manifest] == [e.to_dict() for e in whole.manifest]
    assert read_runs([export]).runs == whole_export.runs == whole.runs


def test_streamed_reading_holds_a_window_not_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Reading a 24 MB tau-bench file element by element allocates a small fraction of it at
    any time (tracemalloc's peak), where a whole read holds it several times over."""
    monkeypatch.setattr(stream, "STREAM_BYTES", 1 << 20)
    monkeypatch.setattr(stream, "_CHUNK", 1 << 20)
    obs = "x" * 20_000
    entry = {"task_id": 1, "trial": 0, "reward": 1.0, "traj": [{"role": "user", "content": obs}] * 4}
    path = tmp_path / "big.json"
    with open(path, "w") as fh:
        fh.write("[")
        for i in range(300):
            fh.write(("," if i else "") + json.dumps({**entry, "task_id": i}))
        fh.write("]")
    size = path.stat().st_size
    assert size > 20e6
    tracemalloc.start()
    n = sum(1 for _ in stream.json_array(_src(path)) or [])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == 300
    assert peak < size / 4, (peak, size)
