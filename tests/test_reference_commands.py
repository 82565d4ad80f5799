"""dropper reference add/remove/rebuild: all or nothing, and never losing a track unseen."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import soundfile as sf

from dropper import synth
from tests.conftest import SR, run_cli

TRACKS = {"ref-one": ("straight", 120, 11), "ref-two": ("dbeat", 150, 12), "ref-three": ("punk", 176, 13)}


def write_tracks(folder: Path, names) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        pattern, bpm, seed = TRACKS[name]
        paths.append(folder / f"{name}.wav")
        sf.write(str(paths[-1]), synth.make_song(bpm=bpm, seconds=6, pattern=pattern, seed=seed, sr=SR), SR)
    return paths


def listing(drop: Path) -> dict:
    return json.loads(run_cli("reference", "list", "--drop", str(drop), "--json", check=True).stdout)


def known_rows(drop: Path) -> list[str]:
    with sqlite3.connect(drop / "dropper.db") as connection:
        return sorted(row[0] for row in connection.execute("SELECT name FROM reference_tracks"))


@pytest.fixture
def indexed(tmp_path) -> Path:
    drop = tmp_path / "drop"
    run_cli("init", str(drop), check=True)
    paths = write_tracks(tmp_path / "catalog", ["ref-one", "ref-two"])
    run_cli("reference", "add", *map(str, paths), "--drop", str(drop), check=True)
    return drop


def test_remove_with_an_unknown_name_changes_neither_the_index_nor_the_database(indexed):
    before, rows = listing(indexed), known_rows(indexed)
    assert len(before["tracks"]) == 2 and len(rows) == 2
    removed = run_cli("reference", "remove", "ref-one", "no-such-track", "--drop", str(indexed))
    assert removed.returncode == 2 and "'no-such-track': no tracks match" in removed.stderr
    assert listing(indexed) == before
    assert known_rows(indexed) == rows  # ref-one's audio is still known (rebuild, report excerpts)
    removed = run_cli("reference", "remove", "ref-one", "--drop", str(indexed), check=True)
    assert "removed ref-one" in removed.stdout
    assert [track["name"] for track in listing(indexed)["tracks"]] == ["ref-two"]
    assert known_rows(indexed) == ["ref-two"]


def test_rebuild_refuses_when_the_shared_index_holds_tracks_this_drop_did_not_add(indexed, tmp_path):
    other = tmp_path / "other"
    run_cli("init", str(other), check=True)
    settings = other / "drop.toml"
    shared = indexed / "reference" / "index"
    settings.write_text(settings.read_text().replace('index = "reference/index"', f'index = "{shared}"'))
    run_cli("reference", "add", *map(str, write_tracks(tmp_path / "more", ["ref-three"])), "--drop", str(other),
            check=True)
    before = listing(indexed)
    assert sorted(track["name"] for track in before["tracks"]) == ["ref-one", "ref-three", "ref-two"]
    rebuilt = run_cli("reference", "rebuild", "--drop", str(indexed))
    assert rebuilt.returncode == 2, rebuilt.stdout + rebuilt.stderr
    assert "1 of its track(s) came from files this drop does not know, e.g. ref-three" in rebuilt.stderr
    assert listing(indexed) == before
    # The drop that added every track rebuilds; nothing is lost.
    run_cli("reference", "remove", "ref-three", "--drop", str(indexed), check=True)
    run_cli("reference", "rebuild", "--drop", str(indexed), check=True)
    assert sorted(track["name"] for track in listing(indexed)["tracks"]) == ["ref-one", "ref-two"]


def test_rebuild_with_nothing_added_is_refused_and_leaves_no_index(tmp_path):
    drop = tmp_path / "drop"
    run_cli("init", str(drop), check=True)
    rebuilt = run_cli("reference", "rebuild", "--drop", str(drop))
    assert rebuilt.returncode == 2 and "nothing to rebuild" in rebuilt.stderr, rebuilt.stdout + rebuilt.stderr
    assert not (drop / "reference" / "index").exists()


def test_add_says_how_many_tracks_were_added_beside_the_failures(tmp_path):
    drop = tmp_path / "drop"
    run_cli("init", str(drop), check=True)
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "broken.wav").write_text("not audio")
    only_broken = run_cli("reference", "add", str(catalog), "--drop", str(drop))
    assert only_broken.returncode == 1 and "broken.wav" in only_broken.stdout
    assert "the other tracks were added" not in only_broken.stdout
    assert "no track was added" in only_broken.stdout
    write_tracks(catalog, ["ref-one"])
    mixed = run_cli("reference", "add", str(catalog), "--drop", str(drop))
    assert mixed.returncode == 1 and "1 other track was added" in mixed.stdout, mixed.stdout


def test_rebuild_refuses_a_track_file_changed_since_it_was_added_and_keeps_the_index(indexed, tmp_path):
    before = listing(indexed)
    one = tmp_path / "catalog" / "ref-one.wav"
    original = one.read_bytes()
    for replacement in (b"not audio any more", (write_tracks(tmp_path / "other", ["ref-three"])[0]).read_bytes()):
        one.write_bytes(replacement)  # damaged, then other music under the same name
        rebuilt = run_cli("reference", "rebuild", "--drop", str(indexed))
        assert rebuilt.returncode == 2, rebuilt.stdout + rebuilt.stderr
        assert f"1 track file(s) changed since they were added, e.g. {one}" in rebuilt.stderr
        assert listing(indexed) == before  # neither dropped nor replaced by the new content
    one.write_bytes(original)
    run_cli("reference", "rebuild", "--drop", str(indexed), check=True)
    assert listing(indexed) == before
