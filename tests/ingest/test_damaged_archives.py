"""Damaged archives, repeated member names and odd file-system entries: every one is a skip
with its reason (or read), never a traceback, and every member is in the manifest."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest

from tests.helpers import write_ac_dump
from trajdiv.cli import main
from trajdiv.ingest import read_runs


def _dump_files(tmp_path: Path) -> dict[str, bytes]:
    root = tmp_path / "src"
    write_ac_dump(root, "m", {f"t{i}": [["ls"], [f"cat {i}"]] for i in range(1, 5)})  # 4 files, 8 runs
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


def _zip(path: Path, files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _patch_member(path: Path, name: str, local: dict[int, bytes], central: dict[int, bytes]) -> None:
    """Overwrite bytes at offsets of one member's local header and central directory entry."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    for off, b in local.items():
        data[info.header_offset + off : info.header_offset + off + len(b)] = b
    central_at = data.index(b"PK\x01\x02")
    while struct.unpack_from("<I", data, central_at + 42)[0] != info.header_offset:
        central_at = data.index(b"PK\x01\x02", central_at + 4)  # this member's directory entry
    for off, b in central.items():
        data[central_at + off : central_at + off + len(b)] = b
    path.write_bytes(bytes(data))


def _statuses(paths: list[Path]) -> dict[str, tuple[str, str | None]]:
    ds = read_runs(paths)
    return {e.file.split("!", 1)[-1]: (e.status, e.reason) for e in ds.manifest}


def _damaged(tmp_path: Path, how: str) -> tuple[Path, str]:
    files = _dump_files(tmp_path)
    victim = next(iter(files))
    z = _zip(tmp_path / f"{how}.zip", files)
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo(victim)
    data_at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    if how == "bad-crc":
        _patch_member(z, victim, {14: b"\xde\xad\xbe\xef"}, {16: b"\xde\xad\xbe\xef"})
    elif how == "encrypted":
        _patch_member(z, victim, {6: b"\x01\x00"}, {8: b"\x01\x00"})
    elif how == "deflate64":
        _patch_member(z, victim, {8: b"\x09\x00"}, {10: b"\x09\x00"})
    elif how == "name-mismatch":
        _patch_member(z, victim, {30: b"X"}, {})
    elif how == "corrupt-deflate":
        raw = bytearray(z.read_bytes())
        raw[data_at : data_at + 8] = b"\xff" * 8
        z.write_bytes(bytes(raw))
    return z, victim


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("bad-crc", "CRC"),
        ("encrypted", "encrypted"),
        ("deflate64", "compression method not supported"),
        ("name-mismatch", "differ"),
        ("corrupt-deflate", "corrupt"),
    ],
)
def test_damaged_zip_member_is_skipped_with_its_reason(tmp_path: Path, how: str, reason: str):
    z, victim = _damaged(tmp_path, how)
    got = _statuses([z])
    assert len(got) == 4  # every member is accounted for
    status, why = got[victim]
    assert status == "skipped"
    assert why is not None
    assert reason in why, why
    assert sum(s == "read" for s, _ in got.values()) == 3


def test_damaged_zip_through_the_cli_is_exit_3_without_traceback(tmp_path: Path, capsys):
    z, _ = _damaged(tmp_path, "bad-crc")
    code = main(["ingest", str(z), "-o", str(tmp_path / "o"), "--no-cache", "-j", "2"])
    assert code == 3
    assert "Traceback" not in capsys.readouterr().err


def test_two_members_of_the_same_name_are_two_entries(tmp_path: Path):
    files = _dump_files(tmp_path)
    first, data = next(iter(files.items()))
    z = tmp_path / "dup.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate name
        with zipfile.ZipFile(z, "w") as zf:
            for name, d in files.items():
                zf.writestr(name, d)
            zf.writestr(first, data.replace(b'"ls"', b'"ls -la"'))
    ds = read_runs([z])
    names = [e.file for e in ds.manifest]
    assert len(names) == 5
    assert len(set(names)) == 5  # four files and the second copy
    assert f"{z}!{first} (copy 2)" in names
    # same run ids with different steps: an error, not a silent pick of one copy
    assert any(e.is_error for e in ds.manifest if first in e.file)


def test_tar_file_and_symlink_of_the_same_name(tmp_path: Path):
    files = _dump_files(tmp_path)
    t = tmp_path / "same.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(next(iter(files)))
        link.type = tarfile.SYMTYPE
        link.linkname = "missing.json"
        tf.addfile(link)
    got = read_runs([t])
    entries = [(e.file, e.status) for e in got.manifest]
    assert len(entries) == 5
    assert sum(s == "read" for _, s in entries) == 4
    assert len(got.runs) == 8


def test_tar_member_inflating_like_a_bomb_is_refused_as_it_is_read(tmp_path: Path):
    files = _dump_files(tmp_path)
    t = tmp_path / "bomb.tar.gz"
    zeros = b'{"task_id": "x", "model": "m", "runs": [' + b" " * (64 << 20) + b"]}"
    with tarfile.open(t, "w:gz") as tf:
        info = tarfile.TarInfo("results_m/huge.json")
        info.size = len(zeros)
        tf.addfile(info, io.BytesIO(zeros))
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    assert t.stat().st_size < 1_000_000
    got = _statuses([t])
    status, why = got["results_m/huge.json"]
    assert status == "skipped"
    assert why is not None
    assert "refused" in why
    assert sum(s == "read" for s, _ in got.values()) == 4


def test_truncated_tar_gz_is_one_skip(tmp_path: Path):
    files = _dump_files(tmp_path)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    t = tmp_path / "cut.tar.gz"
    t.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    got = read_runs([t])
    assert [e.status for e in got.manifest] == ["skipped"]
    assert "cannot open archive" in (got.manifest[0].reason or "")
    assert gzip  # (the module is the format under test)


def test_fifo_and_device_inputs_are_in_the_manifest(tmp_path: Path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    good = tmp_path / "good"
    write_ac_dump(
        good,
        "m",
        {"t1": [["ls"], ["pwd"]], "t2": [["ls"], ["cat"]], "t3": [["a"], ["b"]], "t4": [["c"], ["d"]]},
    )
    ds = read_runs([good, fifo, Path("/dev/null")])
    entries = {e.file: e for e in ds.manifest}
    assert entries[str(fifo)].status == "skipped"
    assert "not a regular file" in (entries[str(fifo)].reason or "")
    assert entries["/dev/null"].status == "skipped"
    assert len(ds.runs) == 8


def test_fifo_alone_is_exit_4_with_its_reason(tmp_path: Path, capsys):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    code = main(["ingest", str(fifo), "-o", str(tmp_path / "o"), "--no-cache"])
    assert code == 4
    assert "not a regular file" in (tmp_path / "o" / "manifest.json").read_text()
    assert "Traceback" not in capsys.readouterr().err


def test_symlinked_folders_are_followed_once_and_loops_stop(tmp_path: Path):
    root = tmp_path / "root"
    write_ac_dump(root / "real", "m", {"t1": [["ls"], ["pwd"]]})
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    (root / "real" / "loop").symlink_to(root, target_is_directory=True)
    ds = read_runs([root])
    assert len(ds.runs) == 2  # the runs behind the link are not read twice
    reasons = [e.reason or "" for e in ds.manifest if e.status == "skipped"]
    assert any("already read" in r or "loop" in r for r in reasons), reasons
