"""Numbers as they go into summary.json, and the JSON form of the summary's dataclasses."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Self

__all__ = ["OPTIONAL", "JsonRecord", "SummaryError", "present_with", "rounded"]


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


class SummaryError(ValueError):
    """A summary that does not have the documented shape."""


OPTIONAL = types.MappingProxyType({"omit_unless": ""})
"""Metadata of a field left out of the JSON when None."""


def present_with(governor: str) -> types.MappingProxyType[str, str]:
    """Metadata of a field left out of the JSON when the field ``governor`` is None."""
    return types.MappingProxyType({"omit_unless": governor})


class JsonRecord:
    """JSON conversion shared by the summary's dataclasses."""

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready form: documented keys in order, optional ones only when present."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if "omit_unless" in f.metadata:
                governor = f.metadata["omit_unless"]
                if (getattr(self, governor) if governor else value) is None:
                    continue
            out[f.name] = _encode(value)
        return out

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """Read the JSON form back; raises :class:`SummaryError` on a missing key or a wrong type."""
        value: Self = _decode(cls, data, cls.__name__)
        return value


def _encode(value: Any) -> Any:
    if isinstance(value, JsonRecord):
        return value.to_json()
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    return value


def _decode(tp: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _decode(inner, data, where)
    if isinstance(tp, type) and issubclass(tp, JsonRecord):
        if not isinstance(data, dict):
            raise SummaryError(f"{where}: expected an object, got {type(data).__name__}")
        hints = typing.get_type_hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):  # type: ignore[arg-type]
            if f.name not in data:
                if "omit_unless" in f.metadata:
                    continue
                raise SummaryError(f"{where}: missing key {f.name!r}")
            kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{where}.{f.name}")
        return tp(**kwargs)
    if origin is dict:
        kt, vt = typing.get_args(tp)
        if not isinstance(data, dict):
            raise SummaryError(f"{where}: expected an object, got {type(data).__name__}")
        try:
            return {kt(k): _decode(vt, v, f"{where}[{k}]") for k, v in data.items()}
        except ValueError as exc:
            raise SummaryError(f"{where}: bad key: {exc}") from None
    if origin is tuple:
        if not isinstance(data, list):
            raise SummaryError(f"{where}: expected a list, got {type(data).__name__}")
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
        if len(args) != len(data):
            raise SummaryError(f"{where}: expected {len(args)} items, got {len(data)}")
        return tuple(_decode(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data, strict=True)))
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise SummaryError(f"{where}: expected a number, got {type(data).__name__}")
        return data  # kept as written: an integer stays an integer in the JSON
    if tp in (int, str, bool):
        if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
            raise SummaryError(f"{where}: expected {tp.__name__}, got {type(data).__name__}")
        return data
    raise SummaryError(f"{where}: cannot read type {tp}")  # pragma: no cover - a declaration error
