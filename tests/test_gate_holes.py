"""The clearance gate against command sequences that once slipped past it: a song file replaced
after its clearance, a package older than the clearance it claims, a package holding a song
no longer kept, an empty reference catalog, a waiver of a flag stretched over a failed scan,
and a pre-scope waiver recorded in the same second as a later result."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
import soundfile as sf

from dropper import synth
from dropper.errors import GateRefused
from dropper.gate import require_clearance
from tests.conftest import SR, run_cli
from tests.test_clear import planted_copy


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    """Two kept songs cleared against a one-track catalog and packaged. ``copycat`` holds 5 s of
    ``ref-dbeat`` (kept outside the catalog for now); ``fury`` is original."""
    root = tmp_path_factory.mktemp("gate")
    drop = root / "drop"
    run_cli("init", str(drop), "--title", "Fake Feelings In The Night", check=True)
    settings = drop / "drop.toml"
    settings.write_text(settings.read_text().replace("keep_unreviewed = false", "keep_unreviewed = true"))
    straight = synth.make_song(bpm=120, seconds=30, pattern="straight", seed=100, sr=SR)
    dbeat = synth.make_song(bpm=150, seconds=30, pattern="dbeat", seed=102, sr=SR)
    sf.write(str(root / "ref-straight.wav"), straight, SR)
    sf.write(str(root / "ref-dbeat.wav"), dbeat, SR)
    sf.write(str(root / "straight-copy.wav"), planted_copy(straight, at_s=5.0, from_s=3.0, seconds=6.0), SR)
    sf.write(str(drop / "songs" / "fury.wav"), synth.make_song(bpm=210, seconds=25, pattern="blast", seed=201,
                                                               sr=SR), SR)
    sf.write(str(drop / "songs" / "copycat.wav"), planted_copy(dbeat, at_s=12.0, from_s=10.0, seconds=5.0), SR)
    run_cli("reference", "add", str(root / "ref-straight.wav"), "--drop", str(drop), check=True)
    for command in ("ingest", "clear", "title", "visualize", "package"):
        run_cli(command, str(drop), check=True)
    return root


@pytest.fixture
def drop_dir(packaged, tmp_path):
    shutil.copytree(packaged, tmp_path / "work")
    return tmp_path / "work" / "drop"


def verdicts(drop_dir):
    summary = json.loads((drop_dir / "build" / "package.json").read_text())
    return {token["song"]: json.loads((drop_dir / "build" / "metadata" / token["metadata"]).read_text())
            ["originality"]["verdict"] for token in summary["tokens"]}


def test_a_song_file_replaced_after_its_clearance_is_refused(drop_dir):
    # fury's file now holds 6 s of a track the index has; its clearance was of the old audio.
    shutil.copyfile(drop_dir.parent / "straight-copy.wav", drop_dir / "songs" / "fury.wav")
    cleared = run_cli("clear", str(drop_dir), check=True)
    assert "fury: its file songs/fury.wav changed since it was ingested and cleared" in cleared.stdout
    refused = run_cli("package", str(drop_dir))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "fury (its file songs/fury.wav changed since it was ingested and cleared" in refused.stderr
    assert run_cli("publish", str(drop_dir)).returncode == 3
    (drop_dir / "songs" / "fury.wav").unlink()
    missing = run_cli("package", str(drop_dir))
    assert missing.returncode == 3 and "fury (its file songs/fury.wav is missing)" in missing.stderr


def test_publish_refuses_a_package_made_before_the_clearance_changed(drop_dir):
    run_cli("reference", "add", str(drop_dir.parent / "ref-dbeat.wav"), "--drop", str(drop_dir), check=True)
    run_cli("clear", str(drop_dir), "--waive", "copycat", "--reason", "ours", "--author", "ana", check=True)
    assert verdicts(drop_dir) == {"copycat": "pass", "fury": "pass"}  # packaged against the old catalog
    refused = run_cli("publish", str(drop_dir))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "publish refused: the package is not what the clearance gives today" in refused.stderr
    assert "copycat: its token metadata says 'pass', today it is 'waived'" in refused.stderr
    assert "fury: its token metadata was made against reference index" in refused.stderr
    assert not (drop_dir / "build" / "chain").exists()
    run_cli("package", str(drop_dir), check=True)
    assert verdicts(drop_dir) == {"copycat": "waived", "fury": "pass"}
    run_cli("publish", str(drop_dir), check=True)


def test_publish_refuses_a_package_holding_a_song_no_longer_kept(drop_dir):
    run_cli("reference", "add", str(drop_dir.parent / "ref-dbeat.wav"), "--drop", str(drop_dir), check=True)
    run_cli("clear", str(drop_dir), "--waive", "copycat", "--reason", "ours", check=True)
    run_cli("package", str(drop_dir), check=True)
    run_cli("clear", str(drop_dir), "--unwaive", "copycat", check=True)
    run_cli("annotate", "copycat", "--drop", str(drop_dir), "--reject", "--reason", "a copy", check=True)
    run_cli("clear", str(drop_dir), check=True)  # fury alone passes
    refused = run_cli("publish", str(drop_dir))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "copycat is packaged but not kept" in refused.stderr
    assert "fury: its token metadata was made against clearance parameters" in refused.stderr  # the kept set changed
    run_cli("package", str(drop_dir), check=True)
    assert verdicts(drop_dir) == {"fury": "pass"}
    run_cli("publish", str(drop_dir), check=True)


def test_an_empty_reference_catalog_clears_nothing(drop_dir):
    run_cli("reference", "remove", "ref-straight", "--drop", str(drop_dir), check=True)
    run_cli("clear", str(drop_dir), check=True)
    refused = run_cli("package", str(drop_dir))
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "clearance is mandatory and the reference index" in refused.stderr and "holds no tracks" in refused.stderr


def test_a_waiver_of_a_flag_does_not_cover_a_failed_scan(drop_dir, open_drop):
    run_cli("reference", "add", str(drop_dir.parent / "ref-dbeat.wav"), "--drop", str(drop_dir), check=True)
    run_cli("clear", str(drop_dir), "--waive", "copycat", "--reason", "ours", check=True)
    require_clearance(open_drop(drop_dir), action="package")
    song = drop_dir / "songs" / "copycat.wav"
    song.rename(drop_dir / "copycat.wav")
    failed = run_cli("clear", str(drop_dir), "--force")  # the scan of copycat fails: its file is gone
    assert failed.returncode == 1, failed.stdout + failed.stderr
    (drop_dir / "copycat.wav").rename(song)  # the same audio is back; the failed scan stays recorded
    with pytest.raises(GateRefused, match=r"copycat \(its scan failed: .*its waiver was recorded for another "
                                          r"clearance, not this failed scan"):
        require_clearance(open_drop(drop_dir), action="package")
    run_cli("clear", str(drop_dir), "--force", check=True)  # flagged again: the waiver covers it again
    require_clearance(open_drop(drop_dir), action="package")


def test_a_pre_scope_waiver_does_not_cover_a_result_of_its_own_second(drop_dir, open_drop):
    run_cli("reference", "add", str(drop_dir.parent / "ref-dbeat.wav"), "--drop", str(drop_dir), check=True)
    run_cli("clear", str(drop_dir), check=True)
    with sqlite3.connect(drop_dir / "dropper.db") as connection:
        (song_id, created_at) = connection.execute(
            "SELECT s.id, r.created_at FROM songs s JOIN results r ON r.sha256 = s.sha256 AND r.stage = 'clear' "
            "WHERE s.name = 'copycat' ORDER BY r.created_at DESC LIMIT 1").fetchone()
        # As dropper wrote waivers before the covers column, in the second the clearance was written.
        connection.execute("INSERT INTO waivers (song_id, reason, author, at) VALUES (?, 'old', 'ana', ?)",
                           (song_id, created_at))
    with pytest.raises(GateRefused, match=r"copycat \(flagged; its waiver of .* predates this clearance"):
        require_clearance(open_drop(drop_dir), action="package")
