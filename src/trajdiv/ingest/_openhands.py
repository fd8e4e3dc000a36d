"""OpenHands completion logs in the swe-bench/experiments submission layout.

``<submission>/trajs/<instance>/<model>-<timestamp>.json`` is the log of the last LLM call and
so holds the whole conversation. Steps come from ``fncall_messages`` (OpenAI tool calls) plus the
final ``fncall_response``; without them, from the ``<function=...>`` blocks of ``messages``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import ReadContext, benchmark_of_task, field_of, submission_of, tool_action_text
from trajdiv.ingest._chat import content_text, steps_from_chat
from trajdiv.ingest._source import Source, load_json
from trajdiv.model import Config, Run, Step

__all__ = ["OpenHandsReader", "response_message"]

_TS_SUFFIX = re.compile(r"-\d{9,}(?:\.\d+)?$")
_EXIT = re.compile(r"\[Command finished with exit code (-?\d+)\]")
_FUNC = re.compile(r"<function=([^>\s]+)>(.*?)(?:</function>|$)", re.DOTALL)
_PARAM = re.compile(r"<parameter=([^>\s]+)>\n?(.*?)\n?</parameter>", re.DOTALL)


def response_message(response: Any) -> dict[str, Any] | None:
    """The message of a model response's first choice (``choices[0].message``), if it has one."""
    choices = response.get("choices") if isinstance(response, dict) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        msg = choices[0].get("message")
        if isinstance(msg, dict):
            return msg
    return None


def _steps_from_text(messages: list[Any], source: Source) -> list[Step]:
    steps: list[Step] = []
    for pos, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") != "assistant":
            continue
        text = content_text(m.get("content"))
        fm = _FUNC.search(text)
        if not fm:
            continue
        params = {k: v for k, v in _PARAM.findall(fm.group(2))}
        args = json.dumps(params, sort_keys=True, ensure_ascii=False)
        nxt = messages[pos + 1] if pos + 1 < len(messages) else None
        obs = content_text(nxt.get("content")) if isinstance(nxt, dict) else ""
        obs = re.sub(r"^EXECUTION RESULT of \[[^\]]*\]:\n", "", obs)
        steps.append(
            Step(
                index=len(steps) + 1,
                thought=text[: fm.start()].strip(),
                action=tool_action_text(fm.group(1), args),
                tool_name=fm.group(1),
                tool_args=args,
                observation=obs,
            )
        )
    return steps


class OpenHandsReader:
    """Reader for OpenHands completion logs (``trajs/<instance>/*.json``)."""

    name = "openhands"
    description = "OpenHands completion logs, swe-bench/experiments layout (trajs/<instance>/*.json)"

    def sniff(self, source: Source, head: bytes) -> bool:
        if not source.name.endswith(".json"):
            return False
        starts = head.lstrip().startswith(b'{"messages"')
        return (
            starts
            or (b'"fncall_messages"' in head)
            or ("trajs" in source.folder_parts[-2:-1] and b'"messages"' in head)
        )

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        obj = load_json(source)
        if not isinstance(obj, dict):
            raise InputError(source.display, "expected a JSON object with 'messages'")
        if isinstance(obj.get("fncall_messages"), list):
            messages = list(obj["fncall_messages"])
            final = response_message(obj.get("fncall_response"))
            if final is not None and final.get("tool_calls"):
                messages.append({"role": "assistant", **final})
            steps = steps_from_chat(messages, source, "fncall_messages")
            steps = [_with_exit_code(s) for s in steps]
        else:
            messages = field_of(obj, "messages", list, source)
            steps = _steps_from_text(messages, source)
        parts = source.folder_parts
        if len(parts) >= 2 and parts[-2] == "trajs":
            task_id = parts[-1]
            submission = parts[-3] if len(parts) >= 3 else ""
        else:
            task_id = source.name.removesuffix(".json")
            submission = parts[-1] if parts else ""
        model = _TS_SUFFIX.sub("", source.name.removesuffix(".json")) or "unknown"
        meta = ctx.metadata_for(source)
        sub = submission_of(source, ctx)
        if sub is not None:
            submission = sub.folder
        attrs = [("dump", submission)]
        if meta and meta.get("name"):
            attrs.append(("submission_name", meta["name"]))
        if sub is not None:
            attrs.append(("submission", sub.folder))
        bench = (sub.benchmark if sub else "") or benchmark_of_task(task_id)
        if bench:
            attrs.append(("benchmark", bench))
        yield Run(
            task_id=task_id,
            run_id=f"{task_id}@{submission}" if submission else task_id,
            config=Config(model=model, scaffold="openhands", attrs=tuple(attrs)),
            steps=tuple(steps),
            dump_key=submission or model,
            source=source.display,
            fmt=self.name,
        )


def _with_exit_code(step: Step) -> Step:
    m = _EXIT.search(step.observation)
    if m is None:
        return step
    return Step(
        index=step.index,
        thought=step.thought,
        action=step.action,
        tool_name=step.tool_name,
        tool_args=step.tool_args,
        observation=step.observation,
        returncode=int(m.group(1)),
    )
