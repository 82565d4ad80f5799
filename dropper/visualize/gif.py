"""The timelapse GIF: small enough for a catalog grid of a thousand songs, smooth enough to read.

A frame is a gather of a small colour table, so the palette comes from the tables (sampled per
pixel, refined by k-means). Each pixel is drawn with Knoll's pattern dither: for every cell of a
32x32x32 colour cube, four palette entries whose mean is that colour (each chosen to cancel the
error of those before it, sorted by luminance) are laid out in a 2x2 ordered pattern. Mixing
whole colours, not only brightness, is what keeps a glow from pink into purple a gradient
instead of hard bands; where a colour is in the palette the four entries agree and the area
stays flat. The pattern depends only on position (unchanged areas stay byte-identical from
frame to frame) and repeats every two pixels (LZW learns its strings fast). Stretches of pixels
that stay within a few levels of what is already on screen are written as transparent and each
frame is cropped to what it redraws. The LZW coder is lossless by default; its lossy mode
(``LOSSY_LEVELS``, :mod:`dropper.visualize.lzw`) drags strings along a row and reads as
horizontal streaks.

Measured (default 320x180, 80 frames, 60 s synthesized songs: blast beat / straight rock /
ambient; averaged over the three: error = mean absolute difference from the undithered frames
after a 3x3 blur, in 0-255 levels; streaks = the decoded frames' excess mean row-to-row
difference over the source's, minus their excess column-to-column difference: 0 for dither
without a direction, > 0 for horizontal streaks):

    row-only dither (12 levels), lossy LZW (20)  0.65 / 0.55 / 0.23 MB  error 4.6  streaks +3.2
    the same, lossless LZW                       0.78 / 0.72 / 0.26 MB  error 4.4  streaks +4.2
    4x4 Bayer on brightness (12), lossless       1.10 / 1.07 / 0.42 MB  error 4.2  streaks +0.2
    blue noise on brightness (12), lossless      1.24 / 1.32 / 0.54 MB  error 4.2  streaks +0.2
    Knoll 2x2, lossless (this)                   1.20 / 1.15 / 0.40 MB  error 3.4  streaks -0.1
    Knoll 4x4 (16 entries), lossless             1.52 / 1.47 / 0.54 MB  error 3.1  streaks -0.3
    Knoll 2x2, 128 colours                       1.55 / 1.41 / 0.52 MB  error 2.6  streaks -0.1

Dithering brightness alone leaves the hue steps of a 63-colour palette as hard-edged bands
(petal shapes that the video does not have); the row pattern and the lossy coder add streaks.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from numba import njit

from dropper.files import atomic_write
from dropper.visualize import lzw

COLOURS = 64  # palette entries, the transparent one included
MIX = 4  # palette entries mixed per colour, laid out in a 2x2 ordered pattern
MIX_ERROR = 0.5  # how strongly each further entry corrects the error of those chosen before it
KEEP_LEVELS = 12.0  # a run that moved less than this (RGB distance, 0-255) is left on screen
RUN_PIXELS = 16  # runs of pixels kept or redrawn together (isolated transparent pixels cost bytes)
LOSSY_LEVELS = 0.0  # how far (RGB distance, 0-255) the LZW coder may move a pixel (lossless: no streaks)
_LEVELS = 32  # lookup cube resolution per channel
_SAMPLE_PIXELS = 60_000
_KMEANS_ROUNDS = 4
_PATTERN = np.array([[0, 2], [3, 1]], np.int64)  # 2x2 Bayer: which of the MIX entries a pixel shows


def palette_for(tables: list[np.ndarray], cells: np.ndarray, colours: int = COLOURS - 1) -> np.ndarray:
    """(<= colours, 3) uint8 palette for frames with (cells, 4) RGBX ``tables`` drawn through ``cells``.

    Colours are sampled per pixel (the many tiny cells at the centre would otherwise outvote the
    big ones at the rim), median-cut, then moved to the mean of what they stand for (k-means).
    """
    from PIL import Image

    rng = np.random.default_rng(0)
    per_frame = max(1, _SAMPLE_PIXELS // len(tables))
    sample = np.concatenate([table[cells[rng.integers(0, cells.size, per_frame)], :3] for table in tables])
    side = int(np.ceil(np.sqrt(sample.shape[0])))
    canvas = np.empty((side * side, 3), np.uint8)
    canvas[: sample.shape[0]] = sample
    canvas[sample.shape[0]:] = sample[0]
    image = Image.fromarray(canvas.reshape(side, side, 3))
    quantized = image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    used = len(quantized.getcolors(colours + 1) or [])
    palette = np.array(quantized.getpalette()[: 3 * max(used, 1)], np.float32).reshape(-1, 3)
    return _kmeans(sample.astype(np.float32), palette, _KMEANS_ROUNDS)


def _kmeans(points: np.ndarray, centres: np.ndarray, rounds: int) -> np.ndarray:
    for _ in range(rounds):
        nearest = _nearest(points, centres)
        counts = np.bincount(nearest, minlength=len(centres))
        sums = np.stack([np.bincount(nearest, points[:, c], minlength=len(centres)) for c in range(3)], axis=1)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return np.clip(np.round(centres), 0, 255).astype(np.uint8)


def _nearest(points: np.ndarray, palette: np.ndarray) -> np.ndarray:
    pal = palette.astype(np.float32)
    out = np.empty(points.shape[0], np.int64)
    for start in range(0, points.shape[0], 4096):
        block = points[start:start + 4096].astype(np.float32)
        out[start:start + 4096] = ((block[:, None, :] - pal[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    return out


def lookup_cube(palette: np.ndarray) -> np.ndarray:
    """(32, 32, 32, MIX) uint8: for every cube cell's centre colour, the ``MIX`` palette entries
    whose mix shows it (Knoll's pattern dither), darkest first."""
    pal = palette.astype(np.float32)
    luma = pal @ np.array([0.299, 0.587, 0.114], np.float32)
    cube = np.empty((_LEVELS, _LEVELS, _LEVELS, MIX), np.uint8)
    _mix_cube(pal, luma, np.float32(MIX_ERROR), cube)
    return cube


@njit(cache=True, nogil=True)
def _mix_cube(palette, luma, error_weight, cube):  # pragma: no cover - compiled
    levels = cube.shape[0]
    step = 256.0 / levels
    mix = cube.shape[3]
    chosen = np.empty(mix, np.int64)
    keys = np.empty(mix, np.float32)
    for r in range(levels):
        for g in range(levels):
            for b in range(levels):
                source = ((r + 0.5) * step, (g + 0.5) * step, (b + 0.5) * step)
                e0 = 0.0
                e1 = 0.0
                e2 = 0.0
                for k in range(mix):
                    a0 = source[0] + e0 * error_weight
                    a1 = source[1] + e1 * error_weight
                    a2 = source[2] + e2 * error_weight
                    best = 0
                    best_d = np.inf
                    for p in range(palette.shape[0]):
                        d = (a0 - palette[p, 0]) ** 2 + (a1 - palette[p, 1]) ** 2 + (a2 - palette[p, 2]) ** 2
                        if d < best_d:
                            best_d = d
                            best = p
                    chosen[k] = best
                    keys[k] = luma[best]
                    e0 += source[0] - palette[best, 0]
                    e1 += source[1] - palette[best, 1]
                    e2 += source[2] - palette[best, 2]
                order = np.argsort(keys, kind="mergesort")
                for k in range(mix):
                    cube[r, g, b, k] = chosen[order[k]]


def indexed_frame(table: np.ndarray, cells: np.ndarray, width: int, cube: np.ndarray) -> np.ndarray:
    """Palette indices (flat, ``cells.size``) of a frame with colour ``table`` (cells, 4), each
    pixel the entry of its colour's mix (``cube`` from :func:`lookup_cube`) its position picks."""
    out = np.empty(cells.size, np.uint8)
    _dither_gather(table, cells, width, cube, _PATTERN * cube.shape[3] // _PATTERN.size, out)
    return out


@njit(cache=True, nogil=True)
def _dither_gather(table, cells, width, cube, pattern, out):  # pragma: no cover - compiled
    shift = 8 - int(np.log2(cube.shape[0]))
    rows, cols = pattern.shape
    for row in range(cells.size // width):
        for col in range(width):
            i = row * width + col
            cell = cells[i]
            out[i] = cube[table[cell, 0] >> shift, table[cell, 1] >> shift, table[cell, 2] >> shift,
                          pattern[row % rows, col % cols]]


@njit(cache=True, nogil=True)
def _keep_runs(frame, shown, palette, limit2, transparent, run):  # pragma: no cover - compiled
    for start in range(0, frame.size, run):
        stop = min(start + run, frame.size)
        still = True
        for i in range(start, stop):
            distance2 = 0
            for c in range(3):
                step = palette[frame[i], c] - palette[shown[i], c]
                distance2 += step * step
            if distance2 > limit2:
                still = False
                break
        for i in range(start, stop):
            if still:
                frame[i] = transparent
            else:
                shown[i] = frame[i]


def write_gif(path: Path, frames: list[np.ndarray], palette: np.ndarray, *, width: int, height: int,
              fps: float, lossy_levels: float = LOSSY_LEVELS) -> int:
    """Write indexed frames (flat uint8, ``width x height``) as a looping GIF, atomically; returns
    its size in bytes.

    Frames after the first show only what changed: runs that stay within ``KEEP_LEVELS`` of the
    screen become transparent (an extra palette entry) and each frame is cropped to the box of
    what it redraws. The LZW coder may swap a pixel for a palette colour within
    ``lossy_levels`` (RGB distance; 0 is lossless). ``frames`` are rewritten in place to what a
    viewer sees of each frame (transparent where the previous picture shows through).
    """
    if not frames:
        raise ValueError("frames: a GIF needs at least one frame")
    transparent = palette.shape[0]
    if transparent > 255:
        raise ValueError(f"palette: at most 255 colours (one entry is kept for transparency), got {transparent}")
    colours = np.zeros((_table_size(transparent + 1), 3), np.uint8)
    colours[:transparent] = palette
    code_size = max(2, int(np.log2(colours.shape[0])))
    # Lossless (the default): no neighbour table, and the coder leaves the pixels as they are.
    near = lzw.near_colours(colours, lossy_levels, transparent) if lossy_levels > 0 else None
    delays = frame_delays_cs(len(frames), fps)
    chunks = [b"GIF89a", struct.pack("<HHBBB", width, height, 0xF0 | (code_size - 1), 0, 0), colours.tobytes(),
              b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"]  # loop forever
    shown = frames[0].copy()
    pal = colours.astype(np.int32)
    for number, frame in enumerate(frames):
        if number:
            _keep_runs(frame, shown, pal, int(KEEP_LEVELS ** 2), transparent, RUN_PIXELS)
        image = frame.reshape(height, width)
        top, bottom, left, right = _redrawn_box(image, transparent if number else -1)
        pixels = np.ascontiguousarray(image[top:bottom, left:right]).ravel()
        data = lzw.encode(pixels, code_size, near)
        if near is not None:  # the lossy coder may have swapped pixels: record what the viewer gets
            image[top:bottom, left:right] = pixels.reshape(bottom - top, right - left)
            redrawn = frame != transparent
            shown[redrawn] = frame[redrawn]
        # Graphic control: draw over the previous frame (disposal 1), with the transparent entry.
        chunks.append(struct.pack("<BBBBHBB", 0x21, 0xF9, 4, (1 << 2) | 1, delays[number], transparent, 0))
        chunks.append(struct.pack("<BHHHHB", 0x2C, left, top, right - left, bottom - top, 0))
        chunks.append(bytes([code_size]) + _sub_blocks(data))
    chunks.append(b"\x3b")
    with atomic_write(path, "wb") as handle:
        handle.write(b"".join(chunks))
    return Path(path).stat().st_size


def frame_delays_cs(frames: int, fps: float) -> list[int]:
    """Each frame's delay in GIF's 1/100 s steps, so that frame ``k`` starts at ``k / fps``
    to the nearest step: 8 fps alternates 12 and 13 (a 10 s timelapse lasts 10.00 s, not the
    9.60 s of a constant 12). At least 2 each: browsers slow anything shorter down to 10."""
    starts = [round(100.0 * k / fps) for k in range(frames + 1)]
    return [max(2, later - earlier) for earlier, later in zip(starts, starts[1:])]


def _table_size(entries: int) -> int:
    """GIF colour tables hold a power of two entries, 4 to 256."""
    return max(4, 1 << int(np.ceil(np.log2(entries))))


def _redrawn_box(image: np.ndarray, transparent: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the pixels that are not ``transparent`` (1x1 if none)."""
    rows = np.flatnonzero((image != transparent).any(axis=1))
    if rows.size == 0:
        return 0, 1, 0, 1
    cols = np.flatnonzero((image[rows[0]:rows[-1] + 1] != transparent).any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _sub_blocks(data: bytes) -> bytes:
    """Image data as GIF sub-blocks of at most 255 bytes, ended by an empty one."""
    parts = [bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255)]
    return b"".join(parts) + b"\x00"
