"""Integrated loudness after ITU-R BS.1770-4, checked against values the standard implies."""

from __future__ import annotations

import numpy as np
import pytest

from dropper.errors import AudioError
from dropper.loudness import integrated_loudness, k_weighting_sos


def sine(sr: int, seconds: float, *, dbfs: float = 0.0, hz: float = 997.0) -> np.ndarray:
    """A sine whose peak is ``dbfs`` dB below full scale."""
    t = np.arange(round(sr * seconds)) / sr
    return (10.0 ** (dbfs / 20.0) * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def stereo_sequence(sr: int, parts: list[tuple[float, float]], *, hz: float = 1000.0) -> np.ndarray:
    """Stereo sine in both channels, made of ``(seconds, dbfs)`` parts, phase-continuous."""
    levels = np.concatenate([np.full(round(sr * s), 10.0 ** (db / 20.0)) for s, db in parts])
    mono = (levels * np.sin(2 * np.pi * hz * np.arange(levels.size) / sr)).astype(np.float32)
    return np.stack([mono, mono])


def test_k_weighting_at_48khz_matches_the_coefficients_published_in_bs1770():
    sos = k_weighting_sos(48000)
    np.testing.assert_allclose(sos[0, :3], [1.53512485958697, -2.69169618940638, 1.19839281085285])
    np.testing.assert_allclose(sos[0, 4:], [-1.69065929318241, 0.73248077421585])
    np.testing.assert_allclose(sos[1, :3], [1.0, -2.0, 1.0])
    np.testing.assert_allclose(sos[1, 4:], [-1.99004745483398, 0.99007225036621])


def test_full_scale_997hz_sine_in_one_channel_reads_minus_3_lufs():
    assert integrated_loudness(sine(48000, 10), 48000) == pytest.approx(-3.01, abs=0.05)


def test_mono_is_one_channel_whether_1d_or_2d():
    y = sine(48000, 5)
    assert integrated_loudness(y[np.newaxis, :], 48000) == integrated_loudness(y, 48000)


def test_sine_at_minus_20_dbfs_reads_minus_23_lufs():
    assert integrated_loudness(sine(48000, 10, dbfs=-20), 48000) == pytest.approx(-23.01, abs=0.05)


def test_stereo_sine_in_both_channels_reads_0_lufs():
    y = sine(48000, 10)
    assert integrated_loudness(np.stack([y, y]), 48000) == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize("sr", [8000, 11025, 16000, 22050, 44100, 48000, 96000])
def test_k_weighting_is_redesigned_for_each_sample_rate(sr):
    assert integrated_loudness(sine(sr, 10), sr) == pytest.approx(-3.01, abs=0.1)
    assert integrated_loudness(sine(sr, 10, dbfs=-20), sr) == pytest.approx(-23.01, abs=0.1)


def test_k_weighting_cuts_deep_bass_and_lifts_treble():
    bass_lufs = integrated_loudness(sine(48000, 5, hz=20.0), 48000)
    treble_lufs = integrated_loudness(sine(48000, 5, hz=8000.0), 48000)
    assert bass_lufs < -3.01 - 10.0  # the RLB high-pass is about -13 dB at 20 Hz
    assert treble_lufs == pytest.approx(-3.01 + 4.0 - 0.691, abs=0.3)  # the +4 dB shelf


def test_silence_reads_minus_infinity():
    assert integrated_loudness(np.zeros((2, 48000 * 5), dtype=np.float32), 48000) == -np.inf


def test_signal_below_the_absolute_gate_reads_minus_infinity():
    assert integrated_loudness(sine(48000, 5, dbfs=-80), 48000) == -np.inf


def test_signal_shorter_than_one_block_reads_minus_infinity():
    assert integrated_loudness(sine(48000, 0.39), 48000) == -np.inf
    assert integrated_loudness(sine(48000, 0.4), 48000) == pytest.approx(-3.01, abs=0.1)


def test_relative_gate_ignores_a_quiet_section():
    y = np.concatenate([sine(48000, 10, dbfs=-20), sine(48000, 10, dbfs=-60)])
    # Without the gate the quiet half would halve the mean power: about -26 LUFS.
    ungated_lufs = -23.01 + 10 * np.log10((1 + 1e-4) / 2)
    assert ungated_lufs < -25.9
    assert integrated_loudness(y, 48000) == pytest.approx(-23.01, abs=0.1)


@pytest.mark.parametrize(
    ("case", "parts"),
    [
        (1, [(20, -23.0)]),
        (2, [(20, -33.0)]),
        (3, [(10, -36.0), (60, -23.0), (10, -36.0)]),
        (4, [(10, -72.0), (10, -36.0), (60, -23.0), (10, -36.0), (10, -72.0)]),
        (5, [(20, -26.0), (20.1, -20.0), (20, -26.0)]),
    ],
)
def test_ebu_tech_3341_minimum_requirement_signals(case, parts):
    """EBU Tech 3341 test cases 1-5: stereo 1 kHz sines; expected -23 LUFS (-33 for case 2)."""
    expected_lufs = -33.0 if case == 2 else -23.0
    y = stereo_sequence(48000, parts)
    assert integrated_loudness(y, 48000) == pytest.approx(expected_lufs, abs=0.1)


def test_surround_channels_weigh_1_5_db_more_and_the_lfe_nothing():
    tone = sine(48000, 5, dbfs=-20)
    five = np.zeros((5, tone.size), dtype=np.float32)
    five[0] = tone
    front_lufs = integrated_loudness(five, 48000)
    five[0], five[3] = 0.0, tone  # the same tone in Ls
    assert integrated_loudness(five, 48000) - front_lufs == pytest.approx(1.49, abs=0.01)
    six = np.zeros((6, tone.size), dtype=np.float32)
    six[3] = tone  # LFE of a 5.1 file in WAV order
    assert integrated_loudness(six, 48000) == -np.inf


def test_stereo_channels_weigh_equally():
    tone = sine(44100, 5, dbfs=-20)
    silent = np.zeros_like(tone)
    left = integrated_loudness(np.stack([tone, silent]), 44100)
    right = integrated_loudness(np.stack([silent, tone]), 44100)
    assert left == pytest.approx(right, abs=1e-9)
    assert left == pytest.approx(integrated_loudness(tone, 44100), abs=1e-9)


@pytest.mark.parametrize(
    ("y", "sr", "message"),
    [
        (np.zeros(48000, dtype=np.int16), 48000, "float"),
        (np.zeros((2, 2, 48000), dtype=np.float32), 48000, "1-D or 2-D"),
        (np.zeros((48000, 2), dtype=np.float32), 48000, "samples, channels"),
        (np.zeros((2, 0), dtype=np.float32), 48000, "no samples"),
        (np.full(48000, np.nan, dtype=np.float32), 48000, "NaN"),
        (np.zeros(48000, dtype=np.float32), 0, "sample rate"),
        (np.zeros(48000, dtype=np.float32), 44100.0, "sample rate"),
    ],
)
def test_unusable_audio_raises_audio_error_naming_the_problem(y, sr, message):
    with pytest.raises(AudioError, match=message):
        integrated_loudness(y, sr)
