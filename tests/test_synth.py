"""dropper.synth: labelled, deterministic, plausible synthetic music for tests and benchmarks."""

from __future__ import annotations

import numpy as np
import pytest

from dropper import synth


def _onset_times_s(y: np.ndarray, sr: int, band_hz: tuple[float, float]) -> np.ndarray:
    """Rough onset times in one band: frames where the band's energy jumps by > 6 dB."""
    hop, n_fft = 256, 1024
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop] * np.hanning(n_fft)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    level = 10 * np.log10(spec[:, (freqs >= band_hz[0]) & (freqs < band_hz[1])].sum(axis=1) + 1e-10)
    rise = np.diff(level) > 6
    starts = np.nonzero(rise & ~np.concatenate([[False], rise[:-1]]))[0]
    return (starts + 1) * hop / sr


def _strongest_period_s(y: np.ndarray, sr: int, band_hz: tuple[float, float], lo_s: float, hi_s: float) -> float:
    """The lag (s) between lo_s and hi_s at which the band's energy envelope best repeats."""
    hop, n_fft = 256, 1024
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop] * np.hanning(n_fft)
    spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    env = spec[:, (freqs >= band_hz[0]) & (freqs < band_hz[1])].sum(axis=1)
    env = env - env.mean()
    acf = np.correlate(env, env, "full")[env.size - 1:]
    lags = np.arange(int(lo_s * sr / hop), int(hi_s * sr / hop) + 1)
    return float(lags[np.argmax(acf[lags])] * hop / sr)


def test_every_pattern_gives_mono_float32_within_full_scale():
    for pattern in synth.PATTERNS:
        y = synth.make_song(bpm=140, seconds=3.0, pattern=pattern, seed=1)
        assert y.dtype == np.float32 and y.shape == (3 * synth.SR,), pattern
        assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 1.0, pattern
        assert np.sqrt(np.mean(y**2)) > 0.01, f"{pattern} is (nearly) silent"


def test_same_seed_same_audio_other_seed_other_audio():
    a = synth.make_song(bpm=150, seconds=4, pattern="dbeat", seed=3)
    b = synth.make_song(bpm=150, seconds=4, pattern="dbeat", seed=3)
    c = synth.make_song(bpm=150, seconds=4, pattern="dbeat", seed=4)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_gain_db_sets_the_peak_level():
    y = synth.make_song(bpm=120, seconds=4, gain_db=-12.0)
    assert 20 * np.log10(np.max(np.abs(y))) == pytest.approx(-12.0, abs=0.05)


def test_guitar_adds_sustained_midrange_energy():
    drums = synth.make_song(bpm=120, seconds=6, guitar=False, seed=2, gain_db=0)
    band = synth.make_song(bpm=120, seconds=6, guitar=True, seed=2, gain_db=0)

    def mid_share(y):
        spec = np.abs(np.fft.rfft(y)) ** 2
        freqs = np.fft.rfftfreq(y.size, 1 / synth.SR)
        return spec[(freqs > 80) & (freqs < 1500)].sum() / spec.sum()

    assert mid_share(band) > mid_share(drums) + 0.1


def test_kicks_fall_on_the_beat_grid_at_the_requested_tempo():
    # Straight rock: kicks on beats 1 and 3, i.e. every 2 beats = 1.0 s at 120 BPM.
    y = synth.make_song(bpm=120, seconds=8, pattern="straight", guitar=False, seed=5)
    assert _strongest_period_s(y, synth.SR, (30, 120), 0.6, 1.5) == pytest.approx(1.0, abs=0.03)


def test_blast_beat_hits_twice_per_beat():
    # Kick and snare alternate: a drum hit every eighth note, 0.15 s at 200 BPM.
    y = synth.make_song(bpm=200, seconds=6, pattern="blast", guitar=False, seed=5)
    hits = _onset_times_s(y, synth.SR, (150, 3000))
    assert np.median(np.diff(hits)) == pytest.approx(0.15, abs=0.02)


def test_ambient_has_no_attacks_where_drums_have_many():
    ambient = synth.make_song(bpm=120, seconds=20, pattern="ambient", seed=5)
    drums = synth.make_song(bpm=120, seconds=20, pattern="straight", seed=5)
    assert len(_onset_times_s(ambient, synth.SR, (150, 3000))) <= 2
    assert len(_onset_times_s(drums, synth.SR, (150, 3000))) >= 20


def test_reference_tempo_is_the_tapped_bpm_and_zero_for_ambient():
    assert synth.reference_tempo("blast", 220.0) == 220.0
    assert synth.reference_tempo("six_eight", 70.0) == 70.0
    assert synth.reference_tempo("ambient", 120.0) == 0.0


def test_unknown_pattern_is_refused_naming_the_allowed_values():
    with pytest.raises(ValueError, match=r"pattern: .*'polka'.*straight, punk"):
        synth.make_song(bpm=120, seconds=1, pattern="polka")
    with pytest.raises(ValueError, match="pattern"):
        synth.reference_tempo("polka", 120)
    with pytest.raises(ValueError, match="bpm"):
        synth.make_song(bpm=0, seconds=1)


def test_silence_is_quiet_noise_of_the_requested_level():
    y = synth.make_silence(seconds=2.0, noise_db=-60.0)
    assert y.dtype == np.float32 and y.size == 2 * synth.SR
    assert 20 * np.log10(np.sqrt(np.mean(y**2))) == pytest.approx(-60.0, abs=0.5)


def test_a_minute_of_song_has_the_right_length():
    y = synth.make_song(bpm=180, seconds=60.0, pattern="doublekick", seed=9)
    assert y.size == 60 * synth.SR


@pytest.mark.parametrize("sr", [8000, 44100])
def test_other_sample_rates_work(sr):
    y = synth.make_song(bpm=130, seconds=2.0, pattern="blast", sr=sr, seed=1)
    assert y.size == 2 * sr and np.all(np.isfinite(y))
