"""Abstraction levels of an action, from the exact text to the phase of work it belongs to.

Levels, finest to coarsest:

``exact``
    the action text, stripped.
``normalized``
    whitespace folded, leading ``cd DIR &&`` removed, heredoc bodies, quoted literals, paths,
    hashes and numbers masked (``S``, ``PATH``, ``HASH``, ``N``); tool calls become
    ``tool:command`` plus their argument names.
``verb``
    the command or tool: first shell word (``grep``, ``sed``, ``python``; ``git diff``;
    ``python -m pytest`` -> ``pytest``), or ``tool:command`` (``str_replace_editor:view``).
``category``
    the first shell word grouped as in "Consistency Amplifies" (arXiv 2603.25764): ls, find,
    grep (grep/rg), cd, cat (cat/head/tail/less), sed (sed/awk), echo> (echo with redirection),
    patch, python, pytest, other. Unlike ``verb``, a leading ``cd`` counts as the word.
``phase``
    EXPLORE / LOCATE / UNDERSTAND / EDIT / VERIFY / SUBMIT / OTHER, by the rules table
    (``phase_rules.toml``, replaceable with ``--phase-rules``).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Protocol

from trajdiv._errors import UsageError
from trajdiv.align._mask import mask_heredocs, mask_paths, mask_quoted
from trajdiv.align._mask import strip_cd as _strip_cd
from trajdiv.ingest._base import SHELL_TOOLS
from trajdiv.model import Step

__all__ = [
    "LEVELS",
    "PHASES",
    "PhaseRules",
    "abstract_steps",
    "action_category",
    "action_verb",
    "load_phase_rules",
    "normalize_action",
    "parse_phase_rules",
    "shell_verb",
]

LEVELS: tuple[str, ...] = ("exact", "normalized", "verb", "category", "phase")
"""Abstraction levels, finest first."""

PHASES: tuple[str, ...] = ("EXPLORE", "LOCATE", "UNDERSTAND", "EDIT", "VERIFY", "SUBMIT", "OTHER")

_HASH = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\s*([^\s|;&<>()]+)")
_ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = frozenset({"sudo", "time", "nohup", "env", "command", "exec", "xargs"})
_PY = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")

_CATEGORY = {
    "ls": "ls",
    "find": "find",
    "grep": "grep",
    "rg": "grep",
    "egrep": "grep",
    "cd": "cd",
    "cat": "cat",
    "head": "cat",
    "tail": "cat",
    "less": "cat",
    "sed": "sed",
    "awk": "sed",
    "patch": "patch",
    "python": "python",
    "pytest": "pytest",
}


def _first_words(cmd: str, n: int = 8) -> list[str]:
    words: list[str] = []
    pos = 0
    while len(words) < n:
        m = _WORD.match(cmd, pos)
        if not m:
            break
        words.append(m.group(1))
        pos = m.end()
        nxt = cmd[pos : pos + 1]
        if nxt and nxt in "|;&<>()\n":
            break
    return words


_MEMO_MAX_CHARS = 2000
"""Actions up to this length are memoised (they repeat across runs; long heredocs rarely do)."""


def shell_verb(cmd: str, strip_cd: bool = True) -> str:
    """The command word of a shell action (see the module docstring).

    Examples
    --------
    >>> shell_verb("cd /testbed && python -m pytest tests/ -x")
    'pytest'
    >>> shell_verb("git diff HEAD")
    'git diff'
    """
    if len(cmd) <= _MEMO_MAX_CHARS:
        return _shell_verb_memo(cmd, strip_cd)
    return _shell_verb(cmd, strip_cd)


@functools.lru_cache(maxsize=1 << 16)
def _shell_verb_memo(cmd: str, strip_cd: bool) -> str:
    return _shell_verb(cmd, strip_cd)


def _shell_verb(cmd: str, strip_cd: bool) -> str:
    text = _strip_cd(cmd.strip()) if strip_cd else cmd.strip()
    words = _first_words(text)
    while words and (_ENV_ASSIGN.match(words[0]) or words[0] in _WRAPPERS):
        words.pop(0)
        if words and words[0].isdigit():  # "timeout 30 cmd" style arguments
            words.pop(0)
    if words and words[0] == "timeout":
        words = words[2:] if len(words) > 2 else words[1:]
    if not words:
        return ""
    verb = words[0].rsplit("/", 1)[-1]
    if _PY.match(verb):
        if len(words) > 2 and words[1] == "-m":
            return "pytest" if words[2] == "pytest" else f"python -m {words[2]}"
        if len(words) > 1 and words[1] == "-c":
            return "python -c"
        return "python"
    if verb in ("pip3", "pip"):
        return "pip"
    if verb == "git" and len(words) > 1:
        return f"git {words[1]}"
    return verb


def _tool_command(tool: str, args_json: str | None) -> tuple[str, list[str]]:
    try:
        args = json.loads(args_json) if args_json else {}
    except json.JSONDecodeError:
        args = {}
    if not isinstance(args, dict):
        return tool, []
    cmd = args.get("command")
    keys = sorted(k for k in args if k != "command")
    if isinstance(cmd, str) and tool not in SHELL_TOOLS and len(cmd) < 40 and " " not in cmd:
        return f"{tool}:{cmd}", keys
    return tool, keys


def _is_shell(step: Step) -> bool:
    return step.tool_name is None or step.tool_name in SHELL_TOOLS


def action_verb(step: Step) -> str:
    """The ``verb`` level of a step."""
    if _is_shell(step):
        return shell_verb(step.action)
    return _tool_command(step.tool_name or "", step.tool_args)[0]


def action_category(step: Step) -> str:
    """The ``category`` level of a step (first shell word grouped; see module docstring)."""
    if not _is_shell(step):
        return "other"
    text = step.action.strip()
    word = shell_verb(text, strip_cd=False)
    if word.startswith("echo") and ">" in text.split("|", 1)[0]:
        return "echo>"
    if word == "git apply":
        return "patch"
    if word.startswith("python -m") or word in ("python -c",):
        word = "python"
    return _CATEGORY.get(word, "other")


def normalize_action(action: str) -> str:
    """The ``normalized`` level of a shell action (see the module docstring).

    Examples
    --------
    >>> normalize_action("cd /testbed && grep -n 'def foo' astropy/io/ascii/html.py | head -20")
    'grep -n S PATH | head -N'
    """
    if len(action) <= _MEMO_MAX_CHARS:
        return _normalize_memo(action)
    return _normalize(action)


@functools.lru_cache(maxsize=1 << 16)
def _normalize_memo(action: str) -> str:
    return _normalize(action)


def _normalize(action: str) -> str:
    text = _strip_cd(action.strip())
    text = mask_heredocs(text)
    text = mask_quoted(text, "S")
    text = _HASH.sub("HASH", text)
    text = mask_paths(text, "PATH")
    text = _NUMBER.sub("N", text)
    return _SPACE.sub(" ", text).strip()


class _Searcher(Protocol):
    def search(self, text: str) -> object | None: ...


def _compile_rule_regex(regex: str, where: str) -> _Searcher:
    """A phase-rule regex compiled with RE2, whose matching time is linear in the text, so that
    no action can make a rule hang. RE2 has no lookaround and no backreferences."""
    import re2  # type: ignore[import-untyped]

    try:
        re.compile(regex)
    except re.error as exc:
        raise UsageError(f"{where}: bad regex: {exc}") from None
    try:
        compiled: _Searcher = re2.compile(regex)
    except re2.error as exc:
        raise UsageError(
            f"{where}: regex {regex!r} uses a feature the linear-time RE2 engine lacks "
            f"(lookaround, backreferences, possessive quantifiers): {exc}"
        ) from None
    return compiled


@dataclass(frozen=True, slots=True)
class _Rule:
    phase: str
    verbs: re.Pattern[str] | None
    """The rule's verb globs compiled into one pattern (``fnmatch`` semantics)."""
    regex: _Searcher | None
    """The rule's regex, compiled with RE2 (linear time in the length of the action)."""


@dataclass(frozen=True, slots=True)
class PhaseRules:
    """An ordered list of verb/regex rules mapping actions to phases (first match wins)."""

    rules: tuple[_Rule, ...]
    source: str
    never_split_at_shortest: bool = False
    """How a group whose runs never differ at the phase level counts: False, it has no first
    divergence; True ("Consistency Amplifies"), it counts as the length of its shortest run."""
    content: str = field(default="", compare=False, repr=False)
    """The rules file's text (part of cache keys)."""
    _memo: dict[tuple[str, str], str] = field(default_factory=dict, compare=False, repr=False)

    def phase(self, verb: str, action: str) -> str:
        """Phase of an action with the given verb and exact text."""
        key = (verb, action)
        got = self._memo.get(key)
        if got is not None:
            return got
        result = "OTHER"
        for r in self.rules:
            if r.verbs is not None and not r.verbs.fullmatch(verb):
                continue
            if r.regex is not None and not r.regex.search(action):
                continue
            result = r.phase
            break
        if len(self._memo) < 200_000:
            self._memo[key] = result
        return result


PRESETS = {"paper": "phase_rules_paper.toml"}
"""Named phase-rule tables shipped with trajdiv (``--phase-rules NAME``)."""


@functools.cache
def load_phase_rules(path: str | None = None) -> PhaseRules:
    """The phase rules from a TOML file, a preset name (:data:`PRESETS`), or the built-in table
    when ``path`` is None."""
    try:
        if path is None or path in PRESETS:
            name = "phase_rules.toml" if path is None else PRESETS[path]
            text = resources.files("trajdiv.align").joinpath(name).read_text("utf-8")
            src = "built-in" if path is None else f"preset {path}"
        else:
            text = Path(path).read_text("utf-8")
            src = path
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read phase rules: {exc}") from None
    return parse_phase_rules(text, src)


@functools.cache
def parse_phase_rules(text: str, src: str) -> PhaseRules:
    """Phase rules from the text of a rules file; ``src`` names it in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{src}: phase rules are not valid TOML: {exc}") from None
    never_split = data.get("never_split", "no-divergence")
    if never_split not in ("no-divergence", "shortest-run"):
        raise UsageError(f"{src}: never_split is 'no-divergence' or 'shortest-run', not {never_split!r}")
    raw = data.get("rule")
    if not isinstance(raw, list) or not raw:
        raise UsageError(f"{src}: phase rules need one or more [[rule]] tables")
    rules = []
    for i, r in enumerate(raw):
        phase = r.get("phase") if isinstance(r, dict) else None
        if not isinstance(phase, str) or not phase:
            raise UsageError(f"{src}: rule {i + 1} has no phase")
        verbs = r.get("verbs", [])
        if not isinstance(verbs, list) or not all(isinstance(v, str) for v in verbs):
            raise UsageError(f"{src}: rule {i + 1}: verbs must be a list of strings")
        regex = r.get("regex")
        pattern = _compile_rule_regex(regex, f"{src}: rule {i + 1}") if isinstance(regex, str) else None
        if not verbs and pattern is None:
            raise UsageError(f"{src}: rule {i + 1} needs verbs or a regex")
        globs = re.compile("|".join(f"(?:{fnmatch.translate(v)})" for v in verbs)) if verbs else None
        rules.append(_Rule(phase, globs, pattern))
    return PhaseRules(tuple(rules), src, never_split == "shortest-run", text)


def abstract_steps(steps: Sequence[Step], rules: PhaseRules | None = None) -> dict[str, list[str]]:
    """Each step's action at every level of :data:`LEVELS`."""
    rules = rules or load_phase_rules()
    out: dict[str, list[str]] = {lvl: [] for lvl in LEVELS}
    for s in steps:
        verb = action_verb(s)
        if _is_shell(s):
            norm = normalize_action(s.action)
        else:
            tool, keys = _tool_command(s.tool_name or "", s.tool_args)
            norm = " ".join([tool, *keys])
        out["exact"].append(s.action.strip())
        out["normalized"].append(norm)
        out["verb"].append(verb)
        out["category"].append(action_category(s))
        out["phase"].append(rules.phase(verb, s.action.strip()))
    return out
