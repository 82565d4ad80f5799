"""GIF's LZW coder, with an optional lossy mode (the idea of gifsicle's ``--lossy``).

Lossless, it writes the codes any GIF decoder expects (variable code width up to 12 bits, a clear
code when the table is full). Lossy, when the string being matched cannot grow by the next pixel
but can grow by a palette colour within ``tolerance`` of it, it takes that colour instead: on
dithered glows the strings grow long and the file shrinks, while no pixel moves further than the
tolerance. The pixels are rewritten in place to what a decoder will show.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_CODES = 4096


def near_colours(palette: np.ndarray, tolerance: float, transparent: int | None) -> np.ndarray:
    """(entries, entries) int16: for each palette entry, the other entries within ``tolerance``
    (RGB distance, 0-255 levels), nearest first, padded with -1. The transparent entry has no
    neighbours and is nobody's neighbour."""
    colours = palette.astype(np.float32)
    distance = np.sqrt(((colours[:, None, :] - colours[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(distance, np.inf)
    if transparent is not None and transparent < len(palette):
        distance[transparent, :] = np.inf
        distance[:, transparent] = np.inf
    order = np.argsort(distance, axis=1, kind="stable")
    near = np.where(np.take_along_axis(distance, order, axis=1) <= tolerance, order, -1)
    return near.astype(np.int16)


def encode(pixels: np.ndarray, min_code_size: int, near: np.ndarray | None = None) -> bytes:
    """LZW-code palette indices (1-D uint8, changed in place when ``near`` is given) for a GIF
    image; returns the code stream's bytes (without the sub-block framing)."""
    if near is None:
        near = np.full((1 << min_code_size, 1), -1, np.int16)
    out = np.empty(pixels.size * 2 + 16, np.uint8)  # 12-bit codes for every pixel fit twice over
    size = _encode(pixels, min_code_size, near, out)
    return out[:size].tobytes()


@njit(cache=True, nogil=True)
def _encode(pixels, min_code_size, near, out):  # pragma: no cover - compiled
    clear = 1 << min_code_size
    end = clear + 1
    trie = np.full((MAX_CODES, clear), -1, np.int16)  # trie[code, pixel]: the longer string's code
    bits = min_code_size + 1
    next_code = end + 1
    acc = np.uint64(0)
    filled = 0
    size = 0
    # Every stream starts with a clear code.
    acc |= np.uint64(clear) << np.uint64(filled)
    filled += bits
    current = np.int64(pixels[0])
    for i in range(1, pixels.size):
        pixel = pixels[i]
        longer = trie[current, pixel]
        if longer < 0:
            for k in range(near.shape[1]):
                other = near[pixel, k]
                if other < 0:
                    break
                if trie[current, other] >= 0:
                    longer = trie[current, other]
                    pixels[i] = other
                    break
        if longer >= 0:
            current = longer
            continue
        acc |= np.uint64(current) << np.uint64(filled)
        filled += bits
        while filled >= 8:
            out[size] = np.uint8(acc & np.uint64(0xFF))
            size += 1
            acc >>= np.uint64(8)
            filled -= 8
        if next_code >= (1 << bits) and bits < 12:
            bits += 1
        if next_code >= MAX_CODES - 1:  # table full: start afresh
            acc |= np.uint64(clear) << np.uint64(filled)
            filled += bits
            trie[:, :] = -1
            bits = min_code_size + 1
            next_code = end + 1
        else:
            trie[current, pixel] = next_code
            next_code += 1
        current = np.int64(pixel)
    for code in (current, end):
        acc |= np.uint64(code) << np.uint64(filled)
        filled += bits
        while filled >= 8:
            out[size] = np.uint8(acc & np.uint64(0xFF))
            size += 1
            acc >>= np.uint64(8)
            filled -= 8
        if next_code >= (1 << bits) and bits < 12:
            bits += 1
    if filled > 0:
        out[size] = np.uint8(acc & np.uint64(0xFF))
        size += 1
    return size
