"""OpenHands evaluation output: ``output.jsonl``, one evaluated instance per line.

Each line is an ``EvalOutput`` of OpenHands' ``evaluation/`` harness: ``instance_id``,
``test_result`` (``git_patch``; ``report.resolved`` once evaluated), ``metadata`` (``agent_class``,
``llm_config.model``, ...), ``history``, ``metrics`` and ``error``. ``history`` is either the event
stream (a list of serialised events: actions with ``action`` and ``args``, observations with
``observation``, ``content``, ``extras`` and the ``cause`` that names their action), or, in
releases before the event stream, a list of ``[action, observation]`` pairs, or, from the
OpenHands SDK (V1) benchmarks, a list of SDK events told apart by ``kind`` (``ActionEvent`` with
its ``tool_call``; ``ObservationEvent``, ``AgentErrorEvent`` or ``UserRejectObservation`` naming it
by ``action_id``; ``MessageEvent``). Each action of the
agent is a step: a tool call as the model made it (from ``tool_call_metadata``), else the action
itself (``run``: its command; ``message``: a ``respond`` step); bookkeeping events (system prompt,
recall, agent state, condensation) are not steps. Repeated runs are the same instance in several
``output.jsonl`` files (one folder per run, as ``--eval-note`` names them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import ReadContext, benchmark_of_task, opt_int, opt_number, tool_args_json
from trajdiv.ingest._chat import RESPOND, call_step, content_text, respond_step
from trajdiv.ingest._openhands import response_message
from trajdiv.ingest._source import Source
from trajdiv.ingest._stream import json_lines
from trajdiv.model import Config, Outcome, Run, Step

__all__ = ["OpenHandsEvalReader", "eval_labels"]

_NOT_STEPS = frozenset(
    {"system", "recall", "change_agent_state", "condensation", "condensation_request", "null", ""}
)
"""Actions that are bookkeeping, not something the agent did."""

_MAXITER = re.compile(r"^(?P<model>.+?)_maxiter_\d+")
"""The output folder OpenHands names ``<model>_maxiter_<n>[_N_<note>]``."""

_MAX_ERROR_CHARS = 300


def _args(event: dict[str, Any]) -> dict[str, Any]:
    args = event.get("args")
    return args if isinstance(args, dict) else {}


def _call_arguments(event: dict[str, Any]) -> tuple[str, str] | None:
    """``(function name, arguments JSON)`` of the tool call behind an action, as the model made
    it; None when the event does not record one."""
    meta = event.get("tool_call_metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("function_name"), str):
        return None
    name, call_id = meta["function_name"], meta.get("tool_call_id")
    message = response_message(meta.get("model_response"))
    calls = message.get("tool_calls") if message is not None else None
    for call in calls if isinstance(calls, list) else []:
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict) and call.get("id") == call_id and fn.get("name") == name:
            return name, tool_args_json(fn.get("arguments", {}))
    return None


def _fallback_call(kind: str, args: dict[str, Any]) -> tuple[str, str]:
    """A tool call for an action that records none: the shell and IPython tools by their code,
    a message as a ``respond``, anything else as the action with its arguments (thought aside)."""
    if kind == "run":
        return "execute_bash", json.dumps({"command": str(args.get("command", ""))}, ensure_ascii=False)
    if kind == "run_ipython":
        return "execute_ipython_cell", json.dumps({"code": str(args.get("code", ""))}, ensure_ascii=False)
    if kind == "message":
        return RESPOND, json.dumps({"content": content_text(args.get("content"))}, ensure_ascii=False)
    rest = {k: v for k, v in args.items() if k != "thought"}
    return kind, json.dumps(rest, sort_keys=True, ensure_ascii=False, default=str)


def _exit_code(observation: dict[str, Any] | None) -> int | None:
    extras = observation.get("extras") if observation else None
    if not isinstance(extras, dict):
        return None
    meta = extras.get("metadata")
    return opt_int(meta, "exit_code") if isinstance(meta, dict) else opt_int(extras, "exit_code")


def _step(index: int, action: dict[str, Any], observation: dict[str, Any] | None, reply: str | None) -> Step:
    """A step of ``action``; its observation is the event that answers it, or for a message to
    the user, the user's ``reply``."""
    kind = str(action.get("action"))
    args = _args(action)
    name, call_args = _call_arguments(action) or _fallback_call(kind, args)
    thought = args.get("thought") if kind != "message" else ""
    text = content_text(observation.get("content")) if observation else ""
    said = reply if reply is not None and not text else text
    return call_step(
        index, name, call_args, thought if isinstance(thought, str) else "", said, _exit_code(observation)
    )


def _is_agent_action(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("action"), str)
        and event.get("source", "agent") == "agent"
        and event["action"] not in _NOT_STEPS
    )


def _user_reply(event: Any) -> str | None:
    """The text of a message from the user, else None."""
    if isinstance(event, dict) and event.get("action") == "message" and event.get("source") == "user":
        return content_text(_args(event).get("content"))
    return None


def _id(value: Any) -> str | int | None:
    """An event id or tool call id as a key (ids of any other type are no ids)."""
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _sdk_answer_text(event: dict[str, Any]) -> tuple[str, int | None]:
    """Text and exit code of the event answering an SDK action: an observation (its content
    parts), an agent error or a rejection."""
    obs = event.get("observation")
    if isinstance(obs, dict):
        code = opt_int(obs, "exit_code")
        if code is None:
            code = opt_int(obs.get("metadata"), "exit_code")
        return content_text(obs.get("content", obs.get("output"))), code
    for key in ("error", "rejection_reason"):
        if isinstance(event.get(key), str):
            return event[key], None
    return "", None


def _sdk_steps(history: list[Any]) -> list[Step]:
    """Steps of an OpenHands SDK (V1) event list: each ``ActionEvent`` (its ``tool_call``), each
    message of the agent a ``respond`` step answered by the user's next message."""
    answers: dict[Any, dict[str, Any]] = {}
    for e in history:
        if isinstance(e, dict) and e.get("kind") != "ActionEvent":
            for key in (_id(e.get("action_id")), _id(e.get("tool_call_id"))):
                if key is not None and key not in answers:
                    answers[key] = e
    steps: list[Step] = []
    for e in history:
        if not isinstance(e, dict):
            continue
        kind, source = e.get("kind"), e.get("source")
        if kind == "MessageEvent":
            msg = e.get("llm_message")
            text = content_text(msg.get("content")) if isinstance(msg, dict) else ""
            if source == "agent":
                steps.append(respond_step(len(steps) + 1, text))
            elif source == "user" and steps and steps[-1].tool_name == RESPOND and not steps[-1].observation:
                steps[-1] = replace(steps[-1], observation=text)
            continue
        if kind != "ActionEvent":
            continue
        raw_call = e.get("tool_call")
        call: dict[str, Any] = raw_call if isinstance(raw_call, dict) else {}
        name = str(call["name"]) if isinstance(call.get("name"), str) else str(e.get("tool_name", ""))
        args = tool_args_json(call.get("arguments", {}))
        answer = answers.get(_id(e.get("id"))) or answers.get(_id(e.get("tool_call_id")))
        text, code = _sdk_answer_text(answer) if answer else ("", None)
        steps.append(call_step(len(steps) + 1, name, args, content_text(e.get("thought")), text, code))
    return steps


def steps_from_history(history: list[Any], source: Source, where: str) -> list[Step]:
    """The agent's steps of an ``EvalOutput.history`` in any of its forms (see the module
    docstring)."""
    if any(isinstance(e, dict) and isinstance(e.get("kind"), str) for e in history[:50]):
        return _sdk_steps(history)
    pairs: list[tuple[Any, Any]] = []
    if history and all(isinstance(e, list) for e in history):  # [action, observation] pairs
        for pos, pair in enumerate(history):
            if len(pair) != 2:
                raise InputError(source.display, f"{where}[{pos}] should be an [action, observation] pair")
            pairs.append((pair[0], pair[1] if isinstance(pair[1], dict) else None))
    else:
        answers: dict[Any, dict[str, Any]] = {}
        for pos, event in enumerate(history):
            if not isinstance(event, dict):
                raise InputError(source.display, f"{where}[{pos}] should be an event object")
            cause = _id(event.get("cause"))
            if "observation" in event and cause is not None and cause not in answers:
                answers[cause] = event
        pairs = [(e, answers.get(_id(e.get("id")))) for e in history if "observation" not in e]
    taken: list[tuple[dict[str, Any], dict[str, Any] | None, str | None]] = []
    for action, observation in pairs:
        reply = _user_reply(action)
        if reply is not None and taken and taken[-1][0].get("action") == "message" and taken[-1][2] is None:
            taken[-1] = (taken[-1][0], taken[-1][1], reply)  # the answer to the agent's message
        elif _is_agent_action(action):
            taken.append((action, observation, None))
    return [_step(i + 1, action, obs, reply) for i, (action, obs, reply) in enumerate(taken)]


def _duration(history: list[Any]) -> float | None:
    stamps = []
    for e in (history[0], history[-1]) if history else ():
        first = e[0] if isinstance(e, list) and e else e
        t = first.get("timestamp") if isinstance(first, dict) else None
        try:
            stamps.append(datetime.fromisoformat(t) if isinstance(t, str) else None)
        except ValueError:
            stamps.append(None)
    if len(stamps) < 2 or stamps[0] is None or stamps[1] is None:
        return None
    try:
        return max(0.0, (stamps[1] - stamps[0]).total_seconds())
    except TypeError:  # one time with a zone, one without
        return None


def _metrics(obj: dict[str, Any]) -> dict[str, Any]:
    m = obj.get("metrics")
    if not isinstance(m, dict):
        return {}
    usage = m.get("accumulated_token_usage")
    latencies = m.get("response_latencies")
    return {
        "cost": opt_number(m, "accumulated_cost"),
        "tokens_sent": opt_int(usage, "prompt_tokens"),
        "tokens_received": opt_int(usage, "completion_tokens"),
        "api_calls": len(latencies) if isinstance(latencies, list) else None,
    }


def eval_labels(obj: Any) -> bool | None:
    """``test_result.report.resolved`` of an evaluated instance; None when it was not evaluated
    or the evaluation failed (``error_eval``)."""
    result = obj.get("test_result") if isinstance(obj, dict) else None
    report = result.get("report") if isinstance(result, dict) else None
    if not isinstance(report, dict) or report.get("error_eval") is True:
        return None
    resolved = report.get("resolved")
    return resolved if isinstance(resolved, bool) else None


class OpenHandsEvalReader:
    """Reader for OpenHands evaluation output (``output.jsonl``)."""

    name = "openhands-eval"
    description = "OpenHands evaluation output.jsonl (instance_id, history[], metadata, test_result)"

    def sniff(self, source: Source, head: bytes) -> bool:
        return (
            source.name.endswith(".jsonl")
            and not source.name.endswith(".swebench_eval.jsonl")
            and head.lstrip().startswith(b'{"instance_id"')
            and b'"test_result"' in head
        )

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        folder = source.folder_parts[-1] if source.folder_parts else ""
        stem = source.name.removesuffix(".jsonl")
        dump = folder if stem == "output" else f"{folder}/{stem}"
        side = ctx.side_text(source, 0, "metadata.json")
        try:
            beside = json.loads(side) if side else None
        except json.JSONDecodeError:
            beside = None
        n = 0
        for line, obj in json_lines(source):
            where = f"line {line}"
            if not isinstance(obj, dict) or not isinstance(obj.get("instance_id"), (str, int)):
                raise InputError(source.display, f"{where}: expected an object with an instance_id")
            history = obj.get("history")
            if history is None:  # an instance that failed before the agent ran: no steps
                history = []
            if not isinstance(history, list):
                raise InputError(source.display, f"{where}: 'history' should be a list of events")
            task = str(obj["instance_id"])
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else beside
            yield self._run(
                source, obj, task, dump, meta, steps_from_history(history, source, f"{where}: history")
            )
            n += 1
        if n == 0:
            raise InputError(source.display, "no evaluated instance in it")

    def _run(
        self, source: Source, obj: dict[str, Any], task: str, dump: str, meta: Any, steps: list[Step]
    ) -> Run:
        meta = meta if isinstance(meta, dict) else {}
        llm = meta.get("llm_config", meta.get("llm"))  # V0 harness, SDK (V1) benchmarks
        model = llm.get("model") if isinstance(llm, dict) else None
        if not isinstance(model, str) or not model:
            m = _MAXITER.match(dump)
            model = m.group("model") if m else "unknown"
        attrs = [("dump", dump)]
        if isinstance(meta.get("agent_class"), str):
            attrs.append(("agent", meta["agent_class"]))
        bench = benchmark_of_task(task)
        if bench:
            attrs.append(("benchmark", bench))
        resolved = eval_labels(obj)
        result = obj.get("test_result")
        patch = result.get("git_patch") if isinstance(result, dict) else None
        error = obj.get("error")
        attempt = obj["attempt"] if isinstance(obj.get("attempt"), int) else 1  # SDK iterative mode
        history = obj.get("history")
        return Run(
            task_id=task,
            run_id=f"{task}@{dump}" + (f"#attempt{attempt}" if attempt > 1 else ""),
            config=Config(model=model, scaffold="openhands", attrs=tuple(attrs)),
            steps=tuple(steps),
            outcome=Outcome(resolved=resolved, source="test_result") if resolved is not None else Outcome(),
            patch=patch if isinstance(patch, str) else None,
            duration_s=_duration(history) if isinstance(history, list) else None,
            dump_key=dump,
            source=source.display,
            fmt=self.name,
            warnings=(f"the run ended with an error: {str(error)[:_MAX_ERROR_CHARS]}",) if error else (),
            **_metrics(obj),
        )
