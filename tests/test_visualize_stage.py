"""The visualize stage: every kept song gets a video, a GIF and a poster; reruns skip; a changed
setting re-renders; rejected songs get nothing."""

from __future__ import annotations

import json

import imageio_ffmpeg

from tests.conftest import run_cli

SMALL = "[visualize]\nwidth = 320\nheight = 180\nfps = 15\ngif_width = 160\ngif_height = 90\ngif_seconds = 2\n"


def test_each_kept_song_is_rendered_and_a_rerun_skips(small_drop):
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write(SMALL + '[screen]\nauto_reject = ["silent"]\n[curate]\nkeep_unreviewed = true\n')
    result = run_cli("build", str(small_drop), "--json", check=True)
    stages = {report["stage"]: report for report in json.loads(result.stdout)["stages"]}
    rendered = {song["name"]: song["result"] for song in stages["visualize"]["songs"]}
    assert sorted(rendered) == ["pad", "punk", "rock"]  # hush was rejected by the rule
    rock = rendered["rock"]
    video = small_drop / rock["files"]["video"]
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(video))
    assert abs(seconds - 8.0) < 0.3 and abs(frames / seconds - 15) < 0.5
    assert (small_drop / rock["files"]["gif"]).read_bytes()[:6] == b"GIF89a"
    assert (small_drop / rock["files"]["poster"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = json.loads(run_cli("visualize", str(small_drop), "--json", check=True).stdout)
    assert (again["done"], again["skipped"]) == (0, 3)


def test_changed_look_renders_again(small_drop):
    with open(small_drop / "drop.toml", "a") as settings:
        settings.write(SMALL + "[curate]\nkeep_unreviewed = true\n")
    run_cli("build", str(small_drop), check=True)
    text = (small_drop / "drop.toml").read_text().replace("fps = 15", "fps = 10")
    (small_drop / "drop.toml").write_text(text)
    again = json.loads(run_cli("visualize", str(small_drop), "--json", check=True).stdout)
    assert again["done"] == 4


def test_drop_toml_defaults_are_the_renderer_defaults():
    from dropper.config import from_mapping
    from dropper.visualize import VisualSettings

    settings = from_mapping({}, environ={}).visualize.as_dict()
    shipped = VisualSettings()
    assert {key: value for key, value in settings.items() if getattr(shipped, key) != value} == {}
