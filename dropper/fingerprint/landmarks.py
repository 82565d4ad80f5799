"""Landmark fingerprints: spectral peaks of a track and the peak-pair hashes that index them.

Pure functions on arrays (``fingerprint(y, sr)``); the index and the matcher build on them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
from scipy import fft as sfft

from dropper.config import refuse_unknown_keys
from dropper.fingerprint.peaks import box_mean, local_peaks, power_db, rank_in_blocks

FORMAT_VERSION = 3  # 2: float32 spectrogram, compiled peak picking; 3: 60 query peaks/s, verified
#   to half a bin (the thresholds were recalibrated for it: old indexes and clearances must be redone)
BIN_SCALE = 16  # peak frequencies are stored in 1/16 of an STFT bin (parabolic interpolation)


@dataclass(frozen=True)
class FingerprintParams:
    """Every tuning knob of the fingerprint, with its default.

    Parameters
    ----------
    sample_rate_hz : int
        Analysis sample rate in Hz; audio is mixed to mono and resampled to it (8000 Hz keeps
        0–4 kHz, the band that survives low-pass filters and lossy codecs).
    n_fft : int
        STFT window length in samples (512 at 8 kHz = 64 ms, 15.6 Hz per bin).
    hop : int
        STFT hop in samples (128 at 8 kHz = 16 ms per frame, the unit of all frame times).
    min_freq_hz, max_freq_hz : float
        Band in which peaks are picked, in Hz.
    peak_radius_bins, peak_radius_frames : int
        A peak is the maximum of its ``(2r+1)`` neighbourhood in frequency and time.
    peaks_per_s : float
        Landmark peaks kept per second of reference audio, strongest first (by prominence in dB
        over the local mean level).
    query_peaks_per_s : float
        Peaks per second of a scanned song that verification looks for reference peaks
        among (denser than the reference: it raises the share found again under noise);
        its hashes use the ``peaks_per_s`` most prominent ones.
    floor_db : float
        Peaks quieter than this, in dB relative to a full-scale sine, are ignored (silence).
    min_prominence_db : float
        Minimum height of a peak over the local mean level, in dB.
    fan_out : int
        Pairs hashed per anchor peak in the reference (the next peaks in time within the zone).
    query_fan_out : int
        Pairs hashed per anchor peak of a scanned song.
    max_dt_frames : int
        Longest anchor-to-target time in a pair, in frames (< 64: 6 bits of the hash).
    max_dq : int
        Largest frequency step in a pair, in warped-frequency steps (< 32: 6 bits).
    warp_knee_hz : float
        Frequencies are hashed on a warped scale ``log(1 + f / knee) / warp_step``: about one
        STFT bin per step below the knee, a constant ratio above it, so that a speed change
        (which scales every frequency) moves a peak by the same fraction of a step anywhere.
    warp_step : float
        Relative width of a warped-frequency step above the knee (0.02 = 2 %).
    speeds : tuple of float
        Query speeds (query tempo / reference tempo) at which a scanned song's peaks are
        rescaled before hashing, so resampled copies match without re-indexing.
    stop_factor : float
        Hash buckets holding more than ``stop_factor`` times the mean bucket size (at least
        16 entries) are skipped at query time: the common hashes (low notes, short steps)
        that every track shares cost the most and tell the least.
    """

    sample_rate_hz: int = 8000
    n_fft: int = 512
    hop: int = 128
    min_freq_hz: float = 100.0
    max_freq_hz: float = 3800.0
    peak_radius_bins: int = 4
    peak_radius_frames: int = 3
    peaks_per_s: float = 30.0
    query_peaks_per_s: float = 60.0
    floor_db: float = -75.0
    min_prominence_db: float = 3.0
    fan_out: int = 8
    query_fan_out: int = 8
    max_dt_frames: int = 63
    max_dq: int = 31
    warp_knee_hz: float = 1000.0
    warp_step: float = 0.02
    speeds: tuple[float, ...] = (0.98, 0.99, 1.0, 1.01, 1.02)
    stop_factor: float = 2.5

    def __post_init__(self) -> None:
        if not 0 < self.max_dt_frames < 64:
            raise ValueError(f"max_dt_frames: must be in 1..63, got {self.max_dt_frames}")
        if not 0 < self.max_dq < 32:
            raise ValueError(f"max_dq: must be in 1..31, got {self.max_dq}")
        if self.warp_levels > 1 << 7:
            raise ValueError("warp_step/warp_knee_hz: more than 128 warped-frequency steps; "
                             "raise warp_step")
        if not self.speeds or min(self.speeds) <= 0:
            raise ValueError(f"speeds: must be positive numbers, got {self.speeds!r}")

    @property
    def frame_s(self) -> float:
        """Duration of one STFT frame (hop) in seconds."""
        return self.hop / self.sample_rate_hz

    @property
    def bin_hz(self) -> float:
        """Width of one STFT bin in Hz."""
        return self.sample_rate_hz / self.n_fft

    @property
    def warp_levels(self) -> int:
        """Number of warped-frequency steps up to ``max_freq_hz``."""
        return int(np.log1p(self.max_freq_hz * 1.03 / self.warp_knee_hz) / self.warp_step) + 1

    def to_dict(self) -> dict:
        """JSON-safe dict of every knob (goes into cache keys, the manifest and reports)."""
        values = asdict(self)
        values["speeds"] = list(self.speeds)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> FingerprintParams:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError`` naming them."""
        refuse_unknown_keys(values, cls, section="fingerprint", error=ValueError)
        values = dict(values)
        if "speeds" in values:
            values["speeds"] = tuple(float(s) for s in values["speeds"])
        return cls(**values)

    def digest(self) -> str:
        """Hex SHA-256 of the canonical JSON of the params and the format version."""
        text = json.dumps({"format": FORMAT_VERSION, "params": self.to_dict()}, sort_keys=True,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class TrackPrint:
    """The fingerprint of one track.

    Attributes
    ----------
    duration_s : float
        Duration of the audio in seconds.
    peak_frames : np.ndarray
        uint32 frame index of each landmark peak (frames of ``params.hop`` samples), sorted.
    peak_bins : np.ndarray
        uint16 frequency of each peak in 1/16 STFT bins.
    hashes : np.ndarray
        uint32 peak-pair hashes (19 bits: warped anchor frequency, frequency step, time step).
    hash_frames : np.ndarray
        uint32 anchor frame of each hash.
    """

    duration_s: float
    peak_frames: np.ndarray
    peak_bins: np.ndarray
    hashes: np.ndarray
    hash_frames: np.ndarray

    @property
    def n_peaks(self) -> int:
        return int(self.peak_frames.size)


def to_mono_resampled(y: np.ndarray, sr: int, target_sr: int) -> np.ndarray:
    """Mix ``y`` (1-D, ``(channels, samples)`` or ``(samples, channels)``) to mono float32 at ``target_sr``."""
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        # dropper's convention is (channels, samples); accept (samples, channels) too.
        axis = 0 if y.shape[0] <= y.shape[1] else 1
        y = y.mean(axis=axis)
    elif y.ndim != 1:
        raise ValueError(f"y: expected 1-D or 2-D audio, got shape {y.shape}")
    if not np.isfinite(y.sum(dtype=np.float64)):  # one pass instead of nan_to_num's copies
        y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    if sr == target_sr or y.size == 0:
        return np.ascontiguousarray(y, dtype=np.float32)
    try:
        import soxr

        return soxr.resample(y, sr, target_sr, quality="MQ").astype(np.float32, copy=False)
    except ImportError:  # soxr comes with librosa; resample_poly is the slower fallback
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(int(sr), int(target_sr))
        return resample_poly(y, target_sr // g, sr // g).astype(np.float32)


def spectrogram_db(y: np.ndarray, params: FingerprintParams, max_bin: int | None = None) -> np.ndarray:
    """Magnitude STFT in dB re a full-scale sine, shape ``(frames, bins)``, float32.

    ``max_bin`` (exclusive) leaves out the bins above it, which peak picking never reads.
    """
    n_fft, hop = params.n_fft, params.hop
    y = np.ascontiguousarray(y, dtype=np.float32)
    if y.size < n_fft:
        y = np.pad(y, (0, n_fft - y.size))
    n_frames = 1 + (y.size - n_fft) // hop
    frames = np.lib.stride_tricks.as_strided(y, shape=(n_frames, n_fft),
                                             strides=(y.strides[0] * hop, y.strides[0]))
    window = np.hanning(n_fft + 2)[1:-1].astype(np.float32)
    spectrum = sfft.rfft(frames * window, axis=1)  # float32 in, complex64 out
    n_bins = spectrum.shape[1] if max_bin is None else min(max_bin, spectrum.shape[1])
    return power_db(spectrum, 0, n_bins, 2.0 / float(window.sum()))


def pick_peaks(spec_db: np.ndarray, params: FingerprintParams, peaks_per_s: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local maxima of the spectrogram, the most prominent ``peaks_per_s`` per second.

    A peak is the maximum of its neighbourhood (``peak_radius_*``), above ``floor_db`` and
    ``min_prominence_db`` over the mean level of the surrounding 0.5 s x 330 Hz.

    Returns
    -------
    frames : np.ndarray
        uint32 frame of each peak, sorted by (frame, bin).
    bins : np.ndarray
        uint16 interpolated frequency in 1/16 bins.
    rank : np.ndarray
        Rank of the peak's prominence within its one-second block (0 = most prominent), so
        a sparser set is ``rank < n``.
    """
    lo = max(1, int(np.ceil(params.min_freq_hz / params.bin_hz)))
    hi = min(spec_db.shape[1] - 1, int(params.max_freq_hz / params.bin_hz) + 1)
    band = np.ascontiguousarray(spec_db[:, lo - 1:hi + 1])
    background = box_mean(band, 15, 10)
    min_level = np.full(band.shape[1], params.floor_db, np.float32)
    t, f, strength = local_peaks(band, background, min_level, params.peak_radius_frames,
                                 params.peak_radius_bins, params.min_prominence_db)
    # Keep the strongest peaks per block of about one second, so density is even in time.
    block_frames = max(1, round(1.0 / params.frame_s))
    keep_n = max(1, round(peaks_per_s * block_frames * params.frame_s))
    rank = rank_in_blocks(t, strength, block_frames)
    chosen = rank < keep_n
    t, f, rank = t[chosen], f[chosen], rank[chosen]
    # Parabolic interpolation of the peak's frequency on the dB magnitudes.
    a, b, c = band[t, f - 1], band[t, f], band[t, f + 1]
    denominator = a - 2 * b + c
    delta = np.where(denominator < 0, 0.5 * (a - c) / np.where(denominator < 0, denominator, -1), 0)
    bins = (f + lo - 1 + np.clip(delta, -0.5, 0.5)) * BIN_SCALE
    return t.astype(np.uint32), np.round(bins).astype(np.uint16), rank.astype(np.int32)


def warp(freq_hz: np.ndarray, params: FingerprintParams) -> np.ndarray:
    """Continuous warped-frequency coordinate (see ``FingerprintParams.warp_knee_hz``)."""
    return np.log1p(freq_hz / params.warp_knee_hz) / params.warp_step


def peak_pairs(frames: np.ndarray, bins: np.ndarray, params: FingerprintParams, fan_out: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Anchor and target indices of the landmark pairs: each peak with its next ``fan_out``
    peaks (in time order) at most ``max_dt_frames`` later and ``max_dq`` warped steps away."""
    n = frames.size
    q = warp(bins.astype(np.float64) * (params.bin_hz / BIN_SCALE), params)
    frames = frames.astype(np.int64)
    taken = np.zeros(n, dtype=np.int32)
    anchors, targets = [], []
    for k in range(1, n):
        dt = frames[k:] - frames[:-k]
        if dt.size == 0 or dt.min() > params.max_dt_frames:
            break
        ok = (dt >= 1) & (dt <= params.max_dt_frames) & (np.abs(q[k:] - q[:-k]) < params.max_dq - 0.5)
        ok &= taken[:-k] < fan_out
        idx = np.flatnonzero(ok)
        taken[idx] += 1
        anchors.append(idx)
        targets.append(idx + k)
    if not anchors:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    anchors_a, targets_a = np.concatenate(anchors), np.concatenate(targets)
    order = np.lexsort((targets_a, anchors_a))
    return anchors_a[order], targets_a[order]


def pair_hashes(frames: np.ndarray, bins: np.ndarray, anchors: np.ndarray, targets: np.ndarray,
                params: FingerprintParams, speed: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the pairs, with the peaks first mapped to reference coordinates at ``speed``.

    A query playing at ``speed`` has frequencies ``speed`` times higher and time steps
    ``speed`` times shorter than the reference; dividing and multiplying back makes its
    hashes equal to the reference's. Returns ``(hashes uint32, valid bool)``.
    """
    freq_hz = bins.astype(np.float64) * (params.bin_hz / BIN_SCALE) / speed
    q = np.floor(warp(freq_hz, params)).astype(np.int64)
    f = frames.astype(np.int64)
    dt = np.round((f[targets] - f[anchors]) * speed).astype(np.int64)
    q1 = q[anchors]
    dq = q[targets] - q1
    valid = (dt >= 1) & (dt <= params.max_dt_frames) & (np.abs(dq) <= params.max_dq) & (q1 >= 0) \
        & (q1 < 128)
    hashes = (np.clip(q1, 0, 127) << 12) | ((np.clip(dq, -31, 31) + 32) << 6) | np.clip(dt, 0, 63)
    return hashes.astype(np.uint32), valid


def peaks_of(y: np.ndarray, sr: int, params: FingerprintParams, peaks_per_s: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Peaks of ``y`` at any rate/channels: ``(frames, bins, rank, duration_s)`` (see :func:`pick_peaks`)."""
    duration_s = float(np.asarray(y).shape[-1] / sr) if np.asarray(y).ndim == 1 else \
        float(max(np.asarray(y).shape) / sr)
    mono = to_mono_resampled(y, sr, params.sample_rate_hz)
    if mono.size == 0:
        return np.zeros(0, np.uint32), np.zeros(0, np.uint16), np.zeros(0, np.int32), duration_s
    if mono.size > params.hop * ((1 << 20) - 64):
        raise ValueError(f"y: {duration_s:.0f} s is longer than a fingerprint can index "
                         f"({((1 << 20) - 64) * params.frame_s:.0f} s)")
    spec_db = spectrogram_db(mono, params, max_bin=int(params.max_freq_hz / params.bin_hz) + 3)
    frames, bins, rank = pick_peaks(spec_db, params, peaks_per_s)
    return frames, bins, rank, duration_s


def fingerprint(y: np.ndarray, sr: int, params: FingerprintParams = FingerprintParams()) -> TrackPrint:
    """The landmark fingerprint of a reference track.

    Parameters
    ----------
    y : np.ndarray
        Audio samples, 1-D or ``(channels, samples)``, any float dtype, in [-1, 1].
    sr : int
        Sample rate of ``y`` in Hz.
    params : FingerprintParams
        Tuning knobs; an index only accepts prints made with its own params.

    Returns
    -------
    TrackPrint
        Peaks and speed-1 pair hashes; deterministic for the same input.

    Examples
    --------
    >>> from dropper.synth import make_song
    >>> fp = fingerprint(make_song(bpm=120, seconds=10, seed=1), 22050)
    >>> fp.duration_s, fp.hashes.dtype
    (10.0, dtype('uint32'))
    """
    frames, bins, _, duration_s = peaks_of(y, sr, params, params.peaks_per_s)
    anchors, targets = peak_pairs(frames, bins, params, params.fan_out)
    hashes, valid = pair_hashes(frames, bins, anchors, targets, params)
    return TrackPrint(duration_s=duration_s, peak_frames=frames, peak_bins=bins,
                      hashes=hashes[valid], hash_frames=frames[anchors[valid]].astype(np.uint32))
