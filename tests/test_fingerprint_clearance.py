"""The clearance scan: planted copies are flagged with their place and speed; originals pass."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from dropper import synth
from dropper.fingerprint import ClearanceThresholds, ReferenceIndex, fingerprint, scan

SR = 22050
SPECS = [("straight", 118, 1), ("punk", 176, 2), ("dbeat", 150, 3), ("halftime", 96, 4),
         ("six_eight", 70, 5), ("swing", 132, 6)]


def catalog_songs() -> dict[str, np.ndarray]:
    return {f"ref-{pattern}": synth.make_song(bpm=bpm, seconds=40, pattern=pattern, seed=seed)
            for pattern, bpm, seed in SPECS}


@pytest.fixture(scope="module")
def songs() -> dict[str, np.ndarray]:
    return catalog_songs()


@pytest.fixture(scope="module")
def index(songs, tmp_path_factory) -> ReferenceIndex:
    folder = tmp_path_factory.mktemp("index")
    built = ReferenceIndex.create(folder)
    for name, y in songs.items():
        built.add(track_id=name, name=f"{name}.wav", sha256=name.ljust(64, "0"), print_=fingerprint(y, SR))
    built.save()
    return ReferenceIndex.load(folder)


def plant(background: np.ndarray, excerpt: np.ndarray, at_s: float) -> np.ndarray:
    out = background.copy()
    start = int(at_s * SR)
    out[start:start + excerpt.size] = excerpt
    return out


def play_faster(y: np.ndarray, speed: float) -> np.ndarray:
    return soxr.resample(y, SR * speed, SR).astype(np.float32)


def test_noisy_sped_up_copy_is_flagged_with_its_place_and_speed(songs, index):
    source = songs["ref-dbeat"]
    excerpt = play_faster(source[int(12.0 * SR):int(17.0 * SR)], 1.02)
    rng = np.random.default_rng(0)
    excerpt = excerpt + rng.standard_normal(excerpt.size).astype(np.float32) * np.float32(
        np.sqrt(np.mean(excerpt ** 2) / 10 ** (15 / 10)))
    song = plant(synth.make_song(bpm=140, seconds=30, pattern="ambient", seed=77), excerpt, 9.0)
    matches = scan(song, SR, index)
    assert [m.track_id for m in matches] == ["ref-dbeat"]
    match = matches[0]
    # where the copy starts in the song maps to where it starts in the reference
    ref_at_start = match.reference_start_s + (9.0 - match.query_start_s) * match.speed
    assert ref_at_start == pytest.approx(12.0, abs=0.2)
    assert match.query_start_s == pytest.approx(9.0, abs=0.5)
    assert match.speed == pytest.approx(1.02, rel=0.005)
    assert match.matched_s > 3.5
    assert match.score >= ClearanceThresholds().min_score_bits


def test_original_songs_pass(index):
    for seed, pattern in enumerate(("straight", "blast", "doublekick", "ambient")):
        song = synth.make_song(bpm=128 + 9 * seed, seconds=30, pattern=pattern, seed=500 + seed)
        assert scan(song, SR, index) == []


def test_near_duplicate_in_the_drop_is_found_but_a_song_never_matches_itself(tmp_path):
    drop = {f"song-{i}": synth.make_song(bpm=100 + 20 * i, seconds=25, pattern=p, seed=40 + i)
            for i, p in enumerate(("punk", "swing", "five_four"))}
    twin = drop["song-1"].copy()
    twin[int(5 * SR):int(11 * SR)] *= 0.7  # a "siamese" regeneration: same music, new mix
    drop["song-3"] = np.concatenate([synth.make_song(bpm=90, seconds=5, pattern="ambient", seed=9),
                                     twin[: int(20 * SR)]])
    index = ReferenceIndex.create(tmp_path / "drop-index")
    for song_id, y in drop.items():
        index.add(track_id=song_id, name=song_id, sha256=song_id.ljust(64, "0"), print_=fingerprint(y, SR))
    found = {song_id: {m.track_id for m in scan(y, SR, index, exclude={song_id})}
             for song_id, y in drop.items()}
    assert found == {"song-0": set(), "song-1": {"song-3"}, "song-2": set(), "song-3": {"song-1"}}
    match = scan(drop["song-3"], SR, index, exclude={"song-3"})[0]
    assert match.reference_start_s == pytest.approx(match.query_start_s - 5.0, abs=0.2)


def test_scans_are_deterministic(songs, index):
    song = plant(synth.make_song(bpm=100, seconds=20, pattern="ambient", seed=3),
                 songs["ref-swing"][int(3 * SR):int(9 * SR)], 4.0)
    first = [m.to_dict() for m in scan(song, SR, index)]
    assert first and first == [m.to_dict() for m in scan(song, SR, index)]
    assert first[0]["track_id"] == "ref-swing"


@pytest.mark.parametrize("song", [np.zeros(SR * 5, np.float32), np.zeros(0, np.float32),
                                  synth.make_song(bpm=120, seconds=1.0, seed=1),
                                  np.zeros((2, SR * 3), np.float32)])
def test_silence_and_tiny_clips_scan_without_error(index, song):
    assert scan(song, SR, index) == []


def test_an_empty_index_finds_nothing(tmp_path):
    empty = ReferenceIndex.create(tmp_path / "empty")
    assert scan(synth.make_song(bpm=120, seconds=5, seed=1), SR, empty) == []


def test_a_long_weak_stretch_is_trimmed_to_its_dense_part():
    from dropper.fingerprint.verify import dense_stretch

    found = np.array([0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0], bool)
    first, last = dense_stretch(found, 0.45)
    assert (first, last) == (4, 9) and found[first:last + 1].mean() > 0.45


def test_a_reference_peak_is_found_within_half_a_bin_and_a_frame_only():
    from dropper.fingerprint.landmarks import BIN_SCALE
    from dropper.fingerprint.verify import COARSE, PRECISE, QueryGrid

    grid = QueryGrid(np.array([10, 10, 40]), np.array([50 * BIN_SCALE, 90 * BIN_SCALE, 70 * BIN_SCALE]),
                     n_frames=100)
    t_q = np.array([10.0, 11.0, 10.0, 12.0, 40.0, 40.0, 99.0, -3.0])
    f_q = np.array([50.4, 90.0, 90.6, 50.0, 70.0, 71.2, 50.0, 50.0])
    assert grid.found(t_q, f_q, PRECISE).tolist() == [True, True, False, False, True, False, False, False]
    assert grid.found(t_q, f_q, COARSE).tolist() == [True, True, True, False, True, True, False, False]
