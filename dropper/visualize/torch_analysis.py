"""The analysis' spectral work on torch (a CUDA GPU, or torch's CPU device): STFT, median-filter
HPSS, the constant-Q pitch-class bank, A-weighted mel bands, and stickiness.

Same definitions as the numpy path in :mod:`dropper.visualize.analysis`, which still does the
reading, chunking and resampling; only the arithmetic moves. Tolerance against numpy: features
(on their [0, 1] scale) agree within ``FEATURE_TOLERANCE`` = 2e-3 at worst (measured on
synthesized songs: 3e-4, where float32 FFTs that differ in their last bits tip a near-tie
between neighbouring bins to another spectral peak; 1e-7 on average); the median filter is
exact; stickiness agrees within 1e-5. ``tests/test_visualize_torch.py`` checks these bounds.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from dropper.visualize.analysis import (
    BAND_GAIN,
    EPS,
    KERNEL,
    N_FFT,
    Filterbanks,
    check_decay,
)
from dropper.visualize.clock import uniform_step
from dropper.visualize.median import reflect_index

FEATURE_TOLERANCE = 2e-3  # max abs difference from the numpy path, features on a 0-1 scale
_BLOCK_ELEMENTS = 1 << 23  # median windows held at once (32 MiB of float32)


def chunk_levels(segment: np.ndarray, starts: np.ndarray, bank: Filterbanks, margin: float, *,
                 device: torch.device) -> np.ndarray:
    """(frames, 13 + n_bands) dB rows [chroma 12, loudness, bands] of the windows starting at
    ``starts`` in one chunk of samples: the twin of ``analysis._chunk_levels``."""
    window, chroma_bank, mel, a_weight = _bank_tensors(bank, device)
    y = torch.from_numpy(np.ascontiguousarray(segment, np.float32)).to(device)
    step = uniform_step(starts)
    if step:
        frames = y.unfold(0, N_FFT, step) * window
    else:
        frames = y.unfold(0, N_FFT, 1)[torch.from_numpy(starts).to(device)] * window
    magnitude = torch.fft.rfft(frames, dim=1).abs().T.contiguous()  # (bins, frames)
    mask_h, mask_p = hpss_masks(magnitude, margin)
    power = magnitude ** 2
    harmonic = mask_h ** 2 * power
    percussive = mask_p ** 2 * power
    # Only spectral peaks vote for a pitch class (see the numpy path).
    inner = (harmonic[1:-1] >= harmonic[:-2]) & (harmonic[1:-1] > harmonic[2:])
    peaks = torch.zeros_like(harmonic)
    peaks[1:-1] = torch.where(inner, harmonic[1:-1], 0.0)
    stacked = torch.cat([chroma_bank @ peaks, (a_weight @ power)[None, :], mel @ percussive * BAND_GAIN])
    return (10.0 * torch.log10(stacked + EPS)).T.cpu().numpy().astype(np.float32, copy=False)


def hpss_masks(magnitude: torch.Tensor, margin: float, kernel: int = KERNEL) -> tuple[torch.Tensor, torch.Tensor]:
    """Soft masks (harmonic, percussive) of a (bins, frames) magnitude: ``analysis.hpss_masks``."""
    harmonic = median_filter_rows(magnitude, kernel)
    percussive = median_filter_rows(magnitude.T.contiguous(), kernel).T
    return _softmask(harmonic, margin * percussive), _softmask(percussive, margin * harmonic)


def median_filter_rows(x: torch.Tensor, kernel: int) -> torch.Tensor:
    """Median of each row over a centred window of ``kernel`` (odd) samples, edges reflected:
    exactly ``median.median_filter_rows`` (a median picks one of its inputs)."""
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"kernel: must be an odd number of samples, got {kernel!r}")
    rows, n = x.shape
    if n == 0 or kernel == 1:
        return x.clone()
    index = torch.from_numpy(reflect_index(n, kernel // 2)).to(x.device)
    out = torch.empty_like(x)
    step = max(1, _BLOCK_ELEMENTS // (n * kernel))  # rows per block: bounded memory
    for start in range(0, rows, step):
        windows = x[start:start + step][:, index].unfold(1, kernel, 1)
        out[start:start + step] = windows.median(dim=-1).values
    return out


def _softmask(x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    # librosa.util.softmask with power 2 and split_zeros=False, as analysis._softmask.
    z = torch.maximum(x, reference)
    zero = z <= torch.finfo(torch.float32).tiny
    z = torch.where(zero, 1.0, z)
    x2 = (x / z) ** 2
    total = torch.where(zero, 1.0, x2 + (reference / z) ** 2)
    return x2 / total


def stickiness(x: np.ndarray, decay: float, *, device: torch.device) -> np.ndarray:
    """``analysis.stickiness`` without a loop over frames.

    ``out[t] = max(x[t], decay * out[t - 1])`` unrolls to ``max over s <= t of x[s] decay^(t-s)``;
    in logs that is a running maximum (``cummax``) of ``log x[s] + s k`` minus ``t k``, with
    ``k = -log(decay)``, done in float64 so that ``s k`` (thousands, for a long song) keeps
    its precision.
    """
    check_decay(decay)
    out = np.array(x, dtype=np.float32, copy=True)
    if decay == 0.0 or out.shape[0] == 0:
        return out
    rows = torch.from_numpy(out).to(device=device, dtype=torch.float64)
    if decay == 1.0:
        return torch.cummax(rows, dim=0).values.cpu().numpy().astype(np.float32)
    shape = (-1,) + (1,) * (rows.ndim - 1)
    ramp = torch.arange(rows.shape[0], dtype=torch.float64, device=device).reshape(shape) * -np.log(decay)
    held = torch.exp(torch.cummax(torch.log(rows) + ramp, dim=0).values - ramp)
    return held.cpu().numpy().astype(np.float32)


@functools.lru_cache(maxsize=8)
def _bank_tensors(bank: Filterbanks, device: torch.device) -> tuple[torch.Tensor, ...]:
    """The filter bank's matrices on ``device`` (window, chroma, mel, A-weighting)."""
    return tuple(torch.from_numpy(array).to(device) for array in (bank.window, bank.chroma, bank.mel, bank.a_weight))
