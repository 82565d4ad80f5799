"""Real IPFS servers for tests: a kubo-RPC node and a Pinning Service API in front of it.

:func:`serve` starts one as a subprocess on a free 127.0.0.1 port, waits until it answers
(showing its output if it dies first), yields its URL and stops it.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import REPO, free_port
from tests.processes import running

HOST = "127.0.0.1"


@contextmanager
def serve(module: str, *args: str, env: dict[str, str] | None = None,
          port: int | None = None) -> Iterator[str]:
    """Run ``python -m tests.ipfs_servers.<module> --port P ARGS``; yield ``http://127.0.0.1:P``."""
    port = port or free_port(HOST)
    command = [sys.executable, "-m", f"tests.ipfs_servers.{module}", "--host", HOST, "--port", str(port), *args]
    with tempfile.TemporaryFile() as log, running(command, lambda: _listening(port), log, cwd=REPO,
                                                  env={**os.environ, **(env or {})}):
        yield f"http://{HOST}:{port}"


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


def link_copy(drop: Path, target: Path) -> Path:
    """A copy of a built drop in which big files are hard links (cheap), small ones real copies.

    drop.toml and dropper.db are real copies, so a test may change them. Replace a big file
    (:func:`replace_file`) rather than editing it in place: an in-place edit would reach the
    original through the link.
    """
    def copy(source: str, destination: str) -> None:
        if os.path.getsize(source) < 1 << 20 or Path(source).name.startswith("dropper.db"):
            shutil.copy2(source, destination)
        else:
            os.link(source, destination)

    shutil.copytree(drop, target, copy_function=copy)
    return target


def replace_file(path: Path, payload: bytes) -> None:
    """Give ``path`` new bytes without touching other links to its old ones."""
    fresh = path.with_name(path.name + ".new")
    fresh.write_bytes(payload)
    os.replace(fresh, path)
