"""OpenHands evaluation output (``output.jsonl``): the event stream and the older pairs, tool
calls as the model made them, repeated runs in several output folders, labels from the
evaluated ``output.swebench_eval.jsonl``, and the evaluation's side files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trajdiv.cli import main
from trajdiv.ingest import read_runs

MODEL = "anthropic/claude-3-5-sonnet-20241022"
META = {"agent_class": "CodeActAgent", "llm_config": {"model": MODEL}, "max_iterations": 30}


def _tool_meta(name: str, args: dict[str, Any], call_id: str, text: str = "") -> dict[str, Any]:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
    message = {"role": "assistant", "content": text, "tool_calls": [call]}
    return {
        "function_name": name,
        "tool_call_id": call_id,
        "model_response": {"choices": [{"message": message}]},
        "total_calls_in_response": 1,
    }


def _events(command: str, exit_code: int) -> list[dict[str, Any]]:
    """System prompt, task, a shell call (tool call recorded), its output, an edit without a
    recorded call, a message to the user, the user's reply, and finish."""
    return [
        {
            "id": 0,
            "timestamp": "2025-01-01T10:00:00",
            "source": "agent",
            "action": "system",
            "args": {"content": "sys"},
        },
        {
            "id": 1,
            "timestamp": "2025-01-01T10:00:01",
            "source": "user",
            "action": "message",
            "args": {"content": "fix"},
        },
        {"id": 2, "source": "environment", "observation": "agent_state_changed", "content": "", "extras": {}},
        {
            "id": 3,
            "source": "agent",
            "action": "run",
            "args": {"command": command, "thought": "look first", "blocking": False},
            "tool_call_metadata": _tool_meta("execute_bash", {"command": command}, "call_1", "look first"),
        },
        {
            "id": 4,
            "source": "agent",
            "observation": "run",
            "cause": 3,
            "content": "a.py\nb.py",
            "extras": {"command": command, "metadata": {"exit_code": exit_code}},
        },
        {
            "id": 5,
            "source": "agent",
            "action": "edit",
            "args": {"path": "/w/a.py", "command": "view", "thought": ""},
        },
        {"id": 6, "source": "agent", "observation": "edit", "cause": 5, "content": "1 x = 1", "extras": {}},
        {
            "id": 7,
            "source": "agent",
            "action": "message",
            "args": {"content": "Done?", "wait_for_response": True},
        },
        {"id": 8, "source": "user", "action": "message", "args": {"content": "go on"}},
        {
            "id": 9,
            "timestamp": "2025-01-01T10:01:01",
            "source": "agent",
            "action": "finish",
            "args": {"final_thought": "ok", "thought": ""},
        },
    ]


def _record(
    task: str, history: list[Any], *, meta: dict[str, Any] | None = META, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"instance_id": task, "test_result": {"git_patch": "diff --git a/a.py"}}
    out.update({"instruction": "fix it", "metadata": meta, "history": history})
    out.update({"metrics": {"accumulated_cost": 0.25, "response_latencies": [1.0, 2.0, 3.0]}, "error": None})
    out.update(extra)
    return out


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_event_stream_steps(tmp_path: Path):
    _write(
        tmp_path / "CodeActAgent" / "x_maxiter_30" / "output.jsonl",
        [_record("org__repo-1", _events("ls", 0))],
    )
    ds = read_runs([tmp_path])
    (run,) = ds.runs
    assert run.config.label == f"openhands:{MODEL}"
    assert run.config.attr("agent") == "CodeActAgent"
    assert [s.action for s in run.steps] == [
        "ls",
        'edit {"command": "view", "path": "/w/a.py"}',
        'respond {"content": "Done?"}',
        'finish {"final_thought": "ok"}',
    ]
    shell, edit, respond, _ = run.steps
    assert (shell.tool_name, shell.thought, shell.observation, shell.returncode) == (
        "execute_bash",
        "look first",
        "a.py\nb.py",
        0,
    )
    assert (edit.observation, edit.returncode) == ("1 x = 1", None)
    assert respond.observation == "go on"  # the user's reply answers the agent's message
    assert (run.cost, run.api_calls, run.duration_s) == (0.25, 3, 61.0)
    assert run.patch == "diff --git a/a.py"
    assert run.outcome.resolved is None  # not evaluated
    assert ds.manifest[0].format == "openhands-eval"


def test_older_history_of_action_observation_pairs(tmp_path: Path):
    pairs = [
        [
            {"action": "message", "source": "user", "args": {"content": "fix"}},
            {"observation": "null", "content": ""},
        ],
        [
            {"action": "run", "source": "agent", "args": {"command": "cat a.py", "thought": "read it"}},
            {"observation": "run", "content": "x = 1", "extras": {"command": "cat a.py", "exit_code": 1}},
        ],
        [
            {"action": "finish", "source": "agent", "args": {"outputs": {}, "thought": ""}},
            {"observation": "null"},
        ],
    ]
    _write(tmp_path / "out" / "output.jsonl", [_record("org__repo-2", pairs)])
    (run,) = read_runs([tmp_path]).runs
    assert [(s.action, s.thought, s.observation, s.returncode) for s in run.steps] == [
        ("cat a.py", "read it", "x = 1", 1),
        ('finish {"outputs": {}}', "", "", None),
    ]


def test_repeated_runs_labels_and_side_files(tmp_path: Path, capsys):
    """Two runs of two tasks in two output folders; the first run evaluated (one instance's
    evaluation failed), the second's records without metadata (read from metadata.json beside
    them); the per-call completion logs are not runs."""
    root = tmp_path / "outputs" / "swe-bench" / "CodeActAgent"
    run1 = root / "claude_maxiter_30_N_run1"
    run2 = root / "claude_maxiter_30_N_run2"
    tasks = ["org__repo-1", "org__repo-2"]
    failed = _record("org__repo-3", None, error="Maximum retries (5) reached: runtime build failed")  # type: ignore[arg-type]
    _write(run1 / "output.jsonl", [_record(t, _events(f"ls {i}", 0)) for i, t in enumerate(tasks)] + [failed])
    evaluated = [
        {"instance_id": tasks[0], "test_result": {"report": {"resolved": True, "error_eval": False}}},
        {"instance_id": tasks[1], "test_result": {"report": {"resolved": False, "error_eval": True}}},
    ]
    _write(run1 / "output.swebench_eval.jsonl", evaluated)
    own = {"report": {"resolved": False}, "git_patch": ""}
    _write(run2 / "output.jsonl", [_record(t, _events("ls", 2), meta=None, test_result=own) for t in tasks])
    (run2 / "metadata.json").write_text(json.dumps(META))
    (run1 / "llm_completions" / tasks[0]).mkdir(parents=True)
    (run1 / "llm_completions" / tasks[0] / "model-1700000000.json").write_text('{"messages": []}')
    ds = read_runs([tmp_path])
    status = {Path(e.file).name: (e.status, e.kind, e.format) for e in ds.manifest}
    assert status["output.swebench_eval.jsonl"] == ("read", None, "swe-bench-labels")
    assert status["metadata.json"] == ("read", None, "openhands-metadata")
    assert status["model-1700000000.json"][:2] == ("skipped", "not-a-dump")
    assert len(ds.runs) == 4
    assert {r.config.label for r in ds.runs} == {f"openhands:{MODEL}"}  # one configuration
    by = {(r.task_id, r.run_id.split("@")[1]): r for r in ds.runs}
    assert {r.run_index for r in ds.runs} == {1, 2}
    assert by[(tasks[0], run1.name)].outcome.resolved is True
    assert by[(tasks[1], run1.name)].outcome.resolved is None  # its evaluation failed
    assert by[(tasks[0], run2.name)].outcome.resolved is False  # its own test_result
    assert by[(tasks[0], run2.name)].steps[0].returncode == 2
    (entry,) = (e for e in ds.manifest if e.file.endswith(f"{run1.name}/output.jsonl"))
    assert (entry.status, entry.runs) == ("read", 2)
    assert any("org__repo-3" in w and "runtime build failed" in w for w in entry.warnings)
    assert any("org__repo-3" in w and "no steps" in w for w in entry.warnings)
    out = tmp_path / "o"
    assert main(["analyze", str(tmp_path), "-o", str(out), "--no-cache", "-q", "-j", "1"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(e["status"] == "read" or e["kind"] == "not-a-dump" for e in manifest["files"])


def test_sdk_event_history(tmp_path: Path):
    """The OpenHands SDK (V1) benchmarks' events: actions with their tool call, answered by an
    observation (by action id) or an agent error (by tool call id)."""

    def text(t: str) -> list[dict[str, str]]:
        return [{"type": "text", "text": t}]

    def action(i: str, name: str, args: dict[str, Any], thought: str = "") -> dict[str, Any]:
        call = {"id": f"c{i}", "name": name, "arguments": json.dumps(args), "origin": "completion"}
        return {
            "kind": "ActionEvent",
            "id": f"a{i}",
            "source": "agent",
            "thought": text(thought),
            "action": {"kind": "X", **args},
            "tool_name": name,
            "tool_call_id": f"c{i}",
            "tool_call": call,
            "llm_response_id": f"r{i}",
        }

    history = [
        {"kind": "SystemPromptEvent", "id": "s", "source": "agent", "system_prompt": text("sys")},
        {
            "kind": "MessageEvent",
            "id": "u",
            "source": "user",
            "llm_message": {"role": "user", "content": text("fix")},
        },
        action("1", "terminal", {"command": "ls"}, "look"),
        {
            "kind": "ObservationEvent",
            "source": "environment",
            "tool_name": "terminal",
            "tool_call_id": "c1",
            "action_id": "a1",
            "observation": {"kind": "TerminalObservation", "content": text("a.py"), "exit_code": 3},
        },
        action("2", "file_editor", {"command": "view", "path": "/w/a.py"}),
        {
            "kind": "AgentErrorEvent",
            "source": "agent",
            "tool_name": "file_editor",
            "tool_call_id": "c2",
            "error": "no",
        },
        {
            "kind": "MessageEvent",
            "source": "agent",
            "llm_message": {"role": "assistant", "content": text("Done?")},
        },
        {"kind": "MessageEvent", "source": "user", "llm_message": {"role": "user", "content": text("go on")}},
        action("3", "finish", {"message": "ok"}),
    ]
    meta = {
        "llm": {"model": "openai/gpt-5"},
        "dataset": "princeton-nlp/SWE-bench_Verified",
        "max_iterations": 100,
    }
    odd = [{**history[2], "id": ["a1"]}, {**history[3], "action_id": {"x": 1}, "tool_call_id": None}]
    records = [
        _record("org__repo-1", history, meta=meta, attempt=1),
        _record("org__repo-1", odd, meta=meta, attempt=2),
    ]
    _write(tmp_path / "v1" / "output.jsonl", records)
    run, again = read_runs([tmp_path]).runs
    assert (run.run_id, again.run_id) == ("org__repo-1@v1", "org__repo-1@v1#attempt2")
    assert [(s.action, s.observation) for s in again.steps] == [("ls", "")]  # ids of no use: unanswered
    assert run.config.label == "openhands:openai/gpt-5"
    assert [(s.action, s.thought, s.observation, s.returncode) for s in run.steps] == [
        ("ls", "look", "a.py", 3),
        ('file_editor {"command": "view", "path": "/w/a.py"}', "", "no", None),
        ('respond {"content": "Done?"}', "", "go on", None),
        ('finish {"message": "ok"}', "", "", None),
    ]


def test_broken_lines_name_the_file_and_line(tmp_path: Path):
    good = _record("org__repo-1", _events("ls", 0))
    _write(
        tmp_path / "a" / "output.jsonl", [good, {**good, "instance_id": "org__repo-2", "history": {"x": 1}}]
    )
    ds = read_runs([tmp_path])
    (entry,) = ds.manifest
    assert entry.status == "skipped"
    assert "line 2" in (entry.reason or "")
    assert "history" in (entry.reason or "")
    _write(tmp_path / "b" / "output.swebench_eval.jsonl", [{"instance_id": "t", "test_result": {}}])
    assert main(["ingest", str(tmp_path / "b"), "-o", str(tmp_path / "o"), "-q"]) == 4


def test_a_changed_metadata_json_is_a_cache_miss(tmp_path: Path):
    """The model named by metadata.json beside output.jsonl: editing it changes the runs read,
    with a cache that holds the earlier parse."""
    import polars as pl

    folder = tmp_path / "d" / "x_maxiter_30"
    _write(folder / "output.jsonl", [_record("org__repo-1", _events("ls", 0), meta=None)])
    (folder / "metadata.json").write_text(json.dumps(META))
    args = ["--cache-dir", str(tmp_path / "cache"), "-q", "-j", "1"]
    assert main(["ingest", str(tmp_path / "d"), "-o", str(tmp_path / "o1"), *args]) == 0
    (folder / "metadata.json").write_text(json.dumps({**META, "llm_config": {"model": "other-model"}}))
    assert main(["ingest", str(tmp_path / "d"), "-o", str(tmp_path / "o2"), *args]) == 0
    labels = [pl.read_parquet(tmp_path / o / "runs.parquet")["config"].to_list() for o in ("o1", "o2")]
    assert labels == [[f"openhands:{MODEL}"], ["openhands:other-model"]]
