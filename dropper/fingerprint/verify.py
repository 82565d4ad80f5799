"""Verifying a candidate alignment: how many reference peaks reappear in the scanned song.

A copy makes the reference's landmark peaks reappear at the aligned time and frequency; a
chance alignment finds them only at the rate measured at decoy offsets. The log-likelihood
ratio of the two, maximized over a stretch of song time, is the match score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

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
        self.frames, self.bins = t, np.asarray(bins, np.int64)
        self.n_frames, self.n_bins = self.grid.shape

    def found(self, t_q: np.ndarray, f_q: np.ndarray, *, exact: bool = False) -> np.ndarray:
        """For query-frame/bin positions (floats), True where a song peak is near."""
        return _found(self.exact if exact else self.grid, np.asarray(t_q, np.float64),
                      np.asarray(f_q, np.float64))


@njit(cache=True, nogil=True)
def _found(grid: np.ndarray, t_q: np.ndarray, f_q: np.ndarray) -> np.ndarray:  # pragma: no cover
    n_t, n_f = grid.shape
    out = np.zeros(t_q.size, np.bool_)
    for i in range(t_q.size):
        t, f = int(np.round(t_q[i])), int(np.round(f_q[i]))
        if 0 <= t < n_t and 0 <= f < n_f:
            out[i] = grid[t, f]
    return out


@njit(cache=True, nogil=True)
def _count(grid: np.ndarray, ref_frames: np.ndarray, ref_bins: np.ndarray, speed: float,
           offset: float, t0: float, t1: float) -> tuple[int, int]:  # pragma: no cover
    """``(found, total)`` reference peaks whose song time falls in ``t0..t1`` (frames)."""
    n_t, n_f = grid.shape
    lo = np.searchsorted(ref_frames, speed * t0 - offset, side="left")
    hi = np.searchsorted(ref_frames, speed * t1 - offset, side="right")
    found = 0
    for i in range(lo, hi):
        t = int(np.round((ref_frames[i] + offset) / speed))
        f = int(np.round(ref_bins[i] * speed / BIN_SCALE))
        if 0 <= t < n_t and 0 <= f < n_f and grid[t, f]:
            found += 1
    return found, hi - lo


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
    found, total = _count(grid.exact if exact else grid.grid, ref_frames, ref_bins, float(speed),
                          float(offset), float(window[0]), float(window[1]))
    return int(found), int(total)


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
    gains = _gains(found, p_copy, p_chance)
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



def stretch_llr(found: np.ndarray, p_copy: float, p_chance: float) -> float:
    """Log-likelihood ratio, in bits, of copy : chance for a stretch (see :func:`best_stretch`)."""
    return float(_gains(found, p_copy, p_chance).sum())


def _gains(found: np.ndarray, p_copy: float, p_chance: float) -> np.ndarray:
    p_copy = max(p_copy, p_chance * 1.5)
    return np.where(found, np.log2(p_copy / p_chance), np.log2((1 - p_copy) / (1 - p_chance)))


def dense_stretch(found: np.ndarray, min_rate: float) -> tuple[int, int]:
    """The stretch with the most found peaks beyond ``min_rate`` of its length (Kadane on
    ``found - min_rate``), so its share found is above ``min_rate``. ``first > last`` if none."""
    if found.size == 0:
        return 0, -1
    running = np.cumsum(np.where(found, 1.0 - min_rate, -min_rate))
    prefix = np.concatenate([[0.0], running])
    scores = running - np.minimum.accumulate(prefix[:-1])
    last = int(np.argmax(scores))
    if scores[last] <= 0:
        return 0, -1
    return int(np.argmin(prefix[:last + 1])), last


def frequency_ratio(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, speed: float,
                    offset: float, window: tuple[float, float]) -> tuple[float, int]:
    """Median ratio of song to reference frequency over the reference peaks found in ``window``
    (song frames), and how many were found: the speed, measured to a fraction of 0.1 %
    (peak frequencies are interpolated to 1/16 bin) rather than searched for."""
    ratio, n = _frequency_ratio(grid.frames, grid.bins, ref_frames, ref_bins, float(speed),
                                float(offset), float(window[0]), float(window[1]))
    return float(ratio), int(n)


@njit(cache=True, nogil=True)
def _frequency_ratio(q_frames: np.ndarray, q_bins: np.ndarray, ref_frames: np.ndarray,
                     ref_bins: np.ndarray, speed: float, offset: float, t0: float, t1: float
                     ) -> tuple[float, int]:  # pragma: no cover - compiled
    lo = np.searchsorted(ref_frames, speed * t0 - offset, side="left")
    hi = np.searchsorted(ref_frames, speed * t1 - offset, side="right")
    ratios = np.empty(max(hi - lo, 0), np.float64)
    n = 0
    for i in range(lo, hi):
        t = (ref_frames[i] + offset) / speed
        b = ref_bins[i] * speed
        if b <= 0:
            continue
        best, best_ratio = 1e9, 0.0
        j = np.searchsorted(q_frames, t - 1.5, side="left")
        while j < q_frames.size and q_frames[j] <= t + 1.5:
            distance = abs(q_bins[j] - b) / BIN_SCALE + abs(q_frames[j] - t)
            if abs(q_bins[j] - b) <= BIN_SCALE and distance < best:
                best, best_ratio = distance, q_bins[j] / float(ref_bins[i])
            j += 1
        if best < 1e9:
            ratios[n] = best_ratio
            n += 1
    if n == 0:
        return speed, 0
    return np.median(ratios[:n]), n
