"""Steps from OpenAI-style chat messages (tool calls and their tool results)."""

from __future__ import annotations

import json
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import tool_action_text, tool_args_json
from trajdiv.ingest._source import Source
from trajdiv.model import Step

__all__ = ["RESPOND", "call_step", "content_text", "respond_step", "steps_from_chat", "tool_answer_messages"]

RESPOND = "respond"
"""Tool name given to an assistant message that calls no tool (it talks to the user)."""


def content_text(content: Any) -> str:
    """Message content as text: a string, or the text parts of a list of content parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
            elif isinstance(part, str):
                out.append(part)
        return "\n".join(out)
    return str(content)


def call_step(
    index: int, name: str, args: str, thought: str = "", observation: str = "", returncode: int | None = None
) -> Step:
    """The step of a call of tool ``name`` with arguments ``args`` (canonical JSON text)."""
    return Step(
        index=index,
        thought=thought,
        action=tool_action_text(name, args),
        tool_name=name,
        tool_args=args,
        observation=observation,
        returncode=returncode,
    )


def respond_step(index: int, text: str, observation: str = "") -> Step:
    """The step of a message of the agent that calls no tool (it talks to the user)."""
    return call_step(index, RESPOND, json.dumps({"content": text}, ensure_ascii=False), "", observation)


def steps_from_chat(messages: Any, source: Source, where: str = "messages") -> list[Step]:
    """One step per tool call, and one ``respond`` step per assistant message without a call.

    The observation of a tool call is the tool message that answers it between this assistant
    message and the next (matched by id, else by order: dumps reuse ids within a trajectory);
    that of a ``respond`` step is the next user message.
    """
    if not isinstance(messages, list):
        raise InputError(source.display, f"'{where}' should be a list of messages")
    steps: list[Step] = []
    for pos, m in enumerate(messages):
        if not isinstance(m, dict):
            raise InputError(source.display, f"{where}[{pos}] should be an object")
        if m.get("role") != "assistant":
            continue
        thought = content_text(m.get("content"))
        calls = m.get("tool_calls") or []
        if not isinstance(calls, list):
            raise InputError(source.display, f"{where}[{pos}].tool_calls should be a list")
        if not calls:
            steps.append(respond_step(len(steps) + 1, thought, _next_user(messages, pos)))
            continue
        answers = _tool_answers(messages, pos, calls)
        for k, call in enumerate(calls):
            fn = call.get("function") if isinstance(call, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                raise InputError(source.display, f"{where}[{pos}].tool_calls[{k}] has no function name")
            args = tool_args_json(fn.get("arguments", {}))
            steps.append(call_step(len(steps) + 1, fn["name"], args, thought if k == 0 else "", answers[k]))
    return steps


def tool_answer_messages(messages: list[Any], pos: int, calls: list[Any]) -> list[dict[str, Any] | None]:
    """The tool messages answering ``calls`` of the assistant message at ``pos`` (None: no answer).

    Matched by ``tool_call_id``, else by order: dumps reuse ids within a trajectory.
    """
    ids = [str(c.get("id")) if isinstance(c, dict) else "" for c in calls]
    out: list[dict[str, Any] | None] = [None] * len(calls)
    for m in messages[pos + 1 :]:
        if not isinstance(m, dict) or m.get("role") == "assistant":
            break
        if m.get("role") != "tool":
            continue
        tid = str(m.get("tool_call_id"))
        slot = next((k for k, i in enumerate(ids) if i == tid and out[k] is None), None)
        if slot is None:
            slot = next((k for k in range(len(calls)) if out[k] is None), None)
        if slot is not None:
            out[slot] = m
    return out


def _tool_answers(messages: list[Any], pos: int, calls: list[Any]) -> list[str]:
    """Tool results for ``calls`` of the assistant message at ``pos``, as text."""
    return [
        content_text(m.get("content")) if m is not None else ""
        for m in tool_answer_messages(messages, pos, calls)
    ]


def _next_user(messages: list[Any], pos: int) -> str:
    for m in messages[pos + 1 :]:
        if isinstance(m, dict) and m.get("role") == "assistant":
            return ""
        if isinstance(m, dict) and m.get("role") == "user":
            return content_text(m.get("content"))
    return ""
