"""The timelapse GIF: frames quantized to one palette through the layout's colour table.

A frame is a gather of a small colour table, so the palette is built from the tables of the
frames (not from their pixels), and each pixel finds its palette entry through a 32x32x32
lookup cube with a 4x4 ordered dither: a few milliseconds per frame instead of ffmpeg's
per-pixel palette search (~100 ms per frame on smooth gradients).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numba import njit

from dropper.files import atomic_write

_LEVELS = 32  # lookup cube resolution per channel
_BAYER = (np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32) + 0.5) / 16 - 0.5


def palette_for(tables: list[np.ndarray], colours: int = 128) -> np.ndarray:
    """(colours, 3) uint8 palette for frames whose (cells, 4) RGBX colour tables are given."""
    from PIL import Image

    stride = max(1, sum(table.shape[0] for table in tables) // 150_000)
    sample = np.concatenate([table[::stride, :3] for table in tables], axis=0)
    side = int(np.ceil(np.sqrt(sample.shape[0])))
    canvas = np.zeros((side * side, 3), np.uint8)
    canvas[: sample.shape[0]] = sample
    canvas[sample.shape[0]:] = sample[0]
    image = Image.fromarray(canvas.reshape(side, side, 3))
    quantized = image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    used = len(quantized.getcolors(colours + 1) or [])
    return np.array(quantized.getpalette()[: 3 * max(used, 1)], np.uint8).reshape(-1, 3)


def lookup_cube(palette: np.ndarray) -> np.ndarray:
    """(32, 32, 32) uint8: the nearest palette entry for every cube cell's centre colour."""
    centres = (np.arange(_LEVELS, dtype=np.float32) + 0.5) * (256.0 / _LEVELS)
    grid = np.stack(np.meshgrid(centres, centres, centres, indexing="ij"), axis=-1).reshape(-1, 3)
    pal = palette.astype(np.float32)
    out = np.empty(grid.shape[0], np.uint8)
    for start in range(0, grid.shape[0], 4096):
        block = grid[start:start + 4096]
        distance = ((block[:, None, :] - pal[None, :, :]) ** 2).sum(axis=2)
        out[start:start + 4096] = distance.argmin(axis=1)
    return out.reshape(_LEVELS, _LEVELS, _LEVELS)


def indexed_frame(table: np.ndarray, cells: np.ndarray, width: int, cube: np.ndarray) -> np.ndarray:
    """Palette indices (flat, ``cells.size``) of a frame with colour ``table`` (cells, 4)."""
    out = np.empty(cells.size, np.uint8)
    _dither_gather(table, cells, width, cube, _BAYER * (256.0 / _LEVELS), out)
    return out


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


def write_gif(path: Path, frames: list[np.ndarray], palette: np.ndarray, *, width: int, height: int,
              fps: float) -> int:
    """Write indexed frames as a looping GIF, atomically; returns its size in bytes."""
    from PIL import Image

    flat_palette = palette.reshape(-1).tolist()
    images = []
    for frame in frames:
        image = Image.frombuffer("P", (width, height), frame.tobytes(), "raw", "P", 0, 1)
        image.putpalette(flat_palette)
        images.append(image)
    duration_ms = max(20, int(round(1000.0 / fps / 10.0)) * 10)  # GIF delays are in 1/100 s
    with atomic_write(path, "wb") as handle:
        images[0].save(handle, format="GIF", save_all=True, append_images=images[1:], loop=0,
                       duration=duration_ms, optimize=False, disposal=1)
    return Path(path).stat().st_size
