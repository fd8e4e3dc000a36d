"""Stateful differential test of the cache: random sequences of commands over overlapping
folders (a parent, its children, a renamed copy) with changing options, all sharing one cache,
give the bytes the same command gives without a cache."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from tests.helpers import write_ac_dump, write_report
from trajdiv.cli import main

OUTPUTS = ("runs.parquet", "steps.parquet", "divergence_groups.parquet", "summary.json", "manifest.json")
COMMANDS = ("ingest", "diverge", "stats", "analyze")
FAST_COMMANDS = ("ingest", "diverge", "stats")
READ_OPTIONS = ([], ["--config-from", "dirname"], ["--config-from", "input"], ["--grade", "exact"])
OPTIONS = (*READ_OPTIONS, ["--phase-rules", "paper"], ["--level", "phase"], ["--keep-format-errors"])
ACCEPTS = {
    "ingest": set(map(tuple, READ_OPTIONS)),
    "diverge": set(map(tuple, READ_OPTIONS)) | {("--phase-rules", "paper"), ("--keep-format-errors",)},
}


def _digests(out: Path) -> dict[str, str]:
    found = {}
    for name in OUTPUTS:
        p = out / name
        if p.exists():
            data = p.read_bytes()
            if name == "manifest.json":  # names the output folder in no field; compare as is
                data = data.replace(str(out).encode(), b"OUT")
            found[name] = hashlib.sha256(data).hexdigest()
    return found


class CacheMachine(RuleBasedStateMachine):
    @initialize()
    def corpus(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="trajdiv-stateful-"))
        for sub, key in (("a", "m1"), ("b", "m2")):
            d = self.root / "parent" / sub
            tasks = {f"org__pkg-{i}": [["ls", f"cat {i}"], ["ls", "pwd"], ["grep x", "ls"]] for i in range(3)}
            write_ac_dump(d, key, tasks, model=f"model-{key}")
            for k in (1, 2, 3):
                ids = sorted(tasks)
                write_report(d, key, k, ids[:k], ids[k:])
        shutil.copytree(self.root / "parent" / "a", self.root / "renamed")
        self.folders = [
            self.root / "parent",
            self.root / "parent" / "a",
            self.root / "parent" / "b",
            self.root / "renamed",
        ]
        self.cache = self.root / "cache"
        self.step = 0

    commands = COMMANDS

    @rule(
        command=st.sampled_from(COMMANDS),
        folder=st.integers(0, 3),
        extra=st.sampled_from(OPTIONS),
    )
    def run_command(self, command: str, folder: int, extra: list[str]) -> None:
        self.step += 1
        if command not in self.commands:
            command = "stats"  # the quick variant leaves out plots and the report
        if command in ACCEPTS and tuple(extra) not in ACCEPTS[command]:
            extra = []
        base = [command, str(self.folders[folder]), "-q", "-j", "1", *extra]
        cached, fresh = self.root / f"c{self.step}", self.root / f"n{self.step}"
        code_cached = main([*base, "-o", str(cached), "--cache-dir", str(self.cache)])
        code_fresh = main([*base, "-o", str(fresh), "--no-cache"])
        assert code_cached == code_fresh
        assert _digests(cached) == _digests(fresh), (command, folder, extra)

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class QuickCacheMachine(CacheMachine):
    commands = FAST_COMMANDS


def test_cache_sequences_match_runs_without_cache():
    run_state_machine_as_test(
        QuickCacheMachine,
        settings=settings(
            max_examples=5, stateful_step_count=4, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )


@pytest.mark.slow
def test_cache_sequences_match_runs_without_cache_long():
    run_state_machine_as_test(
        CacheMachine,
        settings=settings(
            max_examples=30, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
