"""The stage engine: cache keys, recorded failures, retries, --force, and a killed run resuming."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from dropper.errors import AudioError
from dropper.files import write_text
from dropper.pipeline import Outcome, Task, run_stage, song_tasks
from dropper.stages import ingest
from tests.conftest import REPO

CALLS: list[str] = []


def copy_work(task: Task) -> Outcome:
    CALLS.append(task.name)
    if task.name == "bad":
        raise AudioError(f"{task.source}: silent where sound is needed")
    if task.name == "buggy" and task.params.get("bug"):
        raise ZeroDivisionError("division by zero")
    write_text(task.outputs["copy"], task.name)
    return Outcome(ok=True, result={"files": dict(task.outputs), "n": len(task.name)})


def tasks_for(drop, names, params):
    fake = [type("S", (), {"sha256": name.ljust(64, "0"), "name": name, "path": f"songs/{name}.wav"})()
            for name in names]
    return song_tasks(drop, fake, params, stage="copy", version=1, outputs={"copy": "copies/.txt"})


def run(drop, names, params=None, **kwargs):
    params = params or {"p": 1}
    return run_stage(drop, stage="copy", version=1, params=params, tasks=tasks_for(drop, names, params),
                     work=copy_work, jobs=1, **kwargs)


def test_second_run_skips_everything(small_drop, open_drop):
    drop = open_drop(small_drop)
    CALLS.clear()
    first = run(drop, ["a", "b"])
    assert (first.count("done"), first.count("skipped")) == (2, 0)
    second = run(drop, ["a", "b"])
    assert (second.count("done"), second.count("skipped")) == (0, 2)
    assert CALLS == ["a", "b"]
    assert "nothing to do" in second.summary()


def test_changed_parameters_or_force_redo_the_work(small_drop, open_drop):
    drop = open_drop(small_drop)
    run(drop, ["a"])
    assert run(drop, ["a"], {"p": 2}).count("done") == 1
    assert run(drop, ["a"], force=True).count("done") == 1


def test_deleted_output_is_made_again(small_drop, open_drop):
    drop = open_drop(small_drop)
    report = run(drop, ["a"])
    stored = report.songs[0].result["files"]["copy"]
    assert not Path(stored).is_absolute()  # recorded relative to the drop, which may move
    drop.absolute(stored).unlink()
    again = run(drop, ["a"])
    assert again.count("done") == 1 and drop.absolute(stored).exists()


def test_bad_input_is_recorded_once_and_the_rest_goes_on(small_drop, open_drop):
    drop = open_drop(small_drop)
    CALLS.clear()
    report = run(drop, ["a", "bad", "c"])
    assert (report.count("done"), report.count("failed"), report.exit_code) == (2, 1, 1)
    assert "silent where sound is needed" in next(s.reason for s in report.songs if s.status == "failed")
    again = run(drop, ["a", "bad", "c"])
    assert again.count("failed") == 1 and CALLS == ["a", "bad", "c"]  # bad input is not retried


def test_internal_error_is_recorded_and_retried_next_time(small_drop, open_drop):
    drop = open_drop(small_drop)
    CALLS.clear()
    report = run(drop, ["buggy"], {"bug": True})
    assert report.songs[0].reason.startswith("internal error: ZeroDivisionError: division by zero")
    run(drop, ["buggy"], {"bug": True})
    assert CALLS == ["buggy", "buggy"]


def test_stage_killed_midway_resumes_without_redoing_or_half_files(tmp_drop, make_song, open_drop):
    root = tmp_drop("[compute]\njobs = 1\n[screen]\nspectrogram_width = 4096\nspectrogram_height = 1024\n")
    for index in range(6):
        make_song(f"song{index}", bpm=100 + 10 * index, seconds=20, folder=root / "songs", seed=index)
    ingest.run(open_drop(root), jobs=1)
    process = subprocess.Popen([sys.executable, "-m", "dropper", "screen", str(root), "-j", "1"],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finished = _wait_for_results(root / "dropper.db", "screen", at_least=2, process=process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Every output under its final name is whole.
    for png in (root / "build" / "spectrograms").glob("*.png"):
        Image.open(png).load()
    done_before = _count_results(root / "dropper.db", "screen")
    assert finished <= done_before < 6
    for part in (root / "build").rglob(".*.part"):  # the killed run's parts, as if left an hour ago
        os.utime(part, (part.stat().st_mtime - 3600,) * 2)
    from dropper.stages import screen

    report = screen.run(open_drop(root), jobs=1)
    assert report.count("skipped") == done_before
    assert report.count("done") == 6 - done_before
    assert not list((root / "build").rglob("*.part"))
    assert len(list((root / "build" / "spectrograms").glob("*.png"))) == 6


def _count_results(path: Path, stage: str) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT COUNT(*) FROM results WHERE stage = ? AND status = 'ok'",
                                  (stage,)).fetchone()[0]


def _wait_for_results(path: Path, stage: str, *, at_least: int, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        count = _count_results(path, stage)
        if count >= at_least:
            return count
        if process.poll() is not None:
            pytest.fail(f"dropper screen ended before it could be killed (exit {process.returncode})")
        time.sleep(0.02)
    process.kill()
    pytest.fail("dropper screen recorded no results in 300 s")
