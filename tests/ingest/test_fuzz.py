"""Fuzzing the readers: mutated real and minimal files raise only trajdiv's own errors."""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REALDATA
from trajdiv import TrajdivError
from trajdiv.ingest import ReadContext, Source, detect_reader, read_runs

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from make_broken_corpus import BASES, _paths


def _real_seeds() -> list[tuple[str, str, Any]]:
    """Small documents cut from the shared real dumps (skipped when they are absent)."""
    seeds: list[tuple[str, str, Any]] = []
    mini = REALDATA / "mini-swe-agent" / "tests" / "test_data" / "local.traj.json"
    if mini.exists():
        seeds.append(("mini", "real.traj.json", json.loads(mini.read_text())))
    tau = REALDATA / "tau-bench" / "gpt-4o-airline.tasks0-9.json"
    if tau.exists():
        seeds.append(("tau", "gpt-4o-airline.json", json.loads(tau.read_text())[:1]))
    swe = next((REALDATA / "swe-agent").rglob("*.traj"), None) if (REALDATA / "swe-agent").exists() else None
    if swe is not None:
        doc = json.loads(swe.read_text())
        doc["trajectory"] = doc["trajectory"][:3]
        doc["history"] = doc["history"][:4]
        seeds.append(("swe/gpt4__x", "real.traj", doc))
    return seeds


SEEDS = [*BASES, *_real_seeds()]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, bytes]:
    folder, name, base = draw(st.sampled_from(SEEDS))
    doc = copy.deepcopy(base)
    paths = list(_paths(doc))
    for _ in range(draw(st.integers(1, 3))):
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        try:
            for p in path[:-1]:
                parent = parent[p]
            if draw(st.booleans()):
                parent[path[-1]] = draw(json_values)
            elif isinstance(parent, dict):
                del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
    data = json.dumps(doc).encode()
    how = draw(st.sampled_from(["json", "truncate", "flip"]))
    if how == "truncate" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif how == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    return folder, name, data


def _check(case: tuple[str, str, bytes]) -> None:
    folder, name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / folder / name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        parts = (Path(tmp).name, *Path(folder).parts, name)
        src = Source(str(path), parts, len(data), fs_path=str(path))
        reader = detect_reader(src, data[:65536])
        if reader is not None:
            try:
                for _ in reader.read(src, ReadContext()):
                    pass
            except TrajdivError:
                pass  # the only kind of error a reader may raise
        ds = read_runs([tmp])  # and the whole ingest never raises for a bad file
        assert len(ds.manifest) == 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_raise_only_trajdiv_errors(case):
    _check(case)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_raise_only_trajdiv_errors_long(case):
    _check(case)
