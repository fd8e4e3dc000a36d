"""The one place readers are registered, and the function that picks a reader for a file."""

from __future__ import annotations

from importlib.metadata import entry_points

from trajdiv._errors import TrajdivError
from trajdiv.ingest._agent_consistency import AgentConsistencyReader
from trajdiv.ingest._base import Reader
from trajdiv.ingest._harbor import HarborReader
from trajdiv.ingest._inspect import InspectReader
from trajdiv.ingest._jsonl import JsonlReader
from trajdiv.ingest._mini_swe_agent import MiniSweAgentReader
from trajdiv.ingest._openhands import OpenHandsReader
from trajdiv.ingest._openhands_eval import OpenHandsEvalReader
from trajdiv.ingest._source import Source
from trajdiv.ingest._swe_agent import SweAgentReader
from trajdiv.ingest._tau2_bench import Tau2BenchReader
from trajdiv.ingest._tau_bench import TauBenchReader

__all__ = ["ENTRY_POINT_GROUP", "detect_reader", "readers", "register_reader"]

ENTRY_POINT_GROUP = "trajdiv.readers"
"""Entry-point group through which other packages add readers (the object is a Reader class)."""

_BUILTIN: list[Reader] = [
    JsonlReader(),
    InspectReader(),
    HarborReader(),
    AgentConsistencyReader(),
    TauBenchReader(),
    Tau2BenchReader(),
    SweAgentReader(),
    MiniSweAgentReader(),
    OpenHandsReader(),
    OpenHandsEvalReader(),
]
_EXTRA: list[Reader] = []
_loaded_entry_points = False


def register_reader(reader: Reader) -> None:
    """Add a reader after the built-in ones (sniffed in registration order)."""
    if not isinstance(reader, Reader):
        raise TrajdivError(f"{reader!r} does not implement the Reader protocol")
    if any(r.name == reader.name for r in readers()):
        raise TrajdivError(f"a reader named {reader.name!r} is already registered")
    _EXTRA.append(reader)


def _load_entry_points() -> None:
    global _loaded_entry_points
    if _loaded_entry_points:
        return
    _loaded_entry_points = True
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
            reader = obj() if isinstance(obj, type) else obj
            register_reader(reader)
        except Exception as exc:  # a broken plug-in must not stop the built-in readers
            raise TrajdivError(f"reader plug-in {ep.name!r} could not be loaded: {exc}") from None


def readers() -> list[Reader]:
    """All registered readers, built-in first."""
    _load_entry_points()
    return [*_BUILTIN, *_EXTRA]


def detect_reader(source: Source, head: bytes) -> Reader | None:
    """The first reader whose ``sniff`` accepts ``source``, or None."""
    for reader in readers():
        if reader.sniff(source, head):
            return reader
    return None
