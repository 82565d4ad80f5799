"""Servers the tests start as subprocesses on 127.0.0.1: started, waited for, always stopped."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

# Startup wait only (imports take a few seconds on a busy machine); never a test's time limit.
STARTUP_S = 120


@contextmanager
def running(command: list[str], ready: Callable[[], bool], log: IO, **popen) -> Iterator[subprocess.Popen]:
    """Run ``command`` with its output in ``log``, wait until ``ready()``, stop it by its pid on exit.

    Fails with the server's output when it exits before it is ready.
    """
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + STARTUP_S
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                output = log.read()
                output = output.decode(errors="replace") if isinstance(output, bytes) else output
                raise AssertionError(f"{command[0]} did not start (exit {process.returncode}):\n{output[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
