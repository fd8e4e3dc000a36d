"""Archives are read directly; unsafe members and zip bombs are refused with a reason."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

from tests.helpers import write_ac_dump
from trajdiv.ingest import read_runs


def _dump_bytes(tmp_path: Path) -> dict[str, bytes]:
    root = tmp_path / "src"
    write_ac_dump(root, "m", {"t1": [["ls"], ["pwd"]], "t2": [["cat a"], ["cat b"]]})
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.json")}


def _tar_gz(path: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(f"dump/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_zip_and_tar_gz_are_read(tmp_path: Path):
    files = _dump_bytes(tmp_path)
    z = tmp_path / "sub.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"dump/{name}", data)
    t = tmp_path / "sub.tar.gz"
    _tar_gz(t, files)
    for archive in (z, t):
        ds = read_runs([archive])
        assert len(ds.runs) == 4
        assert {r.run_index for r in ds.runs} == {1, 2}
        assert all("!" in e.file for e in ds.manifest)
        assert all(e.status == "read" for e in ds.manifest)


def test_unsafe_members_are_refused(tmp_path: Path):
    files = _dump_bytes(tmp_path)
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr("../escape.json", b"{}")
        zf.writestr("/etc/abs.json", b"{}")
    t = tmp_path / "evil.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        info = tarfile.TarInfo("../../up.json")
        info.size = 2
        tf.addfile(info, io.BytesIO(b"{}"))
        link = tarfile.TarInfo("link.json")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    ds = read_runs([z, t])
    reasons = {e.file.split("!", 1)[1]: e.reason for e in ds.manifest if e.status == "skipped"}
    assert "'..'" in reasons["../escape.json"]
    assert "absolute path" in reasons["/etc/abs.json"]
    assert "'..'" in reasons["../../up.json"]
    assert "links" in reasons["link.json"]
    assert len(ds.runs) == 4
    assert not (tmp_path / "escape.json").exists()


def test_zip_bomb_is_refused_not_unpacked(tmp_path: Path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("results_m/huge.json", b"0" * 50_000_000)
        zf.writestr(
            "results_m/ok.json",
            json.dumps(
                {"task_id": "t", "model": "m", "runs": [{"run_id": "t_run_01", "steps": [{"action": "ls"}]}]}
            ),
        )
    assert z.stat().st_size < 200_000
    ds = read_runs([z])
    (bomb,) = [e for e in ds.manifest if e.file.endswith("huge.json")]
    assert bomb.status == "skipped"
    assert "zip bomb" in bomb.reason
    assert len(ds.runs) == 1


def test_corrupt_archive_is_one_skipped_entry(tmp_path: Path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    ds = read_runs([bad])
    (e,) = ds.manifest
    assert e.status == "skipped"
    assert "cannot open archive" in e.reason


def test_without_a_cache_each_member_is_read_once_and_the_tables_are_those_of_a_cached_run(
    tmp_path: Path, monkeypatch
):
    from trajdiv.cli import main
    from trajdiv.ingest import _source

    files = _dump_bytes(tmp_path)
    t = tmp_path / "sub.tar.gz"
    _tar_gz(t, files)
    reads: list[int] = []  # members read whole (a format sniff reads a member's first bytes)
    real = _source.read_member

    def counted(path: str, index: int, n: int, exact: bool) -> bytes:
        if exact:
            reads.append(index)
        return real(path, index, n, exact)

    monkeypatch.setattr(_source, "read_member", counted)
    out = tmp_path / "no-cache"
    assert main(["ingest", str(t), "-o", str(out), "--no-cache", "-q", "-j", "1"]) == 0
    assert len(reads) == len(files) == len(set(reads))  # hashing for a cache key read them again
    reads.clear()
    cached = tmp_path / "cached"
    assert (
        main(["ingest", str(t), "-o", str(cached), "--cache-dir", str(tmp_path / "c"), "-q", "-j", "1"]) == 0
    )
    assert len(reads) == 2 * len(files)  # with a cache: hashed for the key, then parsed
    for name in ("runs.parquet", "steps.parquet", "manifest.json"):
        assert (out / name).read_bytes() == (cached / name).read_bytes()
