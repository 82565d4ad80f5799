"""Fixtures that build real things: synthesized songs, drop folders, servers on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dropper import synth
from dropper.workspace import Drop, init

REPO = Path(__file__).resolve().parent.parent
SR = 22050


def write_song(path: Path, y: np.ndarray, *, sr: int = SR, temperature: float | None = 1.0,
               seed: int = 0) -> Path:
    """Write ``y`` (mono or (samples, channels)) as audio plus a generator-style sidecar."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), y, sr)
    if temperature is not None:
        sidecar = {"temperature": temperature, "model": "tiny-test", "checkpoint": "abc123", "seed": seed}
        path.with_suffix(".json").write_text(json.dumps(sidecar))
    return path


@pytest.fixture
def make_song(tmp_path: Path) -> Callable[..., Path]:
    """``make_song(name, bpm=..., seconds=..., pattern=..., folder=...)`` writes a synthesized song."""

    def make(name: str, *, bpm: float = 120, seconds: float = 8, pattern: str = "straight",
             folder: Path | None = None, temperature: float | None = 1.0, seed: int = 0,
             fmt: str = "wav") -> Path:
        y = synth.make_song(bpm=bpm, seconds=seconds, pattern=pattern, sr=SR, seed=seed)
        return write_song((folder or tmp_path / "songs") / f"{name}.{fmt}", y,
                          temperature=temperature, seed=seed)

    return make


@pytest.fixture
def tmp_drop(tmp_path: Path) -> Callable[..., Path]:
    """``tmp_drop(settings="...toml...")`` creates a drop folder; returns its path."""

    def make(settings: str = "", *, name: str = "drop") -> Path:
        root = tmp_path / name
        init(root, title="Fake Feelings", artist="Test Collective")
        if settings:
            (root / "drop.toml").write_text(settings)
        return root

    return make


@pytest.fixture
def small_drop(tmp_drop, make_song) -> Path:
    """A drop with four short songs: straight, punk, ambient, and a near-silent take."""
    root = tmp_drop('[drop]\ntitle = "Fake Feelings"\n[compute]\njobs = 2\n')
    songs = root / "songs"
    make_song("rock", bpm=120, folder=songs, seed=1)
    make_song("punk", bpm=180, pattern="punk", folder=songs, seed=2, temperature=1.02)
    make_song("pad", pattern="ambient", seconds=10, folder=songs, seed=3, temperature=0.98)
    write_song(songs / "hush.wav", synth.make_silence(seconds=6, sr=SR, noise_db=-85, seed=4))
    return root


@pytest.fixture
def open_drop() -> Callable[[Path], Drop]:
    opened: list[Drop] = []

    def open_(root: Path) -> Drop:
        drop = Drop.open(root, environ={})
        opened.append(drop)
        return drop

    yield open_
    for drop in opened:
        drop.close()


def run_cli(*args: str, env: dict[str, str] | None = None, check: bool = False,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``dropper ARGS`` as a user would, in a subprocess."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DROPPER_")}
    environment.update({"COLUMNS": "120", **(env or {})})
    result = subprocess.run([sys.executable, "-m", "dropper", *args], capture_output=True, text=True,
                            env=environment, cwd=cwd, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"dropper {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def ray_cluster() -> str:
    """A real local Ray head on loopback; yields its address and stops it afterwards.

    Ray maps 127.0.0.1 to the machine's outward address, so the head binds 127.0.0.2, another
    loopback address, to keep all of its traffic on this machine.
    """
    ray = Path(sys.executable).parent / "ray"
    if not ray.exists():
        pytest.skip("Ray is not installed (pip install 'dropper[ray]')")
    host = "127.0.0.2"
    port = free_port(host)
    start = subprocess.run([str(ray), "start", "--head", f"--node-ip-address={host}", f"--port={port}",
                            "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"],
                           capture_output=True, text=True, timeout=180)
    if start.returncode != 0:
        raise AssertionError(f"ray start failed:\n{start.stdout}\n{start.stderr}")
    try:
        yield f"{host}:{port}"
    finally:
        subprocess.run([str(ray), "stop", "--force"], capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def built_example(tmp_path_factory):
    """The example drop built once (songs and catalog synthesized), with the first build's output."""
    drop = tmp_path_factory.mktemp("example") / "example"
    drop.mkdir()
    shutil.copy(REPO / "release" / "example" / "drop.toml", drop / "drop.toml")
    with open(drop / "drop.toml", "a") as settings:  # small videos keep CI quick; the look is the same
        settings.write("\n[visualize]\nwidth = 320\nheight = 180\nfps = 10\ngif_width = 160\ngif_height = 90\n")
    subprocess.run([sys.executable, str(REPO / "release" / "example" / "make_songs.py"),
                    "--out", str(drop / "songs"), "--catalog", str(drop / "catalog")],
                   check=True, capture_output=True)
    first = run_cli("build", str(drop), "--json", check=True)
    return drop, json.loads(first.stdout)


@pytest.fixture(scope="session")
def example_drop(built_example) -> Path:
    """The built example drop's folder (see tests/test_example.py)."""
    return built_example[0]
