"""A two-node Ray cluster on this machine, for the cluster test and ``scripts/bench_ray.py``:
two ``ray start`` processes with their own temporary folders and one CPU each, started from a
folder of their own (not the driver's), stopped on exit."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "RayMissingError", "two_node_cluster"]


class RayMissingError(RuntimeError):
    """The ``ray`` command is not installed."""


@dataclass(frozen=True, slots=True)
class Cluster:
    gcs: str
    """``HOST:PORT`` of the head's GCS."""
    client: str
    """``ray://HOST:PORT`` of the head's Ray Client server."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ray(*args: str, cwd: Path) -> None:
    exe = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    if exe is None:
        raise RayMissingError("the `ray` command is not installed: pip install 'trajdiv[ray]'")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    subprocess.run([exe, *args], cwd=cwd, check=True, timeout=180, capture_output=True, env=env)


@contextlib.contextmanager
def two_node_cluster(base: Path, object_store_mb: int = 200) -> Iterator[Cluster]:
    """Start the cluster under ``base``; stop every Ray process of this machine on exit."""
    home = base / "nodes-cwd"
    home.mkdir(parents=True, exist_ok=True)
    port, client_port = _free_port(), _free_port()
    common = [
        "--num-cpus",
        "1",
        "--object-store-memory",
        str(object_store_mb * 1024**2),
        "--disable-usage-stats",
    ]
    try:
        _ray("start", "--head", "--port", str(port), "--ray-client-server-port", str(client_port),
             "--include-dashboard", "false", "--temp-dir", str(base / "head"), *common, cwd=home)  # fmt: skip
        _ray("start", "--address", f"127.0.0.1:{port}", "--temp-dir", str(base / "node2"), *common, cwd=home)
        yield Cluster(f"127.0.0.1:{port}", f"ray://127.0.0.1:{client_port}")
    finally:
        with contextlib.suppress(RayMissingError, subprocess.SubprocessError):
            _ray("stop", "--force", cwd=home)
