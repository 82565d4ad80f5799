"""dropper status: the failures it lists are the ones a release manager still has to fix."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


def test_a_bad_file_removed_or_replaced_is_no_longer_a_failure(small_drop):
    songs = small_drop / "songs"
    (songs / "broken.wav").write_bytes(b"RIFF....WAVEnot really")
    (songs / "empty.mp3").write_bytes(b"")
    assert run_cli("ingest", str(small_drop)).returncode == 1
    listed = json.loads(run_cli("status", str(small_drop), "--json", check=True).stdout)["failures"]
    assert sorted(failure["source"] for failure in listed) == ["songs/broken.wav", "songs/empty.mp3"]

    (songs / "broken.wav").unlink()  # the release manager threw it away
    (songs / "empty.mp3").write_bytes((songs / "rock.wav").read_bytes()[:100])  # another bad take there
    run_cli("ingest", str(small_drop))
    listed = json.loads(run_cli("status", str(small_drop), "--json", check=True).stdout)["failures"]
    assert [failure["source"] for failure in listed] == ["songs/empty.mp3"]
    assert "empty file" not in listed[0]["reason"]


def _status(names: list[str], temperatures: list[float]):
    from dropper.status import DropStatus

    rows = [{"name": name, "sha256": "0" * 64, "duration_s": 30.0, "title": "simulated sympathy",
             "temperature": temperature, "loudness_lufs": -19.6, "flags": ["mostly_silent", "long_silence"],
             "tempo_estimate_bpm": 176.2, "tempo_tapped_bpm": None, "decision": "unreviewed", "reason": None,
             "style": "thrash metal", "distinctions": ["breakdown in 6/8"]}
            for name, temperature in zip(names, temperatures)]
    return DropStatus(drop="/tmp/drop", songs=len(rows), rows=rows)


@pytest.mark.parametrize("width", [60, 80, 100, 120, 200])
def test_song_names_are_never_shortened_and_temperatures_have_two_decimals(width):
    from dropper.report_text import status_text

    names = ["archetypal-angst", "an-extraordinarily-long-take-name-from-the-model-042", "x"]
    text = status_text(_status(names, [1.0, 1.02, 0.98]), songs=True, width=width)
    lines = text.splitlines()
    assert "…" not in text
    for name in names:  # whole, on one line, as `dropper annotate SONG` takes it
        assert any(f"│ {name} " in line for line in lines), name
    assert {"1.00", "1.02", "0.98"} <= set(text.split())
    longest = max(len(line) for line in lines)
    assert longest <= max(width, len(names[1]) + 4 * 9 + 3 * 10 + 1)  # widened only as far as a name needs


def test_the_song_table_fits_the_terminal_it_is_given():
    from dropper.report_text import status_text

    names = ["archetypal-angst", "bootleg-abasement"]
    for width in (120, 160):
        lines = status_text(_status(names, [1.0, 1.01]), songs=True, width=width).splitlines()
        assert max(len(line) for line in lines) <= width
        assert any("│ 1.00 " in line for line in lines)  # numbers keep their digits together
        header = next(line for line in lines if "song" in line and "title" in line)
        assert "│ temperature │" in header.replace("┃", "│")  # said in full: not "temp" beside "tempo"


def test_status_songs_follows_the_terminal_width(small_drop, make_song):
    long_name = "a-take-whose-name-is-longer-than-a-narrow-column-allows"
    make_song(long_name, folder=small_drop / "songs", seed=5, temperature=1.0)
    run_cli("ingest", str(small_drop), check=True)
    for columns in ("80", "160"):
        out = run_cli("status", str(small_drop), "--songs", env={"COLUMNS": columns}, check=True).stdout
        assert long_name in out and "…" not in out
        assert "1.00" in out and "1.02" in out and "0.98" in out
    wide = run_cli("status", str(small_drop), "--songs", env={"COLUMNS": "160"}, check=True).stdout
    assert 120 < max(map(len, wide.splitlines())) <= 160  # not the old fixed 120 columns


def test_status_songs_into_a_file_wraps_no_column(small_drop, make_song):
    import os
    import subprocess
    import sys

    make_song("a-take-whose-name-is-longer-than-a-narrow-column-allows", folder=small_drop / "songs", seed=5,
              temperature=1.0)
    run_cli("ingest", str(small_drop), check=True)
    run_cli("screen", str(small_drop), check=True)
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    out = subprocess.run([sys.executable, "-m", "dropper", "status", str(small_drop), "--songs"],
                         env=env, capture_output=True, text=True, check=True).stdout
    rows = [line for line in out.splitlines() if line.startswith("│")]
    header = next(line for line in out.splitlines() if "song" in line and "title" in line)
    assert "distinctions" in header  # the header is on one line: no column was folded
    names = [row.split("│")[1].strip() for row in rows if row.split("│")[1].strip()]
    assert len(names) == len(rows)  # every table row starts with a song name: no wrapped second lines
