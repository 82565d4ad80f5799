"""Hash votes: which (track, speed, time offset) alignments a song's landmark hashes point to.

Each hash of the song, rescaled at each candidate speed, looks up its reference entries; every
entry is a vote for an alignment, counted in blocks of song time by a compiled counter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from dropper.fingerprint.index import ReferenceIndex
from dropper.fingerprint.landmarks import pair_hashes, peak_pairs

OFFSET_BIN = 2  # frames per vote bin of the time offset
BLOCK_FRAMES = 250  # frames per block of song time in which votes are counted (4 s)
BLOCK_BITS = 12


@dataclass(frozen=True)
class Candidate:
    """An alignment worth verifying: ``t_ref = speed * t_query - offset`` (frames) for ``track``."""

    track: int  # position in index.tracks
    speed: float
    offset: float  # frames: t_ref = speed * t_query - offset
    votes: int
    center: float  # median song frame of the votes


def vote(frames: np.ndarray, bins: np.ndarray, index: ReferenceIndex, *, min_votes: int,
         max_candidates: int, excluded: np.ndarray) -> list[Candidate]:
    """Alignments (track, speed, offset) with the most hash votes, best first.

    Parameters
    ----------
    frames, bins : np.ndarray
        The song's hashed peaks (frames; 1/16 bins), sorted by frame.
    index : ReferenceIndex
        The catalog voted for.
    min_votes : int
        Votes a window needs to become a candidate.
    max_candidates : int
        Distinct alignments returned (the same copy voted at a neighbouring grid speed is
        returned too, without taking a place).
    excluded : np.ndarray
        Track numbers (positions in ``index.tracks``) that get no votes.
    """
    params = index.params
    anchors, targets = peak_pairs(frames, bins, params, params.query_fan_out)
    all_hashes, all_speed, all_time = [], [], []
    for k, speed in enumerate(params.speeds):
        hashes, valid = pair_hashes(frames, bins, anchors, targets, params, speed)
        all_hashes.append(hashes[valid])
        all_speed.append(np.full(int(valid.sum()), k, np.int64))
        all_time.append(frames[anchors[valid]].astype(np.int64))
    hashes, speed_k, t_query = (np.concatenate(a) for a in (all_hashes, all_speed, all_time))
    row, track, t_ref = index.lookup(hashes)
    n_tracks = len(index.tracks)
    is_excluded = np.zeros(n_tracks, dtype=np.bool_)
    is_excluded[excluded] = True
    speeds = np.asarray(params.speeds, np.float64)
    key = _vote_keys(row, track, t_ref, speed_k, t_query, speeds, n_tracks, is_excluded)
    if key.size == 0:
        return []
    key.sort()
    unique, votes, mean_bin = _best_windows(key, min_votes)
    order = np.lexsort((unique, -votes))
    out: list[Candidate] = []
    by_track: dict[int, list[Candidate]] = {}
    distinct = 0
    for i in order:
        alignment, b = int(unique[i]) >> BLOCK_BITS, int(unique[i]) & ((1 << BLOCK_BITS) - 1)
        k_i, track_i = divmod(alignment >> 22, n_tracks)
        candidate = Candidate(track=track_i, speed=float(speeds[k_i]),
                               offset=float((mean_bin[i] - (1 << 21) + 0.5) * OFFSET_BIN),
                               votes=int(votes[i]), center=float((b + 1) * BLOCK_FRAMES))
        # The same copy voted at a neighbouring speed is verified too (its refined speed may
        # be the better one) but does not take one of the max_candidates places.
        same_track = by_track.setdefault(track_i, [])
        distinct += not any(_same_alignment(candidate, other) for other in same_track)
        if distinct > max_candidates:
            break
        out.append(candidate)
        same_track.append(candidate)
    return out


def _same_alignment(a: Candidate, b: Candidate) -> bool:
    """Whether two candidates of one track put the same reference time at the same song time."""
    if a.track != b.track or abs(a.center - b.center) > BLOCK_FRAMES:
        return False
    ref_a = a.speed * a.center - a.offset
    ref_b = b.speed * a.center - b.offset
    return abs(ref_a - ref_b) <= 4 * OFFSET_BIN


@njit(cache=True, nogil=True)
def _vote_keys(row: np.ndarray, track: np.ndarray, t_ref: np.ndarray, speed_k: np.ndarray,
               t_query: np.ndarray, speeds: np.ndarray, n_tracks: int, is_excluded: np.ndarray
               ) -> np.ndarray:  # pragma: no cover - compiled
    """One key per vote (excluded tracks get none): ``alignment << BLOCK_BITS | block``, where
    alignment = ``(speed k, track) << 22 | offset bin``.

    Votes count in blocks of song time: a short copy must not drown in the chance votes
    that a whole song's worth of hashes piles up at one offset.
    """
    key = np.empty(row.size, np.int64)
    n = 0
    for i in range(row.size):
        if is_excluded[track[i]]:
            continue
        q = row[i]
        k = speed_k[q]
        offset = np.int64(np.round(speeds[k] * t_query[q])) - t_ref[i]
        offset_bin = offset // OFFSET_BIN + (1 << 21)
        block = min(t_query[q] // BLOCK_FRAMES, (1 << BLOCK_BITS) - 2)
        key[n] = ((((k * n_tracks + track[i]) << 22) | offset_bin) << BLOCK_BITS) | block
        n += 1
    return key[:n]


@njit(cache=True, nogil=True)
def _best_windows(key: np.ndarray, min_votes: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The best-voted window of each alignment that beats its neighbouring offset bins.

    ``key`` (sorted) is ``alignment << BLOCK_BITS | block`` per vote, alignment =
    ``(speed, track) << 22 | offset bin``. A window sums offset bins o-1..o+1 (a true offset
    can sit on a bin edge) and song blocks b, b+1 (a copy can straddle two blocks). Returns
    the windows' keys, votes and vote-weighted mean offset bin.
    """
    n = key.size
    unique = np.empty(n, np.int64)
    counts = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        if m > 0 and key[i] == unique[m - 1]:
            counts[m - 1] += 1
        else:
            unique[m], counts[m] = key[i], 1
            m += 1
    unique, counts = unique[:m], counts[:m]
    smoothed = np.zeros(m, np.int64)
    weighted = np.zeros(m, np.float64)
    for d_o in (-1, 0, 1):
        j = 0  # blocks b and b + 1 of an offset bin are neighbours in the sorted keys
        for i in range(m):
            target = unique[i] + (d_o << BLOCK_BITS)
            while j < m and unique[j] < target:
                j += 1
            k = j
            if k < m and unique[k] == target:
                smoothed[i] += counts[k]
                weighted[i] += d_o * counts[k]
                k += 1
            if k < m and unique[k] == target + 1:
                smoothed[i] += counts[k]
                weighted[i] += d_o * counts[k]
    # best window per alignment (ties: the earliest block)
    best_of = np.empty(m, np.int64)
    alignments = np.empty(m, np.int64)
    n_align = 0
    for i in range(m):
        a = unique[i] >> BLOCK_BITS
        if n_align > 0 and alignments[n_align - 1] == a:
            if smoothed[i] > smoothed[best_of[n_align - 1]]:
                best_of[n_align - 1] = i
        else:
            alignments[n_align], best_of[n_align] = a, i
            n_align += 1
    keep = np.zeros(n_align, np.bool_)
    for g in range(n_align):
        v = smoothed[best_of[g]]
        if v < min_votes:
            continue
        if g > 0 and alignments[g - 1] == alignments[g] - 1 and smoothed[best_of[g - 1]] >= v:
            continue
        if g + 1 < n_align and alignments[g + 1] == alignments[g] + 1 and smoothed[best_of[g + 1]] > v:
            continue
        keep[g] = True
    chosen = best_of[:n_align][keep]
    mean_bin = np.empty(chosen.size, np.float64)
    for c in range(chosen.size):
        i = chosen[c]
        mean_bin[c] = ((unique[i] >> BLOCK_BITS) & ((1 << 22) - 1)) + weighted[i] / max(smoothed[i], 1)
    return unique[chosen], smoothed[chosen], mean_bin
