"""The command line: exit codes, one-line errors, help, and each command on real data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AC, REALDATA, TAU, need_realdata
from tests.helpers import write_ac_dump
from trajdiv.cli import build_parser, main

EXE = [sys.executable, "-m", "trajdiv"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=600, check=False)


def test_help_lists_commands_and_exit_codes():
    p = run("--help")
    assert p.returncode == 0
    for cmd in ("ingest", "diverge", "graph", "stats", "analyze", "power", "compare", "plot", "formats"):
        assert cmd in p.stdout
    assert "exit codes" in p.stdout


def test_ingest_real_dumps(tmp_path: Path):
    need_realdata()
    p = run("ingest", str(REALDATA), "-o", str(tmp_path), "--no-cache", "-j", "1")
    assert p.returncode == 0, p.stderr
    m = json.loads((tmp_path / "manifest.json").read_text())
    # the folder grows: the line must agree with the manifest, and hold every file
    assert f"{m['summary']['runs']} runs in {m['summary']['groups']} groups" in p.stdout
    statuses = [(f["status"], f.get("kind")) for f in m["files"]]
    read = sum(s == "read" for s, _ in statuses)
    others = sum(s == "skipped" and k != "error" for s, k in statuses)
    assert others > 0
    assert f"from {read} files; {others} not run dumps (reasons in manifest.json); 0 skipped;" in p.stdout
    assert m["summary"]["runs"] >= 385
    assert m["summary"]["files"] == len([f for f in REALDATA.rglob("*") if f.is_file()])
    assert m["summary"]["skipped_error"] == 0
    assert (tmp_path / "runs.parquet").exists()
    assert (tmp_path / "steps.parquet").exists()


def test_exit_codes_for_partial_and_empty_input(tmp_path: Path, capsys):
    good = tmp_path / "good"
    write_ac_dump(good, "m", {"t1": [["ls"], ["pwd"]]})
    (good / "results_m" / "bad.json").write_text('{"task_id": "x", "runs": [')
    code = main(["ingest", str(good), "-o", str(tmp_path / "o1"), "--no-cache", "-j", "1", "-q"])
    assert code == 3
    err = capsys.readouterr().err
    assert "bad.json" in err
    assert "invalid JSON" in err
    assert "Traceback" not in err
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "junk.json").write_text("{}")
    assert main(["ingest", str(empty), "-o", str(tmp_path / "o2"), "--no-cache", "-q"]) == 4


def test_strict_stops_with_one_line(tmp_path: Path, capsys):
    good = tmp_path / "good"
    write_ac_dump(good, "m", {"t1": [["ls"]]})
    (good / "results_m" / "bad.json").write_text("[")
    code = main(["ingest", str(good), "-o", str(tmp_path / "o"), "--strict", "--no-cache", "-q"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("trajdiv: error: ")
    assert "bad.json" in err[0]


def test_missing_input_and_bad_encoding_are_one_line_errors(tmp_path: Path, capsys):
    assert main(["ingest", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    dump = tmp_path / "d"
    write_ac_dump(dump, "m", {"t1": [["ls"]]})
    assert (
        main(["diverge", str(dump), "-o", str(tmp_path / "o"), "--encoding", "nope_base", "--no-cache"]) == 1
    )
    assert "encoding" in capsys.readouterr().err


def test_stats_writes_documented_summary(tmp_path: Path):
    need_realdata()
    p = run("stats", str(AC), "-o", str(tmp_path), "--no-cache", "-j", "2")
    assert p.returncode == 0, p.stderr
    s = json.loads((tmp_path / "summary.json").read_text())
    for c in s["configs"]:
        for key in (
            "config",
            "model",
            "scaffold",
            "n_tasks",
            "n_runs",
            "pass1",
            "pass_at_k",
            "pass_hat_k",
            "single_run_pass1",
            "cv_steps_mean_pct",
        ):
            assert key in c
        assert set(c["pass1"]) >= {"mean", "se", "ci95"}
        assert all(0 <= v <= 1 for v in c["pass_at_k"].values())
        assert set(c["single_run_pass1"]) >= {"min", "max", "sd"}
    assert "pass@1" in p.stdout  # closing table


def test_diverge_and_graph_outputs(tmp_path: Path):
    need_realdata()
    assert main(["diverge", str(TAU), "-o", str(tmp_path / "d"), "--no-cache", "-q", "-j", "1"]) == 0
    for t in ("divergence_pairs", "divergence_groups", "agreement_curve"):
        assert (tmp_path / "d" / f"{t}.parquet").exists()
    assert main(["graph", str(TAU), "-o", str(tmp_path / "g"), "--no-cache", "-q", "-j", "1"]) == 0
    assert len(list((tmp_path / "g" / "graphs").rglob("*.graphml"))) == 10
    assert (tmp_path / "g" / "strategies.parquet").exists()
    assert (tmp_path / "g" / "graph_summary.parquet").exists()


def test_power_and_compare(tmp_path: Path, capsys):
    need_realdata()
    assert main(["power", str(AC), "--diff", "10", "--a", "claude", "--b", "gpt-5", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["paired"]["shared_tasks"] == 10
    assert res["paired"]["tasks_needed"] >= 1
    assert main(["compare", "claude", "llama", "-i", str(AC), "--no-cache", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["diff"] == pytest.approx(0.54)
    assert data["p_value"] < 0.05
    assert "larger than run-to-run noise" in data["verdict"]
    assert main(["compare", "claude", "gpt-5", "-i", str(AC), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "+26.0 points" in out


def test_power_text_states_the_level_and_power_asked_for(capsys):
    need_realdata()
    assert main(["power", str(AC), "--diff", "10", "--alpha", "0.01", "--power", "0.9"]) == 0
    out = capsys.readouterr().out
    assert "(alpha 0.01); for power 0.9:" in out
    assert "alpha 0.05" not in out
    assert "simulation of compare's paired t-test" in out


def test_compare_ambiguous_label_is_an_error(capsys):
    need_realdata()
    assert main(["compare", "agent", "claude", "-i", str(AC), "--no-cache"]) == 1
    assert "matches several configurations" in capsys.readouterr().err


def test_formats_and_schema(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for name in (
        "agent-consistency",
        "swe-agent",
        "mini-swe-agent",
        "openhands",
        "openhands-eval",
        "tau-bench",
        "tau2-bench",
        "trajdiv-jsonl",
    ):
        assert name in out
    assert main(["schema", "runs"]) == 0
    assert "`resolved`" in capsys.readouterr().out


def test_fuzzy_joins_near_identical_normalized_actions(tmp_path: Path):
    import polars as pl

    dump = tmp_path / "d"
    write_ac_dump(dump, "m", {"t1": [["git log --oneline --graph"], ["git log --oneline --graphs"]]})
    main(["diverge", str(dump), "-o", str(tmp_path / "a"), "--no-cache", "-q", "-j", "1"])
    main(["diverge", str(dump), "-o", str(tmp_path / "b"), "--fuzzy", "90", "--no-cache", "-q", "-j", "1"])
    plain = pl.read_parquet(tmp_path / "a" / "divergence_pairs.parquet")["step_div_normalized"].to_list()
    fuzzy = pl.read_parquet(tmp_path / "b" / "divergence_pairs.parquet")["step_div_normalized"].to_list()
    assert plain == [1]
    assert fuzzy == [None]


def test_help_stays_light_and_cli_constants_match_the_library():
    code = (
        "import sys, trajdiv.cli; from trajdiv.cli import build_parser; build_parser();"
        "print(','.join(m for m in ('polars', 'networkx', 'matplotlib', 'tiktoken') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
    from trajdiv.cli import _common
    from trajdiv.tables import TABLE_FORMATS

    assert _common.TABLE_FORMATS == TABLE_FORMATS


def h_power_diff() -> str:
    sp = next(a for a in build_parser()._actions if a.dest == "command").choices["power"]
    return next(a.help or "" for a in sp._actions if a.dest == "diff")


def test_options_not_given_keep_the_library_defaults_that_help_states():
    import re

    from trajdiv import Settings
    from trajdiv.cli._common import read_options, settings_from
    from trajdiv.pipeline._run import ACROSS_TASKS

    args = build_parser().parse_args(["analyze", "x", "-o", "y"])
    assert settings_from(args, ("ingest",)) == Settings(stages=("ingest",))
    assert read_options(args) == Settings().read
    assert not hasattr(args, "across_tasks")
    # the defaults the help texts state are the library's
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["analyze"]
    helps = {a.dest: a.help or "" for a in sub._actions}
    s = Settings()
    stated = {
        "encoding": s.encoding,
        "level": s.level,
        "cluster_threshold": f"{s.cluster_threshold:g}",
        "f1_threshold": f"{s.read.f1_threshold:g}",
        "across_tasks": str(ACROSS_TASKS),
    }
    for dest, value in stated.items():
        assert re.search(rf"default:? {re.escape(value)}\b", helps[dest]), (dest, helps[dest])
    assert f"{s.read.grading} = " in helps["grade"]
    assert "(default)" in helps["grade"]
    assert f"{s.read.config_from} = scaffold:model (default)" in helps["config_from"]
    import inspect

    from trajdiv import _api

    power_defaults = inspect.signature(_api.power).parameters
    compare_defaults = inspect.signature(_api.compare).parameters
    for cmd in ("power", "compare"):
        sp = next(a for a in build_parser()._actions if a.dest == "command").choices[cmd]
        h = {a.dest: a.help or "" for a in sp._actions}
        params = power_defaults if cmd == "power" else compare_defaults
        assert f"(default {params['alpha'].default:g})" in h["alpha"]
        assert f"(default {params['seed'].default})" in h["seed"]
    assert f"(default {100 * power_defaults['diff'].default:g})" in h_power_diff()
    given = build_parser().parse_args(["analyze", "x", "-o", "y", "--grade", "f1", "--level", "phase"])
    assert settings_from(given, ("ingest",)).read.grading == "f1"
    assert settings_from(given, ("ingest",)).level == "phase"


def test_lazy_package_attributes():
    import trajdiv
    import trajdiv.graph

    assert "analyze" in dir(trajdiv)
    assert callable(trajdiv.analyze)
    assert trajdiv.graph.DEFAULT_CLUSTER_THRESHOLD == 0.5
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = trajdiv.nope


def test_compare_two_dumps(tmp_path: Path, capsys):
    for name, resolved in (("scaffoldA", ["t1", "t2", "t3"]), ("scaffoldB", ["t1"])):
        root = tmp_path / name
        write_ac_dump(root, "m", {f"t{i}": [["ls"], ["pwd"]] for i in (1, 2, 3, 4)})
        (root / "results").mkdir()
        unresolved = [t for t in ("t1", "t2", "t3", "t4") if t not in resolved]
        (root / "results" / "results.json").write_text(
            json.dumps({"resolved": resolved, "unresolved_ids": unresolved})
        )
    assert (
        main(["compare", str(tmp_path / "scaffoldA"), str(tmp_path / "scaffoldB"), "--no-cache", "--json"])
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert (d["a"], d["b"]) == ("scaffoldA", "scaffoldB")
    assert d["diff"] == pytest.approx(0.5)  # 3/4 - 1/4, every run of a task agreeing
    # d_i = (0, 1, 1, 0): se = sd / 2 = 0.288675 (above the floor 1 / (2 runs x 4 tasks));
    # t = sqrt(3) on 3 df; t_0.975,3 = 3.182446; the upper bound is clipped at +1
    assert d["ci"][0] == pytest.approx(0.5 - 3.182446 * 0.288675, abs=1e-5)
    assert d["ci"][1] == 1.0
    assert d["p_value"] == pytest.approx(0.181690, abs=1e-5)  # 2 (1 - F_t3(sqrt 3))
    assert d["family_size"] == 1
    assert d["p_holm"] == d["p_value"]
    assert "not distinguishable" in d["verdict"]


def test_power_compare_export_take_the_reading_options(tmp_path: Path):
    from trajdiv.cli._common import read_options
    from trajdiv.cli._main import build_parser

    parser = build_parser()
    for argv in (
        ["power", "x", "--grade", "exact", "--pool-benchmarks"],
        ["compare", "a", "b", "--grade", "f1", "--f1-threshold", "0.8"],
        ["export", "x", "-o", "y.jsonl", "--score", "s"],
    ):
        args = parser.parse_args(argv)
        assert read_options(args).config_from == "auto"
    assert read_options(parser.parse_args(["export", "x", "-o", "y", "--score", "s"])).score == "s"
    r = read_options(parser.parse_args(["compare", "a", "b", "--grade", "f1", "--f1-threshold", "0.8"]))
    assert (r.grading, r.f1_threshold) == ("f1", 0.8)
    assert read_options(parser.parse_args(["power", "x", "--pool-benchmarks"])).pool_benchmarks


@pytest.mark.parametrize("preset", [None, "dirty_decay_ms:500"])
def test_command_returns_freed_table_memory_at_once_unless_told_otherwise(preset):
    """The command sets polars' allocator to give freed pages back at once, before polars is
    loaded (else the setting would do nothing); a value in the environment is kept."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    if preset is not None:
        env["_RJEM_MALLOC_CONF"] = preset
    code = "import os, sys, trajdiv.cli; print(os.environ['_RJEM_MALLOC_CONF'], 'polars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [preset or "dirty_decay_ms:0,muzzy_decay_ms:0", "False"]
