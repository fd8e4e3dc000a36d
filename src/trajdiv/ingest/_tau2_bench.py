"""tau2-bench results: a ``Results`` JSON file (``info``, ``tasks``, ``simulations``), or its
directory form (``results.json`` without the simulations, one ``simulations/<id>.json`` per
simulation beside it).

A simulation is one run: its ``messages`` hold the agent's turns. Each tool call of an assistant
message is a step (observation: the ``tool`` message whose ``id`` is the call's); an assistant
message without a call is a ``respond`` step, answered by the user's next message. The user
simulator's own tool calls (tau2's dual-control domains) are the environment's doing, not steps.
The outcome is ``reward_info.reward`` (1.0 = resolved); a simulation that ended on an
infrastructure error or an exceeded context window was never evaluable (tau2 leaves it out of
its metrics) and stays unlabelled.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import ReadContext, opt_number, tool_args_json
from trajdiv.ingest._chat import RESPOND, call_step, content_text, respond_step
from trajdiv.ingest._source import Source, load_json
from trajdiv.ingest._stream import json_object_with_array
from trajdiv.model import Config, Outcome, Run, Step

__all__ = ["RESULTS_MARKERS", "Tau2BenchReader", "is_simulation_file"]

RESULTS_MARKERS = (b'"num_trials"', b'"user_info"')
"""Both in the first bytes of a ``Results`` file (its ``info`` comes first)."""

_NOT_EVALUABLE = frozenset({"infrastructure_error", "context_window_exceeded"})


def is_simulation_file(source: Source, head: bytes) -> bool:
    """A ``simulations/<id>.json`` of the directory form."""
    return (
        source.name.endswith(".json")
        and source.folder_parts[-1:] == ("simulations",)
        and b'"termination_reason"' in head
        and b'"task_id"' in head
    )


def _tool_messages(messages: list[Any]) -> dict[str, str]:
    """Text of each tool result by the id of the call it answers (a multi-tool message's too)."""
    out: dict[str, str] = {}
    for m in messages:
        if not isinstance(m, dict) or m.get("role") != "tool":
            continue
        inner = m.get("tool_messages")
        for t in inner if isinstance(inner, list) else [m]:
            if isinstance(t, dict) and isinstance(t.get("id"), str) and t["id"] not in out:
                out[t["id"]] = content_text(t.get("content"))
    return out


def steps_from_messages(messages: list[Any], source: Source, where: str) -> list[Step]:
    """The agent's steps of a simulation's ``messages`` (see the module docstring)."""
    answers = _tool_messages(messages)
    steps: list[Step] = []
    for pos, m in enumerate(messages):
        if not isinstance(m, dict):
            raise InputError(source.display, f"{where}[{pos}] should be a message object")
        role = m.get("role")
        if role == "user" and steps and steps[-1].tool_name == RESPOND and not steps[-1].observation:
            steps[-1] = replace(steps[-1], observation=content_text(m.get("content")))
        if role != "assistant":
            continue
        calls = [
            c
            for c in m.get("tool_calls") or []
            if isinstance(c, dict) and c.get("requestor", "assistant") == "assistant"
        ]
        thought = content_text(m.get("content"))
        if not calls:
            steps.append(respond_step(len(steps) + 1, thought))
            continue
        for k, call in enumerate(calls):
            if not isinstance(call.get("name"), str):
                raise InputError(source.display, f"{where}[{pos}].tool_calls[{k}] has no name")
            args = tool_args_json(call.get("arguments", {}))
            call_id = call.get("id")
            answer = answers.get(call_id, "") if isinstance(call_id, str) else ""
            steps.append(call_step(len(steps) + 1, call["name"], args, thought if k == 0 else "", answer))
    return steps


def _config(info: Any, stem: str) -> Config:
    info = info if isinstance(info, dict) else {}
    agent = info.get("agent_info") if isinstance(info.get("agent_info"), dict) else {}
    user = info.get("user_info") if isinstance(info.get("user_info"), dict) else {}
    env = info.get("environment_info") if isinstance(info.get("environment_info"), dict) else {}
    model = agent.get("llm") if isinstance(agent.get("llm"), str) and agent.get("llm") else "unknown"
    domain = env.get("domain_name") if isinstance(env.get("domain_name"), str) else ""
    attrs = [("dump", stem), ("benchmark", f"tau2-bench-{domain}" if domain else "tau2-bench")]
    for key, who in (("agent", agent.get("implementation")), ("user_model", user.get("llm"))):
        if isinstance(who, str) and who:
            attrs.append((key, who))
    return Config(model=str(model), scaffold="tau2-bench", attrs=tuple(attrs))


def _run(sim: Any, config: Config, stem: str, source: Source, fmt: str, where: str) -> Run:
    if not isinstance(sim, dict) or not isinstance(sim.get("task_id"), (str, int)):
        raise InputError(source.display, f"{where}: expected a simulation with a task_id")
    messages = sim.get("messages") or []
    if not isinstance(messages, list):
        raise InputError(source.display, f"{where}.messages should be a list")
    reward_info = sim.get("reward_info")
    reward = reward_info.get("reward") if isinstance(reward_info, dict) else None
    ended = str(sim.get("termination_reason") or "")
    warnings: tuple[str, ...] = ()
    outcome = Outcome()
    if ended in _NOT_EVALUABLE:
        warnings = (f"ended on {ended}: not evaluable, left unlabelled",)
    elif isinstance(reward, (int, float)) and not isinstance(reward, bool):
        outcome = Outcome(resolved=reward >= 1.0, reward=float(reward), source="reward")
    trial = sim.get("trial")
    sim_id = sim.get("id")
    task = str(sim["task_id"])

    return Run(
        task_id=task,
        run_id=str(sim_id) if isinstance(sim_id, str) and sim_id else f"{task}_trial_{trial}",
        run_index=trial + 1
        if isinstance(trial, int) and not isinstance(trial, bool) and trial >= 0
        else None,
        config=config,
        steps=tuple(steps_from_messages(messages, source, f"{where}.messages")),
        outcome=outcome,
        cost=opt_number(sim, "agent_cost"),
        duration_s=opt_number(sim, "duration"),
        dump_key=stem,
        source=source.display,
        fmt=fmt,
        warnings=warnings,
    )


class Tau2BenchReader:
    """Reader for tau2-bench results."""

    name = "tau2-bench"
    description = (
        "tau2-bench results (info, tasks, simulations[]; or simulations/<id>.json beside results.json)"
    )

    def sniff(self, source: Source, head: bytes) -> bool:
        if is_simulation_file(source, head):
            return True
        return source.name.endswith(".json") and all(m in head for m in RESULTS_MARKERS)

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        if source.folder_parts[-1:] == ("simulations",) and not all(
            m in source.head() for m in RESULTS_MARKERS
        ):
            yield from self._one_simulation(source, ctx)
            return
        rest, sims = json_object_with_array(source, "simulations")
        if not isinstance(rest, dict) or "info" not in rest:
            raise InputError(source.display, "expected tau2-bench results with 'info' and 'simulations'")
        if sims is None:
            raise InputError(
                source.display,
                "tau2-bench results without 'simulations': in the directory form they are the "
                "simulations/<id>.json files beside this file (give the folder that holds both)",
            )
        stem = source.name.removesuffix(".json")
        config = _config(rest.get("info"), stem)
        n = 0
        for i, sim in enumerate(sims):
            yield _run(sim, config, stem, source, self.name, f"simulations[{i}]")
            n += 1
        if n == 0:
            raise InputError(source.display, "the simulation list is empty")

    def _one_simulation(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        text = ctx.side_text(source, 1, "results.json")
        try:
            meta = json.loads(text) if text else None
        except json.JSONDecodeError:
            meta = None
        folder = source.folder_parts[-2] if len(source.folder_parts) >= 2 else "simulations"
        config = _config(meta.get("info") if isinstance(meta, dict) else None, folder)
        run = _run(load_json(source), config, folder, source, self.name, "simulation")
        if meta is None:
            run = replace(run, warnings=(*run.warnings, "no results.json beside simulations/: model unknown"))
        yield run
