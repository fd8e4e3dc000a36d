"""Abstraction levels on real commands from the shared dumps and on hand-made ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import AC, need_realdata
from trajdiv import UsageError
from trajdiv.align import LEVELS, abstract_steps, load_phase_rules, normalize_action, shell_verb
from trajdiv.model import Step

# (action as found in the shared dumps, normalized, verb, category, phase)
REAL = [
    (
        'find /testbed -type f -name "*.py" | grep -E "(separab|model)" | head -20',
        "find PATH -type f -name S | grep -E S | head -N",
        "find",
        "find",
        "LOCATE",
    ),
    ("cat /testbed/astropy/modeling/separable.py", "cat PATH", "cat", "cat", "UNDERSTAND"),
    ("sed -n '2894,3100p' /testbed/astropy/modeling/core.py", "sed -n S PATH", "sed", "sed", "UNDERSTAND"),
    (
        "cd /testbed && python -m pytest astropy/modeling/tests/test_separable.py -xvs",
        "python -m pytest PATH -xvs",
        "pytest",
        "cd",
        "VERIFY",
    ),
    (
        "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached",
        "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached",
        "echo",
        "other",
        "SUBMIT",
    ),
]


@pytest.mark.parametrize(("action", "norm", "verb", "cat", "phase"), REAL)
def test_levels_of_real_commands(action, norm, verb, cat, phase):
    need_realdata()
    text = "".join(p.read_text() for p in (AC / "results_claude_10").glob("*.json"))
    assert action.split(" ")[0] in text  # the command family really occurs in the dumps
    lv = abstract_steps([Step(index=1, action=action)])
    assert lv["exact"] == [action]
    assert lv["normalized"] == [norm]
    assert lv["verb"] == [verb]
    assert lv["category"] == [cat]
    assert lv["phase"] == [phase]


def test_heredoc_edit_is_edit_and_masks_body():
    action = "cat <<'EOF' > /testbed/reproduce.py\nimport os\nprint(1)\nEOF\npython /testbed/reproduce.py"
    lv = abstract_steps([Step(index=1, action=action)])
    assert lv["phase"] == ["EDIT"]
    assert "import os" not in lv["normalized"][0]
    assert lv["normalized"][0].startswith("cat <<EOF > PATH BODY")


def test_tool_calls():
    view = Step(
        index=1, action="x", tool_name="str_replace_editor", tool_args='{"command": "view", "path": "/a.py"}'
    )
    bash = Step(
        index=2, action="grep -rn foo .", tool_name="execute_bash", tool_args='{"command": "grep -rn foo ."}'
    )
    lv = abstract_steps([view, bash])
    assert lv["verb"] == ["str_replace_editor:view", "grep"]
    assert lv["normalized"] == ["str_replace_editor:view path", "grep -rn foo ."]
    assert lv["phase"] == ["UNDERSTAND", "LOCATE"]


@pytest.mark.parametrize(
    ("cmd", "verb"),
    [
        ("FOO=1 timeout 30 python3.11 -m pytest -x", "pytest"),
        ("sudo ls", "ls"),
        ("/usr/bin/python3 script.py", "python"),
        ("git log --oneline | head", "git log"),
        ("cd a && cd b && rg foo", "rg"),
        ("", ""),
    ],
)
def test_shell_verb(cmd, verb):
    assert shell_verb(cmd) == verb


def test_normalization_masks_numbers_hashes_quotes():
    assert normalize_action("git show 3ea751c0 && sed -n '1,20p' x.py") == "git show HASH && sed -n S PATH"
    assert normalize_action("  head   -50  a/b/c.txt ") == "head -N PATH"


def test_every_level_is_named():
    assert LEVELS == ("exact", "normalized", "verb", "category", "phase")


def test_phase_rules_file_replaces_builtin(tmp_path: Path):
    f = tmp_path / "rules.toml"
    f.write_text('[[rule]]\nphase = "LOOK"\nverbs = ["ls", "cat"]\n')
    rules = load_phase_rules(str(f))
    lv = abstract_steps([Step(index=1, action="ls"), Step(index=2, action="rm x")], rules)
    assert lv["phase"] == ["LOOK", "OTHER"]


@pytest.mark.parametrize(
    ("text", "msg"),
    [("not toml [", "not valid TOML"), ('[[rule]]\nverbs=["ls"]\n', "has no phase"), ("x = 1\n", "[[rule]]")],
)
def test_bad_phase_rules(tmp_path: Path, text, msg):
    f = tmp_path / f"r{abs(hash(text))}.toml"
    f.write_text(text)
    with pytest.raises(UsageError, match=re.escape(msg)):
        load_phase_rules(str(f))
