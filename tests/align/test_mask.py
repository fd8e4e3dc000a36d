"""The linear-time maskers give what the reference patterns give, and stay fast on adversarial
actions where the patterns backtrack."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trajdiv.align import normalize_action
from trajdiv.align._mask import mask_heredocs, mask_paths, mask_quoted, strip_cd

HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1(.*?)\n.*?\n\s*\2\b", re.DOTALL)
QUOTED = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'")
PATH = re.compile(
    r"(?<![\w=])(?:~|\.{1,2})?(?:/[\w.\-+@%]+)+/?|\b[\w\-]+(?:/[\w.\-]+)+"
    r"|\b[\w\-]+\.(?:py|txt|md|rst|json|ya?ml|toml|cfg|ini|c|h|js|ts|sh|html|csv|log)\b"
)
CD = re.compile(r"^\s*cd\s+(?:\"[^\"]*\"|'[^']*'|\S+)\s*(?:&&|;)\s*")


def reference_strip_cd(text: str) -> str:
    while m := CD.match(text):
        text = text[m.end() :]
    return text


# Small alphabets make the interesting coincidences (a terminator word, an escaped quote, a dash
# next to a slash) frequent.
HEREDOC_TEXT = st.text(alphabet="<<-'\"EOF A\n \tx.", max_size=60)
QUOTED_TEXT = st.text(alphabet="\"'\\\n ab", max_size=60)
PATH_TEXT = st.text(alphabet="a_-./~=+@% 1é\nypx", max_size=60)
CD_TEXT = st.text(alphabet="cd &;'\" x\n/", max_size=40)


@settings(max_examples=3000, deadline=None)
@given(HEREDOC_TEXT)
def test_heredoc_matches_reference(text: str) -> None:
    assert mask_heredocs(text) == HEREDOC.sub(lambda m: f"<<{m.group(2)}{m.group(3)} BODY", text)


@settings(max_examples=3000, deadline=None)
@given(QUOTED_TEXT)
def test_quoted_matches_reference(text: str) -> None:
    assert mask_quoted(text) == QUOTED.sub("S", text)


@settings(max_examples=3000, deadline=None)
@given(PATH_TEXT)
def test_paths_match_reference(text: str) -> None:
    assert mask_paths(text) == PATH.sub("PATH", text)


@settings(max_examples=2000, deadline=None)
@given(CD_TEXT)
def test_strip_cd_matches_reference(text: str) -> None:
    assert strip_cd(text) == reference_strip_cd(text)


@pytest.mark.parametrize(
    "text",
    [
        "cat <<EOF\nprint(1)\nEOF\n",
        "cat <<'EOF' > a.py\nx = 1\n  EOF\nls",
        'cat <<"EOF\nx\nEOF',
        "a <<A <<B\nb\nB\nA",
        "<<AA\n\nA",  # the pattern backtracks to a shorter word: AA -> A
        "cat <<EOFX\nbody\nEOF\n",
        "foo.py-bar/x and x-/y and -a/b and a-.py",
        'grep \'a"b\' "c\'d" \'e\nf\' "g\\"h"',
    ],
)
def test_hand_picked_cases(text: str) -> None:
    assert mask_heredocs(text) == HEREDOC.sub(lambda m: f"<<{m.group(2)}{m.group(3)} BODY", text)
    assert mask_quoted(text) == QUOTED.sub("S", text)
    assert mask_paths(text) == PATH.sub("PATH", text)


ADVERSARIAL = {
    "python -c with shifts": 'python3 -c "\n' + "flags = 1 << bit\n" * 6000 + '"',
    "heredoc openers": "<<A\n" * 25000,
    "dash runs": "a-" * 50000,
    "escaped quotes": '"\\' * 50000,
    "single quotes": "'a" * 50000,
    "cd prefixes": "cd x; " * 16000 + "ls",
    "slash dots": "/. " * 33000,
    "dash word runs": "-a " * 33000,
    "open calls": "python -c " + "open(" * 20000,
    "mixed": ("<<EOF 'x \"\\ a-b-" * 7000)[:100_000],
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_actions_normalise_fast(name: str) -> None:
    text = ADVERSARIAL[name]
    assert len(text) >= 90_000
    normalize_action(text)  # warm up (compiles patterns)
    start = time.perf_counter()
    normalize_action(text + " ")
    assert time.perf_counter() - start < 0.05 * 4  # 50 ms on a quiet machine; CI runners vary
