#!/usr/bin/env python3
"""Write the corpus of broken and hostile inputs that the tests feed to trajdiv.

Every file goes to ``tests/data/broken/`` with its expected fate in ``EXPECTED.json``:
``read`` or ``skipped`` for the hand-made cases, ``any`` for the generated mutations (wrong type
or missing field at every path a reader uses), which may be read when the field is optional but
must never crash a reader. ``make_big_file`` writes the one-line file of tens of MB at test time
rather than into the repository.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import io
import json
import shutil
import sys
import tarfile
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "broken"

AC = {
    "task_id": "t1",
    "model": "m-1",
    "temperature": 0.5,
    "runs": [
        {
            "run_id": "t1_run_01",
            "steps": [
                {
                    "step_number": 1,
                    "thought": "look",
                    "action": "ls -la",
                    "observation": "a b",
                    "returncode": 0,
                }
            ],
            "final_output": "diff",
            "total_cost": 0.5,
            "n_calls": 2,
            "start_time": "2026-01-01T00:00:00",
            "end_time": "2026-01-01T00:01:00",
        }
    ],
}
TAU = [
    {
        "task_id": 0,
        "trial": 0,
        "reward": 1.0,
        "info": {},
        "traj": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "function": {"name": "get_user_details", "arguments": '{"user_id": "u"}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "{}"},
            {"role": "assistant", "content": "done"},
        ],
    }
]
SWE = {
    "environment": "swe_main",
    "trajectory": [{"action": "ls\n", "observation": "a", "thought": "t", "response": "r"}],
    "history": [],
    "info": {
        "exit_status": "submitted",
        "submission": "diff",
        "model_stats": {"instance_cost": 1.0, "tokens_sent": 10, "tokens_received": 2, "api_calls": 1},
    },
}
MINI = {
    "info": {
        "submission": "diff",
        "model_stats": {"instance_cost": 0.1, "api_calls": 1},
        "config": {"model": {"model_name": "m-2"}},
    },
    "messages": [
        {"role": "system", "content": "sys"},
        {"role": "assistant", "content": "THOUGHT: look\n\n```bash\nls\n```"},
        {"role": "user", "content": "<returncode>0</returncode>\n<output>\na\n</output>"},
    ],
    "instance_id": "i1",
    "trajectory_format": "mini-swe-agent-1",
}
OH = {
    "messages": [{"role": "system", "content": "s"}],
    "fncall_messages": [
        {
            "role": "assistant",
            "content": "c",
            "tool_calls": [
                {
                    "id": "a",
                    "type": "function",
                    "function": {"name": "execute_bash", "arguments": '{"command": "ls"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "a",
            "name": "execute_bash",
            "content": "out\n[Command finished with exit code 0]",
        },
    ],
    "fncall_response": {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": "x",
                    "tool_calls": [{"id": "b", "function": {"name": "finish", "arguments": "{}"}}],
                }
            }
        ]
    },
}
REPORT = {"total_instances": 1, "submitted_ids": ["t1"], "resolved_ids": ["t1"], "unresolved_ids": []}

# (folder inside the corpus, file name, base document)
BASES: list[tuple[str, str, Any]] = [
    ("ac/results_m", "t1.json", AC),
    ("tau", "gpt-4o-airline.json", TAU),
    ("swe/gpt4__x__t-0.00", "i1.traj", SWE),
    ("mini", "i1.traj.json", MINI),
    ("oh/sub/trajs/i1", "model-1743405513.1.json", OH),
]


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:2]):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _wrong(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return "12"
    if isinstance(value, str):
        return 12
    if isinstance(value, list):
        return {"a": 1}
    if isinstance(value, dict):
        return [1, 2]
    return 3


def _set(doc: Any, path: tuple[Any, ...], value: Any, delete: bool = False) -> Any:
    out = copy.deepcopy(doc)
    cur = out
    for p in path[:-1]:
        cur = cur[p]
    if delete:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return out


def _name(path: tuple[Any, ...]) -> str:
    return "_".join(str(p) for p in path)[:80] or "root"


def write_corpus(out: Path = OUT) -> dict[str, str]:
    """Write the corpus; returns {relative path: expected status}."""
    if out.exists():
        shutil.rmtree(out)
    expected: dict[str, str] = {}

    def put(rel: str, data: bytes, status: str) -> None:
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        expected[rel] = status

    for folder, name, base in BASES:
        text = json.dumps(base).encode()
        # the valid original sorts first in its folder, so mutations that share its run id are the
        # later copies
        put(f"{folder}/0-valid-{name}", text, "read")
        stem, _, ext = name.partition(".")
        for cut in (1, 2, 7, len(text) // 3, len(text) // 2, len(text) - 1):
            put(f"{folder}/trunc{cut}-{stem}.{ext}", text[:cut], "skipped")
        for path in _paths(base):
            cur: Any = base
            for p in path:
                cur = cur[p]
            put(
                f"{folder}/type-{_name(path)}-{stem}.{ext}",
                json.dumps(_set(base, path, _wrong(cur))).encode(),
                "any",
            )
            put(
                f"{folder}/miss-{_name(path)}-{stem}.{ext}",
                json.dumps(_set(base, path, None, delete=True)).encode(),
                "any",
            )
    # hand-made cases
    put("misc/empty.json", b"", "skipped")
    put("misc/spaces.json", b"   \n\t ", "skipped")
    put("misc/results_m/empty-runs.json", json.dumps({**AC, "task_id": "t9", "runs": []}).encode(), "skipped")
    zero = copy.deepcopy(AC)
    zero["task_id"] = "t8"
    zero["runs"][0]["steps"] = []
    put("misc/results_m/zero-steps.json", json.dumps(zero).encode(), "skipped")
    put("misc/empty-traj.traj", json.dumps({**SWE, "trajectory": []}).encode(), "skipped")
    put("misc/empty-messages.traj.json", json.dumps({**MINI, "messages": []}).encode(), "skipped")
    put("misc/tau-empty.json", b"[]", "skipped")
    bad = json.dumps({**AC, "task_id": "t7"}).encode().replace(b'"ls -la"', b'"ls \xff\xfe"')
    put("misc/results_m/non-utf8.json", bad, "skipped")
    put("misc/results_m/bom.json", b"\xef\xbb\xbf" + json.dumps({**AC, "task_id": "t6"}).encode(), "read")
    put("misc/results_m/utf16.json", json.dumps({**AC, "task_id": "t5"}).encode("utf-16"), "read")
    put("misc/deep.json", b"[" * 200_000 + b"]" * 200_000, "skipped")
    put(
        "misc/deep-ac.json", b'{"task_id": "t4", "runs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "skipped"
    )
    put("misc/binary.bin", bytes(range(256)) * 4, "skipped")
    put("misc/unknown.json", json.dumps({"hello": "world"}).encode(), "skipped")
    # files that look like one format but are another
    put("misc/looks-like-swe.traj", json.dumps(TAU).encode(), "skipped")
    # content decides over the name: a valid agent-consistency file named like mini-swe-agent is read
    put("misc/results_m/misnamed.traj.json", json.dumps({**AC, "task_id": "t3"}).encode(), "read")
    put("misc/results_x/misnamed-mini.json", json.dumps(MINI).encode(), "read")
    # an object that starts like agent-consistency inside a results_ folder but holds no runs
    put(
        "misc/results_x/looks-like-ac.json",
        json.dumps({"task_id": "t2", "trial": 0, "traj": []}).encode(),
        "skipped",
    )
    # duplicate run ids across two files: the second copy is skipped with a reason
    put("dup/a/results_m/t1.json", json.dumps(AC).encode(), "read")
    put("dup/b/results_m/t1.json", json.dumps(AC).encode(), "skipped")
    # label files: one that disagrees with another of equal rank, one that names unknown runs
    put("labels/results_m/t1.json", json.dumps(AC).encode(), "read")
    put("labels/results.json", json.dumps({"resolved": ["t1"]}).encode(), "read")
    put("labels/report.json", json.dumps({"t1": {"resolved": False}}).encode(), "read")
    put(
        "labels/zz.zz-local-run1.json",
        json.dumps({**REPORT, "resolved_ids": ["nope"], "submitted_ids": ["nope"]}).encode(),
        "skipped",
    )
    put("labels/bad-label.json", json.dumps({"resolved_ids": "t1", "total_instances": 1}).encode(), "skipped")
    _archives(out, expected)
    fates = freeze_fates(out, expected)
    (out / "EXPECTED.json").write_text(json.dumps(fates, indent=1, sort_keys=True) + "\n")
    return fates


REASON_CLASSES: tuple[tuple[str, str], ...] = (
    ("duplicate", r"duplicates a run read from another file|differ"),
    ("invalid-json", r"^invalid JSON|^JSON nested too deeply"),
    ("encoding", r"^not UTF-8|^not valid UTF-16"),
    ("empty", r"^empty file$|is empty$|^no run with at least one step"),
    ("missing-field", r"^missing field|has no (role|function name)"),
    ("wrong-type", r"should be (an?|a list)|^expected (an object|a list)|should be a list of"),
    ("unknown-format", r"^unknown format"),
    ("archive", r"archive|member|compress|CRC|links and special files"),
    ("unmatched-labels", r"labels matches a run"),
)
"""Classes of skip reasons, first match wins (the broken-corpus tests assert the class)."""


def reason_class(reason: str | None) -> str:
    """The class of a skip reason (``other`` if none fits)."""
    import re

    for name, pattern in REASON_CLASSES:
        if reason and re.search(pattern, reason):
            return name
    return "other"


def freeze_fates(out: Path, expected: dict[str, str]) -> dict[str, str]:
    """Every case's fate as trajdiv gives it now: ``read``, or ``skipped:<class>``. Written into
    EXPECTED.json, so a case whose fate or kind of reason changes fails the tests; the fates of
    the hand-made cases are checked against their intended status first."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from trajdiv.ingest import read_runs

    fates: dict[str, str] = {}
    for folder in sorted({rel.split("/", 1)[0] for rel in expected}):
        for e in read_runs([out / folder]).manifest:
            rel = str(Path(e.file).resolve().relative_to(out.resolve()))
            fates[rel] = "read" if e.status == "read" else f"skipped:{reason_class(e.reason)}"
    for rel, intended in expected.items():
        if intended != "any" and fates[rel].split(":")[0] != intended:
            raise SystemExit(f"{rel}: intended {intended}, trajdiv gives {fates[rel]}")
        if fates[rel].endswith(":other"):
            raise SystemExit(f"{rel}: a skip reason no class covers; add one to REASON_CLASSES")
    return fates


def _zip_bytes(files: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a repeated name is the point of one case
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files:  # a fixed date: the corpus is the same bytes every time
                zf.writestr(
                    zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED
                )
    return buf.getvalue()


def _patch_zip(data: bytes, index: int, local: dict[int, bytes], central: dict[int, bytes]) -> bytes:
    """Overwrite bytes of member ``index``'s local header and central directory entry."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.infolist()[index]
    for off, b in local.items():
        out[info.header_offset + off : info.header_offset + off + len(b)] = b
    at = out.index(b"PK\x01\x02")
    while int.from_bytes(out[at + 42 : at + 46], "little") != info.header_offset:
        at = out.index(b"PK\x01\x02", at + 4)
    for off, b in central.items():
        out[at + off : at + off + len(b)] = b
    return bytes(out)


def _archives(out: Path, expected: dict[str, str]) -> None:
    """Damaged archives: each bad member is skipped with its reason, the good one read."""

    def members(tag: str) -> list[tuple[str, bytes]]:
        return [
            (f"results_m/{tag}-t{i}.json", json.dumps({**AC, "task_id": f"{tag}-t{i}"}).encode())
            for i in (1, 2)
        ]

    def damaged(tag: str) -> bytes:
        plain = _zip_bytes(members(tag))
        if tag == "corrupt-deflate":
            with zipfile.ZipFile(io.BytesIO(plain)) as zf:
                first = zf.infolist()[0]
            at = first.header_offset + 30 + len(first.filename.encode()) + len(first.extra)
            return plain[:at] + b"\xff" * 8 + plain[at + 8 :]
        patches = {
            "bad-crc": ({14: b"\xde\xad\xbe\xef"}, {16: b"\xde\xad\xbe\xef"}),
            "encrypted": ({6: b"\x01\x00"}, {8: b"\x01\x00"}),
            "deflate64": ({8: b"\x09\x00"}, {10: b"\x09\x00"}),
            "name-mismatch": ({30: b"X"}, {}),
        }
        return _patch_zip(plain, 0, *patches[tag])

    (out / "archives").mkdir(parents=True, exist_ok=True)
    for tag in ("bad-crc", "encrypted", "deflate64", "name-mismatch", "corrupt-deflate"):
        (out / "archives" / f"{tag}.zip").write_bytes(damaged(tag))
        good = members(tag)
        expected[f"archives/{tag}.zip!{good[0][0]}"] = "skipped"
        expected[f"archives/{tag}.zip!{good[1][0]}"] = "read"
    # two members of the same name: both accounted for; the second copy's runs repeat the first's
    good = members("dup")
    (out / "archives" / "dup-names.zip").write_bytes(_zip_bytes([good[0], good[1], good[0]]))
    expected[f"archives/dup-names.zip!{good[0][0]}"] = "read"
    expected[f"archives/dup-names.zip!{good[1][0]}"] = "read"
    expected[f"archives/dup-names.zip!{good[0][0]} (copy 2)"] = "any"
    # a tar with a file and a symlink of the same name: the file is read, the link is not followed
    good = members("tar")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in good:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(good[0][0])
        link.type = tarfile.SYMTYPE
        link.linkname = "missing.json"
        tf.addfile(link)
    tar_gz = gzip.compress(buf.getvalue(), mtime=0)
    (out / "archives" / "file-and-link.tar.gz").write_bytes(tar_gz)
    expected[f"archives/file-and-link.tar.gz!{good[0][0]}"] = "read"
    expected[f"archives/file-and-link.tar.gz!{good[1][0]}"] = "read"
    expected[f"archives/file-and-link.tar.gz!{good[0][0]} (copy 2)"] = "skipped"
    # a tar.gz cut in half: the archive is one skipped entry
    (out / "archives" / "truncated.tar.gz").write_bytes(tar_gz[: len(tar_gz) // 2])
    expected["archives/truncated.tar.gz"] = "skipped"


def make_big_file(path: Path, megabytes: int = 40) -> Path:
    """One line of JSON of about ``megabytes`` MB: an agent-consistency file with a huge observation."""
    doc = copy.deepcopy(AC)
    doc["task_id"] = "big"
    doc["runs"][0]["steps"][0]["observation"] = "x" * (megabytes * 1_000_000)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=OUT)
    a = p.parse_args()
    expected = write_corpus(a.out)
    print(f"wrote {len(expected)} files to {a.out}")


if __name__ == "__main__":
    main()
