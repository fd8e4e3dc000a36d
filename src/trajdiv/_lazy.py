"""Lazy package attributes (PEP 562), so that `import trajdiv` and `trajdiv --help` stay fast.

A package lists which submodule defines each public name; the submodule (and its heavy imports,
such as polars or networkx) is imported the first time the name is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["attach"]


def attach(namespace: dict[str, Any], where: dict[str, str]) -> None:
    """Give the module whose globals are ``namespace`` lazy attributes: name -> defining module."""
    module = namespace["__name__"]

    def __getattr__(name: str) -> Any:  # noqa: N807 - the name PEP 562 looks up
        if name not in where:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where[name]), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(set(namespace) | set(where))

    hooks: dict[str, Callable[..., Any]] = {"__getattr__": __getattr__, "__dir__": __dir__}
    namespace.update(hooks)
