"""Scanning a song against a reference index: candidate alignments by hash votes, then verified.

Hashes of the song's peak pairs, rescaled at a few candidate speeds, vote for (track, speed,
time offset) (``votes.py``); the best-voted alignments are verified peak by peak
(``verify.py``), and the stretches that beat chance by the shipped thresholds become
:class:`Match` es.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, replace

import numpy as np

from dropper.config import refuse_unknown_keys
from dropper.fingerprint.index import ReferenceIndex
from dropper.fingerprint.landmarks import (
    FingerprintParams,
    peaks_of,
)
from dropper.fingerprint.verify import (
    COARSE,
    Alignment,
    QueryGrid,
    best_fit,
    best_stretch,
    chance_rate,
    dense_stretch,
    densest_window,
    frequency_ratio,
    project,
    stretch_llr,
)
from dropper.fingerprint.votes import BLOCK_FRAMES, Candidate, vote

FIRST_LOOK_RATE = 0.45  # share of reference peaks near song peaks in a candidate's best 2 s


@dataclass(frozen=True)
class ClearanceThresholds:
    """What makes a scanned passage a flagged copy. The defaults are shipped, calibrated data.

    A candidate alignment becomes a :class:`Match` when its best stretch scores at least
    ``min_score_bits``, lasts at least ``min_matched_s`` and reproduces at least
    ``min_agreement`` of the reference's peaks (found: a song peak within one frame and half
    an STFT bin of the aligned reference peak). The defaults were calibrated on copy-free
    material only (8 synthesized songs and 9 recorded tracks held out of every benchmark
    query, each clean, with 10 dB noise, MP3 64k and 4 kHz low-pass: 68 scans against a
    1.7-hour catalog; ``benchmarks/fingerprint.py --calibrate``). Format 3 verifies to half a
    bin instead of a bin and a half, which cuts chance coincidences by more than half and
    keeps 95 % of a copy's: with the score threshold at 0 and agreement down to 15 %, the
    best chance alignment scored 36.3 bits (100.8 bits in format 2), and the most any
    reproduced over 1.5 s was 30.2 % of the reference peaks (at 33.4 bits). So the score now
    guards: 100 bits is about three times the best chance score; ``min_agreement`` (0.45 in
    format 2) is 0.30, where chance stops, and keeps every flagged passage one where at
    least 30 % of the reference's peaks reappear.

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
    min_agreement: float = 0.30
    copy_rate: float = 0.5
    min_votes: int = 4
    max_candidates: int = 60

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ClearanceThresholds:
        refuse_unknown_keys(values, cls, section="clearance", error=ValueError)
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
    candidates = vote(frames[strong], bins[strong], index, min_votes=thresholds.min_votes,
                      max_candidates=thresholds.max_candidates, excluded=excluded)
    if not candidates:
        return []
    grid = QueryGrid(frames, bins, n_frames)
    matches = []
    for candidate in candidates:
        track = tracks[candidate.track]
        ref_frames, ref_bins = index.peaks(track.track_id)
        alignment = _verify(grid, ref_frames, ref_bins, candidate, params, thresholds)
        if alignment is None:
            continue
        matches.append(_to_match(alignment, track, params))
    return _keep_best(matches)


def _verify(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, candidate: Candidate,
            params: FingerprintParams, thresholds: ClearanceThresholds) -> Alignment | None:
    """Refine the candidate's speed and offset, then find its best stretch; None if below threshold."""
    # Cheap first look: chance alignments reproduce few reference peaks; find the 2 s of the
    # voting window where the most come back (within the COARSE tolerance that an unrefined
    # alignment needs), and go on only if enough do.
    window = (candidate.center - BLOCK_FRAMES - 50, candidate.center + BLOCK_FRAMES + 50)
    rate, start = densest_window(grid, ref_frames, ref_bins, candidate.speed, candidate.offset, window,
                                 span=2.0 / params.frame_s, min_total=10, tolerance=COARSE)
    if rate < FIRST_LOOK_RATE:
        return None
    candidate = replace(candidate, center=start + 1.0 / params.frame_s)
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
            # a speed within 1 % meets the same song peaks at its decoys: same chance rate
            measured = _stretch(grid, ref_frames, ref_bins, ratio, measured_offset, params, thresholds,
                                p_chance)
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
             params: FingerprintParams, thresholds: ClearanceThresholds, p_chance: float | None = None):
    """The aligned peaks' best stretch: ``(first, last, llr, found, idx, t_q, chance_rate)``;
    the chance rate is measured unless given."""
    idx, t_q, f_q = project(ref_frames, ref_bins, speed, offset, grid.n_frames)
    if idx.size == 0:
        return 0, -1, 0.0, np.zeros(0, bool), idx, t_q, 0.0
    found = grid.found(t_q, f_q)
    if p_chance is None:
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


def _refine(grid: QueryGrid, ref_frames: np.ndarray, ref_bins: np.ndarray, candidate: Candidate,
            params: FingerprintParams) -> tuple[float, float]:
    """Speed (steps of 0.1 %) and offset (half frames) that put the most reference peaks
    exactly on song peaks within 4 s of the votes' center; the center's reference time stays.

    The speed stays within 0.5 % of the voted grid speed: the grid's 1 % steps put every
    speed that near one of them (the alignment voted at the nearest grid speed is verified too).
    """
    center = candidate.center
    ref_center = candidate.speed * center - candidate.offset
    window = (center - 4.0 / params.frame_s, center + 4.0 / params.frame_s)

    # ties go to the step closest to the voted alignment
    speeds = np.array([candidate.speed * (1 + 0.001 * step) for step in sorted(range(-5, 6), key=abs)])
    shifts = np.array([0.0, -0.5, 0.5, -1.0, 1.0])
    speed, shift = best_fit(grid, ref_frames, ref_bins, speeds, shifts, center, ref_center, window)
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
