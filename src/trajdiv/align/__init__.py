"""Action abstraction levels and step alignment of runs."""

from typing import TYPE_CHECKING

from trajdiv._lazy import attach

if TYPE_CHECKING:
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

attach(
    globals(),
    {
        "LEVELS": "trajdiv.align._abstraction",
        "PHASES": "trajdiv.align._abstraction",
        "PhaseRules": "trajdiv.align._abstraction",
        "abstract_steps": "trajdiv.align._abstraction",
        "action_category": "trajdiv.align._abstraction",
        "action_verb": "trajdiv.align._abstraction",
        "load_phase_rules": "trajdiv.align._abstraction",
        "normalize_action": "trajdiv.align._abstraction",
        "shell_verb": "trajdiv.align._abstraction",
        "Alignment": "trajdiv.align._alignment",
        "align_steps": "trajdiv.align._alignment",
        "canonical_ids": "trajdiv.align._alignment",
    },
)
