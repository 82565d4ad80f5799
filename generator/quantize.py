"""Audio samples in [-1, 1] to integer classes and back: 8-bit-style linear or mu-law."""

from __future__ import annotations

import numpy as np


def quantize(y: np.ndarray, *, method: str, q_levels: int) -> np.ndarray:
    """Map float samples in [-1, 1] to int64 classes ``0 .. q_levels - 1``."""
    x = np.clip(np.asarray(y, dtype=np.float64), -1.0, 1.0)
    if method == "mu-law":
        mu = q_levels - 1
        x = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    elif method != "linear":
        raise ValueError(f"method: unknown value {method!r}; allowed: linear, mu-law")
    return np.rint((x + 1.0) / 2.0 * (q_levels - 1)).astype(np.int64)


def dequantize(q: np.ndarray, *, method: str, q_levels: int) -> np.ndarray:
    """Map classes back to float32 samples in [-1, 1] (the inverse of :func:`quantize`)."""
    x = np.asarray(q, dtype=np.float64) / (q_levels - 1) * 2.0 - 1.0
    if method == "mu-law":
        mu = q_levels - 1
        x = np.sign(x) * np.expm1(np.abs(x) * np.log1p(mu)) / mu
    elif method != "linear":
        raise ValueError(f"method: unknown value {method!r}; allowed: linear, mu-law")
    return x.astype(np.float32)
