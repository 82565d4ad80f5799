"""Audio fingerprinting for the ``clear`` stage: does a song copy the reference catalog?

Landmark peaks of the 0–4 kHz spectrogram are paired and hashed into a persistent, sharded
index; a scan rescales the song's peaks at a few speeds (±2 %), votes for aligned
(track, speed, offset) triples and verifies each peak by peak.

Public API (stable)::

    FingerprintParams            every tuning knob; to_dict()/from_dict()/digest()
    TrackPrint                   one track's peaks and hashes
    fingerprint(y, sr, params)   -> TrackPrint            (pure; safe in worker processes)
    ReferenceIndex.create(folder, params) / .load(folder)
        .add(track_id=, name=, sha256=, print_=) / .remove(track_id) / .save()
        .tracks / .index_hash / .size_bytes / .params
    ReferenceTrack               track_id, name, sha256, duration_s, n_hashes, n_peaks
    ClearanceThresholds          the shipped, calibrated decision thresholds
    scan(y, sr, index, thresholds=, exclude=) -> list[Match]
    Match                        track, time ranges in both, matched_s, speed, score (bits)
"""

from dropper.fingerprint.index import ReferenceIndex, ReferenceTrack
from dropper.fingerprint.landmarks import FingerprintParams, TrackPrint, fingerprint
from dropper.fingerprint.match import ClearanceThresholds, Match, scan

__all__ = ["ClearanceThresholds", "FingerprintParams", "Match", "ReferenceIndex", "ReferenceTrack",
           "TrackPrint", "fingerprint", "scan"]
