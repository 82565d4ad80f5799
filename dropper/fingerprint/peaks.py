"""Compiled peak picking: local maxima of a dB spectrogram that stand out from their surroundings.

One pass finds the candidates, one ranks them per time block; ``scipy.ndimage`` filters over the
whole spectrogram cost about ten times more (most cells fail the first comparison here).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def box_mean(x: np.ndarray, half_t: int, half_f: int) -> np.ndarray:  # pragma: no cover - compiled
    """Mean of each cell's ``(2 half_t + 1, 2 half_f + 1)`` box, edges extended (``mode="nearest"``)."""
    n_t, n_f = x.shape
    along_t = np.empty((n_t, n_f), np.float32)
    acc = np.zeros(n_f, np.float64)
    for k in range(-half_t, half_t + 1):
        row = min(max(k, 0), n_t - 1)
        for f in range(n_f):
            acc[f] += x[row, f]
    for t in range(n_t):
        for f in range(n_f):
            along_t[t, f] = acc[f]
        enter, leave = min(t + half_t + 1, n_t - 1), max(t - half_t, 0)
        for f in range(n_f):
            acc[f] += x[enter, f] - x[leave, f]
    out = np.empty((n_t, n_f), np.float32)
    scale = 1.0 / ((2 * half_t + 1) * (2 * half_f + 1))
    for t in range(n_t):
        total = 0.0
        for k in range(-half_f, half_f + 1):
            total += along_t[t, min(max(k, 0), n_f - 1)]
        for f in range(n_f):
            out[t, f] = total * scale
            total += along_t[t, min(f + half_f + 1, n_f - 1)] - along_t[t, max(f - half_f, 0)]
    return out


@njit(cache=True, nogil=True)
def local_peaks(band: np.ndarray, background: np.ndarray, min_level_db: np.ndarray, radius_t: int,
                radius_f: int, min_prominence_db: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Cells (not in the first or last column) that are the maximum of their neighbourhood,
    above ``min_level_db[f]`` and ``min_prominence_db`` over ``background``.

    Returns ``(t, f, prominence)`` in (t, f) order.
    """
    n_t, n_f = band.shape
    cap = 1024
    out_t = np.empty(cap, np.int64)
    out_f = np.empty(cap, np.int64)
    out_p = np.empty(cap, np.float32)
    n = 0
    for t in range(n_t):
        t0, t1 = max(t - radius_t, 0), min(t + radius_t, n_t - 1)
        for f in range(1, n_f - 1):
            v = band[t, f]
            if v <= min_level_db[f] or v - background[t, f] <= min_prominence_db:
                continue
            if band[t, f - 1] > v or band[t, f + 1] > v:
                continue
            if radius_t > 0 and ((t > 0 and band[t - 1, f] > v) or (t + 1 < n_t and band[t + 1, f] > v)):
                continue  # the nearest cells reject most candidates before the whole box
            f0, f1 = max(f - radius_f, 0), min(f + radius_f, n_f - 1)
            is_max = True
            for tt in range(t0, t1 + 1):
                for ff in range(f0, f1 + 1):
                    if band[tt, ff] > v:
                        is_max = False
                        break
                if not is_max:
                    break
            if not is_max:
                continue
            if n == cap:
                cap *= 2
                out_t, out_f, out_p = _grow(out_t, cap), _grow(out_f, cap), _grow(out_p, cap)
            out_t[n], out_f[n], out_p[n] = t, f, v - background[t, f]
            n += 1
    return out_t[:n], out_f[:n], out_p[:n]


@njit(cache=True, nogil=True)
def _grow(a: np.ndarray, cap: int) -> np.ndarray:  # pragma: no cover - compiled
    out = np.empty(cap, a.dtype)
    out[:a.size] = a
    return out


@njit(cache=True, nogil=True)
def rank_in_blocks(t: np.ndarray, strength: np.ndarray, block_frames: int
                   ) -> np.ndarray:  # pragma: no cover - compiled
    """Rank of each peak's strength within its block of ``block_frames`` frames (0 = strongest;
    ties by time order). ``t`` must be sorted."""
    rank = np.empty(t.size, np.int32)
    start = 0
    while start < t.size:
        block = t[start] // block_frames
        stop = start
        while stop < t.size and t[stop] // block_frames == block:
            stop += 1
        order = np.argsort(-strength[start:stop], kind="mergesort")
        for r in range(order.size):
            rank[start + order[r]] = r
        start = stop
    return rank


def power_db(spectrum: np.ndarray, lo: int, hi: int, scale: float) -> np.ndarray:
    """``10 log10(|X|^2 scale^2)`` of bins ``lo..hi-1`` of a complex spectrum, float32."""
    out = _power(spectrum, lo, hi, scale)
    # numpy's float32 natural log is vectorized (a compiled loop is slower) and costs a third
    # of its log10
    np.log(out, out=out)
    out *= np.float32(10.0 / np.log(10.0))
    return out


@njit(cache=True, nogil=True)
def _power(spectrum: np.ndarray, lo: int, hi: int, scale: float) -> np.ndarray:  # pragma: no cover
    n_t = spectrum.shape[0]
    out = np.empty((n_t, hi - lo), np.float32)
    s2 = np.float32(scale * scale)
    for t in range(n_t):
        for f in range(lo, hi):
            z = spectrum[t, f]
            out[t, f - lo] = (z.real * z.real + z.imag * z.imag) * s2 + np.float32(1e-14)
    return out
