"""parallel_map: a local process pool by default, a real Ray cluster when given an address."""

from __future__ import annotations

import json
import os

import pytest

from dropper.errors import NodeUnreachable
from dropper.parallel import parallel_map
from tests.conftest import free_port, run_cli


def square_with_pid(value: int) -> tuple[int, int]:
    return value * value, os.getpid()


def test_pool_returns_every_result_once_from_worker_processes():
    results = dict(parallel_map(square_with_pid, list(range(20)), jobs=2))
    assert sorted(results) == list(range(20))
    assert all(results[index][0] == index * index for index in results)
    assert os.getpid() not in {pid for _, pid in results.values()}


def test_one_job_runs_in_this_process():
    results = dict(parallel_map(square_with_pid, [3, 4], jobs=1))
    assert results == {0: (9, os.getpid()), 1: (16, os.getpid())}


def test_no_items_no_work():
    assert list(parallel_map(square_with_pid, [], jobs=2)) == []


def test_missing_ray_gives_a_clear_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("no ray")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(NodeUnreachable, match="Ray is not installed"):
        list(parallel_map(square_with_pid, [1], ray_address="127.0.0.2:1"))


@pytest.mark.slow
def test_stages_and_renders_run_on_a_local_ray_cluster(small_drop, ray_cluster):
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write("[curate]\nkeep_unreviewed = true\n[visualize]\nwidth = 320\nheight = 180\n"
                       "fps = 10\ngif_width = 160\ngif_height = 90\ngif_seconds = 2\n")
    result = run_cli("build", str(small_drop), "--json", env={"DROPPER_RAY_ADDRESS": ray_cluster})
    assert result.returncode == 0, result.stderr
    stages = {report["stage"]: report for report in json.loads(result.stdout)["stages"]}
    assert stages["ingest"]["done"] == 4
    assert stages["screen"]["done"] == 4 and stages["tempo"]["done"] == 4
    assert stages["visualize"]["done"] == 4
    assert len(list((small_drop / "build" / "videos").glob("*.mp4"))) == 4
    assert len(list((small_drop / "build" / "spectrograms").glob("*.png"))) == 4


def test_an_unreachable_ray_head_is_one_clear_error(small_drop):
    port = free_port("127.0.0.2")  # nothing listens there
    result = run_cli("ingest", str(small_drop), "--ray-address", f"127.0.0.2:{port}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: Ray cluster at '127.0.0.2:{port}' did not answer: connection refused"


def test_a_port_that_is_not_a_ray_head_is_one_clear_error(small_drop):
    """A real TCP server on 127.0.0.1 that greets like SSH: refused at once, not after Ray's retries."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def greet():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"SSH-2.0-not-ray\r\n")

    threading.Thread(target=greet, daemon=True).start()
    try:
        result = run_cli("ingest", str(small_drop), "--ray-address", f"127.0.0.1:{port}")
    finally:
        server.close()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "not a Ray head" in result.stderr, result.stderr
