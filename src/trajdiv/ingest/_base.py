"""The reader protocol, the context readers get, and typed field access with clear errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from trajdiv._errors import InputError
from trajdiv.ingest._source import Source
from trajdiv.model import Run

__all__ = [
    "GENERIC_FOLDERS",
    "SIDE_FILES",
    "ReadContext",
    "Reader",
    "Submission",
    "benchmark_of_task",
    "field_of",
    "opt_field",
    "side_key",
    "submission_of",
    "tool_args_json",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReadContext:
    """What a reader may know beyond its own file: side files found in the same input."""

    metadata: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """``metadata.yaml`` contents keyed by :meth:`Source.sibling_key` of the folder holding it."""
    grading: str = "contains"
    """Rule that grades a run's final answer against a gold answer (see ``trajdiv.ingest.GRADING``)."""
    f1_threshold: float = 0.5
    """Token F1 above which an answer counts as correct under ``grading="f1"``."""
    score: str | None = None
    """Scorer whose value is the outcome of an inspect_ai sample (None: the first scorer)."""
    side: Mapping[str, str] = field(default_factory=dict)
    """Text of side files that readers consult (Harbor trial ``result.json``, ``reward.txt``),
    keyed by :func:`side_key`."""

    def side_text(self, source: Source, up: int, *rel: str) -> str | None:
        """The side file ``rel`` in the folder ``up`` levels above ``source``'s folder, if read."""
        parts = source.folder_parts
        if up > len(parts):
            return None
        return self.side.get(side_key(source.archive, (*parts[: len(parts) - up], *rel)))

    def metadata_for(self, source: Source) -> Mapping[str, str] | None:
        """The ``metadata.yaml`` of the nearest folder above ``source``, if any."""
        found = self._nearest_metadata(source)
        return None if found is None else found[1]

    def _nearest_metadata(self, source: Source) -> tuple[int, Mapping[str, str]] | None:
        """``(depth of the folder holding it, contents)`` of the nearest ``metadata.yaml``."""
        parts = source.folder_parts
        base = source.archive or ""
        for cut in range(len(parts), -1, -1):
            key = base + "!" + "/".join(parts[:cut])
            if key in self.metadata:
                return cut, self.metadata[key]
        return None


@runtime_checkable
class Reader(Protocol):
    """A run-dump format.

    ``sniff`` decides from the file name and its first bytes whether the format applies;
    ``read`` yields the runs or raises :class:`~trajdiv.InputError` naming the file.
    Third-party readers register through the ``trajdiv.readers`` entry-point group.
    """

    name: str
    """Short identifier shown in the manifest and by ``trajdiv formats``."""
    description: str
    """One line for ``trajdiv formats``."""

    def sniff(self, source: Source, head: bytes) -> bool:
        """True if ``source`` looks like this format."""
        ...

    def read(self, source: Source, ctx: ReadContext) -> Iterator[Run]:
        """The runs in ``source``."""
        ...


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    list: "a list",
    dict: "an object",
    bool: "true/false",
}


def _type_name(t: type | tuple[type, ...]) -> str:
    if isinstance(t, tuple):
        return " or ".join(_TYPE_NAMES.get(x, x.__name__) for x in t)
    return _TYPE_NAMES.get(t, t.__name__)


def field_of(obj: Any, key: str, typ: type[T] | tuple[type, ...], source: Source, where: str = "") -> T:
    """``obj[key]``, checked to be of ``typ``; raises InputError naming the file and field."""
    loc = f"{where}.{key}" if where else key
    if not isinstance(obj, dict):
        raise InputError(source.display, f"expected an object at {where or 'top level'}")
    if key not in obj:
        raise InputError(source.display, f"missing field '{loc}'")
    val = obj[key]
    if isinstance(val, bool) and typ in (int, float):
        raise InputError(source.display, f"field '{loc}' should be {_type_name(typ)}, not true/false")
    if typ is float and isinstance(val, int):
        return float(val)  # type: ignore[return-value]
    if not isinstance(val, typ):
        raise InputError(
            source.display,
            f"field '{loc}' should be {_type_name(typ)}, not {type(val).__name__}",
        )
    return val  # type: ignore[return-value]


def opt_field(
    obj: Any, key: str, typ: type[T] | tuple[type, ...], source: Source, where: str = ""
) -> T | None:
    """Like :func:`field_of` but None when the key is absent or null."""
    if not isinstance(obj, dict) or obj.get(key) is None:
        return None
    return field_of(obj, key, typ, source, where)


def opt_number(obj: Any, key: str) -> float | None:
    """A numeric field or None; wrong types are treated as absent (optional statistics only)."""
    if not isinstance(obj, dict):
        return None
    v = obj.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v)


def opt_int(obj: Any, key: str) -> int | None:
    """An integer field or None (optional statistics only)."""
    v = opt_number(obj, key)
    return None if v is None else int(v)


def tool_args_json(args: Any) -> str:
    """Canonical JSON text of tool-call arguments (sorted keys); strings holding JSON are parsed."""
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            return json.dumps(args)
    return json.dumps(args, sort_keys=True, ensure_ascii=False)


def tool_action_text(name: str, args_json: str) -> str:
    """The action text of a tool call; a shell tool's action is its command."""
    try:
        args = json.loads(args_json)
    except json.JSONDecodeError:
        args = None
    if isinstance(args, dict) and name in SHELL_TOOLS:
        for key in SHELL_ARGS:
            if isinstance(args.get(key), str):
                return str(args[key]).strip()
    return f"{name} {args_json}"


SHELL_TOOLS = frozenset(
    {"execute_bash", "bash", "shell", "run_shell", "terminal", "run_command", "bash_command"}
)
"""Tool names whose command argument is a shell command (its verb is the shell verb)."""

SHELL_ARGS = ("command", "cmd", "keystrokes")
"""Argument names that hold a shell tool's command (OpenHands/mini-swe-agent, inspect_ai, Harbor
terminus), in order of preference."""

_TRAILING_NUM = re.compile(r"(?:^|[^0-9])(\d+)$")


def trailing_number(name: str) -> int | None:
    """The integer a name ends with (``run_03`` -> 3), or None."""
    m = _TRAILING_NUM.search(name)
    return int(m.group(1)) if m else None


def parse_simple_yaml(text: str) -> dict[str, str]:
    """Top-level ``key: value`` scalars of a small YAML file (enough for ``metadata.yaml``)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line[0] in " \t#-":
            continue
        key, sep, val = line.partition(":")
        if sep:
            out[key.strip()] = val.strip().strip("'\"")
    return out


SIDE_FILES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("result.json",)),  # a Harbor trial's, above agent/trajectory.json
    (1, ("verifier", "reward.txt")),
    (0, ("metadata.json",)),  # an OpenHands evaluation's, beside output.jsonl
    (1, ("results.json",)),  # tau2-bench's, above simulations/<id>.json
)
"""Every side file a reader consults (:meth:`ReadContext.side_text`: folders up from the file's
own, then the path): their text is part of each file's cache key, so that a changed side file
is a miss."""


def side_key(archive: str | None, parts: tuple[str, ...]) -> str:
    """Key of a side file in :attr:`ReadContext.side`."""
    return (archive or "") + "!" + "/".join(parts)


GENERIC_FOLDERS = frozenset(
    {"trajs", "traj", "trajectories", "results", "logs", "runs", "outputs", "output", "data", "preds"}
)
"""Folder names that never name a configuration (``trajs/`` in a submission, ``logs/``, ...)."""

_DATE_PREFIX = re.compile(r"^\d{8}_")
_SWE_BENCH_ID = re.compile(r"^[A-Za-z0-9_.\-]+__[A-Za-z0-9_.\-]+-\d+$")


def benchmark_of_task(task_id: str) -> str:
    """The benchmark family a task id belongs to: ``swe-bench`` for ``owner__repo-N``, else ''."""
    return "swe-bench" if _SWE_BENCH_ID.match(task_id) else ""


@dataclass(frozen=True, slots=True)
class Submission:
    """A submission folder of the swe-bench/experiments layout (``<date>_<scaffold>_<model>/``)."""

    folder: str
    """The submission folder's name (``20240825_SWE-agent_gpt-4o-2024-05-13``)."""
    scaffold: str | None
    """Scaffold named by ``metadata.yaml`` (``scaffold`` / ``agent`` key, or ``name: S + M``)."""
    model: str | None
    """Model named by ``metadata.yaml`` (``model`` key, or ``name: S + M``)."""
    benchmark: str
    """``swe-bench-<split>`` from ``evaluation/<lang>/<split>/`` above the folder, else ''."""


def submission_of(source: Source, ctx: ReadContext) -> Submission | None:
    """The submission folder a file belongs to, or None outside that layout.

    The submission folder holds ``metadata.yaml``; without one, it is the folder above the
    nearest ``trajs/``. Its configuration comes from ``metadata.yaml`` (``model`` and ``scaffold``
    keys, or a ``name`` of the form ``SCAFFOLD + MODEL``); the caller falls back to the folder
    name, never to a generic folder such as ``trajs``.
    """
    parts = source.folder_parts
    found = ctx._nearest_metadata(source)
    meta: Mapping[str, str] = {}
    if found is not None and found[0] > 0:
        depth, meta = found
    elif "trajs" in parts[1:]:
        depth = len(parts) - 1 - parts[::-1].index("trajs")
    else:
        return None
    folder = parts[depth - 1]
    if folder in GENERIC_FOLDERS:
        return None
    scaffold = meta.get("scaffold") or meta.get("agent") or None
    model = meta.get("model") or None
    name = meta.get("name", "")
    if " + " in name and not (scaffold and model):
        left, _, right = name.partition(" + ")
        scaffold, model = scaffold or left.strip() or None, model or right.strip() or None
    above = parts[: depth - 1]
    bench = ""
    if "evaluation" in above:
        split = above[above.index("evaluation") + 1 :]
        bench = "-".join(["swe-bench", *split]) if split else ""
    return Submission(folder=folder, scaffold=scaffold, model=model, benchmark=bench.lower())


def submission_model(sub: Submission) -> str:
    """The model a submission names, else its folder name without the leading date."""
    return sub.model or _DATE_PREFIX.sub("", sub.folder)
