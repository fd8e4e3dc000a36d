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


def _mutate(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one to three values replaced or removed."""
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
            elif isinstance(parent, dict | list):
                del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def _damage(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` as it is, cut short, or with one byte changed."""
    how = draw(st.sampled_from(["json", "truncate", "flip"]))
    if how == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        return data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    return data


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, bytes]:
    folder, name, base = draw(st.sampled_from(SEEDS))
    return folder, name, _damage(draw, json.dumps(_mutate(draw, base)).encode())


def _read_alone(tmp: str, rel: str, data: bytes) -> None:
    """The file ``rel`` under ``tmp`` read by the reader its content picks: only trajdiv's own
    errors may come out."""
    path = Path(tmp) / rel
    src = Source(str(path), (Path(tmp).name, *Path(rel).parts), len(data), fs_path=str(path))
    reader = detect_reader(src, data[:65536])
    if reader is not None:
        try:
            for _ in reader.read(src, ReadContext()):
                pass
        except TrajdivError:
            pass  # the only kind of error a reader may raise


def _check(case: tuple[str, str, bytes]) -> None:
    folder, name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / folder / name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        _read_alone(tmp, f"{folder}/{name}", data)
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


def _trimmed(doc: Any, items: int = 3) -> Any:
    """``doc`` with every list cut to ``items`` entries and every long text to 200 characters."""
    if isinstance(doc, dict):
        return {k: _trimmed(v, items) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_trimmed(v, items) for v in doc[:items]]
    return doc[:200] if isinstance(doc, str) else doc


Tree = dict[str, Any]
"""A dump as files: path -> JSON document, list of JSON Lines records, or bytes."""


def _tree_seeds() -> list[tuple[Tree, str]]:
    """Dumps of the readers whose files come in folders or as JSON Lines, each with the file
    that is mutated: Harbor trial folders (every JSON file in turn), OpenHands evaluation
    output, tau2-bench results, and real files of the layouts the single-file seeds lack."""
    from tests.ingest.test_openhands_eval import _events, _record
    from tests.ingest.test_tau2_bench import _results, _sim

    seeds: list[tuple[Tree, str]] = [
        (
            {
                "oh/CodeActAgent/m/output.jsonl": [
                    _record("t1", _events("ls", 0)),
                    _record("t2", _events("pwd", 1)),
                ]
            },
            "oh/CodeActAgent/m/output.jsonl",
        ),
        ({"tau2/results.json": _results([_sim("1", 0, 1.0), _sim("1", 1, 0.0)])}, "tau2/results.json"),
    ]
    trial = next(REALDATA.glob("harbor-terminal-bench/*/fix-git/*/fix-git__*"), None)
    if trial is not None:
        tree: Tree = {}
        for f in [*trial.rglob("*"), *trial.parent.glob("*.json")]:
            if f.is_file():
                rel = f"job/{f.relative_to(trial.parent)}"
                tree[rel] = (
                    _trimmed(json.loads(f.read_text())) if f.suffix == ".json" else f.read_bytes()[:2000]
                )
        seeds += [(tree, rel) for rel in tree if rel.endswith(".json")]
    for pattern, folder in (
        ("agent-consistency/hotpotqa/results_gpt4o/*.json", "ac/results_gpt4o"),
        ("mini-swe-agent-gemini/**/*.traj.json", "gemini/trajs/x"),
        ("openhands/**/trajs/*/*.json", "ohx/trajs/x"),
    ):
        real = next(REALDATA.glob(pattern), None)
        if real is not None:
            rel = f"{folder}/{real.name}"
            seeds.append(({rel: _trimmed(json.loads(real.read_text()), 4)}, rel))
    return seeds


TREE_SEEDS = _tree_seeds()


@st.composite
def mutated_tree(draw: st.DrawFn) -> tuple[dict[str, bytes], str]:
    tree, target = draw(st.sampled_from(TREE_SEEDS))
    files = {}
    for rel, doc in tree.items():
        if isinstance(doc, bytes):
            files[rel] = doc
        elif rel.endswith(".jsonl"):
            records = [_mutate(draw, r) if rel == target and draw(st.booleans()) else r for r in doc]
            files[rel] = "".join(json.dumps(r) + "\n" for r in records).encode()
        else:
            files[rel] = json.dumps(_mutate(draw, doc) if rel == target else doc).encode()
    files[target] = _damage(draw, files[target])
    return files, target


def _check_tree(case: tuple[dict[str, bytes], str]) -> None:
    files, target = case
    with tempfile.TemporaryDirectory() as tmp:
        for rel, data in files.items():
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for rel, data in files.items():
            _read_alone(tmp, rel, data)
        ds = read_runs([tmp])  # and the whole ingest never raises, and accounts for every file
        assert len(ds.manifest) == len(files), target


def test_tree_seeds_read_as_they_are():
    """Unmutated, every folder seed gives runs (so the fuzzing starts from files that read)."""
    assert len(TREE_SEEDS) >= 2
    for tree, target in TREE_SEEDS:
        files = {
            rel: doc
            if isinstance(doc, bytes)
            else (
                "".join(json.dumps(r) + "\n" for r in doc) if rel.endswith(".jsonl") else json.dumps(doc)
            ).encode()
            for rel, doc in tree.items()
        }
        with tempfile.TemporaryDirectory() as tmp:
            for rel, data in files.items():
                (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / rel).write_bytes(data)
            assert read_runs([tmp]).runs, target


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_tree())
def test_mutated_folders_and_jsonl_raise_nothing(case):
    _check_tree(case)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_tree())
def test_mutated_folders_and_jsonl_raise_nothing_long(case):
    _check_tree(case)
