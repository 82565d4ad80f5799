"""Synthesize the example drop's songs and its reference catalog (idempotent).

Twelve songs of 20–60 s into release/example/songs/: drum-and-guitar textures at several
tempos and patterns, one ambient song with no pulse, one near-silent take and one song that is
mostly silence, each with a sidecar JSON (temperature, model, checkpoint, seed) as the
generator writes it. And four "training" tracks into release/example/catalog/, the reference
catalog the songs are cleared against (none of the songs copies them).
Usage: python release/example/make_songs.py [--out DIR] [--catalog DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import soundfile as sf

from dropper import ogg, synth
from dropper.files import atomic_write, write_text

SR = 44100
MODEL = "samplernn-example"
CHECKPOINT = hashlib.sha256(b"dropper example checkpoint").hexdigest()[:16]

# name, pattern, bpm, seconds, guitar, temperature, seed, file format
SONGS = (
    ("mock-melancholy", "straight", 120, 40, True, 1.00, 1, "wav"),
    ("archetypal-angst", "punk", 176, 30, True, 1.02, 2, "wav"),
    ("bootleg-abasement", "dbeat", 160, 35, True, 1.01, 3, "flac"),
    ("fraudulent-fury", "blast", 210, 25, True, 1.02, 4, "wav"),
    ("sham-sorrow", "halftime", 75, 45, True, 0.99, 5, "wav"),
    ("phony-fear", "six_eight", 100, 40, True, 0.98, 6, "ogg"),
    ("counterfeit-calm", "five_four", 132, 35, False, 1.00, 7, "wav"),
    ("deceptive-dread", "swing", 150, 30, True, 0.99, 8, "mp3"),
    ("false-frenzy", "doublekick", 190, 30, True, 1.01, 9, "wav"),
    ("simulated-solace", "ambient", 0, 60, False, 0.98, 10, "flac"),
)
# The band's "discography" the model was trained on: name, pattern, bpm, seconds, seed.
CATALOG = (
    ("training-01-grind", "blast", 240, 45, 501),
    ("training-02-gallop", "dbeat", 96, 45, 502),
    ("training-03-waltz", "six_eight", 66, 45, 503),
    ("training-04-shuffle", "swing", 104, 45, 504),
)


def near_silent(seconds: float, seed: int) -> np.ndarray:
    """A take that collapsed into silence: faint hiss and a hum far below music level."""
    t = np.arange(int(seconds * SR)) / SR
    hum = 10 ** (-72 / 20) * np.sin(2 * np.pi * 50 * t)
    return (synth.make_silence(seconds=seconds, sr=SR, noise_db=-80, seed=seed) + hum).astype(np.float32)


def mostly_silent(seconds: float, seed: int) -> np.ndarray:
    """A take that got stuck: eight seconds of music, then silence."""
    music = synth.make_song(bpm=128, seconds=8, pattern="straight", sr=SR, seed=seed)
    rest = synth.make_silence(seconds=seconds - 8, sr=SR, noise_db=-90, seed=seed)
    return np.concatenate([music, rest]).astype(np.float32)


def stereo(mono: np.ndarray, seed: int) -> np.ndarray:
    """A little width: the right channel slightly delayed and quieter."""
    delay = 7 + seed % 11
    right = np.concatenate([np.zeros(delay, np.float32), mono[:-delay]]) * 0.9
    return np.stack([mono, right], axis=1)


def write_song(folder: Path, name: str, y: np.ndarray, fmt: str, sidecar: dict) -> bool:
    """Write audio + sidecar unless both exist; returns True when something was written."""
    path = folder / f"{name}.{fmt}"
    meta = folder / f"{name}.json"
    if path.exists() and meta.exists():
        return False
    subtype = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS", "mp3": "MPEG_LAYER_III"}[fmt]
    if fmt == "ogg":  # libsndfile's Ogg differs on every run; the example must not
        data = ogg.vorbis_bytes(y, SR)
    else:
        buffer = io.BytesIO()
        sf.write(buffer, y, SR, format=fmt.upper(), subtype=subtype)
        data = buffer.getvalue()
    with atomic_write(path) as handle:
        handle.write(data)
    write_text(meta, json.dumps(sidecar, indent=2) + "\n")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "songs")
    parser.add_argument("--catalog", type=Path, default=Path(__file__).parent / "catalog")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.catalog.mkdir(parents=True, exist_ok=True)
    for name, pattern, bpm, seconds, seed in CATALOG:
        if not (args.catalog / f"{name}.flac").exists():
            y = synth.make_song(bpm=bpm, seconds=seconds, pattern=pattern, sr=SR, seed=seed)
            with atomic_write(args.catalog / f"{name}.flac") as handle:
                sf.write(handle, stereo(y, seed), SR, format="FLAC", subtype="PCM_16")
    songs = [(name, stereo(synth.make_song(bpm=bpm or 100, seconds=seconds, pattern=pattern,
                                           guitar=guitar, sr=SR, seed=seed), seed), fmt, temperature, seed)
             for name, pattern, bpm, seconds, guitar, temperature, seed, fmt in SONGS]
    songs.append(("hollow-hush", stereo(near_silent(30, 11), 11), "wav", 0.98, 11))
    songs.append(("stalled-sentiment", stereo(mostly_silent(50, 12), 12), "wav", 0.98, 12))
    written = 0
    for name, y, fmt, temperature, seed in songs:
        sidecar = {"temperature": temperature, "model": MODEL, "checkpoint": CHECKPOINT,
                   "seed": seed, "duration_s": round(len(y) / SR, 3)}
        written += write_song(args.out, name, y, fmt, sidecar)
    print(f"example songs: {written} written, {len(songs) - written} already there, in {args.out}")


if __name__ == "__main__":
    main()
