"""Clearance end to end: planted copies and near-duplicates are flagged, the gate holds,
waivers are recorded and reported, and audit reproduces a report."""

from __future__ import annotations

import json
import shutil
import sqlite3

import numpy as np
import pytest
import soundfile as sf
import soxr

from dropper import synth
from dropper.errors import GateRefused
from dropper.gate import require_clearance
from tests.conftest import SR, run_cli

REFERENCES = {"ref-straight": ("straight", 120, 100), "ref-dbeat": ("dbeat", 150, 102),
              "ref-doublekick": ("doublekick", 180, 104)}
ORIGINALS = {"fury": ("blast", 210, 201), "sway": ("six_eight", 95, 202), "haze": ("ambient", 100, 203)}


def planted_copy(reference: np.ndarray, *, at_s: float, from_s: float, seconds: float) -> np.ndarray:
    """A new song with `seconds` of `reference` (from `from_s`) played 2% fast under 20 dB SNR noise."""
    host = synth.make_song(bpm=140, seconds=25, pattern="swing", seed=300, sr=SR)
    excerpt = reference[int(from_s * SR):int((from_s + seconds) * SR)]
    excerpt = soxr.resample(excerpt, SR, SR / 1.02).astype(np.float32)
    noise = np.random.default_rng(1).normal(size=excerpt.size).astype(np.float32)
    excerpt = excerpt + noise * np.sqrt(np.mean(excerpt ** 2)) / 10
    host[int(at_s * SR):int(at_s * SR) + excerpt.size] = excerpt
    return host


@pytest.fixture(scope="module")
def cleared(tmp_path_factory):
    """A drop with a reference catalog, three originals, one planted copy and a twin pair, cleared."""
    root = tmp_path_factory.mktemp("clear")
    catalog, drop = root / "catalog", root / "drop"
    catalog.mkdir()
    run_cli("init", str(drop), "--title", "Fake Feelings", check=True)
    with open(drop / "drop.toml", "a") as settings:
        settings.write("")
    text = (drop / "drop.toml").read_text().replace("keep_unreviewed = false", "keep_unreviewed = true")
    (drop / "drop.toml").write_text(text)
    audio = {}
    for name, (pattern, bpm, seed) in REFERENCES.items():
        audio[name] = synth.make_song(bpm=bpm, seconds=30, pattern=pattern, seed=seed, sr=SR)
        sf.write(str(catalog / f"{name}.wav"), audio[name], SR)
    (catalog / "broken.wav").write_text("not audio")
    for name, (pattern, bpm, seed) in ORIGINALS.items():
        sf.write(str(drop / "songs" / f"{name}.wav"), synth.make_song(bpm=bpm, seconds=25, pattern=pattern,
                                                                       seed=seed, sr=SR), SR)
    sf.write(str(drop / "songs" / "copycat.wav"),
             planted_copy(audio["ref-dbeat"], at_s=12.0, from_s=10.0, seconds=5.0), SR)
    twin = synth.make_song(bpm=70, seconds=25, pattern="halftime", seed=400, sr=SR)
    sf.write(str(drop / "songs" / "twin-a.wav"), twin, SR)
    hiss = np.random.default_rng(2).normal(size=twin.size).astype(np.float32) * 0.003
    sf.write(str(drop / "songs" / "twin-b.wav"), 0.7 * twin + hiss, SR)
    added = run_cli("reference", "add", str(catalog), "--drop", str(drop))
    run_cli("ingest", str(drop), check=True)
    first = run_cli("clear", str(drop), "--json")
    return {"drop": drop, "catalog": catalog, "added": added, "first": first}


def report_of(drop):
    return json.loads((drop / "reports" / "originality.json").read_text())


def test_corrupt_reference_file_is_reported_not_fatal(cleared):
    added = cleared["added"]
    assert added.returncode == 1
    assert "3 done" in added.stdout and "broken.wav" in added.stdout and "not a readable audio file" in added.stdout
    listing = json.loads(run_cli("reference", "list", "--drop", str(cleared["drop"]), "--json", check=True).stdout)
    assert sorted(track["name"] for track in listing["tracks"]) == sorted(REFERENCES)


def test_planted_copy_is_flagged_with_reference_offsets_and_speed(cleared):
    assert cleared["first"].returncode == 0, cleared["first"].stderr
    songs = {song["name"]: song for song in report_of(cleared["drop"])["songs"]}
    copycat = songs["copycat"]
    assert copycat["verdict"] == "flagged"
    match = next(m for m in copycat["matches"] if m["source"] == "reference")
    assert match["track_name"] == "ref-dbeat"
    assert match["query_start_s"] == pytest.approx(12.0, abs=0.3)
    assert match["reference_start_s"] == pytest.approx(10.0, abs=0.3)
    assert match["speed"] == pytest.approx(1.02, abs=0.005)
    assert match["matched_s"] >= 4.0


def test_originals_pass_and_twins_are_flagged_against_each_other(cleared):
    songs = {song["name"]: song for song in report_of(cleared["drop"])["songs"]}
    for name in ORIGINALS:
        assert songs[name]["verdict"] == "pass", songs[name]["matches"]
    for name, other in (("twin-a", "twin-b"), ("twin-b", "twin-a")):
        assert songs[name]["verdict"] == "flagged"
        assert {m["track_name"] for m in songs[name]["matches"] if m["source"] == "drop"} == {other}


def test_report_is_valid_byte_identical_on_rerun_and_has_an_html_page(cleared):
    drop = cleared["drop"]
    before = (drop / "reports" / "originality.json").read_bytes()
    excerpts = drop / "reports" / "originality"
    clips = {path.name: path.read_bytes() for path in excerpts.glob("*.ogg")}
    (excerpts / "renamed-away-1-song.ogg").write_bytes(b"an excerpt of an earlier report")
    run_cli("clear", str(drop), check=True)
    assert (drop / "reports" / "originality.json").read_bytes() == before
    html = (drop / "reports" / "originality.html").read_text()
    assert "copycat" in html and "ref-dbeat" in html and "<audio" in html
    assert list(excerpts.glob("copycat-1-*.png"))
    # The excerpts are published with the report: the same bytes again, and nothing stale.
    assert clips and {path.name: path.read_bytes() for path in excerpts.glob("*.ogg")} == clips


def test_gate_blocks_until_flags_are_waived_and_the_waiver_is_reported(cleared, open_drop):
    drop_dir = cleared["drop"]
    with pytest.raises(GateRefused, match=r"3 kept song\(s\) lack a passing clearance.*copycat \(flagged\)"):
        require_clearance(open_drop(drop_dir), action="package")
    missing_reason = run_cli("clear", str(drop_dir), "--waive", "twin-b")
    assert missing_reason.returncode == 2 and "--waive needs --reason" in missing_reason.stderr
    both = run_cli("clear", str(drop_dir), "--waive", "copycat", "--unwaive", "copycat", "--reason", "x")
    assert both.returncode == 2 and "--waive and --unwaive" in both.stderr, both.stderr
    waived = {}
    for name in ("copycat", "twin-a", "twin-b"):
        waived[name] = run_cli("clear", str(drop_dir), "--waive", name, "--reason", "test waiver",
                               "--author", "auditor", check=True).stdout
    # The "publishing is refused" note names only the flags still unwaived, then none.
    flagged_line = next(line for line in waived["copycat"].splitlines() if line.startswith("flagged:"))
    assert "copycat" not in flagged_line and "twin-a" in flagged_line and "twin-b" in flagged_line
    assert "flagged:" not in waived["twin-b"] and "publishing is refused" not in waived["twin-b"]
    require_clearance(open_drop(drop_dir), action="package")
    songs = {song["name"]: song for song in report_of(drop_dir)["songs"]}
    assert songs["copycat"]["verdict"] == "waived"
    assert songs["copycat"]["waiver"]["reason"] == "test waiver"
    assert report_of(drop_dir)["summary"]["waived"] == 3
    audited = run_cli("audit", str(drop_dir / "reports" / "originality.json"), "--drop", str(drop_dir), "--json")
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert json.loads(audited.stdout)["reproduced"] is True


def test_edited_report_is_not_reproduced(cleared, tmp_path):
    drop_dir = cleared["drop"]
    document = report_of(drop_dir)
    song = next(s for s in document["songs"] if s["name"] == "fury")
    song["matches"] = []
    song["duration_s"] = song["duration_s"] + 1
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    audited = run_cli("audit", str(edited), "--drop", str(drop_dir))
    assert audited.returncode == 1 and "NOT reproduced" in audited.stdout and "fury" in audited.stdout


def test_audit_refuses_a_report_whose_parameters_were_edited(cleared, tmp_path):
    """Parameters edited to values that give the same verdicts must not pass for the recorded run."""
    drop_dir = cleared["drop"]
    document = report_of(drop_dir)
    document["params"]["thresholds"]["min_score_bits"] += 0.001  # params_hash left as it was
    edited = tmp_path / "edited-params.json"
    edited.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    audited = run_cli("audit", str(edited), "--drop", str(drop_dir), "--json")
    assert audited.returncode == 1, audited.stdout + audited.stderr
    differences = json.loads(audited.stdout)["differences"]
    assert len(differences) == 1 and "do not hash to the report's params_hash" in differences[0]
    assert "the report was edited" in differences[0]


def test_audit_notes_changed_settings_and_names_a_changed_title(cleared, tmp_path):
    drop_dir = tmp_path / "drop"
    shutil.copytree(cleared["drop"], drop_dir)
    report = drop_dir / "reports" / "originality.json"
    settings = drop_dir / "drop.toml"
    settings.write_text(settings.read_text().replace("min_score_bits = 100.0", "min_score_bits = 120.0"))
    audited = run_cli("audit", str(report), "--drop", str(drop_dir), "--json")
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert json.loads(audited.stdout)["differences"] == [
        "note: the report's thresholds differ from this drop's current ones (the gate checks the current ones)"]
    settings.write_text(settings.read_text().replace('title = "Fake Feelings"', 'title = "Real Feelings"'))
    audited = run_cli("audit", str(report), "--drop", str(drop_dir), "--json")
    assert audited.returncode == 1
    differences = json.loads(audited.stdout)["differences"]
    assert "'Fake Feelings'" in differences[0] and "'Real Feelings'" in differences[0]
    assert "only the title or artist changed" in differences[0]


def test_gate_names_changed_parameters_when_the_index_is_the_same(cleared, open_drop, tmp_path):
    drop_dir = tmp_path / "drop"
    shutil.copytree(cleared["drop"], drop_dir)
    require_clearance(open_drop(drop_dir), action="package")  # cleared or waived, as the copy was
    settings = drop_dir / "drop.toml"
    settings.write_text(settings.read_text().replace("min_matched_s = 1.5", "min_matched_s = 2.0"))
    with pytest.raises(GateRefused) as refused:
        require_clearance(open_drop(drop_dir), action="package")
    assert ("fury (not cleared against the current index and parameters: the thresholds (drop.toml [clear]) "
            "changed since the last clear)") in str(refused.value)
    # A waived song is not cleared under the new parameters either; its waiver holds again after
    # `dropper clear` as long as the new clearance matches the same tracks.
    assert "copycat (not cleared against the current index and parameters" in str(refused.value)


def test_a_waiver_covers_the_tracks_it_waived_not_a_new_match(cleared, open_drop, tmp_path):
    drop_dir = tmp_path / "drop"
    shutil.copytree(cleared["drop"], drop_dir)
    require_clearance(open_drop(drop_dir), action="package")  # copycat waived for its match to ref-dbeat
    nothing = run_cli("clear", str(drop_dir), "--waive", "fury", "--reason", "pre-emptive")
    assert nothing.returncode == 2 and "fury passes its clearance: there is nothing to waive" in nothing.stderr
    # The catalog gains the music copycat was built on: a second copied passage, from another track.
    host = synth.make_song(bpm=140, seconds=25, pattern="swing", seed=300, sr=SR)
    sf.write(str(tmp_path / "ref-host.wav"), host[:11 * SR], SR)
    run_cli("reference", "add", str(tmp_path / "ref-host.wav"), "--drop", str(drop_dir), check=True)
    rerun = run_cli("clear", str(drop_dir), check=True)
    assert ("flagged: copycat (its waiver covers ref-dbeat, not the new match(es) to ref-host: look at them "
            "and waive again)") in rerun.stdout
    with pytest.raises(GateRefused) as refused:
        require_clearance(open_drop(drop_dir), action="package")
    assert "1 kept song(s)" in str(refused.value)  # the twins' waivers cover the same twin as before
    assert "copycat (flagged; its waiver covers ref-dbeat, not the new match(es) to ref-host" in str(refused.value)
    songs = {song["name"]: song for song in report_of(drop_dir)["songs"]}
    assert songs["copycat"]["verdict"] == "flagged" and songs["copycat"]["waiver"] is None
    assert songs["twin-a"]["verdict"] == "waived"
    run_cli("clear", str(drop_dir), "--waive", "copycat", "--reason", "the host is ours too", check=True)
    require_clearance(open_drop(drop_dir), action="package")
    with sqlite3.connect(drop_dir / "dropper.db") as connection:
        rows = connection.execute("SELECT w.reason, w.revoked_at IS NULL, w.covers FROM waivers w JOIN songs s "
                                  "ON s.id = w.song_id WHERE s.name = 'copycat' ORDER BY w.id").fetchall()
    assert [(reason, live) for reason, live, _ in rows] == [("test waiver", 0), ("the host is ours too", 1)]
    assert {match["track_name"] for match in json.loads(rows[-1][2])["matches"]} == {"ref-dbeat", "ref-host"}


def test_a_waiver_recorded_before_waivers_kept_their_scope_covers_only_older_results(cleared, open_drop,
                                                                                       tmp_path):
    drop_dir = tmp_path / "drop"
    shutil.copytree(cleared["drop"], drop_dir)

    def legacy_waiver(at: str) -> None:  # as dropper wrote waivers before the covers column
        with sqlite3.connect(drop_dir / "dropper.db") as connection:
            (song_id,) = connection.execute("SELECT id FROM songs WHERE name = 'copycat'").fetchone()
            connection.execute("UPDATE waivers SET revoked_at = ? WHERE song_id = ? AND revoked_at IS NULL",
                               (at, song_id))
            connection.execute("INSERT INTO waivers (song_id, reason, author, at) VALUES (?, 'old', 'ana', ?)",
                               (song_id, at))

    legacy_waiver("2000-01-01T00:00:00+00:00")  # before copycat's current clearance was made
    with pytest.raises(GateRefused, match=r"copycat \(flagged; its waiver of 2000-01-01T00:00:00\+00:00 "
                                          r"predates this clearance"):
        require_clearance(open_drop(drop_dir), action="package")
    legacy_waiver("2999-01-01T00:00:00+00:00")  # recorded with the current clearance in view
    require_clearance(open_drop(drop_dir), action="package")


def test_gate_blocks_again_after_the_catalog_changes(cleared, open_drop, tmp_path):
    drop_dir = cleared["drop"]
    sf.write(str(tmp_path / "new-ref.wav"), synth.make_song(bpm=100, seconds=20, pattern="five_four", seed=9,
                                                          sr=SR), SR)
    run_cli("reference", "add", str(tmp_path / "new-ref.wav"), "--drop", str(drop_dir), check=True)
    with pytest.raises(GateRefused, match="not cleared against the current index"):
        require_clearance(open_drop(drop_dir), action="publish")
    audited = run_cli("audit", str(drop_dir / "reports" / "originality.json"), "--drop", str(drop_dir))
    assert audited.returncode == 1 and "reference index changed" in audited.stdout
    run_cli("clear", str(drop_dir), check=True)
    require_clearance(open_drop(drop_dir), action="publish")  # waivers still hold


def test_drop_toml_defaults_are_the_shipped_calibrated_thresholds():
    from dropper.config import from_mapping
    from dropper.fingerprint import ClearanceThresholds

    settings = from_mapping({}, environ={}).clear
    shipped = ClearanceThresholds()
    for key in ("min_score_bits", "min_matched_s", "min_agreement"):
        assert getattr(settings, key) == getattr(shipped, key), key


def test_waiving_a_song_that_is_not_kept_says_so(cleared, tmp_path):
    drop_dir = tmp_path / "drop"
    shutil.copytree(cleared["drop"], drop_dir)
    run_cli("annotate", "haze", "--drop", str(drop_dir), "--reject", "--reason", "too quiet", check=True)
    refused = run_cli("clear", str(drop_dir), "--waive", "haze", "--reason", "x")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "haze is not kept" in refused.stderr and "nothing to waive" in refused.stderr


def test_token_metadata_says_waived_only_while_the_waiver_covers_a_flag(cleared, open_drop, tmp_path):
    from dropper.stages.package import DropContext

    drop_dir = tmp_path / "drop"
    shutil.copytree(cleared["drop"], drop_dir)
    for name in ("copycat", "twin-a", "twin-b"):
        run_cli("clear", str(drop_dir), "--waive", name, "--reason", "ours", check=True)
    drop = open_drop(drop_dir)
    names = {song.id: song.name for song in drop.songs("kept")}
    assert {names[i] for i in DropContext.gather(drop, drop.songs("kept")).waivers} == {"copycat", "twin-a", "twin-b"}
    # Without the track copycat copied, copycat passes: its waiver stays live but covers nothing.
    run_cli("reference", "remove", "ref-dbeat", "--drop", str(drop_dir), check=True)
    run_cli("clear", str(drop_dir), check=True)
    drop = open_drop(drop_dir)
    assert {names[i] for i in DropContext.gather(drop, drop.songs("kept")).waivers} == {"twin-a", "twin-b"}
