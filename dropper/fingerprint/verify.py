"""Verifying a candidate alignment: how many reference peaks reappear in the scanned song.

A copy makes the reference's landmark peaks reappear at the aligned time and frequency; a
chance alignment finds them only at the rate measured at decoy offsets. The log-likelihood
ratio of the two, maximized over a stretch of song time, is the match score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dropper.fingerprint.landmarks import BIN_SCALE, FingerprintParams

DECOY_SHIFTS_S = (-2.9, -1.7, 1.3, 2.3, 3.7)  # seconds; not multiples of common bar lengths
MIN_CHANCE_RATE = 0.005


class QueryGrid:
    """The scanned song's peaks on a boolean time-frequency grid, widened by a tolerance.

    Parameters
    ----------
    frames, bins : np.ndarray
        Peaks of the song (frames; 1/16 bins), as :func:`~dropper.fingerprint.landmarks.pick_peaks` gives.
    n_frames : int
        Frames in the song.
    params : FingerprintParams
    tol_frames, tol_bins : int
        A reference peak counts as found when a song peak is within this many frames and bins.
    """

    def __init__(self, frames: np.ndarray, bins: np.ndarray, n_frames: int, params: FingerprintParams,
                 *, tol_frames: int = 1, tol_bins: int = 1):
        n_bins = params.n_fft // 2 + 1
        n_frames = max(n_frames, 1)
        t = frames.astype(np.int64)
        f = np.round(bins / BIN_SCALE).astype(np.int64)
        grids = []
        for tol_t in (tol_frames, 0):
            grid = np.zeros((n_frames, n_bins), dtype=bool)
            for dt in range(-tol_t, tol_t + 1):
                for df in range(-tol_bins, tol_bins + 1):
                    grid[np.clip(t + dt, 0, n_frames - 1), np.clip(f + df, 0, n_bins - 1)] = True
            grids.append(grid)
        self.grid, self.exact = grids  # exact: no time tolerance, for refining an alignment
        self.n_frames, self.n_bins = self.grid.shape

    def found(self, t_q: np.ndarray, f_q: np.ndarray, *, exact: bool = False) -> np.ndarray:
        """For query-frame/bin positions (floats), True where a song peak is near."""
        t = np.round(t_q).astype(np.int64)
        f = np.round(f_q).astype(np.int64)
        inside = (t >= 0) & (t < self.n_frames) & (f >= 0) & (f < self.n_bins)
        out = np.zeros(t.size, dtype=bool)
        out[inside] = (self.exact if exact else self.grid)[t[inside], f[inside]]
        return out


@dataclass(frozen=True)
class Alignment:
    """A verified stretch: reference peaks ``first..last`` (inclusive) of the aligned ones.

    Times are in frames; ``speed`` and ``offset`` map ``t_ref = speed * t_query - offset``.
    """

    speed: float
    offset: float
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    found: int
    total: int
    chance_rate: float
    llr_bits: float

    @property
    def agreement(self) -> float:
        """Share of the reference peaks in the stretch found in the song."""
        return self.found / max(self.total, 1)


def project(ref_frames: np.ndarray, ref_bins: np.ndarray, speed: float, offset: float,
            n_query_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference peaks that land inside the song under the alignment, in song coordinates.

    Returns ``(index into ref arrays, t_query frames, f_query bins)``.
    """
    lo = np.searchsorted(ref_frames, speed * 0 - offset - 1, side="left")
    hi = np.searchsorted(ref_frames, speed * n_query_frames - offset + 1, side="right")
    idx = np.arange(lo, hi)
    t_q = (ref_frames[lo:hi].astype(np.float64) + offset) / speed
    f_q = ref_bins[lo:hi].astype(np.float64) * (speed / BIN_SCALE)
    keep = (t_q >= 0) & (t_q <= n_query_frames - 1)
    return idx[keep], t_q[keep], f_q[keep]


def found_count(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, speed: float,
                offset: float, window: tuple[float, float], *, exact: bool = False) -> tuple[int, int]:
    """``(found, total)`` reference peaks whose song time falls in ``window`` (frames)."""
    lo = np.searchsorted(ref_frames, speed * window[0] - offset, side="left")
    hi = np.searchsorted(ref_frames, speed * window[1] - offset, side="right")
    t_q = (ref_frames[lo:hi].astype(np.float64) + offset) / speed
    f_q = ref_bins[lo:hi].astype(np.float64) * (speed / BIN_SCALE)
    return int(grid.found(t_q, f_q, exact=exact).sum()), int(hi - lo)


def chance_rate(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, speed: float,
                offset: float, window: tuple[float, float], frame_s: float) -> float:
    """Share of reference peaks found at decoy offsets (a chance alignment), median of several."""
    rates = []
    for shift_s in DECOY_SHIFTS_S:
        found, total = found_count(grid, ref_frames, ref_bins, speed, offset + shift_s / frame_s, window)
        if total >= 10:
            rates.append(found / total)
    return max(float(np.median(rates)) if rates else 0.05, MIN_CHANCE_RATE)


def best_stretch(found: np.ndarray, p_copy: float, p_chance: float) -> tuple[int, int, float]:
    """The stretch of peaks with the largest log-likelihood ratio copy : chance (Kadane).

    Returns ``(first, last, llr_bits)``; ``first > last`` when no stretch scores above 0.
    """
    p_copy = max(p_copy, p_chance * 1.5)
    hit = np.log2(p_copy / p_chance)
    miss = np.log2((1 - p_copy) / (1 - p_chance))
    gains = np.where(found, hit, miss)
    best, best_first, best_last = 0.0, 0, -1
    running = np.cumsum(gains)
    # best stretch ending at i = running[i] - min(running[j], j < i, and 0)
    prefix_min = np.minimum.accumulate(np.concatenate([[0.0], running[:-1]]))
    if gains.size == 0:
        return 0, -1, 0.0
    scores = running - prefix_min
    last = int(np.argmax(scores))
    best = float(scores[last])
    if best <= 0:
        return 0, -1, 0.0
    # the start is just after where the prefix minimum was reached
    prefix = np.concatenate([[0.0], running[:last]])
    best_first = int(np.argmin(prefix))  # first occurrence: the longest stretch with that score
    best_last = last
    return best_first, best_last, best
