"""Walk the inputs (folders, files, archives) into a sorted list of sources, safely."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from trajdiv._errors import UsageError
from trajdiv.ingest._archive import list_members
from trajdiv.ingest._source import Source, posix_parts

__all__ = ["ARCHIVE_LIMITS", "ArchiveLimits", "Skip", "discover"]


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Bounds on what an archive may unpack to (a zip bomb is refused, not unpacked)."""

    max_total_bytes: int = 8 * 1024**3
    """Largest total uncompressed size of one archive."""
    max_member_bytes: int = 512 * 1024**2
    """Largest uncompressed member."""
    max_ratio: float = 200.0
    """Largest uncompressed / compressed size ratio of a zip member from its header (tar members
    are checked as they are read, see ``trajdiv.ingest._archive.MAX_RATIO``)."""
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
        members = list_members(display)
    except Exception as exc:  # a damaged archive raises many types; each is one skip
        return [], [Skip(display, f"cannot open archive: {_open_reason(exc)}")]
    files = [m for m in members if m.kind != "dir"]
    if len(files) > limits.max_members:
        return [], [Skip(display, f"archive has {len(files)} members, over the limit")]
    seen: dict[str, int] = {}
    for m in files:
        seen[m.name] = seen.get(m.name, 0) + 1
        mdisp = f"{display}!{m.name}" + (f" (copy {seen[m.name]})" if seen[m.name] > 1 else "")
        bad = _unsafe_member(m.name)
        if bad is None and m.kind != "file":
            bad = "links and special files in archives are not followed"
        if bad is None and m.size > limits.max_member_bytes:
            bad = f"member unpacks to {m.size} bytes, over the limit"
        if bad is None and m.compressed >= 0 and m.size > 1_000_000:
            ratio = m.size / max(m.compressed, 1)
            if ratio > limits.max_ratio:
                bad = f"compression ratio {ratio:.0f}:1 looks like a zip bomb; refused"
        if bad is None:
            total += m.size
            if total > limits.max_total_bytes:
                bad = "archive unpacks to more than the total size limit; refused"
        if bad:
            skips.append(Skip(mdisp, bad))
            continue
        parts = (*root_parts, *posix_parts(m.name))
        sources.append(Source(mdisp, parts, m.size, archive=display, member=m.name, index=m.index))
    return sources, skips


def _open_reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def discover(
    inputs: Sequence[str | os.PathLike[str]],
    limits: ArchiveLimits = ARCHIVE_LIMITS,
    exclude: Sequence[str | os.PathLike[str]] = (),
) -> tuple[list[Source], list[Skip]]:
    """All files under ``inputs``, archives opened, in a deterministic order.

    A path given twice (or reached twice) is read once. ``exclude`` names trajdiv's own
    outputs (the ``-o`` folder, an export file): never read, listed once as skipped. Raises
    :class:`UsageError` when an input does not exist, or is an excluded path or inside one.
    """
    sources: list[Source] = []
    skips: list[Skip] = []
    seen: dict[str, str] = {}
    own = {os.path.realpath(p) for p in exclude}
    for raw in inputs:
        root = Path(raw)
        if not root.exists() and not root.is_symlink():
            raise UsageError(f"{raw}: no such file or folder")
        real_root = os.path.realpath(root)
        if any(real_root == o or real_root.startswith(o.rstrip(os.sep) + os.sep) for o in own):
            raise UsageError(f"{raw}: is trajdiv's own output (-o); write the output elsewhere")
        root_name = root.resolve().name if root.name in ("", ".", "..") else root.name
        if root.is_dir():
            files, walk_skips = _walk(root, root_name, own)
            skips.extend(walk_skips)
        else:
            files = [(root, (root_name,))]
        for path, parts in files:
            real = os.path.realpath(path)
            if real in seen:
                if seen[real] != str(path):
                    skips.append(Skip(str(path), f"same file as {seen[real]}, read once", "not-a-dump"))
                continue
            seen[real] = str(path)
            kind = _file_kind(path)
            if kind != "file":
                skips.append(Skip(str(path), f"not a regular file ({kind})", "not-a-dump"))
                continue
            if _is_archive(path.name):
                stem_parts = (*parts[:-1], _archive_stem(path.name))
                got, bad = _archive_members(path, stem_parts, limits)
                sources.extend(got)
                skips.extend(bad)
                continue
            sources.append(Source(str(path), parts, path.stat().st_size, fs_path=str(path)))
    return sources, skips


def _file_kind(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot stat: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "special file"


def _walk(
    root: Path, root_name: str, own: set[str] | frozenset[str] = frozenset()
) -> tuple[list[tuple[Path, tuple[str, ...]]], list[Skip]]:
    """Files under ``root`` in sorted order, real folders first. Symlinked folders are followed
    once, after the real tree: one that leads to a folder already walked (an alias or a loop) is
    listed as skipped instead. ``own`` holds real paths never read (trajdiv's outputs)."""
    own_names = {os.path.basename(o) for o in own}
    visited: set[str] = set()
    files: list[tuple[Path, tuple[str, ...]]] = []
    skips: list[Skip] = []
    deferred: list[tuple[Path, tuple[str, ...]]] = []  # symlinked folders, followed last
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, (root_name,))]
    while stack or deferred:
        if not stack:
            link, parts = deferred.pop(0)
            target = os.path.realpath(link)
            if target in visited:
                parent = os.path.realpath(link.parent)
                why = "a loop" if os.path.commonpath([parent, target]) == target else "already read"
                skips.append(
                    Skip(str(link), f"symlink to a folder {why} ({target}); not followed", "not-a-dump")
                )
                continue
            stack.append((link, parts))
        folder, parts = stack.pop()
        visited.add(os.path.realpath(folder))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skips.append(Skip(str(folder), f"cannot list folder: {exc.strerror or exc}"))
            continue
        subdirs: list[tuple[Path, tuple[str, ...]]] = []
        for e in entries:
            path, eparts = Path(e.path), (*parts, e.name)
            if e.name in own_names and os.path.realpath(path) in own:
                skips.append(Skip(str(path), "trajdiv's own output (-o); not read as input", "not-a-dump"))
                continue
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                files.append((path, eparts))
            elif e.is_symlink():
                deferred.append((path, eparts))
            else:
                subdirs.append((path, eparts))
        stack.extend(reversed(subdirs))
    return files, skips


def _archive_stem(name: str) -> str:
    for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name
