"""Scanning a song against a reference index: candidate alignments by hash votes, then verified.

Hashes of the song's peak pairs, rescaled at a few candidate speeds, vote for (track, speed,
time offset); the best-voted alignments are verified peak by peak (``verify.py``), and the
stretches that beat chance by the shipped thresholds become :class:`Match` es.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, fields, replace

import numpy as np
from numba import njit

from dropper.fingerprint.index import ReferenceIndex
from dropper.fingerprint.landmarks import (
    BIN_SCALE,
    FingerprintParams,
    pair_hashes,
    peak_pairs,
    peaks_of,
)
from dropper.fingerprint.verify import (
    Alignment,
    QueryGrid,
    best_stretch,
    chance_rate,
    dense_stretch,
    found_count,
    frequency_ratio,
    project,
    stretch_llr,
)

_OFFSET_BIN = 2  # frames per vote bin of the time offset
_BLOCK_FRAMES = 250  # frames per block of song time in which votes are counted (4 s)
_BLOCK_BITS = 12


@dataclass(frozen=True)
class ClearanceThresholds:
    """What makes a scanned passage a flagged copy. The defaults are shipped, calibrated data.

    A candidate alignment becomes a :class:`Match` when its best stretch scores at least
    ``min_score_bits``, lasts at least ``min_matched_s`` and reproduces at least
    ``min_agreement`` of the reference's peaks. The defaults were calibrated on copy-free
    material only (8 synthesized songs and 9 recorded tracks held out of every benchmark
    query, each clean, with 10 dB noise, MP3 64k and 4 kHz low-pass: 68 scans against a
    1.7-hour catalog; ``benchmarks/fingerprint.py --calibrate``). With the score threshold at 0,
    no chance alignment there reproduced 45 % of the reference peaks over 1.5 s (so none would
    be flagged at any score), and the best one allowed down to 25 % scored 100.8 bits at 33 %
    (89.9 bits before format 2, whose deeper candidate list and measured speeds fit chance a
    little better): the two thresholds guard together, 100 bits and 45 %.

    Parameters
    ----------
    min_score_bits : float
        Log-likelihood ratio, in bits, of "copy" against "chance alignment" for the stretch.
    min_matched_s : float
        Shortest flagged passage, in seconds of the scanned song.
    min_agreement : float
        Smallest share (0–1) of the reference's peaks in the stretch found in the song.
    copy_rate : float
        Peak agreement a copy is assumed to keep (the alternative hypothesis of the score).
    min_votes : int
        Hash votes an alignment needs to be verified at all.
    max_candidates : int
        Alignments verified per song, best-voted first.
    """

    min_score_bits: float = 100.0
    min_matched_s: float = 1.5
    min_agreement: float = 0.45
    copy_rate: float = 0.5
    min_votes: int = 4
    max_candidates: int = 60

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ClearanceThresholds:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"clearance thresholds: unknown key(s) {unknown}; known: {sorted(known)}")
        return cls(**values)


@dataclass(frozen=True)
class Match:
    """A passage of the scanned song that copies a reference track.

    Attributes
    ----------
    track_id, track_name : str
        The reference track.
    query_start_s, query_end_s : float
        The copied passage in the scanned song, in seconds.
    reference_start_s, reference_end_s : float
        The same passage in the reference track, in seconds.
    matched_s : float
        Duration of the aligned passage in the scanned song, in seconds.
    speed : float
        Speed of the song relative to the reference (1.02: the song plays 2 % faster).
    score : float
        Log-likelihood ratio, in bits, that the passage is a copy rather than a chance
        alignment: each reference peak found again adds ``log2(copy_rate / chance_rate)``,
        each one missing subtracts; chance alignments of copy-free songs stay far below
        ``ClearanceThresholds.min_score_bits``.
    agreement : float
        Share (0–1) of the reference's landmark peaks in the passage found in the song.
    chance_rate : float
        The share found at decoy alignments (what chance gives for this song and track).
    """

    track_id: str
    track_name: str
    query_start_s: float
    query_end_s: float
    reference_start_s: float
    reference_end_s: float
    matched_s: float
    speed: float
    score: float
    agreement: float = 0.0
    chance_rate: float = 0.0

    def to_dict(self) -> dict:
        """Rounded, deterministic dict (times to 0.01 s, speed to 1e-4, score to 0.1 bit)."""
        return {
            "track_id": self.track_id, "track_name": self.track_name,
            "query_start_s": round(self.query_start_s, 2), "query_end_s": round(self.query_end_s, 2),
            "reference_start_s": round(self.reference_start_s, 2),
            "reference_end_s": round(self.reference_end_s, 2),
            "matched_s": round(self.matched_s, 2), "speed": round(self.speed, 4),
            "score": round(self.score, 1), "agreement": round(self.agreement, 3),
            "chance_rate": round(self.chance_rate, 4),
        }


@dataclass(frozen=True)
class _Candidate:
    track: int
    speed: float
    offset: float  # frames: t_ref = speed * t_query - offset
    votes: int
    center: float  # median song frame of the votes


def scan(y: np.ndarray, sr: int, index: ReferenceIndex, *,
         thresholds: ClearanceThresholds = ClearanceThresholds(),
         exclude: Collection[str] = ()) -> list[Match]:
    """Find the passages of a song copied from tracks of ``index``.

    Parameters
    ----------
    y : np.ndarray
        The song, 1-D or ``(channels, samples)``, any sample rate.
    sr : int
        Sample rate of ``y`` in Hz.
    index : ReferenceIndex
        The reference catalog (or the drop's own songs, for the intra-drop scan).
    thresholds : ClearanceThresholds
        What counts as a copy; the defaults are the shipped, calibrated ones.
    exclude : collection of str
        Track ids to ignore (a song's own id when it is in the index).

    Returns
    -------
    list of Match
        Sorted by song time, then track id; empty for an original song. Deterministic.
    """
    params = index.params
    frames, bins, rank, duration_s = peaks_of(y, sr, params, params.query_peaks_per_s)
    n_frames = int(np.ceil(duration_s / params.frame_s)) + 1
    tracks = index.tracks
    if frames.size < 2 or not tracks:
        return []
    excluded = np.array([i for i, t in enumerate(tracks) if t.track_id in set(exclude)], np.int64)
    keep_n = round(params.peaks_per_s * round(1.0 / params.frame_s) * params.frame_s)
    strong = rank < keep_n  # hash only as many peaks per second as the reference has
    candidates = _vote(frames[strong], bins[strong], index, params, thresholds, excluded)
    if not candidates:
        return []
    grid = QueryGrid(frames, bins, n_frames, params)
    matches = []
    for candidate in candidates:
        track = tracks[candidate.track]
        ref_frames, ref_bins = index.peaks(track.track_id)
        alignment = _verify(grid, ref_frames, ref_bins, candidate, params, thresholds)
        if alignment is None:
            continue
        matches.append(_to_match(alignment, track, params))
    return _keep_best(matches)


def _vote(frames: np.ndarray, bins: np.ndarray, index: ReferenceIndex, params: FingerprintParams,
          thresholds: ClearanceThresholds, excluded: np.ndarray) -> list[_Candidate]:
    """Alignments (track, speed, offset) with the most hash votes."""
    anchors, targets = peak_pairs(frames, bins, params, params.query_fan_out)
    all_hashes, all_speed, all_time = [], [], []
    for k, speed in enumerate(params.speeds):
        hashes, valid = pair_hashes(frames, bins, anchors, targets, params, speed)
        all_hashes.append(hashes[valid])
        all_speed.append(np.full(int(valid.sum()), k, np.int64))
        all_time.append(frames[anchors[valid]].astype(np.int64))
    hashes, speed_k, t_query = (np.concatenate(a) for a in (all_hashes, all_speed, all_time))
    row, track, t_ref = index.lookup(hashes)
    if excluded.size:
        is_excluded = np.zeros(len(index.tracks), dtype=bool)
        is_excluded[excluded] = True
        keep = ~is_excluded[track]
        row, track, t_ref = row[keep], track[keep], t_ref[keep]
    if row.size == 0:
        return []
    speeds = np.asarray(params.speeds)
    k = speed_k[row]
    offset = np.round(speeds[k] * t_query[row]).astype(np.int64) - t_ref
    offset_bin = np.floor_divide(offset, _OFFSET_BIN) + (1 << 21)
    # Votes count in blocks of song time: a short copy must not drown in chance votes that
    # a whole song's worth of hashes piles up at one offset.
    block = np.minimum(t_query[row] // _BLOCK_FRAMES, (1 << _BLOCK_BITS) - 2)
    n_tracks = len(index.tracks)
    key = ((((k * n_tracks + track) << 22) | offset_bin) << _BLOCK_BITS) | block
    key.sort()
    unique, votes, mean_bin = _best_windows(key, thresholds.min_votes)
    order = np.lexsort((unique, -votes))
    out: list[_Candidate] = []
    by_track: dict[int, list[_Candidate]] = {}
    distinct = 0
    for i in order:
        alignment, b = int(unique[i]) >> _BLOCK_BITS, int(unique[i]) & ((1 << _BLOCK_BITS) - 1)
        k_i, track_i = divmod(alignment >> 22, n_tracks)
        candidate = _Candidate(track=track_i, speed=float(speeds[k_i]),
                               offset=float((mean_bin[i] - (1 << 21) + 0.5) * _OFFSET_BIN),
                               votes=int(votes[i]), center=float((b + 1) * _BLOCK_FRAMES))
        # The same copy voted at a neighbouring speed is verified too (its refined speed may
        # be the better one) but does not take one of the max_candidates places.
        same_track = by_track.setdefault(track_i, [])
        distinct += not any(_same_alignment(candidate, other) for other in same_track)
        if distinct > thresholds.max_candidates:
            break
        out.append(candidate)
        same_track.append(candidate)
    return out


def _same_alignment(a: _Candidate, b: _Candidate) -> bool:
    """Whether two candidates of one track put the same reference time at the same song time."""
    if a.track != b.track or abs(a.center - b.center) > _BLOCK_FRAMES:
        return False
    ref_a = a.speed * a.center - a.offset
    ref_b = b.speed * a.center - b.offset
    return abs(ref_a - ref_b) <= 4 * _OFFSET_BIN


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
        for d_b in (0, 1):
            step = (d_o << _BLOCK_BITS) + d_b
            j = 0
            for i in range(m):
                target = unique[i] + step
                while j < m and unique[j] < target:
                    j += 1
                if j < m and unique[j] == target:
                    smoothed[i] += counts[j]
                    weighted[i] += d_o * counts[j]
    # best window per alignment (ties: the earliest block)
    best_of = np.empty(m, np.int64)
    alignments = np.empty(m, np.int64)
    n_align = 0
    for i in range(m):
        a = unique[i] >> _BLOCK_BITS
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
        mean_bin[c] = ((unique[i] >> _BLOCK_BITS) & ((1 << 22) - 1)) + weighted[i] / max(smoothed[i], 1)
    return unique[chosen], smoothed[chosen], mean_bin


def _verify(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, candidate: _Candidate,
            params: FingerprintParams, thresholds: ClearanceThresholds) -> Alignment | None:
    """Refine the candidate's speed and offset, then find its best stretch; None if below threshold."""
    # Cheap first look: chance alignments reproduce few reference peaks; find the 2 s of the
    # voting window where the most come back, and go on only if enough do.
    window = (candidate.center - _BLOCK_FRAMES - 50, candidate.center + _BLOCK_FRAMES + 50)
    lo = np.searchsorted(ref_frames, candidate.speed * window[0] - candidate.offset)
    hi = np.searchsorted(ref_frames, candidate.speed * window[1] - candidate.offset)
    t_q = (ref_frames[lo:hi].astype(np.float64) + candidate.offset) / candidate.speed
    f_q = ref_bins[lo:hi].astype(np.float64) * (candidate.speed / BIN_SCALE)
    if t_q.size < 10:
        return None
    found = np.concatenate([[0], np.cumsum(grid.found(t_q, f_q))])
    ends = np.searchsorted(t_q, t_q + 2.0 / params.frame_s)
    total = ends - np.arange(t_q.size)
    rate = (found[ends] - found[:-1]) / np.maximum(total, 1)
    rate[total < 10] = 0
    best = int(np.argmax(rate))
    if rate[best] < thresholds.min_agreement:
        return None
    candidate = replace(candidate, center=float(t_q[best]) + 1.0 / params.frame_s)
    speed, offset = _refine(grid, ref_frames, ref_bins, candidate, params)
    first, last, llr, found, idx, t_q, p_chance = _stretch(grid, ref_frames, ref_bins, speed, offset,
                                                           params, thresholds)
    if last - first >= 20:
        # Measure the speed over the whole stretch from the found peaks' frequencies (8 s of
        # peak times tell 0.1 % steps apart only roughly); keep the reference time at the
        # stretch's middle, and the new alignment unless it scores clearly worse.
        middle = 0.5 * (t_q[first] + t_q[last])
        ratio, n = frequency_ratio(grid, ref_frames, ref_bins, speed, offset, (t_q[first], t_q[last]))
        if n >= 20 and abs(ratio - speed) <= 0.01 and \
                min(params.speeds) - 0.005 <= ratio <= max(params.speeds) + 0.005:
            measured_offset = ratio * middle - (speed * middle - offset)
            measured = _stretch(grid, ref_frames, ref_bins, ratio, measured_offset, params, thresholds)
            if measured[2] >= 0.9 * llr:
                speed, offset = ratio, measured_offset
                first, last, llr, found, idx, t_q, p_chance = measured
    if last < first:
        return None
    n_found = int(found[first:last + 1].sum())
    total = last - first + 1
    alignment = Alignment(speed=speed, offset=offset, query_start=float(t_q[first]),
                          query_end=float(t_q[last]), ref_start=float(ref_frames[idx[first]]),
                          ref_end=float(ref_frames[idx[last]]), found=n_found, total=total,
                          chance_rate=p_chance, llr_bits=llr)
    matched_s = (alignment.query_end - alignment.query_start) * params.frame_s
    if (llr < thresholds.min_score_bits or matched_s < thresholds.min_matched_s
            or alignment.agreement < thresholds.min_agreement):
        return None
    return alignment


def _stretch(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, speed: float, offset: float,
             params: FingerprintParams, thresholds: ClearanceThresholds):
    """The aligned peaks' best stretch: ``(first, last, llr, found, idx, t_q, chance_rate)``."""
    idx, t_q, f_q = project(ref_frames, ref_bins, speed, offset, grid.n_frames)
    if idx.size == 0:
        return 0, -1, 0.0, np.zeros(0, bool), idx, t_q, 0.0
    found = grid.found(t_q, f_q)
    window = (float(t_q[0]), float(t_q[-1]))
    p_chance = chance_rate(grid, ref_frames, ref_bins, speed, offset, window, params.frame_s)
    first, last, llr = best_stretch(found, thresholds.copy_rate, p_chance)
    if last >= first and found[first:last + 1].mean() < thresholds.min_agreement:
        # The best-scoring stretch runs on into weakly copied music: keep its densest part
        # (a part never scores more than the whole best stretch, so chance gains nothing).
        inner_first, inner_last = dense_stretch(found[first:last + 1], thresholds.min_agreement)
        first, last = first + inner_first, first + inner_last
        llr = stretch_llr(found[first:last + 1], thresholds.copy_rate, p_chance)
    return first, last, llr, found, idx, t_q, p_chance


def _refine(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, candidate: _Candidate,
            params: FingerprintParams) -> tuple[float, float]:
    """Speed (steps of 0.1 %), then offset (half frames) that put the most reference peaks
    exactly on song peaks within 4 s of the votes' center; the center's reference time stays.

    The speed stays within 0.5 % of the voted grid speed: the grid's 1 % steps put every
    speed that near one of them (the alignment voted at the nearest grid speed is verified too).
    """
    center = candidate.center
    ref_center = candidate.speed * center - candidate.offset
    window = (center - 4.0 / params.frame_s, center + 4.0 / params.frame_s)

    def found(speed: float, shift: float) -> int:
        offset = speed * center - ref_center + shift
        return found_count(grid, ref_frames, ref_bins, speed, offset, window, exact=True)[0]

    # ties go to the step closest to the voted alignment
    steps = sorted(range(-5, 6), key=abs)
    speed = max((candidate.speed * (1 + 0.001 * step) for step in steps), key=lambda s: found(s, 0.0))
    shift = max((0.0, -0.5, 0.5, -1.0, 1.0), key=lambda d: found(speed, d))
    return speed, speed * center - ref_center + shift


def _to_match(alignment: Alignment, track, params: FingerprintParams) -> Match:
    frame_s = params.frame_s
    return Match(track_id=track.track_id, track_name=track.name,
                 query_start_s=alignment.query_start * frame_s,
                 query_end_s=alignment.query_end * frame_s,
                 reference_start_s=alignment.ref_start * frame_s,
                 reference_end_s=alignment.ref_end * frame_s,
                 matched_s=(alignment.query_end - alignment.query_start) * frame_s,
                 speed=alignment.speed, score=alignment.llr_bits, agreement=alignment.agreement,
                 chance_rate=alignment.chance_rate)


def _keep_best(matches: list[Match]) -> list[Match]:
    """Of the matches to one track that overlap in song time, keep the highest-scoring."""
    kept: list[Match] = []
    for match in sorted(matches, key=lambda m: (-m.score, m.track_id, m.query_start_s)):
        if any(other.track_id == match.track_id and other.query_start_s < match.query_end_s
               and match.query_start_s < other.query_end_s for other in kept):
            continue
        kept.append(match)
    return sorted(kept, key=lambda m: (m.query_start_s, m.track_id, m.reference_start_s))
