"""The timelapse GIF: small enough for a catalog grid of a thousand songs, smooth enough to read.

A frame is a gather of a small colour table, so the palette comes from the tables (sampled per
pixel, refined by k-means), and each pixel finds its palette entry through a 32x32x32 lookup
cube with a 4x4 ordered dither (a stable pattern: unchanged areas stay byte-identical from frame
to frame). Stretches of pixels that stay within a few levels of what is already on screen are
written as transparent, which LZW packs into almost nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from dropper.files import atomic_write

COLOURS = 64  # palette entries, the transparent one included
DITHER = 12.0  # ordered-dither amplitude, in 0-255 levels peak to peak
KEEP_LEVELS = 12.0  # a run that moved less than this (RGB distance, 0-255) is left on screen
RUN_PIXELS = 16  # runs of pixels kept or redrawn together (isolated transparent pixels cost bytes)
_LEVELS = 32  # lookup cube resolution per channel
_SAMPLE_PIXELS = 60_000
_KMEANS_ROUNDS = 4
_BAYER = (np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32) + 0.5) / 16 - 0.5


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
    """(32, 32, 32) uint8: the nearest palette entry for every cube cell's centre colour."""
    centres = (np.arange(_LEVELS, dtype=np.float32) + 0.5) * (256.0 / _LEVELS)
    grid = np.stack(np.meshgrid(centres, centres, centres, indexing="ij"), axis=-1).reshape(-1, 3)
    return _nearest(grid, palette).astype(np.uint8).reshape(_LEVELS, _LEVELS, _LEVELS)


def indexed_frame(table: np.ndarray, cells: np.ndarray, width: int, cube: np.ndarray) -> np.ndarray:
    """Palette indices (flat, ``cells.size``) of a frame with colour ``table`` (cells, 4)."""
    out = np.empty(cells.size, np.uint8)
    _dither_gather(table, cells, width, cube, _BAYER * np.float32(DITHER), out)
    return out


def keep_unchanged(frames: list[np.ndarray], palette: np.ndarray, transparent: int) -> None:
    """Turn runs of pixels that barely change into ``transparent``, in place (frame 0 stays whole).

    Each run is compared with what is on screen, not with the previous frame, so slow fades
    cannot drift: a run is redrawn as soon as it is ``KEEP_LEVELS`` away from the screen.
    """
    if not frames:
        return
    shown = frames[0].copy()
    pal = palette.astype(np.int32)
    for frame in frames[1:]:
        _keep_runs(frame, shown, pal, int(KEEP_LEVELS ** 2), transparent, RUN_PIXELS)


@njit(cache=True, nogil=True)
def _dither_gather(table, cells, width, cube, bayer, out):  # pragma: no cover - compiled
    scale = cube.shape[0] / 256.0
    top = cube.shape[0] - 1
    for row in range(cells.size // width):
        for col in range(width):
            i = row * width + col
            cell = cells[i]
            offset = bayer[row % 4, col % 4]
            r = min(max(int((table[cell, 0] + offset) * scale), 0), top)
            g = min(max(int((table[cell, 1] + offset) * scale), 0), top)
            b = min(max(int((table[cell, 2] + offset) * scale), 0), top)
            out[i] = cube[r, g, b]


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
              fps: float, transparent: int | None = None) -> int:
    """Write indexed frames as a looping GIF, atomically; returns its size in bytes.

    Frames are drawn over the previous ones (disposal 1), so ``transparent`` pixels show what
    is already there.
    """
    from PIL import Image

    flat_palette = palette.reshape(-1).tolist()
    images = []
    for frame in frames:
        image = Image.frombuffer("P", (width, height), frame.tobytes(), "raw", "P", 0, 1)
        image.putpalette(flat_palette)
        images.append(image)
    duration_ms = max(20, int(round(1000.0 / fps / 10.0)) * 10)  # GIF delays are in 1/100 s
    extra = {} if transparent is None else {"transparency": transparent}
    with atomic_write(path, "wb") as handle:
        images[0].save(handle, format="GIF", save_all=True, append_images=images[1:], loop=0,
                       duration=duration_ms, optimize=False, disposal=1, **extra)
    return Path(path).stat().st_size
