"""Harbor job folders with ATIF trajectories (Agent Trajectory Interchange Format, v1.0-1.7).

A trial folder ``<task>__<id>/`` holds ``agent/trajectory.json`` (ATIF), the trial's
``result.json`` and ``verifier/reward.txt``. Trials of one task, within a job (``n_attempts`` > 1)
and across jobs of the same agent and model, are repeated runs of that task.

Steps come from the ``source: agent`` steps: each tool call is one step (``function_name`` and its
arguments; a shell tool's command, terminus' ``keystrokes`` included), its observation the
``observation.results[].content`` answering that call (by ``source_call_id``, else in order); an
agent step without tool calls is a ``respond`` step. ``reasoning_content`` and ``message`` are the
thought. The model is ``agent.model_name``, the scaffold ``agent.name``.

Outcome: the trial ``result.json``'s ``verifier_result.rewards.reward`` (1.0 = resolved; any
other number is the reward, resolved when at least 1.0), else ``verifier/reward.txt``, else
unlabelled. An ``exception_info`` in ``result.json`` is a warning on the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import (
    ReadContext,
    field_of,
    opt_int,
    opt_number,
    tool_action_text,
    tool_args_json,
)
from trajdiv.ingest._chat import RESPOND, content_text
from trajdiv.ingest._source import Source, load_json
from trajdiv.model import Config, Outcome, Run, Step

__all__ = ["HarborReader"]

_VERSION = re.compile(r"^ATIF-v1\.(\d+)$")
_TRIAL = re.compile(r"^(?P<task>.+)__[A-Za-z0-9]+$")


def _content(value: Any) -> str:
    """ATIF content: a string, or (v1.6+) a list of content parts."""
    if isinstance(value, str):
        return value
    return content_text(value)


def _observations(step: dict[str, Any], ids: list[str]) -> list[str]:
    obs = step.get("observation")
    results = obs.get("results") if isinstance(obs, dict) else None
    out: list[str | None] = [None] * len(ids)
    if not isinstance(results, list):
        return [""] * len(ids)
    extra: list[str] = []
    for res in results:
        if not isinstance(res, dict):
            continue
        text = _content(res.get("content"))
        sid = res.get("source_call_id")
        slot = next((k for k, i in enumerate(ids) if i == sid and out[k] is None), None)
        if slot is None:
            slot = next((k for k in range(len(ids)) if out[k] is None), None)
        if slot is None:
            extra.append(text)
        else:
            out[slot] = text
    texts = [o or "" for o in out]
    if extra and texts:
        texts[-1] = "\n".join([texts[-1], *extra]).strip("\n")
    return texts


def _steps(obj: dict[str, Any], source: Source) -> list[Step]:
    raw = field_of(obj, "steps", list, source)
    steps: list[Step] = []
    for pos, s in enumerate(raw):
        if not isinstance(s, dict):
            raise InputError(source.display, f"steps[{pos}] should be an object")
        if s.get("source") != "agent":
            continue
        thought = "\n".join(
            t for t in (_content(s.get("reasoning_content")), _content(s.get("message"))) if t.strip()
        )
        calls = s.get("tool_calls") or []
        if not isinstance(calls, list):
            raise InputError(source.display, f"steps[{pos}].tool_calls should be a list")
        if not calls:
            args = json.dumps({"content": _content(s.get("message"))}, ensure_ascii=False)
            texts = _observations(s, [""])
            steps.append(
                Step(
                    index=len(steps) + 1,
                    action=f"{RESPOND} {args}",
                    tool_name=RESPOND,
                    tool_args=args,
                    observation=texts[0],
                )
            )
            continue
        ids = [str(c.get("tool_call_id")) if isinstance(c, dict) else "" for c in calls]
        texts = _observations(s, ids)
        for k, call in enumerate(calls):
            name = call.get("function_name") if isinstance(call, dict) else None
            if not isinstance(name, str):
                raise InputError(source.display, f"steps[{pos}].tool_calls[{k}] has no function_name")
            args = tool_args_json(call.get("arguments", {}))
            steps.append(
                Step(
                    index=len(steps) + 1,
                    thought=thought if k == 0 else "",
                    action=tool_action_text(name, args),
                    tool_name=name,
                    tool_args=args,
                    observation=texts[k],
                )
            )
    return steps


def _reward_outcome(result: dict[str, Any] | None, reward_txt: str | None, where: str) -> Outcome:
    vr = result.get("verifier_result") if result else None
    rewards = vr.get("rewards") if isinstance(vr, dict) else None
    value: Any = None
    if isinstance(rewards, dict):
        value = rewards.get("reward")
        if value is None and len(rewards) == 1:
            value = next(iter(rewards.values()))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Outcome(resolved=float(value) >= 1.0, reward=float(value), source=where + "/result.json")
    if reward_txt is not None:
        try:
            r = float(reward_txt.strip())
        except ValueError:
            return Outcome()
        return Outcome(resolved=r >= 1.0, reward=r, source=where + "/verifier/reward.txt")
    return Outcome()


def _seconds(result: dict[str, Any] | None) -> float | None:
    if not result:
        return None
    try:
        start = datetime.fromisoformat(str(result["started_at"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(result["finished_at"]).replace("Z", "+00:00"))
    except (KeyError, ValueError, TypeError):
        return None
    return (end - start).total_seconds()


class HarborReader:
    """Reader for ATIF trajectories in Harbor trial folders."""

    name = "harbor-atif"
    description = (
        "Harbor trials: agent/trajectory.json (ATIF v1.0-1.7), outcome from result.json / reward.txt"
    )

    def sniff(self, source: Source, head: bytes) -> bool:
        return source.name.endswith(".json") and b'"schema_version"' in head and b'"ATIF-v' in head

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        obj = load_json(source)
        version = field_of(obj, "schema_version", str, source)
        m = _VERSION.match(version)
        if m is None or int(m.group(1)) > 7:
            raise InputError(source.display, f"ATIF version {version!r} is not one trajdiv reads (v1.0-1.7)")
        agent = field_of(obj, "agent", dict, source)
        steps = _steps(obj, source)
        in_agent = source.folder_parts[-1:] == ("agent",)
        up = 1 if in_agent else 0
        result_text = ctx.side_text(source, up, "result.json")
        try:
            result = json.loads(result_text) if result_text else None
        except json.JSONDecodeError:
            result = None
        if not isinstance(result, dict):
            result = None
        trial_parts = source.folder_parts[: len(source.folder_parts) - up]
        trial = trial_parts[-1] if trial_parts else source.name
        where = "/".join(trial_parts)
        outcome = _reward_outcome(result, ctx.side_text(source, up, "verifier", "reward.txt"), where)
        task = result.get("task_name") if result else None
        if not isinstance(task, str) or not task:
            tm = _TRIAL.match(trial)
            task = tm.group("task") if tm else trial
        warnings = []
        exc = result.get("exception_info") if result else None
        if isinstance(exc, dict):
            warnings.append(
                f"agent exception {exc.get('exception_type')}: {str(exc.get('exception_message'))[:200]}"
            )
        if result is None:
            warnings.append("no trial result.json beside agent/: outcome from reward.txt or unlabelled")
        model = str(agent.get("model_name") or "unknown")
        attrs = [("dump", trial_parts[-2] if len(trial_parts) >= 2 else trial)]
        bench = result.get("source") if result else None
        if isinstance(bench, str) and bench:
            attrs.append(("benchmark", bench))
        metrics = obj.get("final_metrics") if isinstance(obj.get("final_metrics"), dict) else {}
        yield Run(
            task_id=task,
            run_id=trial,
            config=Config(model=model, scaffold=str(agent.get("name") or "harbor"), attrs=tuple(attrs)),
            steps=tuple(steps),
            outcome=outcome,
            cost=opt_number(metrics, "total_cost_usd"),
            tokens_sent=opt_int(metrics, "total_prompt_tokens"),
            tokens_received=opt_int(metrics, "total_completion_tokens"),
            api_calls=opt_int(metrics, "total_steps"),
            duration_s=_seconds(result),
            dump_key=model,
            source=source.display,
            fmt=self.name,
            warnings=tuple(warnings),
        )
