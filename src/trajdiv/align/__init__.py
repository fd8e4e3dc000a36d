"""Action abstraction levels and step alignment of runs."""

from trajdiv.align._abstraction import (
    LEVELS,
    PHASES,
    PhaseRules,
    abstract_steps,
    action_category,
    action_verb,
    load_phase_rules,
    normalize_action,
    shell_verb,
)
from trajdiv.align._alignment import Alignment, align_steps, canonical_ids

__all__ = [
    "LEVELS",
    "PHASES",
    "Alignment",
    "PhaseRules",
    "abstract_steps",
    "action_category",
    "action_verb",
    "align_steps",
    "canonical_ids",
    "load_phase_rules",
    "normalize_action",
    "shell_verb",
]
