"""Spectrogram thumbnails: layout, fixed brightness scale, bounded memory, small lossless PNGs."""

from __future__ import annotations

import io
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from dropper.spectrogram import colormap_lut, png_bytes, render_spectrogram, row_of_hz

SR = 22050


def tone(sr: int, seconds: float, hz: float, *, peak: float = 0.5) -> np.ndarray:
    return (peak * np.sin(2 * np.pi * hz * np.arange(round(sr * seconds)) / sr)).astype(np.float32)


def lightness(image: np.ndarray) -> np.ndarray:
    """Perceived brightness per pixel (Rec. 709 luma), 0-255."""
    return image @ np.array([0.2126, 0.7152, 0.0722])


def test_image_is_rgb_uint8_of_the_requested_size():
    y = np.random.default_rng(0).uniform(-0.5, 0.5, (2, SR * 3)).astype(np.float32)
    assert render_spectrogram(y, SR).shape == (256, 1200, 3)
    image = render_spectrogram(y, SR, width=300, height=64)
    assert image.shape == (64, 300, 3) and image.dtype == np.uint8


def test_low_tone_lights_the_bottom_rows_and_high_tone_the_top_rows():
    height = 128
    low = lightness(render_spectrogram(tone(SR, 3, 100.0), SR, width=200, height=height))
    high = lightness(render_spectrogram(tone(SR, 3, 8000.0), SR, width=200, height=height))
    low_row, high_row = low.mean(axis=1).argmax(), high.mean(axis=1).argmax()
    assert low_row >= height - 20 and abs(low_row - row_of_hz(100.0, SR, height=height)) <= 2
    assert high_row <= 20 and abs(high_row - row_of_hz(8000.0, SR, height=height)) <= 2


def test_time_runs_left_to_right():
    y = np.concatenate([np.zeros(SR * 5, dtype=np.float32), tone(SR, 5, 440.0)])
    columns = lightness(render_spectrogram(y, SR, width=100, height=64)).max(axis=0)
    assert columns[:48].max() < 20  # black on the left
    assert columns[52:].min() > 150  # the tone on the right


def test_silence_is_dark():
    image = render_spectrogram(np.zeros((2, SR * 2), dtype=np.float32), SR, width=80, height=40)
    assert (image == colormap_lut()[0]).all()


def test_scale_is_fixed_so_a_quiet_song_looks_darker():
    y = np.random.default_rng(1).uniform(-0.5, 0.5, SR * 3).astype(np.float32)
    loud = lightness(render_spectrogram(y, SR, width=100, height=64)).mean()
    quiet = lightness(render_spectrogram(y * 0.01, SR, width=100, height=64)).mean()
    assert loud > quiet + 40


def test_colormap_runs_from_black_to_pale_yellow_getting_brighter():
    lut = colormap_lut()
    assert lut.shape == (256, 3) and lut.dtype == np.uint8
    assert lightness(lut[:1]).item() < 5 and lightness(lut[-1:]).item() > 230
    assert (np.diff(lightness(lut)) > 0).all()


def test_clip_shorter_than_the_image_fills_every_column():
    y = np.random.default_rng(2).uniform(-0.5, 0.5, SR // 10).astype(np.float32)
    columns = lightness(render_spectrogram(y, SR, width=1200, height=64)).mean(axis=0)
    assert columns.min() > 60


def test_twenty_minute_song_costs_no_more_memory_than_its_columns():
    sr = 8000
    y = np.random.default_rng(3).uniform(-0.5, 0.5, (2, sr * 60 * 20)).astype(np.float32)
    tracemalloc.start()
    try:
        image = render_spectrogram(y, sr, width=600, height=96)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The input is 73 MB, its mono mix 37 MB, a full STFT over 100 MB; the columns ~1 MB.
    assert peak_bytes < 16 * 2**20
    columns = lightness(image).mean(axis=0)
    assert columns.max() - columns.min() < 5  # steady noise looks the same all along


@pytest.mark.parametrize("sr", [8000, 11025, 44100, 96000])
def test_any_sample_rate_renders(sr):
    image = render_spectrogram(tone(sr, 1, 1000.0), sr, width=50, height=32)
    assert image.shape == (32, 50, 3)
    assert lightness(image).max() > 150


def test_png_is_lossless_and_uses_a_palette():
    image = render_spectrogram(tone(SR, 3, 440.0), SR, width=200, height=64)
    data = png_bytes(image)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    picture = Image.open(io.BytesIO(data))
    assert picture.mode == "P"
    np.testing.assert_array_equal(np.asarray(picture.convert("RGB")), image)


def test_png_of_an_image_with_many_colours_is_still_lossless():
    image = np.random.default_rng(4).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    decoded = Image.open(io.BytesIO(png_bytes(image))).convert("RGB")
    np.testing.assert_array_equal(np.asarray(decoded), image)


def test_bad_image_size_is_refused():
    with pytest.raises(ValueError, match="width"):
        render_spectrogram(tone(SR, 1, 440.0), SR, width=0)


def test_colour_steps_bound_the_palette():
    y = np.random.default_rng(5).uniform(-0.5, 0.5, SR * 2).astype(np.float32)
    image = render_spectrogram(y, SR, width=100, height=64, n_colours=8)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) <= 8
