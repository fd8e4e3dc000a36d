"""Walk the inputs (folders, files, archives) into a sorted list of sources, safely."""

from __future__ import annotations

import os
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from trajdiv._errors import UsageError
from trajdiv.ingest._source import Source

__all__ = ["ARCHIVE_LIMITS", "ArchiveLimits", "Skip", "discover"]


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Bounds on what an archive may unpack to (a zip bomb is refused, not unpacked)."""

    max_total_bytes: int = 8 * 1024**3
    """Largest total uncompressed size of one archive."""
    max_member_bytes: int = 512 * 1024**2
    """Largest uncompressed member."""
    max_ratio: float = 200.0
    """Largest uncompressed / compressed size ratio (per zip member; whole archive for tar)."""
    max_members: int = 200_000
    """Most members read from one archive."""


ARCHIVE_LIMITS = ArchiveLimits()


@dataclass(frozen=True, slots=True)
class Skip:
    """A file (or archive member) passed over during discovery, with the reason."""

    display: str
    reason: str
    kind: str = "error"
    """``error`` (looked like input but is unusable) or ``not-a-dump``."""


def _is_archive(name: str) -> bool:
    n = name.lower()
    return n.endswith((".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz"))


def _unsafe_member(name: str) -> str | None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path in archive refused"
    if ".." in p.parts:
        return "'..' in archive member path refused"
    return None


def _archive_members(
    path: Path, root_parts: tuple[str, ...], limits: ArchiveLimits
) -> tuple[list[Source], list[Skip]]:
    display = str(path)
    sources: list[Source] = []
    skips: list[Skip] = []
    total = 0
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                infos = [i for i in zf.infolist() if not i.is_dir()]
                if len(infos) > limits.max_members:
                    return [], [Skip(display, f"archive has {len(infos)} members, over the limit")]
                for info in infos:
                    mdisp = f"{display}!{info.filename}"
                    bad = _unsafe_member(info.filename)
                    ratio = info.file_size / max(info.compress_size, 1)
                    if bad is None and info.file_size > limits.max_member_bytes:
                        bad = f"member unpacks to {info.file_size} bytes, over the limit"
                    if bad is None and info.file_size > 1_000_000 and ratio > limits.max_ratio:
                        bad = f"compression ratio {ratio:.0f}:1 looks like a zip bomb; refused"
                    total += info.file_size
                    if bad is None and total > limits.max_total_bytes:
                        bad = "archive unpacks to more than the total size limit; refused"
                    if bad:
                        skips.append(Skip(mdisp, bad))
                        continue
                    parts = (*root_parts, *PurePosixPath(info.filename).parts)
                    sources.append(
                        Source(mdisp, parts, info.file_size, archive=display, member=info.filename)
                    )
        else:
            compressed = max(path.stat().st_size, 1)
            with tarfile.open(path, "r:*") as tf:
                members = tf.getmembers()
                if len(members) > limits.max_members:
                    return [], [Skip(display, f"archive has {len(members)} members, over the limit")]
                for m in members:
                    mdisp = f"{display}!{m.name}"
                    if m.isdir():
                        continue
                    bad = _unsafe_member(m.name)
                    if bad is None and not m.isfile():
                        bad = "links and special files in archives are not followed"
                    if bad is None and m.size > limits.max_member_bytes:
                        bad = f"member unpacks to {m.size} bytes, over the limit"
                    total += m.size
                    if bad is None and total > limits.max_total_bytes:
                        bad = "archive unpacks to more than the total size limit; refused"
                    if bad is None and total > 1_000_000 and total / compressed > limits.max_ratio:
                        bad = f"compression ratio over {limits.max_ratio:.0f}:1; refused"
                    if bad:
                        skips.append(Skip(mdisp, bad))
                        continue
                    parts = (*root_parts, *PurePosixPath(m.name).parts)
                    sources.append(Source(mdisp, parts, m.size, archive=display, member=m.name))
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        return [], [Skip(display, f"cannot open archive: {exc}")]
    return sources, skips


def discover(
    inputs: Sequence[str | os.PathLike[str]], limits: ArchiveLimits = ARCHIVE_LIMITS
) -> tuple[list[Source], list[Skip]]:
    """All files under ``inputs``, archives opened, in a deterministic order.

    A path given twice (or reached twice) is read once. Raises :class:`UsageError` when an
    input does not exist.
    """
    sources: list[Source] = []
    skips: list[Skip] = []
    seen: set[str] = set()
    for raw in inputs:
        root = Path(raw)
        if not root.exists():
            raise UsageError(f"{raw}: no such file or folder")
        root_name = root.resolve().name if root.name in ("", ".", "..") else root.name
        files: list[tuple[Path, tuple[str, ...]]]
        if root.is_file():
            files = [(root, (root_name,))]
        else:
            files = []
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                rel = Path(dirpath).relative_to(root)
                for fn in sorted(filenames):
                    p = Path(dirpath) / fn
                    files.append((p, (root_name, *rel.parts, fn)))
        for path, parts in files:
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            if not path.is_file():
                skips.append(Skip(str(path), "not a regular file", "not-a-dump"))
                continue
            if _is_archive(path.name):
                stem_parts = (*parts[:-1], _archive_stem(path.name))
                got, bad = _archive_members(path, stem_parts, limits)
                sources.extend(got)
                skips.extend(bad)
                continue
            sources.append(Source(str(path), parts, path.stat().st_size, fs_path=str(path)))
    return sources, skips


def _archive_stem(name: str) -> str:
    for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name
