"""dropper.tempo: the tempo a listener taps, or 0.0 when there is no pulse."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dropper import synth
from dropper.tempo import TempoEstimate, estimate_tempo


def _tempo(pattern: str, bpm: float, *, seed: int = 11, seconds: float = 15.0, guitar: bool = True) -> float:
    y = synth.make_song(bpm=bpm, seconds=seconds, pattern=pattern, seed=seed, guitar=guitar)
    return estimate_tempo(y, synth.SR).tempo_bpm


def _within(estimate: float, reference: float, tolerance: float = 0.04) -> bool:
    return abs(estimate - reference) <= tolerance * reference


def test_straight_rock_at_120():
    assert _within(_tempo("straight", 120), 120)


@pytest.mark.parametrize("bpm", [170, 230])
def test_blast_beat_tempo_is_the_kick_pulse_not_half(bpm):
    # librosa answers half of this (the kick-snare-kick-snare cycle); a fan taps every kick.
    assert _within(_tempo("blast", bpm, guitar=False), bpm)


def test_dbeat_counts_every_snare_as_a_beat():
    assert _within(_tempo("dbeat", 170), 170)


def test_punk_at_200_is_not_halved():
    assert _within(_tempo("punk", 200, seed=3), 200)


@pytest.mark.parametrize("bpm", [60, 80])
def test_six_eight_is_not_one_and_a_half(bpm):
    estimate = _tempo("six_eight", bpm)
    assert not _within(estimate, 1.5 * bpm)
    assert _within(estimate, bpm)


def test_halftime_breakdown_is_tapped_at_the_half_time_feel():
    assert _within(_tempo("halftime", 70), 70)


def test_double_kick_sixteenths_are_not_the_beat():
    assert _within(_tempo("doublekick", 160), 160)


def test_swing_and_odd_meter_keep_the_quarter_note():
    assert _within(_tempo("swing", 130), 130)
    assert _within(_tempo("five_four", 150, guitar=False), 150)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ambient_has_no_pulse(seed):
    y = synth.make_song(bpm=120, seconds=20, pattern="ambient", seed=seed)
    estimate = estimate_tempo(y, synth.SR)
    assert estimate.tempo_bpm == 0.0
    assert estimate.candidates == ()
    assert estimate.pulse_strength < 0.2 <= estimate_tempo(synth.make_song(bpm=120, seconds=20), synth.SR).pulse_strength


def test_silence_gives_zero_and_no_nan():
    for y in (synth.make_silence(seconds=5.0), np.zeros(22050 * 3), np.zeros(10)):
        estimate = estimate_tempo(y, synth.SR)
        assert estimate.tempo_bpm == 0.0
        assert all(np.isfinite(v) for v in (estimate.confidence, estimate.pulse_strength))


def test_two_second_clip_gives_a_finite_answer():
    estimate = estimate_tempo(synth.make_song(bpm=150, seconds=2.0, seed=4), synth.SR)
    assert np.isfinite(estimate.tempo_bpm) and 0.0 <= estimate.confidence <= 1.0
    assert estimate.tempo_bpm == 0.0 or 50.0 <= estimate.tempo_bpm <= 250.0


def test_nan_samples_are_treated_as_silence():
    y = synth.make_song(bpm=140, seconds=12, seed=5).astype(np.float64)
    y[1000:3000] = np.nan
    assert _within(estimate_tempo(y, synth.SR).tempo_bpm, 140)


def test_stereo_44100_gives_the_same_tempo():
    from scipy.signal import resample_poly

    mono = synth.make_song(bpm=135, seconds=12, seed=6)
    stereo = np.stack([resample_poly(mono, 2, 1), 0.5 * resample_poly(mono, 2, 1)])
    assert _within(estimate_tempo(stereo, 44100).tempo_bpm, estimate_tempo(mono, synth.SR).tempo_bpm, 0.01)


def test_level_does_not_matter():
    quiet = synth.make_song(bpm=110, seconds=12, seed=7, gain_db=-40)
    loud = synth.make_song(bpm=110, seconds=12, seed=7, gain_db=-1)
    assert estimate_tempo(quiet, synth.SR).tempo_bpm == pytest.approx(estimate_tempo(loud, synth.SR).tempo_bpm)


def test_candidates_are_octave_alternatives():
    estimate = estimate_tempo(synth.make_song(bpm=125, seconds=12, seed=8), synth.SR)
    ratios = {c.ratio: c.bpm / estimate.tempo_bpm for c in estimate.candidates}
    assert ratios == pytest.approx({"x1/2": 0.5, "x2": 2.0, "x2/3": 2 / 3, "x3/2": 1.5}, rel=1e-3)
    assert all(c.score >= 0.0 for c in estimate.candidates)


def test_tempo_range_is_respected():
    estimate = estimate_tempo(synth.make_song(bpm=200, seconds=12, pattern="punk", seed=9), synth.SR,
                              min_bpm=60, max_bpm=140)
    assert 60 <= estimate.tempo_bpm <= 140
    assert _within(estimate.tempo_bpm, 100)


def test_to_dict_is_json_safe_and_round_trips():
    estimate = estimate_tempo(synth.make_song(bpm=140, seconds=10, seed=10), synth.SR)
    data = json.loads(json.dumps(estimate.to_dict()))
    assert data["tempo_bpm"] == estimate.tempo_bpm
    assert [c["ratio"] for c in data["candidates"]] == ["x1/2", "x2", "x2/3", "x3/2"]
    assert isinstance(estimate, TempoEstimate)


def test_bad_arguments_are_refused_naming_the_parameter():
    y = synth.make_song(bpm=120, seconds=4)
    with pytest.raises(ValueError, match="min_bpm"):
        estimate_tempo(y, synth.SR, min_bpm=200, max_bpm=100)
    with pytest.raises(ValueError, match="sr"):
        estimate_tempo(y, 0)
    with pytest.raises(ValueError, match="y"):
        estimate_tempo(np.zeros((2, 3, 4)), synth.SR)
