"""The cache entries of both passes and the spill files: a file's parsed runs (its index and
spilled run bytes, pass 1) and a group's result (pass 2). Every entry is checked when read; one
that is absent, damaged or foreign is a miss that costs a recomputation, never a wrong result."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from trajdiv._codec import CacheMiss, frame_from_bytes, frame_to_bytes, pack, unpack
from trajdiv._digest import blob_digest
from trajdiv._errors import TrajdivError
from trajdiv._io import atomic_write_bytes, read_bytes
from trajdiv.analysis._group import GroupResult
from trajdiv.ingest._ingest import LabelKey
from trajdiv.pipeline._cachedir import touch

__all__ = [
    "VERSION",
    "GroupOut",
    "RunRef",
    "SourceIndex",
    "cached_group",
    "cached_index",
    "close_own_spill",
    "damaged_files",
    "group_cache_path",
    "group_from_meta",
    "group_meta",
    "load_blobs",
    "spilled_runs",
    "store_group",
    "store_index",
]

VERSION = b"trajdiv-pipeline-6"


@dataclass(slots=True)
class RunRef:
    file: str
    """The input file the run was read from (its ``source`` may name an earlier origin)."""
    group: tuple[str, str]
    run_id: str
    digest: str
    spill: str
    offset: int
    length: int
    scope: tuple[str, ...]
    lkey: LabelKey
    """What the final configuration label is resolved from (:func:`resolve_labels`)."""
    model: str
    dump_key: str


@dataclass(slots=True)
class SourceIndex:
    display: str
    refs: list[RunRef]
    reason: str | None
    warnings: list[str]
    cached: bool = False
    blobs: list[bytes] | None = None
    """The runs' bytes, until they are spilled (:func:`store_index`)."""


def _ref_from_json(d: dict[str, Any]) -> RunRef:
    return RunRef(
        str(d["file"]),
        (str(d["group"][0]), str(d["group"][1])),
        str(d["run_id"]),
        str(d["digest"]),
        str(d["spill"]),
        int(d["offset"]),
        int(d["length"]),
        tuple(str(x) for x in d["scope"]),
        (str(d["lkey"][0]), str(d["lkey"][1]), str(d["lkey"][2])),
        str(d["model"]),
        str(d["dump_key"]),
    )


def cached_index(key: str | None, cache_dir: Path | None) -> SourceIndex | None:
    """The cached parse of a file, or None: absent, damaged, foreign, or a spill file of its
    runs missing or of another length (every check failing costs a re-parse, never a wrong
    run). The spilled bytes themselves are checked against their digests when a run is needed
    (:func:`damaged_files`): most runs of a re-run are never read again."""
    if key is None or cache_dir is None:
        return None
    path = cache_dir / "sources" / key[:2] / f"{key}.idx"
    try:
        meta, _ = unpack(read_bytes(path), key=key)
        idx = SourceIndex(
            str(meta["display"]),
            [_ref_from_json(r) for r in meta["refs"]],
            meta["reason"],
            [str(w) for w in meta["warnings"]],
        )
        if not _spills_fit(idx.refs):
            raise CacheMiss("a spill file is missing or of another length")
    except (OSError, CacheMiss, KeyError, TypeError, ValueError, IndexError):
        return None
    touch(path)
    for spill in {r.spill for r in idx.refs}:
        touch(Path(spill))
    idx.cached = True
    return idx


class SpillFile:
    """The spill file of one input file's runs, written run by run as they are read: a big
    file's runs are never all in memory.

    With a cache, the file is the cache entry of the input's content. Without one, the runs go to
    this process's own spill file of the run (:func:`own_spill`), appended input after input: a
    folder of many small inputs would otherwise cost a file creation, a rename and a removal
    apiece."""

    def __init__(self, display: str, key: str | None, cache_dir: str | None, spill_dir: str) -> None:
        self.kept = bool(cache_dir and key)
        if self.kept:
            assert cache_dir is not None
            assert key is not None
            self.path = Path(cache_dir) / "sources" / key[:2] / f"{key}.runs"
            self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        self.spill_dir = spill_dir
        self._fh: Any = None
        self._start = 0

    def add(self, ref: RunRef, blob: bytes) -> None:
        """Append a run's bytes; ``ref`` learns where they are."""
        if self._fh is None:
            if self.kept:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.tmp, "wb")  # noqa: SIM115 - closed by commit or abort
            else:
                self._fh, self.path = own_spill(self.spill_dir)
                self._start = self._fh.tell()
        ref.spill, ref.offset = str(self.path), self._fh.tell()
        self._fh.write(blob)

    def commit(self) -> None:
        """Put the file in place (nothing when no run was added)."""
        if self._fh is not None:
            if self.kept:
                self._fh.close()
                os.replace(self.tmp, self.path)
            else:
                self._fh.flush()  # the runs are read by other processes
            self._fh = None

    def abort(self) -> None:
        """Drop what was written (the file was skipped, or the read failed)."""
        if self._fh is not None:
            if self.kept:
                self._fh.close()
                self.tmp.unlink(missing_ok=True)
            else:
                self._fh.seek(self._start)
                self._fh.truncate()
            self._fh = None


_OWN: dict[tuple[int, str], tuple[Any, Path]] = {}
"""Each process's spill file in each spill folder, open for writing (by process id: a forked
child never writes to its parent's file)."""


def own_spill(spill_dir: str) -> tuple[Any, Path]:
    """This process's spill file in ``spill_dir`` and its path, made at its first use under a
    name no other process takes (one process parses one input at a time, so inputs follow one
    another in it). Files of folders removed since (their runs ended) are closed then."""
    key = (os.getpid(), spill_dir)
    own = _OWN.get(key)
    if own is None:
        for done in [k for k in _OWN if k[0] == key[0] and not os.path.isdir(k[1])]:
            _OWN.pop(done)[0].close()
        os.makedirs(spill_dir, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{os.getpid()}-", suffix=".runs", dir=spill_dir)
        own = _OWN[key] = (os.fdopen(fd, "wb"), Path(name))
    return own


def close_own_spill(spill_dir: str) -> None:
    """Close this process's spill file in ``spill_dir`` (its run is over)."""
    own = _OWN.pop((os.getpid(), spill_dir), None)
    if own is not None:
        own[0].close()


def store_index(idx: SourceIndex, key: str | None, cache_dir: str | None, spill_dir: str) -> SourceIndex:
    """Spill the runs of a parsed file held in :attr:`SourceIndex.blobs`, and cache its index."""
    spill = SpillFile(idx.display, key, cache_dir, spill_dir)
    for ref, blob in zip(idx.refs, idx.blobs or [], strict=True):
        spill.add(ref, blob)
    spill.commit()
    idx.blobs = None
    return cache_index(idx, key, cache_dir)


def cache_index(idx: SourceIndex, key: str | None, cache_dir: str | None) -> SourceIndex:
    """Cache the index of a parsed file whose runs are spilled (when there is a cache)."""
    if cache_dir and key:
        idx_path = Path(cache_dir) / "sources" / key[:2] / f"{key}.idx"
        meta = {
            "display": idx.display,
            "reason": idx.reason,
            "warnings": idx.warnings,
            "refs": [dataclasses.asdict(r) for r in idx.refs],
        }
        atomic_write_bytes(idx_path, pack(meta, key=key))
    return idx


def load_blobs(refs: list[RunRef]) -> list[bytes]:
    """The spilled bytes of ``refs``, each checked against its digest. Raises
    :class:`CacheMiss` on a mismatch."""
    blobs = []
    handles: dict[str, Any] = {}
    try:
        for ref in refs:
            fh = handles.get(ref.spill)
            if fh is None:
                fh = handles[ref.spill] = open(ref.spill, "rb")  # noqa: SIM115 - closed below
            fh.seek(ref.offset)
            blob = fh.read(ref.length)
            if blob_digest(blob) != ref.digest:
                raise CacheMiss(f"{ref.spill}: a spilled run no longer matches its digest")
            blobs.append(blob)
    finally:
        for fh in handles.values():
            fh.close()
    return blobs


def _spills_fit(refs: list[RunRef]) -> bool:
    """Whether each spill file that ``refs`` point into ends where its last run ends."""
    ends: dict[str, int] = {}
    for ref in refs:
        ends[ref.spill] = max(ends.get(ref.spill, 0), ref.offset + ref.length)
    return all(os.stat(path).st_size == end for path, end in ends.items())


def damaged_files(refs: list[RunRef], threads: int = 4) -> set[str]:
    """The input files (:attr:`RunRef.file`) of the ``refs`` whose spilled bytes are missing or
    no longer match their digest (spill files read on a few threads: hashing releases the GIL)."""
    by_spill: dict[str, list[RunRef]] = {}
    for ref in refs:
        by_spill.setdefault(ref.spill, []).append(ref)

    def check(spill: str) -> set[str]:
        some = sorted(by_spill[spill], key=lambda r: r.offset)
        try:
            with open(spill, "rb") as fh:
                bad = set()
                for ref in some:
                    fh.seek(ref.offset)
                    if blob_digest(fh.read(ref.length)) != ref.digest:
                        bad.add(ref.file)
                return bad
        except OSError:
            return {ref.file for ref in some}

    if len(by_spill) < 2 or threads < 2:
        return set().union(*map(check, by_spill))
    with ThreadPoolExecutor(threads, thread_name_prefix="trajdiv-spill-check") as pool:
        return set().union(*pool.map(check, by_spill))


def spilled_runs(refs: list[RunRef]) -> list[bytes]:
    """:func:`load_blobs` for the analysis: a run that changed on disk since pass 1 read it
    stops the analysis with a message, never a result from other bytes."""
    try:
        return load_blobs(refs)
    except CacheMiss as exc:
        raise TrajdivError(f"{exc}; it changed during the analysis: run again") from None


@dataclass(slots=True)
class GroupOut:
    result: GroupResult
    frames: dict[str, pl.DataFrame]
    used: dict[str, int]
    warnings: list[tuple[str, str]]
    errors: list[tuple[str, str]]
    n_runs: int
    files: dict[str, int]
    """Runs kept per input file."""
    cached: bool = False
    rows: dict[str, int] = dataclasses.field(default_factory=dict)  # per table, kept once framed


def group_cache_path(cache_dir: str | Path | None, key: str) -> Path | None:
    return Path(cache_dir) / "groups" / key[:2] / f"{key}.entry" if cache_dir else None


_RESULT_FIELDS = tuple(f.name for f in dataclasses.fields(GroupResult) if f.name != "tables")
"""What a group entry keeps of its :class:`GroupResult` besides its tables."""


_TEXTS = ("graph_json", "graph_graphml", "cells", "early")
"""Result fields kept as binary parts of an entry, not in its JSON header (a chunk's graph
files, report cells and early-warning runs are most of its header's bytes, and reading them
back as JSON strings cost more than the rest)."""

_BYTES = ("cells",)
"""Of :data:`_TEXTS`, those that are bytes already (kept as they are)."""


def group_meta(out: GroupOut, texts: dict[str, bytes], prefix: str = "") -> dict[str, Any]:
    """A group's result but its tables, as JSON-serialisable data; its graph texts go to
    ``texts`` (under ``prefix``)."""
    for f in _TEXTS:
        value = getattr(out.result, f)
        if value is not None:
            texts[prefix + f] = value if f in _BYTES else value.encode("utf-8", "surrogatepass")
    return {
        "result": {f: getattr(out.result, f) for f in _RESULT_FIELDS if f not in _TEXTS},
        "used": out.used,
        "warnings": out.warnings,
        "errors": out.errors,
        "n_runs": out.n_runs,
        "files": out.files,
        "rows": out.rows or {name: df.height for name, df in out.frames.items()},
    }


def group_from_meta(
    meta: Any, frames: dict[str, pl.DataFrame], texts: dict[str, bytes], prefix: str = ""
) -> GroupOut:
    """Inverse of :func:`group_meta` (with the group's tables); raises :class:`CacheMiss`."""
    try:
        fields = {f: meta["result"][f] for f in _RESULT_FIELDS if f not in _TEXTS}
        for f in _TEXTS:
            blob = texts.get(prefix + f)
            fields[f] = blob if blob is None or f in _BYTES else blob.decode("utf-8", "surrogatepass")
        result = GroupResult(**fields)
        if result.layout is not None:  # a pair, kept in JSON as a list
            key, text = result.layout
            result.layout = (str(key), str(text))
        return GroupOut(
            result,
            frames,
            {str(k): int(v) for k, v in meta["used"].items()},
            [(str(a), str(b)) for a, b in meta["warnings"]],
            [(str(a), str(b)) for a, b in meta["errors"]],
            int(meta["n_runs"]),
            {str(k): int(v) for k, v in meta["files"].items()},
            cached=True,
            rows={str(k): int(v) for k, v in meta.get("rows", {}).items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CacheMiss(f"damaged group entry: {exc}") from None


_TEXT_PART = "text/"
"""Where a group entry keeps its graph texts among its tables' parts."""


def _group_to_bytes(out: GroupOut, key: str) -> bytes:
    parts = {name: frame_to_bytes(df) for name, df in out.frames.items()}
    return pack(group_meta(out, parts, _TEXT_PART), parts, key=key)


def _group_from_bytes(data: bytes, key: str) -> GroupOut:
    meta, parts = unpack(data, key=key)
    frames = {name: frame_from_bytes(blob) for name, blob in parts.items() if not name.startswith(_TEXT_PART)}
    return group_from_meta(meta, frames, parts, _TEXT_PART)


def cached_group(cache_dir: str | Path | None, key: str) -> GroupOut | None:
    """The cached result of a group, or None (absent, damaged or foreign: computed again)."""
    path = group_cache_path(cache_dir, key)
    if path is None or not path.exists():
        return None
    try:
        out = _group_from_bytes(read_bytes(path), key)
    except (OSError, CacheMiss):
        return None
    touch(path)
    return out


def store_group(cache_dir: str | Path | None, key: str, out: GroupOut) -> None:
    """Cache a group's result."""
    path = group_cache_path(cache_dir, key)
    if path is not None:
        atomic_write_bytes(path, _group_to_bytes(out, key))
