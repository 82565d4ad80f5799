"""When the analysis listens: analysis frames locked to the video frames, and the reduction of
each video frame's analysis frames to the one row of features it shows.

A video frame lasts ``SR / fps`` samples, more than the STFT window at low frame rates; one
analysis frame per video frame would leave whole stretches of audio unheard (63% at 4 fps).
So each video frame is split into ``per_frame`` equal analysis hops of at most :data:`MAX_HOP`
samples, centred in its span, and the rows are reduced per video frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_HOP = 1024  # longest analysis hop in samples: half the 2048-sample window, so windows overlap


@dataclass(frozen=True)
class AnalysisClock:
    """The analysis frames of a video at ``sr / fps`` samples per frame.

    Video frame ``i`` shows time ``i / fps`` and spans half a frame either side of it; its
    analysis frames ``m = i * per_frame + j`` (``j < per_frame``) are centred at
    ``i + (j + 0.5) / per_frame - 0.5`` video frames, rounded to a sample. With one analysis
    frame per video frame (any fps from ~21.5 up, the default 30 included) the analysis frame
    sits on the video frame's time.
    """

    frame_samples: float  # samples per video frame, sr / fps
    per_frame: int  # analysis frames per video frame

    @classmethod
    def for_fps(cls, fps: float, sr: int, max_hop: int = MAX_HOP) -> AnalysisClock:
        frame_samples = sr / fps
        return cls(frame_samples, max(1, math.ceil(frame_samples / max_hop - 1e-9)))

    @property
    def hop(self) -> float:
        """Samples between analysis frames (fractional when the video frame is)."""
        return self.frame_samples / self.per_frame

    def centres(self, first: int, stop: int) -> np.ndarray:
        """int64 sample index of the centre of analysis frames ``first .. stop - 1`` (a frame
        before the song's start is centred at a negative index)."""
        m = np.arange(first, stop, dtype=np.float64)
        return np.floor(((m + 0.5) / self.per_frame - 0.5) * self.frame_samples + 0.5).astype(np.int64)

    def count_through(self, sample: int) -> int:
        """How many analysis frames are centred at or before ``sample``."""
        guess = max(0, int((sample / self.frame_samples + 0.5) * self.per_frame - 0.5) + 2)
        centres = self.centres(0, guess + 1)
        return int(np.searchsorted(centres, sample, side="right"))


def per_video_frame(levels: np.ndarray, frames: int, per_frame: int) -> np.ndarray:
    """One row of dB levels per video frame from its analysis frames.

    Percussive bands (columns 13 on) take their loudest analysis frame, so that a hit between
    two video frames' times still flashes; pitch classes and loudness (columns 0-12) take the
    mean power over the frame, the level a listener hears while it shows. The last video frame
    also takes any analysis frames after its own.

    Parameters
    ----------
    levels : (analysis frames, 13 + n_bands) dB rows [chroma 12, loudness, bands], analysis
        frame ``m`` belonging to video frame ``m // per_frame``.
    frames : number of video frames.
    per_frame : analysis frames per video frame.

    Returns
    -------
    (frames, 13 + n_bands) float32 dB rows; ``levels[:frames]`` unchanged when each video
    frame has one analysis frame.
    """
    n = levels.shape[0]
    if n == 0:
        return np.full((frames, levels.shape[1]), -200.0, np.float32)
    starts = np.minimum(np.arange(frames) * per_frame, n - 1)
    stops = np.maximum(np.minimum(starts + per_frame, n), starts + 1)
    stops[-1] = max(stops[-1], n)
    counts = stops - starts
    if counts.max() == 1:
        return levels[starts]
    index = starts[:, None] + np.arange(counts.max())[None, :]
    inside = (index < stops[:, None])[:, :, None]
    rows = levels[np.minimum(index, n - 1)].astype(np.float64)  # (frames, most rows, columns)
    out = np.empty((frames, levels.shape[1]), np.float64)
    power = np.where(inside, 10.0 ** (rows[:, :, :13] / 10.0), 0.0).sum(axis=1)
    out[:, :13] = 10.0 * np.log10(power / counts[:, None])
    out[:, 13:] = np.where(inside, rows[:, :, 13:], -np.inf).max(axis=1)
    return out.astype(np.float32)


def uniform_step(starts: np.ndarray) -> int:
    """The spacing of window ``starts`` (from 0) when it is one whole number of samples, else 0:
    then a strided view takes the windows without copying them one by one."""
    if starts.size < 2:
        return 1
    step = int(starts[1])
    return step if step > 0 and np.array_equal(starts, np.arange(starts.size) * step) else 0
