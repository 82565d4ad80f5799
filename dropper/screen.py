"""Screening aids for the curator: silence, clipping, loudness and bandwidth of one song.

``analyse`` measures, ``flags`` names what a curator should listen for; nothing here
rejects a song. Pure functions on arrays: the ``screen`` stage loads files and stores results.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from dropper.errors import ConfigError
from dropper.loudness import BLOCK_S, as_channels, integrated_loudness

FLAGS: tuple[str, ...] = ("silent", "mostly_silent", "long_silence", "clipping", "muffled")

SILENCE_WINDOW_S = 0.05
FRAME_S = 0.046  # spectral frame (~2048 samples at 44.1 kHz: ~21.5 Hz bins at every rate)
ROLLOFF_SHARE = 0.99
_CHUNK_S = 10.0  # sample statistics run over 10 s pieces so no full-size temporary is made
_CHUNK_FRAMES = 256


@dataclass(frozen=True)
class ScreenThresholds:
    """Measurement settings and flag limits; the defaults are drop.toml's defaults.

    Attributes
    ----------
    silence_db : float
        dBFS. A 50 ms window (RMS over all channels) or a spectral frame below this is silent.
    clip_level : float
        Linear full scale, (0, 1]. A sample with ``|x| >= clip_level`` counts as clipped.
    bandwidth_db : float
        dB. The bandwidth ends at the highest frequency whose long-term level is within this
        many dB of the spectrum's maximum.
    bandwidth_floor_db : float
        dB relative to a full-scale sine in one bin. Spectrum below this never counts as
        bandwidth, so the dither of a quiet 16-bit file (about -120 dB per bin) is not music.
    flag_silent_below_lufs : float
        LUFS. Flag ``silent`` when the integrated loudness is below this (or ``-inf``).
    flag_silence_ratio : float
        Share 0-1. Flag ``mostly_silent`` when ``silence_ratio`` is above this.
    flag_longest_silence_s : float
        Seconds. Flag ``long_silence`` when the longest silence lasts longer than this.
    flag_clipping_ratio : float
        Share 0-1. Flag ``clipping`` when ``clipping_ratio`` is above this.
    flag_bandwidth_below_hz : float
        Hz. Flag ``muffled`` when ``bandwidth_hz`` is below this, capped at
        ``flag_bandwidth_nyquist_ratio`` times the Nyquist frequency of the analysed audio.
    flag_bandwidth_nyquist_ratio : float
        Share 0-1 of Nyquist. The cap above: audio analysed at 22050 Hz cannot show more than
        11025 Hz, and a resampler's anti-alias filter ends near 0.9 x Nyquist, so a full-band
        song at 22050 Hz is judged against 0.85 x 11025 = 9371 Hz instead of 10000 Hz.
    """

    silence_db: float = -60.0
    clip_level: float = 0.999
    bandwidth_db: float = 60.0
    bandwidth_floor_db: float = -120.0
    flag_silent_below_lufs: float = -50.0
    flag_silence_ratio: float = 0.5
    flag_longest_silence_s: float = 10.0
    flag_clipping_ratio: float = 0.001
    flag_bandwidth_below_hz: float = 10000.0
    flag_bandwidth_nyquist_ratio: float = 0.85

    def __post_init__(self) -> None:
        for name in ("clip_level", "flag_bandwidth_nyquist_ratio"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ConfigError(f"screen.{name} must be in (0, 1], not {getattr(self, name)}")
        for name in ("flag_silence_ratio", "flag_clipping_ratio"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"screen.{name} must be in [0, 1], not {getattr(self, name)}")
        if not self.bandwidth_db > 0.0:
            raise ConfigError(f"screen.bandwidth_db must be positive, not {self.bandwidth_db}")
        for name in ("flag_longest_silence_s", "flag_bandwidth_below_hz"):
            if not getattr(self, name) >= 0.0:
                raise ConfigError(f"screen.{name} must be 0 or more, not {getattr(self, name)}")


@dataclass(frozen=True)
class ScreenMetrics:
    """What ``analyse`` measured in one song.

    Attributes
    ----------
    duration_s : float
        Length in seconds.
    silence_ratio : float
        Share 0-1 of 50 ms windows whose RMS over all channels is below ``silence_db`` dBFS.
    longest_silence_s : float
        Seconds: the longest run of such windows.
    clipping_ratio : float
        Share 0-1 of sample instants where any channel has ``|x| >= clip_level``.
    peak_dbfs : float
        Sample peak in dBFS; ``-inf`` for digital silence.
    loudness_lufs : float
        BS.1770-4 integrated loudness in LUFS; ``-inf`` when everything is gated out.
    rolloff_hz : float
        Hz: median over non-silent frames of the frequency below which 99 % of the frame's
        energy lies; 0 when every frame is silent.
    bandwidth_hz : float
        Hz: highest frequency whose long-term average level (non-silent frames, mean power
        of the channels) is within ``bandwidth_db`` of its maximum; 0 when all is silent.
        This is where the spectrum ends, not a -3 dB corner: a gentle low-pass reads higher
        than its corner frequency, a brick wall (codec, resampler) reads at the wall.
    sample_rate_hz : int
        Sample rate of the analysed audio; ``flags`` caps the muffled limit by its Nyquist
        frequency (0 means unknown: no cap).
    """

    duration_s: float
    silence_ratio: float
    longest_silence_s: float
    clipping_ratio: float
    peak_dbfs: float
    loudness_lufs: float
    rolloff_hz: float
    bandwidth_hz: float
    sample_rate_hz: int = 0

    def to_dict(self) -> dict:
        """JSON-safe dict: ``-inf`` (and any other non-finite value) becomes ``None``."""
        return {
            key: (value if not isinstance(value, float) or math.isfinite(value) else None)
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, row: dict) -> ScreenMetrics:
        """Inverse of :meth:`to_dict`: ``None`` in a dB/LUFS field reads back as ``-inf``."""
        names = {field.name for field in fields(cls)}
        values = {key: value for key, value in row.items() if key in names}
        for key in ("peak_dbfs", "loudness_lufs"):
            if values.get(key) is None:
                values[key] = float("-inf")
        return cls(**values)


def analyse(
    y: np.ndarray, sr: int, thresholds: ScreenThresholds = ScreenThresholds()
) -> ScreenMetrics:
    """Measure the screening aids of one song.

    Parameters
    ----------
    y : np.ndarray
        Float audio in [-1, 1], 1-D mono or 2-D ``(channels, samples)``, any sample rate.
    sr : int
        Sample rate in Hz.
    thresholds : ScreenThresholds
        Silence level, clip level and bandwidth range used by the measures.

    Returns
    -------
    ScreenMetrics

    Raises
    ------
    AudioError
        When ``y`` is empty, not float, not finite, or ``sr`` is not a positive integer.

    Examples
    --------
    >>> import numpy as np
    >>> noise = np.random.default_rng(0).uniform(-0.5, 0.5, 44100 * 3).astype(np.float32)
    >>> metrics = analyse(noise, 44100)
    >>> metrics.bandwidth_hz > 20000, flags(metrics)
    (True, ())
    """
    x = as_channels(y, sr)
    peak, clipped, window_silent = _sample_statistics(x, sr, thresholds)
    rolloff_hz, bandwidth_hz = _spectral_statistics(x, sr, thresholds)
    with np.errstate(divide="ignore"):
        peak_dbfs = float(20.0 * np.log10(peak))
    return ScreenMetrics(
        duration_s=x.shape[1] / sr,
        silence_ratio=float(window_silent.mean()),
        longest_silence_s=min(_longest_run(window_silent) * SILENCE_WINDOW_S, x.shape[1] / sr),
        clipping_ratio=clipped / x.shape[1],
        peak_dbfs=peak_dbfs,
        loudness_lufs=integrated_loudness(x, sr),
        rolloff_hz=rolloff_hz,
        bandwidth_hz=bandwidth_hz,
        sample_rate_hz=int(sr),
    )


def flags(
    metrics: ScreenMetrics, thresholds: ScreenThresholds = ScreenThresholds()
) -> tuple[str, ...]:
    """Names (from ``FLAGS``, in that order) of the problems a curator should listen for.

    ``muffled`` is not raised for a ``silent`` song: silence has no bandwidth to judge. A clip
    shorter than one 400 ms loudness block has no integrated loudness (``-inf``); it is
    ``silent`` only when every 50 ms window of it is silent.
    """
    raised = set()
    if metrics.duration_s < BLOCK_S:
        silent = metrics.silence_ratio >= 1.0
    else:
        silent = metrics.loudness_lufs < thresholds.flag_silent_below_lufs  # -inf is below too
    if silent:
        raised.add("silent")
    if metrics.silence_ratio > thresholds.flag_silence_ratio:
        raised.add("mostly_silent")
    if metrics.longest_silence_s > thresholds.flag_longest_silence_s:
        raised.add("long_silence")
    if metrics.clipping_ratio > thresholds.flag_clipping_ratio:
        raised.add("clipping")
    if not silent and metrics.bandwidth_hz < muffled_below_hz(metrics.sample_rate_hz, thresholds):
        raised.add("muffled")
    return tuple(name for name in FLAGS if name in raised)


def muffled_below_hz(sr: int, thresholds: ScreenThresholds = ScreenThresholds()) -> float:
    """The bandwidth in Hz under which audio at ``sr`` Hz is flagged ``muffled`` (0: no cap)."""
    if sr <= 0:
        return thresholds.flag_bandwidth_below_hz
    nyquist_cap_hz = thresholds.flag_bandwidth_nyquist_ratio * sr / 2.0
    return min(thresholds.flag_bandwidth_below_hz, nyquist_cap_hz)


def _sample_statistics(
    x: np.ndarray, sr: int, thresholds: ScreenThresholds
) -> tuple[float, int, np.ndarray]:
    """Peak, count of clipped sample instants, and silence of each 50 ms window."""
    window = max(1, round(sr * SILENCE_WINDOW_S))
    chunk = window * max(1, round(_CHUNK_S / SILENCE_WINDOW_S))  # whole windows per chunk
    n_channels, n_samples = x.shape
    peak, clipped, window_sums = 0.0, 0, []
    for start in range(0, n_samples, chunk):
        piece = x[:, start : start + chunk]
        peak = max(peak, float(piece.max()), -float(piece.min()))
        at_rail = (piece >= thresholds.clip_level) | (piece <= -thresholds.clip_level)
        clipped += int(np.count_nonzero(at_rail.any(axis=0)))
        starts = np.arange(0, piece.shape[1], window)
        # einsum squares and sums without a full-size temporary
        squares = np.einsum("cs,cs->s", piece, piece, dtype=np.float64)
        window_sums.append(np.add.reduceat(squares, starts))
    sums = np.concatenate(window_sums)
    lengths = np.full(sums.shape, window * n_channels, dtype=np.float64)
    lengths[-1] = (n_samples - (sums.size - 1) * window) * n_channels  # last window may be short
    silence_power = 10.0 ** (thresholds.silence_db / 10.0)
    return peak, clipped, sums / lengths < silence_power


def _longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True in a 1-D boolean array."""
    if not mask.any():
        return 0
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


def spectral_frame_length(sr: int) -> int:
    """FFT length for ``sr``: the power of two nearest ``FRAME_S`` seconds."""
    return int(2 ** round(math.log2(max(sr * FRAME_S, 16))))


def _spectral_statistics(
    x: np.ndarray, sr: int, thresholds: ScreenThresholds
) -> tuple[float, float]:
    """Median 99 % roll-off and effective bandwidth in Hz, over non-silent frames."""
    n_fft = spectral_frame_length(sr)
    hop = n_fft // 2
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann: sums flat at hop
    # Scale so that a full-scale sine peaks at 0 dB in its bin (a spectrum analyser's dBFS).
    sine_scale = 1.0 / (window.sum() / 2.0) ** 2
    silence_power = 10.0 ** (thresholds.silence_db / 10.0) * float(np.sum(window**2)) * n_fft
    if x.shape[1] < n_fft:
        x = np.pad(x, ((0, 0), (0, n_fft - x.shape[1])))
    n_frames = 1 + (x.shape[1] - n_fft) // hop
    rolloffs, ltas, n_loud = [], np.zeros(n_fft // 2 + 1), 0
    bin_hz = sr / n_fft
    for first in range(0, n_frames, _CHUNK_FRAMES):
        count = min(_CHUNK_FRAMES, n_frames - first)
        piece = x[:, first * hop : (first + count - 1) * hop + n_fft]
        frames = np.lib.stride_tricks.sliding_window_view(piece, n_fft, axis=-1)[:, ::hop]
        spectrum = np.fft.rfft(frames * window, axis=-1)
        power = (spectrum.real**2 + spectrum.imag**2).mean(axis=0)  # (frames, bins)
        # Parseval: the one-sided spectrum counts interior bins twice.
        frame_energy = 2.0 * power.sum(axis=1) - power[:, 0] - power[:, -1]
        loud = power[frame_energy >= silence_power]
        if len(loud) == 0:
            continue
        cumulative = np.cumsum(loud, axis=1)
        reached = cumulative >= ROLLOFF_SHARE * cumulative[:, -1:]
        rolloffs.append(reached.argmax(axis=1) * bin_hz)
        ltas += loud.sum(axis=0)
        n_loud += len(loud)
    if n_loud == 0:
        return 0.0, 0.0
    return float(np.median(np.concatenate(rolloffs))), _bandwidth_hz(
        ltas * sine_scale / n_loud, bin_hz, thresholds
    )


def _bandwidth_hz(ltas_power: np.ndarray, bin_hz: float, thresholds: ScreenThresholds) -> float:
    """Highest bin frequency whose level is within ``bandwidth_db`` of the maximum."""
    with np.errstate(divide="ignore"):
        ltas_db = 10.0 * np.log10(ltas_power)
    limit_db = max(ltas_db.max() - thresholds.bandwidth_db, thresholds.bandwidth_floor_db)
    above = np.flatnonzero(ltas_db >= limit_db)
    return float(above[-1] * bin_hz) if above.size else 0.0
