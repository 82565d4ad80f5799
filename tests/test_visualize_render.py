"""Rendering a song: what a collector gets (video with audio, looping GIF, poster), and what a
failure leaves behind (nothing under a final name)."""

from __future__ import annotations

import colorsys
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from dropper import synth
from dropper.errors import AudioError
from dropper.visualize import EncodeError, VisualSettings, render_song
from dropper.visualize import draw as draw_module
from dropper.visualize.analysis import features
from dropper.visualize.draw import draw_frame

# device="cpu": these tests pin down the numpy path (the default off a GPU); the torch path is
# checked against it in test_visualize_torch.py.
SMALL = VisualSettings(width=320, height=180, gif_width=160, gif_height=90, gif_seconds=2.0, gif_fps=10.0,
                       device="cpu")


def outputs(folder: Path, name: str = "song") -> dict[str, Path]:
    return {"video_path": folder / f"{name}.mp4", "gif_path": folder / f"{name}.gif",
            "poster_path": folder / f"{name}.png"}


def write(path: Path, y: np.ndarray, sr: int) -> Path:
    sf.write(str(path), y.T if y.ndim == 2 else y, sr)
    return path


def video_facts(path: Path) -> dict:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    reader.close()
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    return {**meta, "frames": frames, "seconds": seconds}


def test_a440_tone_draws_the_a_hue():
    t = np.arange(3 * 22050) / 22050
    f = features((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 22050)
    image = draw_frame(f, 45, SMALL).reshape(-1, 3).astype(np.float32) / 255
    bright = image[image.max(axis=1) > 0.5 * image.max()]
    hues = np.array([colorsys.rgb_to_hsv(*pixel)[0] * 360 for pixel in bright])
    assert len(bright) > 100
    assert abs(np.median(hues) - 270.0) < 15  # A is 9 semitones above red C: violet


def test_song_renders_video_with_audio_gif_and_poster(tmp_path):
    y = synth.make_song(bpm=120, seconds=4.0, seed=1)
    song = write(tmp_path / "song.wav", y, 22050)
    facts = render_song(song, **outputs(tmp_path), settings=SMALL)
    meta = video_facts(tmp_path / "song.mp4")
    assert meta["size"] == (320, 180) and meta["fps"] == pytest.approx(30.0)
    assert meta["audio_codec"], "the video carries the song's audio"
    assert abs(meta["seconds"] - 4.0) < 0.1 and abs(meta["frames"] - 120) <= 1
    assert facts.frames == 120 and facts.duration_s == pytest.approx(4.0)
    gif = Image.open(tmp_path / "song.gif")
    assert gif.size == (160, 90) and gif.info.get("loop") == 0
    assert gif.n_frames == 20  # 2 s at 10 fps, covering the whole 4 s song
    assert Image.open(tmp_path / "song.png").size == (320, 180)
    assert not list(tmp_path.glob(".*.part"))
    assert facts.to_dict()["cpu_s"] > 0


@pytest.mark.parametrize("case", ["silent", "two_seconds", "mono_11025", "stereo_48000"])
def test_awkward_songs_render(tmp_path, case):
    if case == "silent":
        y, sr = np.zeros(22050 * 3, np.float32), 22050
    elif case == "two_seconds":
        y, sr = synth.make_song(bpm=140, seconds=2.0, seed=2), 22050
    elif case == "mono_11025":
        y, sr = synth.make_song(bpm=100, seconds=3.0, sr=11025, seed=3), 11025
    else:
        left = synth.make_song(bpm=100, seconds=3.0, sr=48000, seed=4)
        y, sr = np.stack([left, np.roll(left, 100)]), 48000
    song = write(tmp_path / f"{case}.wav", y, sr)
    facts = render_song(song, **outputs(tmp_path, case), settings=SMALL)
    assert facts.silent == (case == "silent")
    meta = video_facts(tmp_path / f"{case}.mp4")
    assert abs(meta["seconds"] - y.shape[-1] / sr) < 0.1
    if case == "silent":  # a calm, dark video
        assert np.asarray(Image.open(tmp_path / "silent.png")).mean() < 40


def test_unreadable_audio_is_an_audio_error(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 10)
    with pytest.raises(AudioError, match="not a readable audio file"):
        render_song(bad, **outputs(tmp_path), settings=SMALL)
    assert not any(tmp_path.glob("song.*"))


def test_unwritable_folder_leaves_no_file(tmp_path):
    song = write(tmp_path / "song.wav", synth.make_song(bpm=120, seconds=1.0), 22050)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(EncodeError, match="cannot write there"):
        render_song(song, **outputs(blocker / "out"), settings=SMALL)


def test_killed_encoder_leaves_no_final_or_temporary_file(tmp_path, monkeypatch):
    song = write(tmp_path / "song.wav", synth.make_song(bpm=120, seconds=3.0), 22050)
    from dropper.visualize import encode

    real_draw, real_enter = draw_module.Painter.yuv420, encode.FramePipe.__enter__
    pipes, drawn = [], []

    def entering(self):
        pipes.append(real_enter(self))
        return pipes[-1]

    def killing(self, features, index):
        drawn.append(index)
        if index == 10:
            os.kill(pipes[-1].process.pid, signal.SIGKILL)
        return real_draw(self, features, index)

    monkeypatch.setattr(encode.FramePipe, "__enter__", entering)
    monkeypatch.setattr(draw_module.Painter, "yuv420", killing)
    with pytest.raises(EncodeError, match="ffmpeg"):
        render_song(song, **outputs(tmp_path), settings=SMALL)
    assert not (tmp_path / "song.mp4").exists()
    assert not list(tmp_path.glob(".*.part"))
    assert drawn[-1] < 90  # it stopped soon after the kill


@pytest.mark.parametrize("layout", ["bloom", "ripples"])
def test_every_layout_draws_frames_of_the_asked_size(layout):
    f = features(synth.make_song(bpm=120, seconds=2.0, seed=5), 22050)
    settings = VisualSettings(layout=layout)
    for index in (0, f.frames // 2, f.frames - 1):
        image = draw_frame(f, index, settings, width=256, height=144)
        assert image.shape == (144, 256, 3) and image.dtype == np.uint8
    assert draw_frame(f, f.frames // 2, settings, width=256, height=144).max() > 60  # music shows


def test_bad_settings_name_the_knob():
    from dropper.errors import ConfigError

    with pytest.raises(ConfigError, match="visualize.layout"):
        VisualSettings(layout="spiral")
    with pytest.raises(ConfigError, match="visualize.width"):
        VisualSettings(width=1281)
    assert VisualSettings.from_dict(VisualSettings().to_dict()) == VisualSettings()


def test_video_shows_the_drawn_colours(tmp_path):
    import imageio_ffmpeg

    from dropper.visualize.analysis import features_from_file

    song = write(tmp_path / "song.wav", synth.make_song(bpm=120, seconds=2.0, seed=6), 22050)
    render_song(song, **outputs(tmp_path), settings=SMALL)
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "song.mp4"))
    next(reader)
    decoded = [np.frombuffer(frame, np.uint8).reshape(180, 320, 3) for frame in reader]
    f = features_from_file(song, SMALL)
    for index in (15, 45):
        error = decoded[index].astype(np.float32) - draw_frame(f, index, SMALL)
        # Untagged input made ffmpeg re-matrix every frame: green was off by 11 levels.
        assert np.abs(error).mean(axis=(0, 1)).max() < 4.0, f"frame {index}"
        assert np.abs(error.mean(axis=(0, 1))).max() < 2.5, f"frame {index}: colour shift"


def test_timelapse_gif_stays_true_to_its_frames_and_small(tmp_path):
    from scipy.ndimage import uniform_filter

    from dropper.visualize.analysis import features_from_file
    from dropper.visualize.draw import Painter
    from dropper.visualize.render import timelapse

    settings = VisualSettings(width=320, height=180, gif_seconds=4.0)  # default GIF size and rate
    song = write(tmp_path / "song.wav", synth.make_song(bpm=160, seconds=12.0, pattern="blast", seed=7), 22050)
    facts = render_song(song, **outputs(tmp_path), settings=settings)
    assert facts.gif_frames == 32 and facts.gif_bytes < 32 * 16_000  # was ~27 kB a frame at 480x270
    summary = timelapse(features_from_file(song, settings), facts.gif_frames, settings.gif_fps)
    painter = Painter(settings, settings.gif_width, settings.gif_height)
    gif = Image.open(tmp_path / "song.gif")
    assert gif.size == (320, 180)
    errors = []
    for index in range(gif.n_frames):  # what a viewer shows, unchanged runs left on screen
        gif.seek(index)
        shown = uniform_filter(np.asarray(gif.convert("RGB"), np.float32), (3, 3, 1))  # dither, as seen
        truth = uniform_filter(painter.rgb(summary, index).astype(np.float32), (3, 3, 1))
        errors.append(np.abs(shown - truth).mean())
    # 63 colours cost ~5 levels; leaving runs on screen must not add more (no drift).
    assert max(errors) < 7.0 and max(errors) < errors[0] + 2.0, errors
