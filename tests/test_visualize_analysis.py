"""The analysis hears what the video should show: pitch classes, hits, and sticky decay."""

from __future__ import annotations

import numpy as np
import pytest

from dropper.visualize import PITCH_NAMES, VisualSettings, pitch_hues
from dropper.visualize.analysis import decay_per_frame, features, hpss_masks, stickiness
from dropper.visualize.median import median_filter_rows

SR = 22050


def tone(hz: float, seconds: float = 3.0, sr: int = SR, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def clicks(seconds: float = 3.0, every_s: float = 0.5, sr: int = SR) -> np.ndarray:
    y = np.zeros(int(seconds * sr), np.float32)
    y[:: int(every_s * sr)] = 0.9
    return y


def test_a440_lights_pitch_class_a_most():
    f = features(tone(440.0, amplitude=0.05), SR)  # -26 dBFS: below the top of the scale
    middle = f.chroma[f.frames // 2]
    assert PITCH_NAMES[int(np.argmax(middle))] == "A"
    others = np.delete(middle, 9)
    assert middle[9] > 0.6 and others.max() < middle[9] - 0.3


@pytest.mark.parametrize("hz, name", [(261.63, "C"), (392.0, "G"), (1046.5, "C"), (329.63, "E")])
def test_tones_land_on_their_pitch_class(hz, name):
    f = features(tone(hz), SR)
    assert PITCH_NAMES[int(np.argmax(f.chroma[f.frames // 2]))] == name


def test_click_track_lights_percussive_bands_and_a_tone_does_not():
    hits = features(clicks(), SR)
    steady = features(tone(440.0), SR)
    middle = slice(hits.frames // 4, 3 * hits.frames // 4)
    assert hits.bands[middle].max() > 0.5
    assert steady.bands[middle].max() < 0.2
    assert hits.chroma[middle].max() < 0.2  # a click has no pitch


def test_stickiness_holds_the_maximum_and_decays_at_the_configured_rate():
    x = np.zeros((61, 2), np.float32)
    x[10, 0] = 1.0
    x[10:, 1] = 0.3  # a steady value below the fading hit stays hidden, then shows
    decay = decay_per_frame(0.5, 30.0)  # half-life 0.5 s at 30 fps
    out = stickiness(x, decay)
    assert out[10, 0] == pytest.approx(1.0)
    assert out[25, 0] == pytest.approx(0.5, rel=1e-4)  # 15 frames = 0.5 s later: half
    assert out[40, 0] == pytest.approx(0.25, rel=1e-4)
    assert np.all(np.diff(out[10:, 0]) <= 0)
    assert np.all(out >= x)
    assert stickiness(x, 0.0)[11, 0] == 0.0  # no stickiness: the impulse is gone at once


def test_settings_decay_reaches_features():
    slow = features(clicks(every_s=2.0), SR, VisualSettings(decay_half_life_s=1.0))
    fast = features(clicks(every_s=2.0), SR, VisualSettings(decay_half_life_s=0.05))
    assert slow.bands[20:50].mean() > fast.bands[20:50].mean()


def test_running_median_matches_scipy_and_hpss_matches_librosa():
    import librosa
    from scipy.ndimage import median_filter

    rng = np.random.default_rng(0)
    x = rng.random((40, 90)).astype(np.float32)
    assert np.array_equal(median_filter_rows(x, 31), median_filter(x, size=(1, 31), mode="reflect"))
    assert np.array_equal(median_filter_rows(x[:2, :5], 31), median_filter(x[:2, :5], size=(1, 31), mode="reflect"))
    harmonic, percussive = hpss_masks(x, 2.0)
    ref_h, ref_p = librosa.decompose.hpss(x, margin=2.0, mask=True)
    assert np.allclose(harmonic, ref_h, atol=1e-6) and np.allclose(percussive, ref_p, atol=1e-6)


def test_silence_gives_dark_features_without_warnings():
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        f = features(np.zeros(SR * 2, np.float32), SR)
    assert f.frames == 60
    assert f.chroma.max() == 0 and f.bands.max() == 0 and f.loudness.max() == 0


def test_odd_rates_and_stereo_give_the_same_frame_count():
    mono = features(tone(440.0, 2.0, sr=11025), 11025)
    stereo = features(np.stack([tone(440.0, 2.0, sr=48000)] * 2), 48000)
    assert mono.frames == stereo.frames == 60
    assert int(np.argmax(stereo.chroma[30])) == 9


def test_pitch_hues_turn_the_wheel_from_hue_start():
    assert pitch_hues(0.0)[0] == 0.0 and pitch_hues(0.0)[9] == 270.0
    assert pitch_hues(90.0)[11] == (90.0 + 330.0) % 360.0
