"""The example drop builds end to end, and a second build does no work again."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from tests.conftest import REPO, run_cli


def test_example_drop_builds_and_rebuilds_as_a_no_op(tmp_path):
    drop = tmp_path / "example"
    drop.mkdir()
    shutil.copy(REPO / "release" / "example" / "drop.toml", drop / "drop.toml")
    subprocess.run([sys.executable, str(REPO / "release" / "example" / "make_songs.py"),
                    "--out", str(drop / "songs")], check=True, capture_output=True)
    first = run_cli("build", str(drop), "--json", check=True)
    stages = {report["stage"]: report for report in json.loads(first.stdout)["stages"]}
    assert stages["ingest"]["done"] == 12 and stages["screen"]["done"] == 12
    status = json.loads(run_cli("status", str(drop), "--json", check=True).stdout)
    rows = {row["name"]: row for row in status["song_rows"]}
    assert rows["hollow-hush"]["decision"] == "reject"  # the drop's auto-reject rule
    assert "mostly_silent" in rows["stalled-sentiment"]["flags"]
    assert rows["stalled-sentiment"]["decision"] == "unreviewed"  # flagged, not rejected
    assert rows["simulated-solace"]["tempo_estimate_bpm"] == 0  # ambient: no pulse
    assert rows["mock-melancholy"]["temperature"] == 1.0
    assert status["songs"] == 12 and status["rejected"] == 1
    second = run_cli("build", str(drop), check=True)
    assert "build: nothing to do" in second.stdout
    assert "0 done, 12 skipped" in second.stdout
