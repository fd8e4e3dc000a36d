"""What produced an output folder, so that an unchanged re-run can keep it as it is."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from trajdiv._digest import content_hash, hash_file
from trajdiv.ingest._ingest import ManifestEntry, Plan
from trajdiv.tables import atomic_write_text

if TYPE_CHECKING:
    from trajdiv.pipeline._result import PipelineResult

__all__ = [
    "file_digest",
    "manifest_digest",
    "owned_digests",
    "owned_files",
    "reuse",
    "save_state",
    "settle_outputs",
]


_STATE_FILE = ".trajdiv-state.json"
"""Written last into an output folder: what produced it, so an unchanged re-run can keep it."""


def manifest_digest(plan: Plan) -> str:
    entries = sorted((e.file, e.status, e.reason or "", e.format or "") for e in plan.entries.values())
    return hashlib.blake2b(json.dumps(entries).encode(), digest_size=16).hexdigest()


_LEDGER = ".trajdiv-files.json"
"""Every file trajdiv wrote into an output folder, with its digest and the step that wrote it."""


def file_digest(path: Path) -> str:
    """The ledger's digest of a file's content (:func:`~trajdiv._digest.data_digest`)."""
    return "b3:" + hash_file(content_hash(), path).hexdigest(length=20)


def _unchanged(path: Path, recorded: str, digest: str | None = None) -> bool:
    """Whether ``path`` holds the content the ledger recorded as ``recorded``: a BLAKE3 digest
    (``digest``, the file's own, when known already), or the blake2b digest ledgers of earlier
    releases kept (no prefix)."""
    if recorded.startswith("b3:"):
        return (digest or file_digest(path)) == recorded
    return hash_file(hashlib.blake2b(digest_size=20), path).hexdigest() == recorded


def _ledger(out_dir: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((out_dir / _LEDGER).read_text("utf-8"))
        return {str(k): {"digest": str(v["digest"]), "by": str(v["by"])} for k, v in data.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def owned_files(out_dir: Path, by: str) -> list[Path] | None:
    """The files step ``by`` wrote into ``out_dir`` last time, if all are still there unchanged
    (content digests, not sizes); None otherwise."""
    owned = owned_digests(out_dir, by)
    return None if owned is None else list(owned)


def owned_digests(out_dir: Path, by: str) -> dict[Path, str] | None:
    """:func:`owned_files` with each file's digest (for :func:`settle_outputs`)."""
    entries = {k: v for k, v in _ledger(out_dir).items() if v["by"] == by}
    if not entries:
        return None
    owned = {}
    for rel, info in entries.items():
        path = out_dir / rel
        try:
            digest = file_digest(path)
            if not _unchanged(path, info["digest"], digest):
                return None
        except OSError:
            return None
        owned[path] = digest
    return owned


def settle_outputs(
    out_dir: Path, written: dict[str, list[Path]], known: Mapping[Path, str] | None = None
) -> None:
    """Record what this run wrote (per step) and remove what an earlier run into ``out_dir``
    wrote but this one did not write again. Only files in the ledger are ever removed, and only
    if still unchanged; a user's files are never touched. Steps not in ``written`` keep their
    entries (their files stay). ``known``: the digests of written files whose content this run
    holds already (as it wrote or checked them), which are not read again."""
    known = known or {}
    old = _ledger(out_dir)
    new: dict[str, dict[str, str]] = {k: v for k, v in old.items() if v["by"] not in written}
    for by, paths in written.items():
        for p in paths:
            if p.is_file():
                digest = known.get(p) or file_digest(p)
                new[p.relative_to(out_dir).as_posix()] = {"digest": digest, "by": by}
    for rel, info in old.items():
        if rel in new:
            continue
        path = out_dir / rel
        try:
            if path.is_file() and _unchanged(path, info["digest"]):
                path.unlink()
                _remove_empty_parents(path.parent, out_dir)
        except OSError:
            continue
    atomic_write_text(out_dir / _LEDGER, json.dumps(new, sort_keys=True, indent=0))


def _remove_empty_parents(folder: Path, out_dir: Path) -> None:
    while folder != out_dir and out_dir in folder.parents:
        try:
            folder.rmdir()  # only when empty
        except OSError:
            return
        folder = folder.parent


def save_state(out_dir: Path, key: str, res: PipelineResult) -> None:
    state = {
        "key": key,
        "n_runs": res.n_runs,
        "n_groups": res.n_groups,
        "tables": {k: str(v.relative_to(out_dir)) for k, v in res.tables.items()},
    }
    atomic_write_text(out_dir / _STATE_FILE, json.dumps(state, ensure_ascii=False))


def reuse(out_dir: Path, key: str, res: PipelineResult) -> PipelineResult | None:
    """The result recorded in ``out_dir`` if it came from the same inputs and settings and the
    files it wrote are all still there with the same content; otherwise None."""
    path = out_dir / _STATE_FILE
    try:
        state = json.loads(path.read_text("utf-8"))
        if state.get("key") != key:
            return None
        owned = owned_digests(out_dir, "pipeline")
        if owned is None:
            return None
        manifest = json.loads((out_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    res.manifest = [ManifestEntry(**{k: v for k, v in e.items()}) for e in manifest["files"]]
    res.n_runs, res.n_groups = state["n_runs"], state["n_groups"]
    res.tables = {k: out_dir / v for k, v in state["tables"].items()}
    res.groups_from_cache = res.n_groups
    res.written = list(owned)
    res.digests = owned
    res.reused = True
    return res
