"""Ogg Vorbis from dropper is the same bytes for the same audio, and still plays."""

from __future__ import annotations

import io
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf

from dropper import ogg


def test_the_same_audio_gives_the_same_bytes_and_decodes(tmp_path):
    y = (0.3 * np.sin(np.arange(3 * 22050) * 0.05)).astype(np.float32)
    plain = [io.BytesIO() for _ in range(2)]
    for buffer in plain:
        sf.write(buffer, y, 22050, format="OGG", subtype="VORBIS")
    fixed = [ogg.with_serial(buffer.getvalue()) for buffer in plain]
    assert plain[0].getvalue() != plain[1].getvalue()  # libsndfile's random serial
    assert fixed[0] == fixed[1] == ogg.vorbis_bytes(y, 22050)
    decoded, rate = sf.read(io.BytesIO(fixed[0]))
    assert rate == 22050 and len(decoded) == len(y)
    # ffmpeg checks every page's CRC: a wrong one would be reported
    (tmp_path / "clip.ogg").write_bytes(fixed[0])
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-err_detect", "crccheck", "-i",
                             str(tmp_path / "clip.ogg"), "-f", "null", "-"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == ""


def test_a_corrupt_page_is_refused():
    data = ogg.vorbis_bytes(np.zeros(22050, np.float32), 22050)
    with pytest.raises(ValueError, match="not an Ogg page at byte 0"):
        ogg.with_serial(b"RIFF" + data[4:])
    with pytest.raises(ValueError, match="cut short"):
        ogg.with_serial(data[:-10])
