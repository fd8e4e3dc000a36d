"""tau2-bench results: the single JSON file and the directory form, the agent's tool calls and
messages as steps, the user simulator's calls left out, rewards, and runs never evaluable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trajdiv.cli import main
from trajdiv.ingest import read_runs

INFO = {
    "git_commit": "abc",
    "num_trials": 2,
    "max_steps": 200,
    "max_errors": 10,
    "user_info": {"implementation": "user_simulator", "llm": "gpt-4.1"},
    "agent_info": {"implementation": "llm_agent", "llm": "claude-sonnet-4", "llm_args": {"temperature": 0}},
    "environment_info": {"domain_name": "telecom", "policy": "be nice"},
}


def _messages(n: int) -> list[dict[str, Any]]:
    """The agent looks a customer up (a call answered by a tool message), asks the user, the user
    toggles airplane mode on their phone (the user's own call), the agent transfers."""
    call = {
        "id": f"call_{n}",
        "name": "get_customer",
        "arguments": {"phone": f"555-{n}"},
        "requestor": "assistant",
    }
    user_call = {"id": "u1", "name": "toggle_airplane_mode", "arguments": {}, "requestor": "user"}
    done = {"id": f"done_{n}", "name": "transfer_to_human_agents", "arguments": {"summary": "x"}}
    return [
        {"role": "system", "content": "policy"},
        {"role": "user", "content": "my phone is broken"},
        {"role": "assistant", "content": "Let me look.", "tool_calls": [call]},
        {"role": "tool", "id": f"call_{n}", "content": '{"name": "A"}', "requestor": "assistant"},
        {"role": "assistant", "content": "Is airplane mode on?", "tool_calls": None},
        {"role": "user", "content": "checking", "tool_calls": [user_call]},
        {"role": "tool", "id": "u1", "content": "off", "requestor": "user"},
        {"role": "user", "content": "it is off now"},
        {"role": "assistant", "content": None, "tool_calls": [done]},
    ]


def _sim(task: str, trial: int, reward: float | None, ended: str = "agent_stop") -> dict[str, Any]:
    return {
        "id": f"sim-{task}-{trial}",
        "task_id": task,
        "start_time": "t0",
        "end_time": "t1",
        "duration": 12.5,
        "termination_reason": ended,
        "agent_cost": 0.02,
        "reward_info": None if reward is None else {"reward": reward, "info": {}},
        "messages": _messages(trial),
        "trial": trial,
    }


def _results(sims: list[dict[str, Any]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"timestamp": "now", "info": INFO, "tasks": [{"id": "1"}, {"id": "2"}]}
    if sims is not None:
        out["simulations"] = sims
    return out


def test_results_file(tmp_path: Path):
    sims = [
        _sim("1", 0, 1.0),
        _sim("1", 1, 0.0),
        _sim("2", 0, None, "infrastructure_error"),
        _sim("2", 1, 0.5),
    ]
    (tmp_path / "run.json").write_text(json.dumps(_results(sims), indent=2))
    ds = read_runs([tmp_path])
    assert [(e.status, e.format) for e in ds.manifest] == [("read", "tau2-bench")]
    assert len(ds.runs) == 4
    run = next(r for r in ds.runs if r.run_id == "sim-1-0")
    assert run.config.label == "tau2-bench:claude-sonnet-4"
    assert run.config.attr("benchmark") == "tau2-bench-telecom"
    assert run.config.attr("user_model") == "gpt-4.1"
    assert [(s.action, s.thought, s.observation) for s in run.steps] == [
        ('get_customer {"phone": "555-0"}', "Let me look.", '{"name": "A"}'),
        ('respond {"content": "Is airplane mode on?"}', "", "checking"),
        ('transfer_to_human_agents {"summary": "x"}', "", ""),
    ]
    outcomes = {r.run_id: (r.outcome.resolved, r.outcome.reward, r.run_index) for r in ds.runs}
    assert outcomes == {
        "sim-1-0": (True, 1.0, 1),
        "sim-1-1": (False, 0.0, 2),
        "sim-2-0": (None, None, 1),  # never evaluable
        "sim-2-1": (False, 0.5, 2),
    }
    (entry,) = ds.manifest
    assert any("infrastructure_error" in w for w in entry.warnings)
    assert (run.cost, run.duration_s) == (0.02, 12.5)


def test_directory_form(tmp_path: Path):
    folder = tmp_path / "voice_run"
    (folder / "simulations").mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({**_results(None), "simulation_index": []}, indent=2))
    for task, trial in (("1", 0), ("1", 1)):
        (folder / "simulations" / f"sim-{task}-{trial}.json").write_text(
            json.dumps(_sim(task, trial, 1.0), indent=2)
        )
    ds = read_runs([tmp_path])
    formats = sorted((Path(e.file).name, e.status, e.format) for e in ds.manifest)
    assert formats == [
        ("results.json", "read", "tau2-results-index"),
        ("sim-1-0.json", "read", "tau2-bench"),
        ("sim-1-1.json", "read", "tau2-bench"),
    ]
    assert {r.config.label for r in ds.runs} == {"tau2-bench:claude-sonnet-4"}
    assert sorted(r.run_index for r in ds.runs) == [1, 2]
    out = tmp_path / "o"
    assert main(["analyze", str(tmp_path), "-o", str(out), "--no-cache", "-q", "-j", "1"]) == 0


def test_results_without_simulations_is_a_clear_error(tmp_path: Path):
    (tmp_path / "r.json").write_text(json.dumps(_results(None), indent=2))
    (entry,) = read_runs([tmp_path]).manifest
    assert entry.status == "skipped"
    assert "simulations" in (entry.reason or "")
