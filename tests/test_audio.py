"""Reading audio: every format dropper promises, and one clear error for each kind of bad file."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from dropper import audio
from dropper.errors import AudioError, MissingInput


@pytest.fixture
def tone() -> np.ndarray:
    t = np.arange(22050) / 22050
    return (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
def test_each_format_verifies_and_loads(tmp_path, tone, fmt):
    path = tmp_path / f"a.{fmt}"
    sf.write(str(path), np.stack([tone, tone], axis=1), 22050)
    info = audio.verify(path)
    assert (info.format, info.channels, info.sample_rate) == (fmt, 2, 22050)
    assert info.duration_s == pytest.approx(1.0, abs=0.06)  # mp3 pads a frame
    y, sr = audio.load(path, mono=True, sr=11025)
    assert y.ndim == 1 and sr == 11025 and len(y) == pytest.approx(11025, abs=700)


def test_missing_file(tmp_path):
    with pytest.raises(MissingInput, match="file not found"):
        audio.verify(tmp_path / "nope.wav")


def test_empty_file(tmp_path):
    (tmp_path / "e.wav").write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty file \(0 bytes\)"):
        audio.verify(tmp_path / "e.wav")


def test_non_audio_file_with_audio_name(tmp_path):
    (tmp_path / "notes.wav").write_text("this is a text file, not a song")
    with pytest.raises(AudioError, match="not a readable audio file"):
        audio.verify(tmp_path / "notes.wav")


def test_zero_length_audio(tmp_path):
    sf.write(str(tmp_path / "z.wav"), np.zeros((0, 2), np.float32), 22050)
    with pytest.raises(AudioError, match="zero-length audio"):
        audio.verify(tmp_path / "z.wav")


def test_truncated_wav_is_corrupt(tmp_path, tone):
    sf.write(str(tmp_path / "t.wav"), tone, 22050)
    payload = (tmp_path / "t.wav").read_bytes()
    (tmp_path / "t.wav").write_bytes(payload[: len(payload) // 2])
    with pytest.raises(AudioError, match="truncated audio: header says 1.0 s, only 0.5 s decode"):
        audio.verify(tmp_path / "t.wav")


def test_flac_with_zeroed_frames_is_corrupt(tmp_path, tone):
    sf.write(str(tmp_path / "g.flac"), tone, 22050)
    payload = bytearray((tmp_path / "g.flac").read_bytes())
    payload[200:] = bytes(len(payload) - 200)  # zero out the frames
    (tmp_path / "g.flac").write_bytes(bytes(payload))
    with pytest.raises(AudioError):
        audio.verify(tmp_path / "g.flac")
