"""The example drop builds end to end, and a second build does no work again."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_example_drop_builds_and_rebuilds_as_a_no_op(built_example):
    drop, document = built_example
    stages = {report["stage"]: report for report in document["stages"]}
    assert stages["ingest"]["done"] == 12 and stages["screen"]["done"] == 12
    assert stages["clear"]["done"] == 11 and stages["visualize"]["done"] == 11  # hollow-hush is rejected
    originality = json.loads((drop / "reports" / "originality.json").read_text())
    assert originality["summary"]["passed"] == 11 and originality["reference"]["track_count"] == 4
    assert stages["title"]["done"] == 11 and stages["package"]["done"] == 11
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
    assert "0 done, 12 skipped" in second.stdout and "visualize: 0 done, 11 skipped" in second.stdout


def test_build_goes_on_past_a_corrupt_file_and_exits_1(small_drop):
    payload = (small_drop / "songs" / "rock.wav").read_bytes()
    (small_drop / "songs" / "broken.wav").write_bytes(payload[:44] + bytes(range(256)) * 40)
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write("[curate]\nkeep_unreviewed = true\n[visualize]\nwidth = 320\nheight = 180\nfps = 10\n"
                       "gif_width = 160\ngif_height = 90\ngif_seconds = 2\n")
    result = run_cli("build", str(small_drop), "--json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    stages = {report["stage"]: report for report in json.loads(result.stdout)["stages"]}
    assert stages["ingest"]["failed"] == 1
    failed = next(song for song in stages["ingest"]["songs"] if song["status"] == "failed")
    assert failed["name"] == "broken.wav" and "audio" in failed["reason"]
    assert stages["screen"]["done"] == 4 and stages["tempo"]["done"] == 4 and stages["visualize"]["done"] == 4
    text = run_cli("build", str(small_drop))
    assert text.returncode == 1 and "ingest: 0 done, 4 skipped" in text.stdout and "1 failed" in text.stdout
