"""Numbers as they go into summary.json."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["rounded"]


def rounded(x: Any, nd: int = 6) -> float | None:
    """Round a number (polars and numpy scalars included) for JSON; None and NaN become None.

    Examples
    --------
    >>> rounded(0.1234567), rounded(None), rounded(float("nan"))
    (0.123457, None, None)
    """
    if x is None:
        return None
    v = float(x)
    return None if math.isnan(v) else round(v, nd)
