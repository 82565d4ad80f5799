"""The timelapse GIF's own writer: any decoder reads it back exactly when lossless, the lossy LZW
never moves a pixel further than its tolerance, and a busy song's GIF stays small."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from dropper import synth
from dropper.visualize import VisualSettings, gif, lzw, render_song


def decoded(path, index: int) -> np.ndarray:
    image = Image.open(path)
    image.seek(index)
    return np.asarray(image.convert("RGB")).reshape(-1, 3)


@pytest.mark.parametrize("width, height, colours", [(7, 5, 3), (320, 180, 63), (97, 61, 255)])
def test_lossless_gif_decodes_to_exactly_its_frames(tmp_path, monkeypatch, width, height, colours):
    rng = np.random.default_rng(colours)
    palette = rng.integers(0, 256, (colours, 3)).astype(np.uint8)
    # Noise fills the LZW table many times over (clear codes); ramps make long strings.
    frames = [rng.integers(0, colours, width * height).astype(np.uint8) if k % 2 else
              ((np.arange(width * height) // 7 + k) % colours).astype(np.uint8) for k in range(4)]
    truth = [palette[frame] for frame in frames]
    monkeypatch.setattr(gif, "KEEP_LEVELS", 0.0)  # redraw every change
    size = gif.write_gif(tmp_path / "t.gif", frames, palette, width=width, height=height, fps=8.0, lossy_levels=0.0)
    image = Image.open(tmp_path / "t.gif")
    assert image.n_frames == 4 and image.size == (width, height) and image.info.get("loop") == 0
    durations = []
    for index in range(4):
        image.seek(index)
        durations.append(image.info["duration"])
    assert durations == [120, 130, 130, 120]  # 8 fps in GIF's 1/100 s steps: frame k starts at k/8 s
    image.seek(0)
    for index in range(4):
        assert np.array_equal(decoded(tmp_path / "t.gif", index), truth[index]), index
    assert size == (tmp_path / "t.gif").stat().st_size


def test_lossy_lzw_moves_no_pixel_beyond_its_tolerance():
    rng = np.random.default_rng(1)
    palette = np.repeat(np.arange(0, 252, 4)[:, None], 3, axis=1).astype(np.uint8)  # 63 greys, 6.9 apart
    ramp = np.repeat(np.arange(0, 62, 2), 130)
    pixels = (ramp + rng.integers(0, 2, ramp.size)).astype(np.uint8)  # a dithered ramp
    for tolerance in (0.0, 20.0):
        near = lzw.near_colours(palette, tolerance, transparent=None)
        coded = pixels.copy()
        data = lzw.encode(coded, 6, near)
        moved = np.sqrt(((palette[coded].astype(float) - palette[pixels]) ** 2).sum(axis=1))
        assert moved.max() <= tolerance
        if tolerance == 0.0:
            assert np.array_equal(coded, pixels)
            lossless = len(data)
    assert len(data) < lossless  # a generous tolerance buys a shorter stream


@pytest.mark.parametrize("fps, frames", [(8.0, 80), (10.0, 20), (7.0, 70), (50.0, 10), (30.0, 9)])
def test_frame_delays_keep_the_timelapse_on_time(fps, frames):
    delays = gif.frame_delays_cs(frames, fps)
    assert len(delays) == frames and min(delays) >= 2
    assert sum(delays) == round(100 * frames / fps)  # the whole GIF lasts frames / fps seconds
    assert max(delays) - min(delays) <= 1  # evenly paced


def test_transparent_entry_is_never_swapped():
    palette = np.array([[0, 0, 0], [10, 10, 10], [0, 0, 0]], np.uint8)
    near = lzw.near_colours(palette, 50.0, transparent=2)
    assert 2 not in near[0] and 2 not in near[1] and (near[2] == -1).all()
    assert near[0][0] == 1 and near[1][0] == 0


def test_busy_song_timelapse_is_small_and_calm_one_smaller(tmp_path):
    settings = VisualSettings(width=64, height=36, fps=10.0, gif_seconds=4.0, device="cpu")  # default GIF size
    sizes = {}
    for name, pattern, bpm in (("busy", "blast", 190), ("calm", "ambient", 100)):
        song = tmp_path / f"{name}.wav"
        sf.write(str(song), synth.make_song(bpm=bpm, seconds=12.0, pattern=pattern, seed=7), 22050)
        facts = render_song(song, video_path=tmp_path / f"{name}.mp4", gif_path=tmp_path / f"{name}.gif",
                            poster_path=tmp_path / f"{name}.png", settings=settings)
        assert facts.gif_frames == 32
        sizes[name] = facts.gif_bytes
        image = Image.open(tmp_path / f"{name}.gif")
        shown_ms = 0
        for index in range(image.n_frames):
            image.seek(index)
            shown_ms += image.info["duration"]
        assert shown_ms == 4000  # gif_seconds exactly (a constant 12/100 s a frame gave 3.84 s)
    # 320x180 x 32 frames: ~10 kB a frame for the busy song (14 kB before the row dither, the
    # cropping and the lossy LZW), and a calm song costs less.
    assert sizes["busy"] < 32 * 11_000 and sizes["calm"] < sizes["busy"], sizes
