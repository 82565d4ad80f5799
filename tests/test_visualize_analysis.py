"""The analysis hears what the video should show: pitch classes, hits, and sticky decay."""

from __future__ import annotations

import numpy as np
import pytest

from dropper.visualize import PITCH_NAMES, VisualSettings, pitch_hues
from dropper.visualize.analysis import decay_per_frame, features, features_from_file, hpss_masks, stickiness
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


def burst(at_s: float, seconds: float = 4.0, amplitude: float = 0.02) -> np.ndarray:
    """Silence with one 5 ms noise burst (a hi-hat-like tick) starting at ``at_s``."""
    y = np.zeros(int(seconds * SR), np.float32)
    start = int(at_s * SR)
    y[start:start + 110] = amplitude * np.random.default_rng(0).standard_normal(110)
    return y


def test_a_repeating_song_looks_the_same_one_period_later_at_a_low_frame_rate():
    from dropper import synth

    # At 4 fps a video frame lasts 5512.5 samples: the analysis must follow the video's clock and
    # hear all of it, not jump by a hop rounded to whole samples past most of the audio.
    period = synth.make_song(bpm=120, seconds=10.5, pattern="straight", seed=1)  # 42 frames
    f = features(np.tile(period, 3), SR, VisualSettings(fps=4.0))
    assert f.frames == 126
    first, second = slice(8, 42), slice(50, 84)  # past the start's first 2 s, one period apart
    for name in ("chroma", "bands", "loudness"):
        rows = getattr(f, name)
        assert np.abs(rows[first] - rows[second]).max() < 0.02, name
        assert rows[first].max() - rows[first].min() > 0.15, name  # and it does change over time


@pytest.mark.parametrize("fps", [4.0, 2.0])
def test_a_short_hit_anywhere_between_two_frame_times_still_flashes(fps):
    # Eight positions across one video frame's span: every sample must be heard by the analysis.
    flashes, levels = [], []
    for eighth in np.arange(8) + 0.5:
        at_s = 2.0 + eighth / 8 / fps
        f = features(burst(at_s), SR, VisualSettings(fps=fps))
        brightest = f.bands.max(axis=1)
        assert int(np.argmax(brightest)) == round(at_s * fps)  # the frame whose span holds the hit
        flashes.append(float(brightest.max()))
        levels.append(float(f.loudness.max()))
    assert min(flashes) > 0.4 and max(flashes) - min(flashes) < 0.15, flashes
    assert min(levels) > 0.25, levels


def test_each_video_frame_shows_its_loudest_hit_and_its_mean_level():
    from dropper.visualize.clock import per_video_frame

    levels = np.full((7, 15), -120.0, np.float32)  # 3 analysis frames per video frame, one spare
    levels[1, :13] = -20.0  # one loud analysis frame of harmony and loudness in video frame 0
    levels[4, 13:] = -30.0  # one hit in video frame 1
    levels[6, 14] = -10.0  # after the last video frame: it counts for the last one
    rows = per_video_frame(levels, 2, 3)
    assert rows.shape == (2, 15)
    assert rows[0, :13] == pytest.approx(-20.0 - 10 * np.log10(3), abs=1e-3)  # mean power of 3
    assert rows[1, 13] == pytest.approx(-30.0) and rows[0, 13] == pytest.approx(-120.0)
    assert rows[1, 14] == pytest.approx(-10.0)
    assert np.array_equal(per_video_frame(levels, 7, 1), levels)  # one analysis frame each: as is


@pytest.mark.parametrize("fps", [4.0, 30.0])
def test_features_streamed_from_a_file_equal_features_of_the_whole_signal(tmp_path, fps):
    import soundfile as sf
    from dropper import synth

    y = np.tile(synth.make_song(bpm=120, seconds=10.0, seed=9), 8)  # 80 s: three 35 s chunks
    sf.write(str(tmp_path / "song.wav"), y, SR, subtype="FLOAT")
    whole = features(y, SR, VisualSettings(fps=fps))
    streamed = features_from_file(tmp_path / "song.wav", VisualSettings(fps=fps))
    assert streamed.frames == whole.frames == round(80 * fps)
    for name in ("chroma", "bands", "loudness"):
        assert np.abs(getattr(streamed, name) - getattr(whole, name)).max() < 1e-5, name
