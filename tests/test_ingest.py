"""ingest: good songs recorded with their sidecar; bad files fail with a reason; reruns resume."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import soundfile as sf

from dropper.stages import ingest
from tests.conftest import run_cli


def test_ingest_records_songs_with_sidecar_facts(small_drop, open_drop):
    drop = open_drop(small_drop)
    report = ingest.run(drop, jobs=1)
    assert (report.count("done"), report.count("failed")) == (4, 0)
    punk = drop.find_song("punk")
    assert punk.temperature == 1.02 and punk.model == "tiny-test" and punk.seed == 2
    assert punk.sample_rate == 22050 and punk.channels == 1
    assert punk.duration_s == sf.info(str(small_drop / "songs" / "punk.wav")).duration
    assert drop.find_song(punk.sha256[:8]) == punk
    assert drop.find_song(str(punk.id)) == punk


def test_bad_files_fail_with_reasons_and_the_rest_goes_on(small_drop):
    songs = small_drop / "songs"
    (songs / "empty.wav").write_bytes(b"")
    (songs / "lyrics.mp3").write_text("not audio at all")
    sf.write(str(songs / "nothing.wav"), np.zeros((0, 1), np.float32), 22050)
    payload = (songs / "rock.wav").read_bytes()
    (songs / "cut.wav").write_bytes(payload[: len(payload) // 3])
    result = run_cli("ingest", str(small_drop), "--json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert (report["done"], report["failed"]) == (4, 4)
    reasons = {song["name"]: song["reason"] for song in report["songs"] if song["status"] == "failed"}
    assert "empty file (0 bytes)" in reasons["empty.wav"]
    assert "not a readable audio file (format not recognised)" in reasons["lyrics.mp3"]
    assert "zero-length audio" in reasons["nothing.wav"]
    assert "truncated audio" in reasons["cut.wav"]
    text = run_cli("ingest", str(small_drop))
    assert text.returncode == 1
    assert "4 failed" in text.stdout and "dropper status --failures" in text.stdout
    status = run_cli("status", str(small_drop), "--failures")
    assert "cut.wav" in status.stdout and "truncated audio" in status.stdout


def test_cut_compressed_files_fail_with_where_decoding_stopped_and_whole_ones_ingest(small_drop, make_song):
    songs = small_drop / "songs"
    for fmt, seed in (("flac", 11), ("ogg", 12), ("mp3", 13)):
        make_song(f"whole-{fmt}", bpm=140, seconds=6, folder=songs, seed=seed, fmt=fmt)
        cut = make_song(f"cut-{fmt}", bpm=150, seconds=6, folder=songs, seed=seed + 10, fmt=fmt)
        cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    result = run_cli("ingest", str(small_drop), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["done"], report["failed"]) == (7, 3)
    reasons = {song["name"]: song["reason"] for song in report["songs"] if song["status"] == "failed"}
    assert sorted(reasons) == ["cut-flac.flac", "cut-mp3.mp3", "cut-ogg.ogg"]
    for name, reason in reasons.items():
        assert "\n" not in reason and str(songs) not in reason  # the entry names the file; no path repeated
        assert 1.5 <= float(re.search(r"decoding stopped at (\d+\.\d) s", reason).group(1)) <= 4.5
    # libmpg123 complains about the cut MP3 on fd 2; none of that reaches the user.
    assert "Xing" not in result.stderr and "Warning" not in result.stderr


def test_duplicate_is_reported_once_and_ingested_once(small_drop, open_drop):
    shutil.copy(small_drop / "songs" / "rock.wav", small_drop / "songs" / "rock-copy.wav")
    drop = open_drop(small_drop)
    report = ingest.run(drop, jobs=1)
    assert len(drop.songs()) == 4
    duplicates = [note for note in report.notes if "duplicate" in note]
    assert duplicates == ["songs/rock-copy.wav is a duplicate of songs/rock.wav"]


def test_a_bare_copy_sorted_first_does_not_take_the_sidecar_away(small_drop, open_drop):
    # "a-punk.wav" sorts before "punk.wav" but has no sidecar: the song keeps punk.json's facts.
    shutil.copy(small_drop / "songs" / "punk.wav", small_drop / "songs" / "a-punk.wav")
    drop = open_drop(small_drop)
    report = ingest.run(drop, jobs=1)
    punk = drop.find_song("punk")
    assert (punk.path, punk.temperature, punk.seed) == ("songs/punk.wav", 1.02, 2)
    assert [note for note in report.notes if "duplicate" in note] == [
        "songs/a-punk.wav is a duplicate of songs/punk.wav"]


def test_rerun_does_no_work_and_says_so(small_drop):
    run_cli("ingest", str(small_drop), check=True)
    again = run_cli("ingest", str(small_drop), check=True)
    assert "0 done, 4 skipped" in again.stdout and "nothing to do" in again.stdout


def test_renamed_file_is_the_same_song(small_drop, open_drop):
    drop = open_drop(small_drop)
    ingest.run(drop, jobs=1)
    before = drop.find_song("rock")
    (small_drop / "songs" / "rock.wav").rename(small_drop / "songs" / "renamed.wav")
    report = ingest.run(drop, jobs=1)
    assert report.count("done") == 0
    after = drop.find_song(before.sha256[:10])
    assert after.id == before.id and after.path == "songs/renamed.wav"


def test_other_files_are_ignored_with_a_note_and_bad_sidecars_are_reported(small_drop, open_drop):
    (small_drop / "songs" / "README.txt").write_text("notes")
    (small_drop / "songs" / "rock.json").write_text('{"temperature": "hot"}')
    drop = open_drop(small_drop)
    report = ingest.run(drop, jobs=1)
    assert report.count("failed") == 0
    assert any("ignored 1 file(s) that are not audio: README.txt" in note for note in report.notes)
    assert any("rock.json: temperature must be a number" in note for note in report.notes)
    assert drop.find_song("rock").temperature is None


def test_temperature_outside_the_range_is_noted(small_drop, open_drop):
    (small_drop / "songs" / "rock.json").write_text('{"temperature": 1.2}')
    report = ingest.run(open_drop(small_drop), jobs=1)
    assert any("temperature 1.2 is outside drop.temperature_range" in note for note in report.notes)


def test_missing_songs_folder_is_one_line(tmp_drop):
    root = tmp_drop('[drop]\nsongs = "elsewhere"\n')
    result = run_cli("ingest", str(root))
    assert result.returncode == 2
    assert "songs folder not found (drop.toml: drop.songs)" in result.stderr
