"""The exceptions trajdiv raises on purpose; anything else is a bug."""

from __future__ import annotations

from pathlib import Path

__all__ = ["InputError", "TrajdivError", "UsageError"]


class TrajdivError(Exception):
    """Base of every error trajdiv raises deliberately.

    The command line turns these into a one-line message and a non-zero exit code.
    """


class UsageError(TrajdivError):
    """Options or arguments that cannot work together (bad level, missing input, ...)."""


class InputError(TrajdivError):
    """A file that cannot be read as a run dump or label file.

    Parameters
    ----------
    path
        The offending file (for an archive member, ``archive!member``).
    reason
        One line that says what is wrong, without the path.
    """

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")
