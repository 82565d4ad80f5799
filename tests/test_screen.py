"""Screening aids: what analyse() measures in synthesized songs and what flags() names."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.signal import resample_poly

from dropper.errors import AudioError, ConfigError
from dropper.loudness import integrated_loudness
from dropper.screen import (
    FLAGS,
    ScreenMetrics,
    ScreenThresholds,
    analyse,
    flags,
    muffled_below_hz,
)

SR = 44100


def noise(sr: int, seconds: float, *, level: float = 0.3, seed: int = 0) -> np.ndarray:
    return (level * np.random.default_rng(seed).uniform(-1, 1, round(sr * seconds))).astype(
        np.float32
    )


def tone(sr: int, seconds: float, *, hz: float = 1000.0, peak: float = 0.5) -> np.ndarray:
    return (peak * np.sin(2 * np.pi * hz * np.arange(round(sr * seconds)) / sr)).astype(np.float32)


def distorted_guitar_song(sr: int = SR, seconds: float = 8.0, *, seed: int = 1) -> np.ndarray:
    """Stereo power chords through a hard overdrive, with noise-burst drums: full band."""
    t = np.arange(round(sr * seconds)) / sr
    saw = sum(2 * ((t * hz) % 1) - 1 for hz in (82.4, 123.5, 164.8))
    guitar = 0.3 * np.tanh(8 * saw)
    drums = 0.2 * np.random.default_rng(seed).standard_normal(t.size) * np.exp(-(t % 0.25) * 30)
    mono = np.clip(guitar + drums, -0.95, 0.95)
    return np.stack([mono, 0.9 * mono]).astype(np.float32)


def brickwall_lowpass(y: np.ndarray, sr: int, cutoff_hz: float) -> np.ndarray:
    """Zero every FFT bin above ``cutoff_hz``: what a low-bitrate codec does to a song."""
    spectrum = np.fft.rfft(y, axis=-1)
    spectrum[..., np.fft.rfftfreq(y.shape[-1], 1 / sr) > cutoff_hz] = 0
    return np.fft.irfft(spectrum, y.shape[-1], axis=-1).astype(np.float32)


def test_white_noise_is_full_band_and_raises_no_flag():
    metrics = analyse(noise(SR, 5), SR)
    assert metrics.duration_s == pytest.approx(5.0)
    assert metrics.bandwidth_hz > 20000
    assert metrics.rolloff_hz > 20000
    assert metrics.silence_ratio == 0.0
    assert metrics.clipping_ratio == 0.0
    assert metrics.peak_dbfs == pytest.approx(20 * math.log10(0.3), abs=0.1)
    assert flags(metrics) == ()


def test_distorted_guitar_song_reads_well_above_10_khz():
    metrics = analyse(distorted_guitar_song(), SR)
    assert metrics.bandwidth_hz > 15000
    assert "muffled" not in flags(metrics)


def test_song_lowpassed_at_4_khz_reads_about_4_khz_and_is_muffled():
    metrics = analyse(brickwall_lowpass(distorted_guitar_song(), SR, 4000), SR)
    assert 3800 <= metrics.bandwidth_hz <= 4300
    assert metrics.rolloff_hz < 4000
    assert "muffled" in flags(metrics)


def test_song_resampled_through_8_khz_is_muffled():
    """A song that passed through telephone-rate audio: a resampler's filter, not a wall."""
    song = distorted_guitar_song()
    phone = resample_poly(resample_poly(song, 80, 441, axis=-1), 441, 80, axis=-1)
    metrics = analyse(phone.astype(np.float32), SR)
    assert 3800 <= metrics.bandwidth_hz <= 5000
    assert "muffled" in flags(metrics)


def test_muffled_limit_is_capped_below_nyquist():
    assert muffled_below_hz(44100) == 10000.0
    assert muffled_below_hz(22050) == pytest.approx(0.85 * 11025)
    assert muffled_below_hz(0) == 10000.0  # unknown rate: no cap


def test_full_band_song_loaded_at_22050_hz_is_not_muffled():
    """librosa.load's default rate: the song's bandwidth ends at the resampler's filter."""
    song = resample_poly(distorted_guitar_song(), 1, 2, axis=-1).astype(np.float32)
    metrics = analyse(song, 22050)
    assert 9400 < metrics.bandwidth_hz <= 11025
    assert "muffled" not in flags(metrics)


def test_song_lowpassed_at_4_khz_is_still_muffled_at_22050_hz():
    song = resample_poly(distorted_guitar_song(), 1, 2, axis=-1).astype(np.float32)
    metrics = analyse(brickwall_lowpass(song, 22050, 4000), 22050)
    assert "muffled" in flags(metrics)


def test_16_bit_dither_above_a_quiet_brickwall_is_not_bandwidth():
    song = brickwall_lowpass(noise(SR, 5, level=1.0), SR, 4000)
    song *= 10 ** (-50 / 20) / np.sqrt(np.mean(song**2))  # RMS -50 dBFS: quiet, not silent
    dither = np.random.default_rng(5).triangular(-1, 0, 1, song.shape) / 32768
    metrics = analyse((song + dither).astype(np.float32), SR)
    # 60 dB below this song's spectrum lies under the dither: only the floor keeps it out.
    assert metrics.bandwidth_hz < 4500
    assert flags(metrics) == ("muffled",)


def test_rolloff_of_a_sine_is_its_frequency():
    metrics = analyse(tone(SR, 3, hz=1000.0), SR)
    assert metrics.rolloff_hz == pytest.approx(1000.0, abs=50.0)


def test_silence_with_a_burst_is_mostly_silent_with_a_long_silence():
    y = np.zeros(SR * 30, dtype=np.float32)
    y[SR * 10 : SR * 11] = noise(SR, 1)
    metrics = analyse(y, SR)
    assert metrics.silence_ratio == pytest.approx(29 / 30, abs=0.01)
    assert metrics.longest_silence_s == pytest.approx(19.0, abs=0.06)
    assert metrics.loudness_lufs > -20  # the gate keeps only the burst
    assert flags(metrics) == ("mostly_silent", "long_silence")


def test_a_gap_in_a_song_is_a_long_silence_but_not_mostly_silent():
    y = np.concatenate([noise(SR, 20), np.zeros(SR * 12, dtype=np.float32), noise(SR, 20, seed=1)])
    metrics = analyse(y, SR)
    assert metrics.longest_silence_s == pytest.approx(12.0, abs=0.06)
    assert flags(metrics) == ("long_silence",)


def test_silence_level_is_the_rms_in_dbfs():
    quiet = noise(SR, 3, level=1.0) * 10 ** (-50 / 20) * math.sqrt(3)  # RMS -50 dBFS
    assert analyse(quiet, SR).silence_ratio == 0.0
    assert analyse(quiet * 10 ** (-20 / 20), SR).silence_ratio == 1.0  # RMS -70 dBFS


def test_digital_silence_is_silent_but_not_muffled():
    metrics = analyse(np.zeros((2, SR * 12), dtype=np.float32), SR)
    assert metrics.peak_dbfs == -math.inf
    assert metrics.loudness_lufs == -math.inf
    assert metrics.rolloff_hz == 0.0
    assert metrics.bandwidth_hz == 0.0
    assert metrics.longest_silence_s == pytest.approx(12.0)
    assert flags(metrics) == ("silent", "mostly_silent", "long_silence")


def test_metrics_are_json_safe_and_read_back():
    metrics = analyse(np.zeros(SR, dtype=np.float32), SR)
    row = json.loads(json.dumps(metrics.to_dict(), allow_nan=False))
    assert row["peak_dbfs"] is None and row["loudness_lufs"] is None
    assert ScreenMetrics.from_dict(row) == metrics


def test_clipped_sine_is_clipping():
    clipped = np.clip(1.5 * tone(SR, 3, peak=1.0), -1.0, 1.0)
    metrics = analyse(clipped, SR)
    # |1.5 sin| >= 1 for 1 - 2 asin(2/3) / pi of the time
    assert metrics.clipping_ratio == pytest.approx(1 - 2 * math.asin(2 / 3) / math.pi, abs=0.01)
    assert metrics.peak_dbfs == pytest.approx(0.0, abs=1e-6)
    assert "clipping" in flags(metrics)


def test_sine_below_full_scale_does_not_clip():
    metrics = analyse(tone(SR, 3, peak=10 ** (-1 / 20)), SR)
    assert metrics.clipping_ratio == 0.0
    assert metrics.peak_dbfs == pytest.approx(-1.0, abs=0.01)


def test_clipping_counts_instants_where_any_channel_clips():
    left = np.clip(1.5 * tone(SR, 3, peak=1.0), -1.0, 1.0)
    both = analyse(np.stack([left, np.zeros_like(left)]), SR)
    assert both.clipping_ratio == pytest.approx(analyse(left, SR).clipping_ratio)


def test_two_second_clip_is_measured_whole():
    metrics = analyse(distorted_guitar_song(seconds=2.0), SR)
    assert metrics.duration_s == pytest.approx(2.0)
    assert math.isfinite(metrics.loudness_lufs)
    assert flags(metrics) == ()


def test_tenth_of_a_second_clip_has_no_loudness_but_is_not_silent():
    metrics = analyse(noise(SR, 0.1), SR)
    assert metrics.duration_s == pytest.approx(0.1)
    assert metrics.loudness_lufs == -math.inf  # shorter than one 400 ms block
    assert metrics.bandwidth_hz > 20000
    assert flags(metrics) == ()
    assert flags(analyse(np.zeros(SR // 10, dtype=np.float32), SR))[0] == "silent"


def test_a_few_samples_are_enough():
    metrics = analyse(noise(SR, 0.001), SR)
    assert metrics.duration_s == pytest.approx(0.001, abs=1e-4)
    assert metrics.silence_ratio == 0.0


def test_stereo_with_one_silent_channel_is_not_silent():
    left = noise(SR, 5)
    metrics = analyse(np.stack([left, np.zeros_like(left)]), SR)
    assert metrics.silence_ratio == 0.0
    assert metrics.bandwidth_hz > 20000
    assert metrics.loudness_lufs == pytest.approx(integrated_loudness(left, SR), abs=1e-6)
    assert flags(metrics) == ()


@pytest.mark.parametrize("sr", [8000, 11025, 96000])
def test_odd_sample_rates_measure_the_same_things(sr):
    y = np.concatenate([noise(sr, 4), np.zeros(sr * 11, dtype=np.float32)])
    metrics = analyse(y, sr)
    assert metrics.duration_s == pytest.approx(15.0)
    assert metrics.bandwidth_hz > 0.95 * sr / 2
    assert metrics.longest_silence_s == pytest.approx(11.0, abs=0.06)
    assert flags(metrics) == ("mostly_silent", "long_silence")


def test_song_lowpassed_at_4_khz_is_muffled_at_96_khz():
    song = brickwall_lowpass(noise(96000, 3), 96000, 4000)
    metrics = analyse(song, 96000)
    assert metrics.bandwidth_hz == pytest.approx(4000, abs=300)
    assert flags(metrics) == ("muffled",)


def test_flags_follow_the_drops_thresholds():
    metrics = analyse(brickwall_lowpass(noise(SR, 3), SR, 4000), SR)
    assert flags(metrics, ScreenThresholds(flag_bandwidth_below_hz=3000.0)) == ()
    quiet = analyse(tone(SR, 3, peak=0.003), SR)  # RMS -53.5 dBFS: about -53.5 LUFS
    assert flags(quiet) == ("silent",)
    # A 1 kHz sine is muffled too once it is not silent, unless the drop allows it.
    assert flags(quiet, ScreenThresholds(flag_silent_below_lufs=-60.0)) == ("muffled",)
    relaxed = ScreenThresholds(flag_silent_below_lufs=-60.0, flag_bandwidth_below_hz=500.0)
    assert flags(quiet, relaxed) == ()


def test_flags_are_named_in_a_fixed_order():
    metrics = ScreenMetrics(
        duration_s=60.0,
        silence_ratio=0.9,
        longest_silence_s=50.0,
        clipping_ratio=0.1,
        peak_dbfs=0.0,
        loudness_lufs=-80.0,
        rolloff_hz=1000.0,
        bandwidth_hz=2000.0,
    )
    assert flags(metrics) == ("silent", "mostly_silent", "long_silence", "clipping")
    assert set(flags(metrics)) <= set(FLAGS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("clip_level", 1.5),
        ("flag_silence_ratio", -0.1),
        ("bandwidth_db", 0.0),
        ("flag_longest_silence_s", -1.0),
    ],
)
def test_impossible_thresholds_raise_config_error_naming_the_key(field, value):
    with pytest.raises(ConfigError, match=field):
        ScreenThresholds(**{field: value})


def test_empty_audio_raises_audio_error():
    with pytest.raises(AudioError, match="no samples"):
        analyse(np.zeros(0, dtype=np.float32), SR)
