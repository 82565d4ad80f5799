"""Waveform peaks for the player: the loudest sample of each slice of a song, read in blocks.

The page draws these with wavesurfer.js instead of decoding the whole file in the browser,
so a long song's page is ready before its audio has downloaded.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache

import numpy as np
import soundfile as sf

from dropper.errors import AudioError


def peaks(path: str | os.PathLike, *, count: int = 2000) -> list[float]:
    """``count`` (or fewer, for very short files) peak levels in [0, 1], start to end.

    Each value is the largest absolute sample over all channels in its slice of the file.
    Reads the file in blocks, so memory stays small for long songs.
    """
    stat = os.stat(path)
    return list(_cached_peaks(os.fspath(path), stat.st_size, stat.st_mtime_ns, count))


@lru_cache(maxsize=256)
def _cached_peaks(path: str, size_bytes: int, mtime_ns: int, count: int) -> tuple[float, ...]:
    del size_bytes, mtime_ns  # part of the cache key only: a changed file is read again
    try:
        frames = sf.info(path).frames
        slice_frames = max(1, math.ceil(frames / count))
        levels: list[np.ndarray] = []
        for block in sf.blocks(path, blocksize=slice_frames * 512, dtype="float32", always_2d=True):
            loudest = np.abs(block).max(axis=1)
            pad = (-loudest.size) % slice_frames
            loudest = np.pad(loudest, (0, pad)).reshape(-1, slice_frames)
            levels.append(loudest.max(axis=1))
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"{path}: cannot read audio for the waveform ({exc})") from None
    joined = np.concatenate(levels) if levels else np.zeros(0, dtype=np.float32)
    return tuple(round(float(value), 4) for value in np.clip(joined, 0.0, 1.0))
