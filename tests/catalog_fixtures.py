"""A small drop for the catalog tests, written straight into dropper.db (no audio analysis).

Real SQLite, real files: songs rows, stage results pointing at small GIFs/PNGs/MP4s drawn
here, titles, and human annotations recorded through dropper.annotations.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dropper.annotations import apply_edits
from dropper.db import now
from dropper.workspace import Drop, init


@dataclass(frozen=True)
class FakeSong:
    name: str
    title: str
    temperature: float
    tempo_bpm: float
    style: str | None
    tags: tuple[str, ...]
    colour: tuple[int, int, int]
    keep: bool = True


SONGS = (
    FakeSong("gallop", "phony fury", 1.02, 184.0, "thrash metal", ("thrash riff", "cool drums"), (194, 65, 12)),
    FakeSong("grind", "sham sorrow", 1.01, 150.0, "thrash metal", ("thrash riff",), (120, 53, 15)),
    FakeSong("waltz", "mock melancholy", 1.00, 96.0, "doom metal", ("doom riff",), (30, 64, 175)),
    FakeSong("shuffle", "Woeful <Wail>", 0.99, 122.0, "punk rock", ("cool drums",), (21, 128, 61)),
    FakeSong("pad", "hollow hush", 0.98, 0.0, "drone metal", (), (82, 82, 91)),
    FakeSong("reject", "never shown", 1.0, 120.0, None, (), (0, 0, 0), keep=False),
)


def _media(folder: Path, song: FakeSong, ffmpeg: str | None) -> dict[str, str]:
    from PIL import Image, ImageDraw

    stem = hashlib.sha256(song.name.encode()).hexdigest()[:16] + "-test"
    files = {"gif": f"build/gifs/{stem}.gif", "poster": f"build/posters/{stem}.png",
             "spectrogram": f"build/spectrograms/{stem}.png", "video": f"build/videos/{stem}.mp4"}
    for path in files.values():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
    frames = []
    for step in range(4):
        frame = Image.new("RGB", (160, 90), song.colour)
        ImageDraw.Draw(frame).ellipse((20 + step * 25, 25, 60 + step * 25, 65), fill=(250, 250, 250))
        frames.append(frame)
    frames[0].save(folder / files["gif"], save_all=True, append_images=frames[1:], duration=200, loop=0)
    frames[0].save(folder / files["poster"])
    Image.linear_gradient("L").resize((320, 90)).save(folder / files["spectrogram"])
    if ffmpeg:
        subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10:duration=1",
                        "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(folder / files["video"])],
                       check=True, capture_output=True)
    else:
        del files["video"]
    return files


def build_catalog_drop(root: Path, songs: tuple[FakeSong, ...] = SONGS, *, videos: bool = True) -> Path:
    """Write the drop of ``songs`` (default :data:`SONGS`) into ``root``; returns ``root``.

    ``videos=False`` skips the MP4s (the 1000-song benchmark needs only pictures).
    """
    ffmpeg = None
    if videos:
        try:
            import imageio_ffmpeg

            ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
        except (ImportError, RuntimeError):
            ffmpeg = None
    init(root, title="Fake Feelings", artist="Test Collective")
    with Drop.open(root, environ={}) as drop:
        for number, song in enumerate(songs, start=1):
            sha = hashlib.sha256(song.name.encode()).hexdigest()
            drop.db.execute("INSERT INTO songs VALUES (?, ?, ?, ?, 'wav', 1000, ?, 22050, 1, 1000, ?, 'tiny-test',"
                            " 'abc', 0, ?)", (number, sha, song.name, f"songs/{song.name}.wav", 20.0 + 7 * number,
                                             song.temperature, now()))
            files = _media(root, song, ffmpeg)
            for stage, result in (("visualize", {"files": {k: v for k, v in files.items() if k != "spectrogram"}}),
                                  ("screen", {"files": {"spectrogram": files["spectrogram"]}, "flags": []}),
                                  ("tempo", {"tempo_bpm": song.tempo_bpm + 0.4})):
                drop.db.execute("INSERT INTO results VALUES (?, ?, 'p', 'ok', NULL, ?, ?, NULL, ?)",
                                (sha, stage, json.dumps(result), f"songs/{song.name}.wav", now()))
            drop.db.execute("INSERT INTO titles VALUES (?, ?, 's', ?)", (number, song.title, now()))
            song_row = drop.find_song(song.name)
            apply_edits(drop, song_row, author="tester", decision="keep" if song.keep else "reject",
                        reason=None if song.keep else "too quiet", style=song.style,
                        tempo_bpm=song.tempo_bpm if song.tempo_bpm == 0 else None, add_tags=song.tags)
        drop.db.commit()
    return root


def kept() -> list[FakeSong]:
    return [song for song in SONGS if song.keep]
