"""A 20-minute song renders whole, and rendering it needs no more memory than a 1-minute song:
the audio is read in blocks and frames stream to the encoder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from dropper import synth

SR = 11025  # a low rate keeps the 20-minute file (and its AAC encoding) small
# The look at a thumbnail's size and a low frame rate: the cost per frame does not depend on the
# song's length, and the test stays quick (4800 frames for 20 minutes).
SETTINGS = {"width": 96, "height": 54, "fps": 4.0, "gif_width": 96, "gif_height": 54, "gif_seconds": 10.0,
            "gif_fps": 8.0, "audio_kbps": 64, "device": "cpu"}
# Render in a fresh interpreter and report its peak memory. (ffmpeg's is not measured here: a
# child's ru_maxrss counts the parent's pages it shares right after the fork.)
RENDER = """
import json, resource, sys
from pathlib import Path
from dropper.visualize import VisualSettings, render_song
song, out = Path(sys.argv[1]), Path(sys.argv[2])
facts = render_song(song, video_path=out / f"{song.stem}.mp4", gif_path=out / f"{song.stem}.gif",
                    poster_path=out / f"{song.stem}.png", settings=VisualSettings(**json.loads(sys.argv[3])))
print(json.dumps({"facts": facts.to_dict(), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_long_song(path: Path, minutes: float) -> Path:
    """Alternate 30 s of blast beats and 30 s of ambient pads, written block by block."""
    clips = [synth.make_song(bpm=190, seconds=30.0, pattern="blast", sr=SR, seed=1),
             synth.make_song(bpm=100, seconds=30.0, pattern="ambient", sr=SR, seed=2)]
    with sf.SoundFile(str(path), "w", samplerate=SR, channels=1, subtype="PCM_16") as handle:
        for index in range(round(minutes * 2)):
            handle.write(clips[index % 2])
    return path


def render_in_subprocess(song: Path, out: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", RENDER, str(song), str(out), json.dumps(SETTINGS)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_twenty_minute_song_renders_in_bounded_memory(tmp_path):
    short = render_in_subprocess(write_long_song(tmp_path / "one.wav", 1.0), tmp_path)
    long = render_in_subprocess(write_long_song(tmp_path / "twenty.wav", 20.0), tmp_path)

    assert long["facts"]["duration_s"] == pytest.approx(1200.0)
    assert long["facts"]["frames"] == 4800  # 20 minutes at 4 fps
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "twenty.mp4"))
    assert abs(frames - 4800) <= 1 and abs(seconds - 1200.0) < 0.5
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "twenty.mp4"))
    meta = next(reader)
    reader.close()
    assert meta["size"] == (96, 54) and meta["audio_codec"], "the video carries the song's audio"

    gif = Image.open(tmp_path / "twenty.gif")
    durations_ms = []
    for index in range(gif.n_frames):
        gif.seek(index)
        durations_ms.append(gif.info["duration"])
    assert gif.size == (96, 54) and len(durations_ms) == 80 == long["facts"]["gif_frames"]
    assert sum(durations_ms) == 10_000  # gif_seconds, however long the song
    # The timelapse shows the song's alternation: each GIF frame sums up 15 s, so frames 0-1 are
    # the first 30 s of blast beats and frames 2-3 the next 30 s of ambient pads, and so on.
    brightness = []
    for index in range(8):
        gif.seek(index)
        brightness.append(float(np.asarray(gif.convert("RGB"), np.float32).mean()))
    blast = [brightness[i] for i in (0, 1, 4, 5)]
    ambient = [brightness[i] for i in (2, 3, 6, 7)]
    assert min(blast) > max(ambient) + 5.0, brightness

    # 20x the audio, the same memory: nothing is held per frame or per second of audio.
    assert long["peak_mb"] < short["peak_mb"] + 20, (short["peak_mb"], long["peak_mb"])
