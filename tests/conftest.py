"""Shared fixtures: the real dumps (skipped cleanly when absent) and one analysis of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"
AC = REALDATA / "agent-consistency" / "swe-bench"
TAU = REALDATA / "tau-bench"

# configuration labels of the SWE-bench part of agent-consistency when the whole folder is read:
# it holds several benchmarks, so labels carry theirs (HotpotQA runs of the same models are apart)
CLAUDE = "swe-bench/agent-consistency:claude-sonnet-4-5-20250929"
GPT5 = "swe-bench/agent-consistency:openai-gpt-5"
LLAMA = "swe-bench/agent-consistency:meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"


def need_realdata() -> None:
    """Skip the calling test when the shared real dumps are not beside the project."""
    if not AC.is_dir():
        pytest.skip(f"real dumps not found at {REALDATA} (they sit beside the project in CI)")


@pytest.fixture(scope="session")
def realdata() -> Path:
    need_realdata()
    return REALDATA


@pytest.fixture(scope="session")
def analysis(tmp_path_factory: pytest.TempPathFactory, realdata: Path) -> Path:
    """`trajdiv analyze` over all the real dumps, once per session; returns the output folder."""
    from trajdiv import analyze

    out = tmp_path_factory.mktemp("analysis")
    analyze([realdata], out, jobs=1, cache_dir=None, plots=True)
    return out


@pytest.fixture(scope="session")
def summary(analysis: Path) -> dict:
    return json.loads((analysis / "summary.json").read_text())


def config_entry(summary: dict, label: str) -> dict:
    for c in summary["configs"]:
        if c["config"] == label:
            return c
    raise KeyError(label)
