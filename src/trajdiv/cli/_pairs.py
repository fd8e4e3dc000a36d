"""``trajdiv power`` and ``trajdiv compare``: how many runs and tasks a comparison needs, and
the paired comparison itself."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trajdiv._text import for_terminal
from trajdiv.cli._common import (
    EXIT_OK,
    add_alpha_option,
    add_execution_options,
    add_read_options,
    add_seed_option,
    execution_options,
    given,
    read_options,
)

__all__ = ["add_pair_commands"]


def _cmd_power(args: argparse.Namespace) -> int:
    from trajdiv import _api

    points = {"diff": args.diff / 100.0} if hasattr(args, "diff") else {}
    res = _api.power(
        args.inputs,
        **points,
        **given(args, "alpha", "power", "seed"),
        runs_per_task=args.runs,
        n_tasks=args.tasks,
        a=args.a,
        b=args.b,
        s2_delta=args.s2_delta,
        read=read_options(args),
    )
    if args.json:
        print(json.dumps(res, indent=1))
        return EXIT_OK
    d = 100 * res["diff"]
    if "paired" in res:
        p = res["paired"]
        print(
            f"paired: {for_terminal(p['a'])} vs {for_terminal(p['b'])} on {p['shared_tasks']} shared tasks "
            f"(s2_delta {p['s2_delta']:.4f}, w {p['w']:.4f})"
        )
        print(_power_line(p, d, res["alpha"], res["power"]))
    for c in res["configs"]:
        print(
            f"{for_terminal(c['config'])}: {c['n_tasks']} tasks, {c['runs_per_task_observed']} runs per task, "
            f"single-run pass@1 sd {c['single_run_sd_points']:.2f} points"
        )
        print("  " + _power_line(c, d, res["alpha"], res["power"]))
        print(f"  whole-benchmark runs per agent to detect {d:g} points: {c['benchmark_runs_needed']}")
    return EXIT_OK


def _power_line(p: dict[str, Any], d: float, alpha: float, power: float) -> str:
    runs = p["runs_needed"]
    runs_txt = f"{runs} runs per task" if runs else "no number of runs per task (add tasks)"
    mdd = p["min_detectable_diff"]
    mdd_txt = f"{100 * mdd:.1f} points" if mdd is not None and math.isfinite(mdd) else "none (out of reach)"
    return (
        f"power {p['power_at_diff']:.3f} to detect {d:g} points with {p['runs_per_task']} runs on "
        f"{p['n_tasks']} tasks (alpha {alpha:g}); for power {power:g}: {p['tasks_needed']} tasks at "
        f"{p['runs_per_task']} runs each, or {runs_txt} on {p['n_tasks']} tasks; minimum "
        f"detectable now {mdd_txt} [{p['method']}]"
    )


def _cmd_compare(args: argparse.Namespace) -> int:
    from trajdiv import _api

    res = _api.compare(
        args.a,
        args.b,
        args.input or (),
        out=args.out,
        **given(args, "alpha", "seed"),
        **execution_options(args),
        read=read_options(args),
    )
    if args.json:
        print(json.dumps(res.data, indent=1))
    else:
        d = res.data
        print(f"A = {for_terminal(d['a'])}\nB = {for_terminal(d['b'])}")
        print(
            f"pass@1 A {d['pass1_a']:.3f}, B {d['pass1_b']:.3f} on {d['shared_tasks']} shared tasks, "
            f"{d['runs_per_task']} runs per task or more"
        )
        if d["cv_steps_a"] is not None and d["cv_steps_b"] is not None:
            print(f"CV of steps: A {d['cv_steps_a']:.1f}%, B {d['cv_steps_b']:.1f}%")
        if d["first_div_step_phase_a"] is not None and d["first_div_step_phase_b"] is not None:
            print(
                f"first divergence (phase level): A step {d['first_div_step_phase_a']:.2f}, "
                f"B step {d['first_div_step_phase_b']:.2f}"
            )
        print(for_terminal(res.verdict))
    return EXIT_OK


def add_pair_commands(cmd: Callable[[str, str, Any], argparse.ArgumentParser]) -> None:
    """Declare ``trajdiv power`` and ``trajdiv compare``."""
    sp = cmd("power", "runs per task and tasks needed to detect a difference in pass@1", _cmd_power)
    sp.add_argument("inputs", nargs="+", metavar="INPUT")
    sp.add_argument(
        "--diff", type=float, default=argparse.SUPPRESS, help="difference to detect, in points (default 5)"
    )
    add_alpha_option(sp)
    sp.add_argument("--power", type=float, default=argparse.SUPPRESS, help="power 1 - beta (default 0.8)")
    sp.add_argument("--runs", type=int, default=None, help="runs per task to plan for (default: as observed)")
    sp.add_argument("--tasks", type=int, default=None, help="tasks to plan for (default: as observed)")
    sp.add_argument("--a", default=None, help="configuration A for a paired design")
    sp.add_argument("--b", default=None, help="configuration B for a paired design")
    sp.add_argument(
        "--s2-delta",
        type=float,
        default=None,
        help="variance over tasks of the true per-task difference; given, power comes from the "
        "normal formula (Miller 2024) instead of a simulation of the test compare runs",
    )
    add_seed_option(sp, "the power simulation")
    add_read_options(sp)
    sp.add_argument("--json", action="store_true", help="print JSON")

    sp = cmd("compare", "paired comparison of two configurations on their shared tasks", _cmd_compare)
    sp.add_argument("a", metavar="A", help="a dump, or a configuration label (or unique part of one)")
    sp.add_argument("b", metavar="B", help="a dump, or a configuration label")
    sp.add_argument(
        "-i",
        "--input",
        action="append",
        default=None,
        metavar="INPUT",
        help="dumps holding both configurations (repeatable); omit when A and B are dumps",
    )
    sp.add_argument("-o", "--out", type=Path, default=None, help="also write tables and compare.json here")
    add_alpha_option(sp)
    add_seed_option(sp, "the tests' resampling")
    add_execution_options(sp)
    add_read_options(sp)
    sp.add_argument("--json", action="store_true", help="print JSON")
