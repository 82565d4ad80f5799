"""dropper status: the failures it lists are the ones a release manager still has to fix."""

from __future__ import annotations

import json

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
