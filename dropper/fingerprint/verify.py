"""Verifying a candidate alignment: how many reference peaks reappear in the scanned song.

A copy makes the reference's landmark peaks reappear at the aligned time and frequency; a
chance alignment finds them only at the rate measured at decoy offsets. The log-likelihood
ratio of the two, maximized over a stretch of song time, is the match score.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from dropper.fingerprint.landmarks import BIN_SCALE

DECOY_SHIFTS_S = (-2.9, -1.7, 1.3, 2.3, 3.7)  # seconds; not multiples of common bar lengths
MIN_CHANCE_RATE = 0.005


class Tolerance(NamedTuple):
    """How near (frames, STFT bins) a song peak must be to an aligned reference peak."""

    frames: float
    bins: float


COARSE = Tolerance(1.5, 1.5)  # a voted alignment: offset to 2 frames, speed to 1 %
ALIGN = Tolerance(0.5, 0.5)  # refining speed and offset: exact in time and frequency
PRECISE = Tolerance(1.0, 0.5)  # a refined alignment: frequencies interpolated to 1/16 bin


class QueryGrid:
    """The scanned song's peaks, listed per frame, for "is there a song peak near here?".

    A reference peak counts as found when a song peak lies within a :class:`Tolerance` of
    its aligned position. Verification uses :data:`PRECISE`: peak frequencies are
    interpolated to 1/16 bin, so half a bin keeps almost every copied peak and lets through
    less than half the chance coincidences of a bin and a half.

    Parameters
    ----------
    frames, bins : np.ndarray
        Peaks of the song (frames; 1/16 bins), as :func:`~dropper.fingerprint.landmarks.pick_peaks` gives.
    n_frames : int
        Frames in the song.
    """

    def __init__(self, frames: np.ndarray, bins: np.ndarray, n_frames: int):
        self.n_frames = max(int(n_frames), 1)
        self.frames = np.asarray(frames, np.int64)
        self.bins = np.asarray(bins, np.int64)
        # starts[t]..starts[t+1]: the peaks of frame t (frames are sorted)
        self.starts = np.searchsorted(self.frames, np.arange(self.n_frames + 1)).astype(np.int64)

    def found(self, t_q: np.ndarray, f_q: np.ndarray, tolerance: Tolerance = PRECISE) -> np.ndarray:
        """For query-frame/bin positions (floats), True where a song peak is near."""
        return _found(self.starts, self.bins, np.asarray(t_q, np.float64),
                      np.asarray(f_q, np.float64) * BIN_SCALE, tolerance.frames,
                      tolerance.bins * BIN_SCALE)


@njit(cache=True, nogil=True)
def _near(starts: np.ndarray, bins: np.ndarray, t: float, f16: float, tol_t: float,
          tol_f: float) -> bool:  # pragma: no cover - compiled
    """Whether a song peak lies within ``tol_t`` frames and ``tol_f`` 1/16 bins of ``(t, f16)``."""
    n_t = starts.size - 1
    t0 = max(int(np.ceil(t - tol_t)), 0)
    t1 = min(int(np.floor(t + tol_t)), n_t - 1)
    for frame in range(t0, t1 + 1):
        for j in range(starts[frame], starts[frame + 1]):
            if abs(bins[j] - f16) <= tol_f:
                return True
    return False


@njit(cache=True, nogil=True)
def _found(starts: np.ndarray, bins: np.ndarray, t_q: np.ndarray, f16: np.ndarray, tol_t: float,
           tol_f: float) -> np.ndarray:  # pragma: no cover - compiled
    out = np.zeros(t_q.size, np.bool_)
    for i in range(t_q.size):
        out[i] = _near(starts, bins, t_q[i], f16[i], tol_t, tol_f)
    return out


@njit(cache=True, nogil=True)
def _count(starts: np.ndarray, bins: np.ndarray, ref_frames: np.ndarray, ref_bins: np.ndarray,
           speed: float, offset: float, t0: float, t1: float, tol_t: float,
           tol_f: float) -> tuple[int, int]:  # pragma: no cover - compiled
    """``(found, total)`` reference peaks whose song time falls in ``t0..t1`` (frames)."""
    lo = np.searchsorted(ref_frames, speed * t0 - offset, side="left")
    hi = np.searchsorted(ref_frames, speed * t1 - offset, side="right")
    found = 0
    for i in range(lo, hi):
        if _near(starts, bins, (ref_frames[i] + offset) / speed, ref_bins[i] * speed, tol_t, tol_f):
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
                offset: float, window: tuple[float, float], tolerance: Tolerance = PRECISE
                ) -> tuple[int, int]:
    """``(found, total)`` reference peaks whose song time falls in ``window`` (frames)."""
    found, total = _count(grid.starts, grid.bins, ref_frames, ref_bins, float(speed), float(offset),
                          float(window[0]), float(window[1]), tolerance.frames,
                          tolerance.bins * BIN_SCALE)
    return int(found), int(total)


def best_fit(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, speeds: np.ndarray,
             shifts: np.ndarray, center: float, ref_center: float, window: tuple[float, float]
             ) -> tuple[float, float]:
    """The ``(speed, shift)`` of ``speeds`` x ``shifts`` that finds the most reference peaks in
    ``window`` within :data:`ALIGN` of a song peak, for the alignment that maps song frame
    ``center`` to reference frame ``ref_center`` (offset ``speed * center - ref_center + shift``).
    Ties go to the earliest speed, then the earliest shift."""
    best = _best_fit(grid.starts, grid.bins, ref_frames, ref_bins, np.asarray(speeds, np.float64),
                     np.asarray(shifts, np.float64), float(center), float(ref_center),
                     float(window[0]), float(window[1]), ALIGN.frames, ALIGN.bins * BIN_SCALE)
    return float(speeds[best // len(shifts)]), float(shifts[best % len(shifts)])


@njit(cache=True, nogil=True)
def _best_fit(starts: np.ndarray, bins: np.ndarray, ref_frames: np.ndarray, ref_bins: np.ndarray,
              speeds: np.ndarray, shifts: np.ndarray, center: float, ref_center: float, t0: float,
              t1: float, tol_t: float, tol_f: float) -> int:  # pragma: no cover - compiled
    best, best_found = 0, -1
    for i in range(speeds.size):
        for j in range(shifts.size):
            offset = speeds[i] * center - ref_center + shifts[j]
            found, _ = _count(starts, bins, ref_frames, ref_bins, speeds[i], offset, t0, t1,
                              tol_t, tol_f)
            if found > best_found:
                best, best_found = i * shifts.size + j, found
    return best


def densest_window(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, speed: float,
                   offset: float, window: tuple[float, float], *, span: float, min_total: int,
                   tolerance: Tolerance) -> tuple[float, float]:
    """The ``span`` frames of song time within ``window`` where the largest share of the
    aligned reference peaks is found: ``(share, song frame where it starts)``; spans with
    fewer than ``min_total`` reference peaks count as 0, and ``(0.0, window start)`` when none
    has enough."""
    rate, start = _densest_window(grid.starts, grid.bins, ref_frames, ref_bins, float(speed),
                                  float(offset), float(window[0]), float(window[1]), float(span),
                                  int(min_total), tolerance.frames, tolerance.bins * BIN_SCALE)
    return float(rate), float(start)


@njit(cache=True, nogil=True)
def _densest_window(starts: np.ndarray, bins: np.ndarray, ref_frames: np.ndarray,
                    ref_bins: np.ndarray, speed: float, offset: float, t0: float, t1: float,
                    span: float, min_total: int, tol_t: float,
                    tol_f: float) -> tuple[float, float]:  # pragma: no cover - compiled
    lo = np.searchsorted(ref_frames, speed * t0 - offset, side="left")
    hi = np.searchsorted(ref_frames, speed * t1 - offset, side="left")
    n = hi - lo
    if n < min_total:
        return 0.0, t0
    t_q = np.empty(n, np.float64)
    found = np.zeros(n + 1, np.int64)  # found[i]: peaks found among the first i
    for i in range(n):
        t_q[i] = (ref_frames[lo + i] + offset) / speed
        near = _near(starts, bins, t_q[i], ref_bins[lo + i] * speed, tol_t, tol_f)
        found[i + 1] = found[i] + (1 if near else 0)
    best, best_start, end = 0.0, t_q[0], 0
    for i in range(n):
        while end < n and t_q[end] < t_q[i] + span:
            end += 1
        total = end - i
        if total >= min_total:
            rate = (found[end] - found[i]) / total
            if rate > best:
                best, best_start = rate, t_q[i]
    return best, best_start


def chance_rate(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, speed: float,
                offset: float, window: tuple[float, float], frame_s: float) -> float:
    """Share of reference peaks found at decoy offsets (a chance alignment), median of several."""
    rates: list[float] = []
    for shift_s in DECOY_SHIFTS_S:
        found, total = found_count(grid, ref_frames, ref_bins, speed, offset + shift_s / frame_s, window)
        if total >= 10:
            rates.append(found / total)
    # statistics.median: numpy's costs more than the counting for five numbers
    return max(float(statistics.median(rates)) if rates else 0.05, MIN_CHANCE_RATE)


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
