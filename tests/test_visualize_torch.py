"""The torch path (GPU when there is one; here torch's CPU device) gives what the numpy path
gives, within the stated tolerance; ``visualize.device`` picks it, and torch stays optional.

``DROPPER_TEST_TORCH_DEVICE=cuda`` runs the same comparisons on a GPU (scripts/gpu_benchmarks.sh)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from dropper import synth
from dropper.errors import ConfigError
from dropper.visualize import VisualSettings, render_song
from dropper.visualize.analysis import (
    Features,
    features,
    features_from_file,
    stickiness,
)
from dropper.visualize.device import check_device, torch_device
from dropper.visualize.draw import Painter
from dropper.visualize.median import median_filter_rows

torch = pytest.importorskip("torch")

from dropper.visualize import torch_analysis, torch_draw

DEVICE = torch.device(os.environ.get("DROPPER_TEST_TORCH_DEVICE", "cpu"))
SMALL = VisualSettings(width=320, height=180, gif_width=160, gif_height=90, gif_seconds=2.0, gif_fps=10.0)


def psnr_db(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


@pytest.fixture(scope="module")
def busy_features() -> Features:
    """Features of a blast-beat song with guitar: every pitch class and band moves."""
    return features(synth.make_song(bpm=190, seconds=4.0, pattern="blast", seed=2), 22050, SMALL)


@pytest.mark.parametrize("pattern, bpm, seed", [("blast", 190, 2), ("straight", 120, 1), ("ambient", 0, 3)])
def test_torch_analysis_matches_numpy_within_tolerance(pattern, bpm, seed):
    y = synth.make_song(bpm=bpm or 100, seconds=5.0, pattern=pattern, seed=seed)
    ours, theirs = features(y, 22050, SMALL), features(y, 22050, SMALL, device=DEVICE)
    assert theirs.frames == ours.frames == 150
    for name in ("chroma", "bands", "loudness"):
        error = np.abs(getattr(ours, name) - getattr(theirs, name))
        assert error.max() <= torch_analysis.FEATURE_TOLERANCE, name
        assert error.mean() < 1e-5, name
    assert ours.chroma.max() > 0.5 and ours.bands.max() > (0.5 if pattern != "ambient" else 0.0)


@pytest.mark.parametrize("fps", [4.0, 24.0])
def test_torch_analysis_follows_the_same_clock_at_other_frame_rates(fps):
    # 4 fps: six analysis frames of 918.75 samples per video frame; 24 fps: one of 918.75. The
    # windows start on fractional hops, rounded to a sample, on both paths.
    y = synth.make_song(bpm=190, seconds=6.0, pattern="blast", seed=2)
    settings = VisualSettings(**{**SMALL.to_dict(), "fps": fps})
    ours, theirs = features(y, 22050, settings), features(y, 22050, settings, device=DEVICE)
    assert theirs.frames == ours.frames == round(6.0 * fps)
    for name in ("chroma", "bands", "loudness"):
        error = np.abs(getattr(ours, name) - getattr(theirs, name))
        assert error.max() <= torch_analysis.FEATURE_TOLERANCE, name
    assert ours.bands.max() > 0.5


def test_torch_median_filter_is_exact_and_stickiness_matches():
    rng = np.random.default_rng(0)
    x = rng.random((40, 90)).astype(np.float32)
    for kernel, block in ((31, x), (31, x[:2, :5]), (5, x), (1, x)):
        got = torch_analysis.median_filter_rows(torch.from_numpy(block), kernel).numpy()
        assert np.array_equal(got, median_filter_rows(block, kernel)), (kernel, block.shape)
    hits = (rng.random((3000, 12)) ** 8).astype(np.float32)  # sparse hits, 100 s at 30 fps
    hits[5:40] = 0.0  # silence (log 0) in the middle of the running maximum
    for decay in (0.0, 0.5, 0.955, 0.9995, 1.0):
        got = torch_analysis.stickiness(hits, decay, device=DEVICE)
        assert np.allclose(got, stickiness(hits, decay), rtol=1e-5, atol=1e-7), decay
    with pytest.raises(ValueError, match="decay"):
        torch_analysis.stickiness(hits, 1.5, device=DEVICE)


@pytest.mark.parametrize("layout", ["bloom", "ripples"])
def test_torch_frames_match_numpy_frames(busy_features, layout):
    settings = VisualSettings(layout=layout)
    ours, theirs = Painter(settings, 320, 180), torch_draw.TorchPainter(settings, 320, 180, DEVICE)
    frames = list(theirs.yuv420_frames(busy_features))
    assert len(frames) == busy_features.frames and frames[0].shape == (320 * 180 * 3 // 2,)
    for index in range(0, busy_features.frames, 15):
        yuv = ours.yuv420(busy_features, index)
        assert np.abs(yuv.astype(np.int16) - frames[index]).max() <= 1, index
        assert psnr_db(yuv, frames[index]) >= torch_draw.FRAME_PSNR_DB, index
        rgb, torch_rgb = ours.rgb(busy_features, index), theirs.rgb(busy_features, index)
        assert np.abs(rgb.astype(np.int16) - torch_rgb).max() <= 1
        assert psnr_db(rgb, torch_rgb) >= torch_draw.FRAME_PSNR_DB
    assert np.asarray(frames).std() > 5  # the frames show something


def test_render_song_on_torch_matches_the_cpu_render(tmp_path):
    song = tmp_path / "song.wav"
    sf.write(str(song), synth.make_song(bpm=160, seconds=4.0, pattern="punk", seed=8), 22050)
    made = {}
    for device in ("cpu", "torch"):
        settings = VisualSettings(**{**SMALL.to_dict(), "device": device})
        made[device] = render_song(song, video_path=tmp_path / f"{device}.mp4", gif_path=tmp_path / f"{device}.gif",
                                   poster_path=tmp_path / f"{device}.png", settings=settings)
    assert made["torch"].frames == made["cpu"].frames == 120
    assert made["torch"].gif_frames == made["cpu"].gif_frames == 20
    posters = [np.asarray(Image.open(tmp_path / f"{device}.png")) for device in ("cpu", "torch")]
    assert posters[0].shape == (180, 320, 3) and psnr_db(*posters) >= 45.0
    assert abs(made["torch"].video_bytes - made["cpu"].video_bytes) < 0.02 * made["cpu"].video_bytes


def test_device_setting_picks_the_path():
    cuda = torch.cuda.is_available()
    assert torch_device("cpu") is None
    assert (torch_device("auto") is None) != cuda  # torch on CUDA only when there is a GPU
    assert torch_device("torch").type == ("cuda" if cuda else "cpu")
    with pytest.raises(ConfigError, match="visualize.device"):
        VisualSettings(device="gpu")


def test_torch_setting_without_torch_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # what an install without the extra sees
    assert torch_device("auto") is None  # auto falls back to numpy
    check_device("auto")
    for check in (torch_device, check_device):  # in the worker, and up front in the stage
        with pytest.raises(ConfigError, match=r"visualize.device: 'torch' needs PyTorch.*dropper\[generator\]"):
            check("torch")


def test_features_from_file_on_torch_stream_like_numpy(tmp_path):
    song = tmp_path / "song.wav"
    y = np.tile(synth.make_song(bpm=120, seconds=10.0, sr=44100, seed=9), 4)  # more than one 35 s chunk
    sf.write(str(song), y, 44100)  # read at another rate: resampled on the way in
    ours, theirs = features_from_file(song, SMALL), features_from_file(song, SMALL, device=DEVICE)
    assert ours.frames == theirs.frames
    assert np.abs(ours.bands - theirs.bands).max() <= torch_analysis.FEATURE_TOLERANCE
    assert np.abs(ours.chroma - theirs.chroma).max() <= torch_analysis.FEATURE_TOLERANCE
