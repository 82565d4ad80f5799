"""Integrated loudness after ITU-R BS.1770-4 (K-weighting, gated 400 ms blocks), in LUFS.

Pure functions on arrays; also holds ``as_channels``, the input check that dropper's other
analysis modules (``screen``, ``spectrogram``) share.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import sosfilt

from dropper.errors import AudioError

BLOCK_S = 0.4  # gating block length (BS.1770-4, 2.1)
HOP_S = 0.1  # 75 % overlap: a block is four consecutive 100 ms hops
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
# Offset that makes a 997 Hz sine read its own mean-square level in dB: it cancels the
# K-weighting gain at 1 kHz (BS.1770-4, eq. 2).
_OFFSET_DB = -0.691
_SURROUND_WEIGHT = 1.41  # Ls/Rs gain, +1.5 dB
_CHUNK_HOPS = 100  # filter 10 s at a time so a 20-minute song never needs a float64 copy
MAX_CHANNELS = 32

# Analog prototypes of the two K-weighting stages (the values libebur128 derives from the
# 48 kHz coefficients published in BS.1770); re-designed for each sample rate below.
_SHELF_HZ, _SHELF_GAIN_DB, _SHELF_Q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
_SHELF_BAND_EXPONENT = 0.4996667741545416
_HIGHPASS_HZ, _HIGHPASS_Q = 38.13547087602444, 0.5003270373238773


def as_channels(y: np.ndarray, sr: int) -> np.ndarray:
    """Check an audio array and return it as ``(channels, samples)`` (a view when possible).

    Parameters
    ----------
    y : np.ndarray
        Float audio, 1-D mono or 2-D ``(channels, samples)`` (the librosa convention).
    sr : int
        Sample rate in Hz.

    Returns
    -------
    np.ndarray
        2-D floating array, one row per channel.

    Raises
    ------
    AudioError
        When ``y`` is not a finite, non-empty float array of 1 or 2 dimensions with at most
        ``MAX_CHANNELS`` rows, or ``sr`` is not a positive integer.
    """
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise AudioError(f"sample rate must be a positive integer in Hz, not {sr!r}")
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.floating):
        raise AudioError(f"audio must be a float array in [-1, 1], not dtype {y.dtype}")
    if y.ndim not in (1, 2):
        raise AudioError(f"audio must be 1-D or 2-D (channels, samples), not {y.ndim}-D")
    x = y[np.newaxis, :] if y.ndim == 1 else y
    if x.shape[0] > MAX_CHANNELS:
        # The usual cause is a (samples, channels) array from soundfile: transpose it.
        raise AudioError(
            f"audio has {x.shape[0]} channels (at most {MAX_CHANNELS}); "
            "expected shape (channels, samples), did you pass (samples, channels)?"
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise AudioError("audio has no samples")
    if not np.isfinite(x.max()) or not np.isfinite(x.min()):
        raise AudioError("audio contains NaN or infinite samples")
    return x


def k_weighting_sos(sr: int) -> np.ndarray:
    """K-weighting filter (high shelf, then RLB high-pass) as second-order sections.

    Both biquads are designed from their analog parameters with the bilinear transform,
    pre-warped at the corner frequency, so any sample rate gets the same response.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.

    Returns
    -------
    np.ndarray
        Shape ``(2, 6)``, rows ``[b0, b1, b2, 1, a1, a2]`` for ``scipy.signal.sosfilt``.
    """
    k = np.tan(np.pi * _SHELF_HZ / sr)
    v_high = 10.0 ** (_SHELF_GAIN_DB / 20.0)
    v_band = v_high**_SHELF_BAND_EXPONENT
    a0 = 1.0 + k / _SHELF_Q + k * k
    shelf = [
        (v_high + v_band * k / _SHELF_Q + k * k) / a0,
        2.0 * (k * k - v_high) / a0,
        (v_high - v_band * k / _SHELF_Q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / _SHELF_Q + k * k) / a0,
    ]
    k = np.tan(np.pi * _HIGHPASS_HZ / sr)
    a0 = 1.0 + k / _HIGHPASS_Q + k * k
    # The RLB stage is normalised to unit gain at Nyquist, as in BS.1770 (b = 1, -2, 1).
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / _HIGHPASS_Q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def channel_weights(n_channels: int) -> np.ndarray:
    """BS.1770-4 channel weights G_i.

    Five channels are read as 5.0 (L, R, C, Ls, Rs) and six as 5.1 in WAV order
    (L, R, C, LFE, Ls, Rs; the LFE is left out). Any other count weighs every channel 1.0;
    mono is one channel, not dual-mono.
    """
    weights = np.ones(n_channels)
    if n_channels == 5:
        weights[3:5] = _SURROUND_WEIGHT
    elif n_channels == 6:
        weights[3] = 0.0
        weights[4:6] = _SURROUND_WEIGHT
    return weights


def block_mean_squares(y: np.ndarray, sr: int) -> np.ndarray:
    """Mean square of the K-weighted signal in 400 ms blocks with 75 % overlap.

    Parameters
    ----------
    y : np.ndarray
        Audio, 1-D or ``(channels, samples)``.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    np.ndarray
        Shape ``(channels, n_blocks)``; ``n_blocks`` is 0 when the signal is shorter than a
        block. Only whole blocks count.
    """
    x = as_channels(y, sr)
    hop = max(1, round(sr * HOP_S))  # at odd rates (11025 Hz) the block is 4 rounded hops
    n_hops = x.shape[1] // hop
    hop_sums = np.empty((x.shape[0], n_hops))
    sos = k_weighting_sos(sr)
    state = np.zeros((sos.shape[0], x.shape[0], 2))
    for first in range(0, n_hops, _CHUNK_HOPS):
        count = min(_CHUNK_HOPS, n_hops - first)
        chunk = x[:, first * hop : (first + count) * hop].astype(np.float64)
        filtered, state = sosfilt(sos, chunk, axis=-1, zi=state)
        filtered *= filtered
        hop_sums[:, first : first + count] = filtered.reshape(x.shape[0], count, hop).sum(axis=-1)
    hops_per_block = round(BLOCK_S / HOP_S)
    n_blocks = max(0, n_hops - hops_per_block + 1)
    blocks = np.zeros((x.shape[0], n_blocks))
    for offset in range(hops_per_block):
        blocks += hop_sums[:, offset : offset + n_blocks]
    return blocks / (hops_per_block * hop)


def gated_loudness(block_ms: np.ndarray, weights: np.ndarray) -> float:
    """Gated loudness in LUFS from per-channel block mean squares.

    Parameters
    ----------
    block_ms : np.ndarray
        ``(channels, n_blocks)`` mean squares, as from :func:`block_mean_squares`.
    weights : np.ndarray
        One weight per channel, as from :func:`channel_weights`.

    Returns
    -------
    float
        Loudness in LUFS, ``-inf`` when no block passes the absolute gate.
    """
    power = weights @ block_ms
    with np.errstate(divide="ignore"):
        block_lufs = _OFFSET_DB + 10.0 * np.log10(power)
    kept = block_lufs > ABSOLUTE_GATE_LUFS
    if not kept.any():
        return float("-inf")
    relative_gate_lufs = _OFFSET_DB + 10.0 * np.log10(power[kept].mean()) + RELATIVE_GATE_LU
    kept &= block_lufs > relative_gate_lufs  # never empties: the loudest block is above it
    return float(_OFFSET_DB + 10.0 * np.log10(power[kept].mean()))


def integrated_loudness(y: np.ndarray, sr: int) -> float:
    """Integrated loudness of a programme after ITU-R BS.1770-4.

    Parameters
    ----------
    y : np.ndarray
        Float audio in [-1, 1], 1-D mono or 2-D ``(channels, samples)``, any sample rate.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    float
        Loudness in LUFS; ``-inf`` for silence (no block above -70 LUFS) and for audio
        shorter than one 400 ms block.

    Raises
    ------
    AudioError
        When ``y`` or ``sr`` is not usable audio (see :func:`as_channels`).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(48000 * 5) / 48000
    >>> sine = np.sin(2 * np.pi * 997 * t).astype(np.float32)
    >>> round(integrated_loudness(sine, 48000), 1)
    -3.0
    """
    block_ms = block_mean_squares(y, sr)
    if block_ms.shape[1] == 0:
        return float("-inf")
    return gated_loudness(block_ms, channel_weights(block_ms.shape[0]))
