"""Steps from OpenAI-style chat messages (tool calls and their tool results)."""

from __future__ import annotations

import json
from typing import Any

from trajdiv._errors import InputError
from trajdiv.ingest._base import tool_action_text, tool_args_json
from trajdiv.ingest._source import Source
from trajdiv.model import Step

__all__ = ["RESPOND", "content_text", "steps_from_chat"]

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


def steps_from_chat(messages: Any, source: Source, where: str = "messages") -> list[Step]:
    """One step per tool call, and one ``respond`` step per assistant message without a call.

    The observation of a tool call is the tool message answering its id; that of a ``respond``
    step is the next user message.
    """
    if not isinstance(messages, list):
        raise InputError(source.display, f"'{where}' should be a list of messages")
    results: dict[str, str] = {}
    for m in messages:
        if isinstance(m, dict) and m.get("role") == "tool" and isinstance(m.get("tool_call_id"), str):
            results[m["tool_call_id"]] = content_text(m.get("content"))
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
            args = json.dumps({"content": thought}, ensure_ascii=False)
            steps.append(
                Step(
                    index=len(steps) + 1,
                    thought="",
                    action=f"{RESPOND} {args}",
                    tool_name=RESPOND,
                    tool_args=args,
                    observation=_next_user(messages, pos),
                )
            )
            continue
        for k, call in enumerate(calls):
            fn = call.get("function") if isinstance(call, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                raise InputError(source.display, f"{where}[{pos}].tool_calls[{k}] has no function name")
            args = tool_args_json(fn.get("arguments", {}))
            steps.append(
                Step(
                    index=len(steps) + 1,
                    thought=thought if k == 0 else "",
                    action=tool_action_text(fn["name"], args),
                    tool_name=fn["name"],
                    tool_args=args,
                    observation=results.get(str(call.get("id")), ""),
                )
            )
    return steps


def _next_user(messages: list[Any], pos: int) -> str:
    for m in messages[pos + 1 :]:
        if isinstance(m, dict) and m.get("role") == "assistant":
            return ""
        if isinstance(m, dict) and m.get("role") == "user":
            return content_text(m.get("content"))
    return ""
