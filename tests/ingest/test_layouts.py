"""Configurations, benchmarks, label formats and graded answers on the real layouts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REALDATA, need_realdata
from tests.helpers import write_ac_dump
from trajdiv.cli import main
from trajdiv.ingest import ReadOptions, read_runs, resolve_labels
from trajdiv.ingest._grading import answer_f1, grade_answer, normalize_answer

JAVA = REALDATA / "multi-swe-bench-java"
GEMINI = REALDATA / "mini-swe-agent-gemini"
HOTPOT = REALDATA / "agent-consistency" / "hotpotqa"


def test_experiments_layout_gives_one_configuration_per_submission():
    need_realdata()
    ds = read_runs([JAVA])
    assert ds.n_skipped_errors == 0
    by_config = Counter(r.config.label for r in ds.runs)
    assert by_config == {
        "swe-agent:deepseek-chat-v2": 3,
        "swe-agent:deepseek-coder-v2": 3,
        "swe-agent:doubao-pro-128k": 3,
        "swe-agent:gpt-4o-2024-05-13": 3,
        "swe-agent:gpt-4o-mini-2024-07-18": 3,
    }
    resolved = {(r.config.model, r.task_id) for r in ds.runs if r.outcome.resolved}
    # by hand from the five results.json: 4486 by three models, 4048 by one
    assert resolved == {
        ("deepseek-chat-v2", "fasterxml__jackson-databind-4048"),
        ("deepseek-chat-v2", "fasterxml__jackson-databind-4486"),
        ("deepseek-coder-v2", "fasterxml__jackson-databind-4486"),
        ("gpt-4o-2024-05-13", "fasterxml__jackson-databind-4486"),
    }
    mini = [r for r in ds.runs if r.config.model == "gpt-4o-mini-2024-07-18"]
    assert all(r.outcome.resolved is None for r in mini)  # incomplete_ids: never evaluated
    assert {r.config.attr("submission") for r in mini} == {"20240825_SWE-agent_gpt-4o-mini-2024-07-18"}
    assert {r.config.attr("benchmark") for r in ds.runs} == {"swe-bench-java-verified"}
    # every results.json is used, the gpt-4o-mini one by its incomplete ids
    labels = [e for e in ds.manifest if e.role == "labels"]
    assert len(labels) == 5
    assert all(e.status == "read" for e in labels)


@pytest.mark.parametrize("how", ["model", "dirname"])
def test_experiments_layout_with_config_from(how: str):
    need_realdata()
    ds = read_runs([JAVA], read=ReadOptions(config_from=how))
    assert len({r.config.label for r in ds.runs}) == 5
    assert ds.n_skipped_errors == 0


def test_per_instance_flat_reports_and_instances_summary():
    need_realdata()
    ds = read_runs([GEMINI])
    assert ds.n_skipped_errors == 0
    assert {r.config.label for r in ds.runs} == {"mini-swe-agent:google/gemini-3-pro-preview"}
    assert len(ds.runs) == 10
    summary = json.loads(next(GEMINI.rglob("results_summary.json")).read_text())
    want = {i["instance_id"]: i["resolved"] for i in summary["instances"]}
    for r in ds.runs:
        report = json.loads((GEMINI.rglob(f"logs/{r.task_id}/report.json").__next__()).read_text())
        assert r.outcome.resolved is report["resolved"] is want[r.task_id]
    assert sum(bool(r.outcome.resolved) for r in ds.runs) == 7
    # the run's dump is the submission, not the instance folder
    assert {r.config.attr("dump") for r in ds.runs} == {"20251118_gemini-3-pro-74pct"}


def test_hotpotqa_is_its_own_benchmark_and_graded():
    need_realdata()
    ds = read_runs([REALDATA / "agent-consistency"])
    bench = Counter(r.config.attr("benchmark") for r in ds.runs)
    assert bench == {"swe-bench": 150, "hotpotqa": 150}
    hot = [r for r in ds.runs if r.config.attr("benchmark") == "hotpotqa"]
    assert all(r.config.label.startswith("hotpotqa/") for r in hot)
    assert all(r.outcome.source == "answer:contains" and r.outcome.resolved is not None for r in hot)
    # independent check: SQuAD-normalised containment computed here from the raw files
    for f in HOTPOT.rglob("*.json"):
        obj = json.loads(f.read_text())
        gold = " " + " ".join(normalize_answer(obj["answer"], split_punct=True).split()) + " "
        for raw in obj["runs"]:
            ans = (
                " "
                + " ".join(normalize_answer(raw.get("final_answer") or "", split_punct=True).split())
                + " "
            )
            run = next(r for r in hot if r.run_id == raw["run_id"] and r.config.model == obj["model"])
            assert run.outcome.resolved is (gold.strip() != "" and gold in ans)
    # the tool and its arguments are the action; the verb level keeps the tool alone
    step = hot[0].steps[0]
    assert step.tool_name in ("Search", "Retrieve", "Finish")
    assert json.loads(step.tool_args)
    assert step.action.startswith(step.tool_name + " {")
    # SWE-bench figures unchanged
    swe = Counter(r.config.label for r in ds.runs if r.outcome.resolved and "swe-bench/" in r.config.label)
    assert sorted(swe.values()) == [2, 16, 29]


def test_grading_rules_by_hand():
    assert grade_answer("The Scotch Collie's ancestors include Gordon Setters.", "Scotch Collie")
    assert not grade_answer("Not the Scotch Terrier", "Scotch Collie")
    assert not grade_answer("not", "no")  # whole words only
    assert not grade_answer(None, "x")
    assert grade_answer("the Scotch collie", "Scotch Collie", "exact")
    assert not grade_answer("Scotch Collie dog", "Scotch Collie", "exact")
    # SQuAD F1 by hand: 2 common tokens, precision 2/3, recall 1 -> 0.8
    assert answer_f1("Scotch Collie dog", "the Scotch Collie") == pytest.approx(0.8)
    assert grade_answer("Scotch Collie dog", "Scotch Collie", "f1", 0.8)
    assert not grade_answer("Scotch Collie dog", "Scotch Collie", "f1", 0.81)


def test_grading_option_changes_labels_and_is_named(tmp_path: Path):
    obj = {
        "task_id": "q1",
        "question": "?",
        "answer": "Paris",
        "supporting_facts": {},
        "model": "m",
        "runs": [
            {
                "run_id": "q1_run_01",
                "final_answer": "It is Paris.",
                "steps": [{"action": "Finish", "action_input": {}}],
            },
            {
                "run_id": "q1_run_02",
                "final_answer": "Paris",
                "steps": [{"action": "Finish", "action_input": {}}],
            },
        ],
    }
    (tmp_path / "results_m").mkdir()
    (tmp_path / "results_m" / "q1.json").write_text(json.dumps(obj))
    got = {r.run_id: (r.outcome.resolved, r.outcome.source) for r in read_runs([tmp_path]).runs}
    assert got == {"q1_run_01": (True, "answer:contains"), "q1_run_02": (True, "answer:contains")}
    got = {
        r.run_id: (r.outcome.resolved, r.outcome.source)
        for r in read_runs([tmp_path], read=ReadOptions(grading="exact")).runs
    }
    assert got == {"q1_run_01": (False, "answer:exact"), "q1_run_02": (True, "answer:exact")}


def test_resolve_labels_is_idempotent_and_separates_submissions():
    keys = [("s:m", "b1", "sub1"), ("s:m", "b1", "sub2"), ("s:m", "b2", "")]
    out = resolve_labels(keys)
    assert out == {
        ("s:m", "b1", "sub1"): "b1/s:m (sub1)",
        ("s:m", "b1", "sub2"): "b1/s:m (sub2)",
        ("s:m", "b2", ""): "b2/s:m",
    }
    again = resolve_labels([(v, k[1], k[2]) for k, v in out.items()])
    assert set(again.values()) == set(out.values())


def _write_label_dump(root: Path) -> None:
    write_ac_dump(root, "claude", {"t1": [["ls"]], "t2": [["ls"]]}, model="claude-sonnet-4-5")
    write_ac_dump(root, "gpt", {"t1": [["pwd"]], "t2": [["pwd"]]}, model="gpt-5")


def test_harness_tree_report_pairs_by_model_folder(tmp_path: Path):
    _write_label_dump(tmp_path)
    for task, ok in (("t1", True), ("t2", False)):
        d = tmp_path / "logs" / "run_evaluation" / "run1" / "gpt-5" / task
        d.mkdir(parents=True)
        (d / "report.json").write_text(json.dumps({task: {"resolved": ok, "patch_exists": True}}))
    got = {(r.config.model, r.task_id): r.outcome.resolved for r in read_runs([tmp_path]).runs}
    assert got == {
        ("claude-sonnet-4-5", "t1"): None,
        ("claude-sonnet-4-5", "t2"): None,
        ("gpt-5", "t1"): True,
        ("gpt-5", "t2"): False,
    }


def test_per_run_report_key_is_a_model_name_fragment(tmp_path: Path):
    """Files of several models in one folder: the key 'claude' pairs with claude-sonnet-4-5 only."""
    for model, key in (("claude-sonnet-4-5", "c"), ("gpt-5", "g")):
        write_ac_dump(tmp_path / model, key, {"t1": [["ls"]]}, model=model)
    # move both into one folder named by neither key
    one = tmp_path / "all" / "results_x"
    one.mkdir(parents=True)
    for model in ("claude-sonnet-4-5", "gpt-5"):
        src = next((tmp_path / model).rglob("t1.json"))
        obj = json.loads(src.read_text())
        (one / f"{model}-t1.json").write_text(json.dumps({**obj, "task_id": "t1"}))
    (tmp_path / "all" / "claude.claude-local-run1.json").write_text(
        json.dumps({"resolved_ids": ["t1"], "unresolved_ids": []})
    )
    ds = read_runs([tmp_path / "all"])
    got = {r.config.model: r.outcome.resolved for r in ds.runs}
    assert got == {"claude-sonnet-4-5": True, "gpt-5": None}


def test_ambiguous_key_is_skipped_with_the_models_it_could_mean(tmp_path: Path):
    write_ac_dump(tmp_path, "x", {"t1": [["ls"]]}, model="gpt-5")
    write_ac_dump(tmp_path, "y", {"t1": [["ls"]]}, model="gpt-4o")
    (tmp_path / "gpt.gpt-local-run1.json").write_text(json.dumps({"resolved_ids": ["t1"]}))
    ds = read_runs([tmp_path])
    (entry,) = [e for e in ds.manifest if e.file.endswith("gpt.gpt-local-run1.json")]
    assert entry.status == "skipped"
    assert "gpt-4o" in entry.reason
    assert "gpt-5" in entry.reason
    assert all(r.outcome.resolved is None for r in ds.runs)


def test_unknown_label_file_names_its_keys(tmp_path: Path):
    write_ac_dump(tmp_path, "m", {"t1": [["ls"]]})
    (tmp_path / "report.json").write_text(json.dumps({"score": 3, "passed": ["t1"]}))
    ds = read_runs([tmp_path])
    (entry,) = [e for e in ds.manifest if e.file.endswith("report.json")]
    assert entry.status == "skipped"
    assert "passed" in entry.reason
    assert "score" in entry.reason


def test_same_run_id_with_different_steps_is_an_error_not_a_duplicate(tmp_path: Path):
    write_ac_dump(tmp_path / "a", "m", {"t1": [["ls"], ["pwd"]]})
    write_ac_dump(tmp_path / "b", "m", {"t1": [["cat x"], ["pwd"]]})
    ds = read_runs([tmp_path])
    errs = [w for e in ds.manifest for w in e.errors]
    assert errs
    assert "not told apart" in errs[0]
    assert "--config-from" in errs[0]
    assert ds.n_skipped_errors == 1
    code = main(["ingest", str(tmp_path), "-o", str(tmp_path / "o"), "--no-cache", "-j", "1", "-q"])
    assert code == 3
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    # b's runs: one clashes, the other repeats a's: nothing of b is kept, and the reason is the clash
    (b,) = [e for e in manifest["files"] if "/b/" in e["file"]]
    assert b["status"] == "skipped"
    assert "not told apart" in b["reason"]
    # the same runs given twice are one run read twice: a warning, not an error
    write_ac_dump(tmp_path / "c", "m", {"t1": [["ls"], ["pwd"]]})
    ds = read_runs([tmp_path / "a", tmp_path / "c"])
    assert ds.n_skipped_errors == 1  # c's only file holds nothing new
    assert not [w for e in ds.manifest for w in e.errors]


MINI_V2 = {
    "trajectory_format": "mini-swe-agent-1.1",
    "instance_id": "o__r-1",
    "info": {
        "exit_status": "Submitted",
        "submission": "diff",
        "model_stats": {"instance_cost": 0.5, "api_calls": 3},
        "mini_version": "2.0.0",
        "config": {"model": {"model_name": "anthropic/claude-sonnet-4-5"}},
    },
    "messages": [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "task"},
        {
            "role": "assistant",
            "content": "Look first.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "bash", "arguments": '{"command": "ls -la"}'},
                }
            ],
            "extra": {"actions": [{"command": "ls -la", "tool_call_id": "c1"}]},
        },
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": "<returncode>0</returncode>\n<output>\nfile.py\n</output>",
            "extra": {"raw_output": "file.py", "returncode": 0},
        },
        {
            "role": "assistant",
            "content": "THOUGHT: grep\n\n```mswea_bash_command\ngrep -n foo file.py\n```",
            "extra": {"actions": [{"command": "grep -n foo file.py"}]},
        },
        {
            "role": "user",
            "content": "<returncode>1</returncode>\n<output>\n</output>",
            "extra": {"returncode": 1},
        },
    ],
}


def test_mini_swe_agent_2_tool_calls_and_parsed_actions(tmp_path: Path):
    d = tmp_path / "sub" / "trajs" / "o__r-1"
    d.mkdir(parents=True)
    (d / "o__r-1.traj.json").write_text(json.dumps(MINI_V2))
    (run,) = read_runs([tmp_path]).runs
    assert run.config.model == "anthropic/claude-sonnet-4-5"
    assert run.config.attr("dump") == "sub"
    assert [s.action for s in run.steps] == ["ls -la", "grep -n foo file.py"]
    assert [s.returncode for s in run.steps] == [0, 1]
    assert run.steps[0].tool_name == "bash"
    assert run.steps[0].observation.strip() == "file.py"
    assert run.steps[0].thought == "Look first."
    assert run.cost == 0.5


def test_swe_agent_1_1_steps_with_query(tmp_path: Path):
    traj = {
        "environment": "swe_main",
        "trajectory": [
            {
                "action": "ls\n",
                "observation": "a.py",
                "response": "list",
                "thought": "list files",
                "execution_time": 0.1,
                "state": {"working_dir": "/testbed"},
                "query": [{"role": "system", "content": "sys"}],
                "extra_info": {},
            },
            {"action": "submit", "observation": "", "response": "", "thought": "done", "query": []},
        ],
        "history": [],
        "info": {"exit_status": "submitted", "submission": "diff", "model_stats": {"instance_cost": 0.2}},
        "replay_config": json.dumps({"agent": {"model": {"name": "gpt-4o"}}}),
    }
    d = tmp_path / "20250101_sweagent_gpt4o" / "trajs"
    d.mkdir(parents=True)
    (d / "o__r-2.traj").write_text(json.dumps(traj))
    (run,) = read_runs([tmp_path]).runs
    assert run.config.label == "swe-agent:gpt-4o"
    assert run.config.attr("submission") == "20250101_sweagent_gpt4o"
    assert [s.action for s in run.steps] == ["ls", "submit"]


def test_file_partly_read_with_a_clash_exits_3(tmp_path: Path, capsys):
    write_ac_dump(tmp_path / "a", "m", {"t1": [["ls"]]})
    b = write_ac_dump(tmp_path / "b", "m", {"t1": [["cat x"], ["pwd"]]})
    ds = read_runs([tmp_path])
    (entry,) = [e for e in ds.manifest if e.file.startswith(str(b))]
    assert entry.status == "read"
    assert entry.runs == 1
    assert len(entry.errors) == 1
    code = main(["ingest", str(tmp_path), "-o", str(tmp_path / "o"), "--no-cache", "-j", "1"])
    assert code == 3
    captured = capsys.readouterr()
    assert "1 read with errors" in captured.out
    assert "not told apart" in captured.err


def test_mini_swe_agent_2_several_parsed_actions_in_one_message(tmp_path: Path):
    msgs = [
        {"role": "system", "content": "s"},
        {"role": "assistant", "content": "x", "extra": {"actions": [{"command": "ls"}, {"command": "pwd"}]}},
        {"role": "user", "content": "<returncode>0</returncode><output>a</output>"},
        {"role": "assistant", "content": "```mswea_bash_command\nid\n```"},
    ]
    (tmp_path / "a.traj.json").write_text(json.dumps({"messages": msgs, "info": {}}))
    (run,) = read_runs([tmp_path]).runs
    assert [(s.index, s.action) for s in run.steps] == [(1, "ls"), (2, "pwd"), (3, "id")]


def test_batch_run_side_files_are_not_dumps(tmp_path: Path):
    """What SWE-agent, mini-swe-agent and OpenHands write beside the trajectories of a batch
    (configurations, exit statuses, predictions, patches, logs) is listed as not a dump, so a
    whole output folder reads with exit code 0; a YAML file never hides metadata.yaml."""
    need_realdata()
    traj = next((REALDATA / "swe-agent").rglob("*.traj"))
    run = tmp_path / "run"
    inst = run / "django__django-1"
    inst.mkdir(parents=True)
    (inst / "django__django-1.traj").write_bytes(traj.read_bytes())
    pred = {"model_name_or_path": "m", "instance_id": "django__django-1", "model_patch": "diff --git"}
    (inst / "django__django-1.pred").write_text(json.dumps(pred))
    (inst / "django__django-1.patch").write_text("diff --git a/x b/x\n")
    (inst / "django__django-1.config.yaml").write_text("agent:\n  model: x\n")
    (inst / "django__django-1.debug.log").write_text("log\n")
    (run / "run_batch_exit_statuses.yaml").write_text("instances_by_exit_status:\n  submitted: []\n")
    (run / "exit_statuses_1700000000.yaml").write_text("{}\n")
    (run / "preds.json").write_text(json.dumps({"django__django-1": pred}))
    (run / "output.swebench.jsonl").write_text(json.dumps(pred) + "\n")
    (run / "patch.diff").write_text("diff --git a/x b/x\n")
    out = tmp_path / "o"
    assert main(["ingest", str(run), "-o", str(out), "-q", "--no-cache"]) == 0
    files = json.loads((out / "manifest.json").read_text())["files"]
    kinds = Counter((e["status"], e.get("kind")) for e in files)
    assert kinds == {("read", None): 1, ("skipped", "not-a-dump"): 9}
    (run / "metadata.yaml").write_text("name: SWE-agent + GPT-4\n")
    ds = read_runs([run])
    assert [e.role for e in ds.manifest if e.file.endswith("metadata.yaml")] == ["metadata"]
