"""Grading a run's final answer against a task's gold answer (question-answering dumps).

Answers are normalised as in the SQuAD evaluation script (Rajpurkar et al. 2016): lower case,
punctuation removed, the articles *a*, *an*, *the* removed, white space folded. Then one of three
rules decides:

``exact``
    the normalised answer equals the normalised gold answer;
``contains`` (default)
    the normalised gold answer occurs in the normalised answer as a whole run of words
    (``"The Scotch Collie's ancestors include ..."`` contains ``"Scotch Collie"``; ``"not"`` does
    not contain ``"no"``). For this rule punctuation separates words on both sides instead of
    being deleted, so that a possessive (``Collie's``) or a hyphen does not hide the gold words;
``f1``
    the SQuAD token F1 of answer and gold answer is at least a threshold (default 0.5).

A run without a final answer is graded as not solved. The rule's name is recorded as the run's
label source (``answer:contains``).
"""

from __future__ import annotations

import re
import string
from collections import Counter

from trajdiv._errors import UsageError

__all__ = ["GRADING", "answer_f1", "grade_answer", "normalize_answer"]

GRADING: tuple[str, ...] = ("contains", "exact", "f1")
"""Grading rules for answer-graded tasks; the first is the default."""

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
_PUNCT_SPACE = str.maketrans(string.punctuation, " " * len(string.punctuation))


def normalize_answer(text: str, *, split_punct: bool = False) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces.

    With ``split_punct`` punctuation becomes a space instead of being deleted.

    Examples
    --------
    >>> normalize_answer("The Scotch  Collie's ancestors.")
    'scotch collies ancestors'
    >>> normalize_answer("The Scotch  Collie's ancestors.", split_punct=True)
    'scotch collie s ancestors'
    """
    text = text.lower().translate(_PUNCT_SPACE if split_punct else _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def answer_f1(answer: str, gold: str) -> float:
    """SQuAD token F1 between two answers after :func:`normalize_answer`.

    Examples
    --------
    >>> answer_f1("Scotch Collie dog", "the Scotch Collie")
    0.8
    """
    pred, ref = normalize_answer(answer).split(), normalize_answer(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def _contains_words(answer: list[str], gold: list[str]) -> bool:
    if not gold:
        return False
    n = len(gold)
    return any(answer[i : i + n] == gold for i in range(len(answer) - n + 1))


def grade_answer(answer: str | None, gold: str, rule: str = "contains", f1_threshold: float = 0.5) -> bool:
    """Whether ``answer`` is correct for ``gold`` under ``rule`` (see the module docstring).

    Examples
    --------
    >>> grade_answer("The Scotch Collie's ancestors include Gordon Setters.", "Scotch Collie")
    True
    >>> grade_answer("The Scotch Collie's ancestors include Gordon Setters.", "Scotch Collie", "exact")
    False
    """
    if rule not in GRADING:
        raise UsageError(f"--grade must be one of {', '.join(GRADING)}, not {rule!r}")
    if not answer or not answer.strip():
        return False
    if rule == "exact":
        return normalize_answer(answer) == normalize_answer(gold)
    if rule == "f1":
        return answer_f1(answer, gold) >= f1_threshold
    return _contains_words(
        normalize_answer(answer, split_punct=True).split(), normalize_answer(gold, split_punct=True).split()
    )
