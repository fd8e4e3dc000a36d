"""inspect_ai logs and Harbor (ATIF) job folders: real files, and logs written by inspect_ai itself."""

from __future__ import annotations

import gc
import json
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REALDATA, need_realdata
from trajdiv.ingest import read_runs
from trajdiv.ingest._inspect import outcome_of_score

# inspect_ai leaves anyio streams to the garbage collector; that is its business, not a failure here
pytestmark = [
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

INSPECT = REALDATA / "inspect-eval"
HARBOR = REALDATA / "harbor-terminal-bench"


def test_real_inspect_log_is_one_group_of_ten_epochs():
    need_realdata()
    ds = read_runs([INSPECT])
    assert ds.n_skipped_errors == 0
    assert len(ds.runs) == 10
    assert len({r.group_key for r in ds.runs}) == 1
    assert sorted(r.run_index for r in ds.runs) == list(range(1, 11))
    (log,) = INSPECT.glob("*.eval")
    with zipfile.ZipFile(log) as zf:
        header = json.loads(zf.read("header.json"))
        s1 = json.loads(zf.read("samples/privesc_7z_epoch_1.json"))
    r1 = next(r for r in ds.runs if r.run_index == 1)
    assert r1.task_id == "privesc_7z"
    assert r1.config.model == header["eval"]["model"] == "openai/gpt-4o"
    assert r1.config.scaffold == "inspect:inspect_evals/gdm_in_house_ctf"
    assert all(r.outcome.resolved is False and r.outcome.source == "score:check_flag" for r in ds.runs)
    # steps by hand: one per tool call of the assistant messages, one per message without calls
    calls = [c for m in s1["messages"] if m["role"] == "assistant" for c in (m.get("tool_calls") or [None])]
    assert len(r1.steps) == len(calls)
    first = s1["messages"][2]["tool_calls"][0]
    assert r1.steps[0].tool_name == "bash"
    assert r1.steps[0].action == first["arguments"]["cmd"]
    assert r1.tokens_sent == s1["model_usage"]["openai/gpt-4o"]["input_tokens"]
    assert r1.duration_s == pytest.approx(s1["total_time"])


def test_score_values():
    assert outcome_of_score("s", "C").resolved is True
    assert outcome_of_score("s", "I").resolved is False
    p = outcome_of_score("s", "P")
    assert p.resolved is False
    assert p.reward == 0.5
    assert outcome_of_score("s", True).resolved is True
    assert outcome_of_score("s", 1).resolved is True
    assert outcome_of_score("s", {"a": 1}) is None


def test_real_harbor_jobs():
    need_realdata()
    ds = read_runs([HARBOR])
    assert ds.n_skipped_errors == 0
    configs = {r.config.label for r in ds.runs}
    assert configs == {"terminus-2:openai/Qwen3-Coder-Next-GGUF", "terminus-2:openai/gpt-oss-120b-GGUF"}
    assert len(ds.runs) == 6
    # outcomes by hand from each trial's result.json (and reward.txt)
    want = {}
    for res in HARBOR.glob("*/*/*/*__*/result.json"):
        vr = json.loads(res.read_text())["verifier_result"]
        want[res.parent.name] = None if vr is None else vr["rewards"]["reward"] >= 1.0
    assert {r.run_id: r.outcome.resolved for r in ds.runs} == want
    assert sum(bool(v) for v in want.values()) == 4
    failed = next(r for r in ds.runs if r.run_id.startswith("polyglot-c-py__tPLX"))
    assert failed.outcome.resolved is None
    entry = next(e for e in ds.manifest if e.file.endswith("polyglot-c-py__tPLXfi2/agent/trajectory.json"))
    assert any("BadRequestError" in w for w in entry.warnings)
    fix = next(r for r in ds.runs if r.run_id == "fix-git__H3PR84C")
    assert fix.task_id == "fix-git"
    assert fix.steps[0].tool_name == "bash_command"
    assert fix.steps[0].action == "git branch -a"
    assert "git branch -a" in fix.steps[0].observation
    assert fix.config.attr("benchmark") == "terminal-bench"


def _atif(version: str, content: object) -> dict:
    return {
        "schema_version": version,
        "session_id": "s",
        "agent": {"name": "my-agent", "version": "1", "model_name": "m-1"},
        "steps": [
            {"step_id": 1, "source": "user", "message": "do it"},
            {
                "step_id": 2,
                "source": "agent",
                "message": "run ls",
                "tool_calls": [
                    {"tool_call_id": "a", "function_name": "bash", "arguments": {"command": "ls"}}
                ],
                "observation": {"results": [{"source_call_id": "a", "content": content}]},
            },
            {"step_id": 3, "source": "agent", "message": "done"},
        ],
    }


@pytest.mark.parametrize(
    ("version", "content"),
    [("ATIF-v1.0", "x.py"), ("ATIF-v1.4", "x.py"), ("ATIF-v1.7", [{"type": "text", "text": "x.py"}])],
)
def test_atif_versions_and_repeated_trials(tmp_path: Path, version: str, content: object):
    for k, reward in enumerate(("1", "0", "1")):
        trial = tmp_path / "job" / f"task-a__{k}X"
        (trial / "agent").mkdir(parents=True)
        (trial / "verifier").mkdir()
        (trial / "agent" / "trajectory.json").write_text(json.dumps(_atif(version, content)))
        (trial / "verifier" / "reward.txt").write_text(reward)
    ds = read_runs([tmp_path])
    assert ds.n_skipped_errors == 0
    assert len({r.group_key for r in ds.runs}) == 1
    assert [r.outcome.resolved for r in ds.runs] == [True, False, True]
    r = ds.runs[0]
    assert r.task_id == "task-a"
    assert [s.action for s in r.steps] == ["ls", 'respond {"content": "done"}']
    assert r.steps[0].observation == "x.py"


def test_atif_version_outside_the_family_is_refused(tmp_path: Path):
    (tmp_path / "agent").mkdir()
    (tmp_path / "agent" / "trajectory.json").write_text(json.dumps(_atif("ATIF-v2.0", "x")))
    ds = read_runs([tmp_path])
    (e,) = ds.manifest
    assert e.status == "skipped"
    assert "ATIF" in e.reason


@pytest.fixture(scope="module")
def inspect_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real inspect_ai log (offline mockllm, 5 epochs) whose runs branch at step 2."""
    pytest.importorskip("inspect_ai", reason="inspect-ai (a dev dependency) is not installed")
    import tiktoken
    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ModelOutput, get_model
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate, use_tools
    from inspect_ai.tool import tool

    from trajdiv.tokens import get_encoding

    @tool
    def probe():  # type: ignore[no-untyped-def]
        async def execute(x: str) -> str:
            """Probe a place.

            Args:
                x: where to probe
            """
            return f"probed {x}"

        return execute

    def outputs():  # type: ignore[no-untyped-def]
        for epoch in range(5):
            yield ModelOutput.for_tool_call("mockllm/model", "probe", {"x": "start"})
            branch = "left" if epoch % 2 == 0 else "right"
            yield ModelOutput.for_tool_call("mockllm/model", "probe", {"x": branch})
            yield ModelOutput.from_content("mockllm/model", "yes" if branch == "left" else "no")

    out = tmp_path_factory.mktemp("inspect")
    task = Task(
        dataset=[Sample(input="Is it left?", target="yes", id="t1")],
        solver=[use_tools(probe()), generate()],
        scorer=includes(),
        epochs=5,
    )
    # inspect_ai estimates tokens with o200k_base, which is fetched online: lend it the offline one
    real = tiktoken.get_encoding
    mp = pytest.MonkeyPatch()
    mp.setattr(tiktoken, "get_encoding", lambda n: get_encoding() if n == "o200k_base" else real(n))
    try:
        with warnings.catch_warnings():
            # inspect_ai's own dependencies warn of deprecations; the suite turns warnings into errors
            warnings.simplefilter("ignore", DeprecationWarning)
            (log,) = inspect_eval(
                task,
                model=get_model("mockllm/model", custom_outputs=outputs()),
                log_dir=str(out),
                max_samples=1,
                display="none",
            )
            gc.collect()
    finally:
        mp.undo()
    assert log.status == "success", log.error
    return Path(log.location)


def test_inspect_written_log_branches(inspect_log: Path, tmp_path: Path):
    from trajdiv import analyze

    ds = read_runs([inspect_log])
    assert [r.outcome.resolved for r in ds.runs] == [True, False, True, False, True]
    assert [r.steps[1].action for r in ds.runs][:2] == ['probe {"x": "left"}', 'probe {"x": "right"}']
    with zipfile.ZipFile(inspect_log) as zf:
        assert {i.compress_type for i in zf.infolist()} == {93}  # zstd members
    res = analyze([inspect_log], tmp_path / "a", jobs=1, cache_dir=None)
    groups = res.pipeline.frame("divergence_groups")
    assert groups["first_div_step_exact"].to_list() == [2]
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    (cfg,) = summary["configs"]
    assert cfg["pass1"]["mean"] == pytest.approx(0.6)
    assert cfg["pass_hat_k"]["3"] == pytest.approx(1 / 10)  # C(3,3)/C(5,3)


def test_inspect_json_log_and_unfinished_log(inspect_log: Path, tmp_path: Path):
    from inspect_ai.log import read_eval_log, write_eval_log

    log = read_eval_log(str(inspect_log))
    write_eval_log(log, str(tmp_path / "log.json"), format="json")
    ds = read_runs([tmp_path / "log.json"])
    assert [r.outcome.resolved for r in ds.runs] == [True, False, True, False, True]
    log.status = "error"
    write_eval_log(log, str(tmp_path / "err" / "log.json"), format="json")
    ds = read_runs([tmp_path / "err"])
    assert len(ds.runs) == 5
    (entry,) = ds.manifest
    assert any("not 'success'" in w for w in entry.warnings)


def test_damaged_eval_is_skipped_with_a_reason(inspect_log: Path, tmp_path: Path):
    data = bytearray(inspect_log.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\0" * 64
    (tmp_path / "bad.eval").write_bytes(bytes(data))
    shutil.copy(inspect_log, tmp_path / "good.eval")
    ds = read_runs([tmp_path])
    bad = next(e for e in ds.manifest if e.file.endswith("bad.eval"))
    assert bad.status == "skipped"
    assert bad.reason
    assert len(ds.runs) == 5
