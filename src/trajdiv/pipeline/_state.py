"""What produced an output folder, so that an unchanged re-run can keep it as it is."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from trajdiv.ingest._ingest import ManifestEntry, Plan
from trajdiv.tables import atomic_write_text

if TYPE_CHECKING:
    from trajdiv.pipeline._result import PipelineResult

__all__ = ["manifest_digest", "reuse", "save_state"]


_STATE_FILE = ".trajdiv-state.json"
"""Written last into an output folder: what produced it, so an unchanged re-run can keep it."""


def manifest_digest(plan: Plan) -> str:
    entries = sorted((e.file, e.status, e.reason or "", e.format or "") for e in plan.entries.values())
    return hashlib.blake2b(json.dumps(entries).encode(), digest_size=16).hexdigest()


def _output_files(out_dir: Path) -> dict[str, int]:
    """Sizes of the outputs (temporary and hidden files and folders left out)."""
    out = {}
    for p in sorted(out_dir.rglob("*")):
        rel = p.relative_to(out_dir)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            out[str(rel)] = p.stat().st_size
    return out


def save_state(out_dir: Path, key: str, res: PipelineResult) -> None:
    state = {
        "key": key,
        "n_runs": res.n_runs,
        "n_groups": res.n_groups,
        "tables": {k: str(v.relative_to(out_dir)) for k, v in res.tables.items()},
        "files": _output_files(out_dir),
        "drill": res.drill,
    }
    atomic_write_text(out_dir / _STATE_FILE, json.dumps(state, ensure_ascii=False))


def reuse(out_dir: Path, key: str, res: PipelineResult) -> PipelineResult | None:
    """The result recorded in ``out_dir`` if it came from the same inputs and settings and its
    files are all still there unchanged in size; otherwise None."""
    path = out_dir / _STATE_FILE
    try:
        state = json.loads(path.read_text("utf-8"))
        if state.get("key") != key:
            return None
        files = _output_files(out_dir)
        if any(files.get(name) != size for name, size in state["files"].items()):
            return None
        manifest = json.loads((out_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    res.manifest = [ManifestEntry(**{k: v for k, v in e.items()}) for e in manifest["files"]]
    res.n_runs, res.n_groups = state["n_runs"], state["n_groups"]
    res.tables = {k: out_dir / v for k, v in state["tables"].items()}
    res.drill = state["drill"]
    res.groups_from_cache = res.n_groups
    res.reused = True
    return res
