"""Drawing frames: every layout is a small colour table over precomputed geometry.

Each pixel belongs to one cell of the layouts' polar grid (angle x distance from the centre);
the map from pixels to cells is computed once per size. Per frame only the table (~100k cells)
is computed from the features, in linear light with a few matrix products, and the frame is
one gather of that table, written straight in the encoder's YUV 4:2:0 (or RGB for the GIF and
poster).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
from numba import njit

from dropper.visualize.analysis import Features
from dropper.visualize.layouts import ANGLES, RADII, make_layout, max_radius
from dropper.visualize.settings import VisualSettings

assert ANGLES * RADII <= 1 << 16, "cell maps are uint16"

# The tone curve and BT.709 limited-range YUV of both painters (numpy here, torch in torch_draw).
TONE_KNEE = np.float32(1.6)
RGB_TO_YUV = np.array([[0.2126, 0.7152, 0.0722], [-0.1146, -0.3854, 0.5], [0.5, -0.4542, -0.0458]], np.float32)
YUV_SCALE = np.array([219.0, 224.0, 224.0], np.float32)
YUV_OFFSET = np.array([16.5, 128.5, 128.5], np.float32)  # 16 / 128, plus 0.5 to round


class Painter:
    """Draws frames of one layout at one size; build once per song, call per frame."""

    def __init__(self, settings: VisualSettings, width: int, height: int) -> None:
        self.settings, self.width, self.height = settings, width, height
        self.layout = make_layout(settings, width, height)
        self.cells, self.cells_half = cell_maps(width, height)
        self.yuv = np.empty(width * height * 3 // 2, np.uint8)
        self.luma = np.empty(ANGLES * RADII, np.uint8)
        self.chroma = np.empty(ANGLES * RADII, np.uint16)  # U in the low byte, V in the high

    def yuv420(self, features: Features, index: int) -> np.ndarray:
        """The frame as planar YUV 4:2:0 bytes (BT.709, limited range); reuses one buffer."""
        _encode_yuv(self.layout.linear(features, index), self.luma, self.chroma)
        _gather_yuv(self.luma, self.chroma, self.cells, self.cells_half, self.yuv)
        return self.yuv

    def yuv420_frames(self, features: Features) -> Iterator[np.ndarray]:
        """Every frame of the song in order, as :meth:`yuv420` gives them (one reused buffer)."""
        for index in range(features.frames):
            yield self.yuv420(features, index)

    def rgb_table(self, features: Features, index: int) -> np.ndarray:
        """(cells, 4) uint8 RGBX colour of every cell of frame ``index``."""
        table = np.empty((ANGLES * RADII, 4), np.uint8)
        _encode_rgb(self.layout.linear(features, index), table)
        return table

    def rgb(self, features: Features, index: int) -> np.ndarray:
        """The frame as (height, width, 3) uint8 RGB."""
        packed = self.rgb_table(features, index).view(np.uint32).reshape(-1)
        pixels = packed[self.cells].view(np.uint8).reshape(self.height, self.width, 4)
        return np.ascontiguousarray(pixels[:, :, :3])


def draw_frame(features: Features, index: int, settings: VisualSettings = VisualSettings(), *,
               width: int | None = None, height: int | None = None) -> np.ndarray:
    """Frame ``index`` of a song's video as (height, width, 3) uint8 RGB (default: video size)."""
    return _painter(settings, width or settings.width, height or settings.height).rgb(features, index)


@functools.lru_cache(maxsize=4)
def _painter(settings: VisualSettings, width: int, height: int) -> Painter:
    return Painter(settings, width, height)


# The kernels run in float32 with fastmath (vectorised sqrt and division): the tone curve
# is smooth, so the last bit of float64 rounding changes no more than one code value.
@njit(cache=True, nogil=True, fastmath=True)
def _tone(value):  # pragma: no cover - compiled
    """Linear light to a display value in [0, 1]: a soft shoulder (bright overlaps turn
    white-hot instead of clipping flat), then gamma 2."""
    value = max(value, np.float32(0.0))
    return np.sqrt(min(TONE_KNEE * value / (np.float32(1.0) + value), np.float32(1.0)))


@njit(cache=True, nogil=True, fastmath=True)
def _encode_yuv(linear, luma, chroma):  # pragma: no cover - compiled
    m, scale, offset = RGB_TO_YUV, YUV_SCALE, YUV_OFFSET  # numba folds these in as constants
    for i in range(linear.shape[1]):
        r, g, b = _tone(linear[0, i]), _tone(linear[1, i]), _tone(linear[2, i])
        y = offset[0] + scale[0] * (m[0, 0] * r + m[0, 1] * g + m[0, 2] * b)
        u = offset[1] + scale[1] * (m[1, 0] * r + m[1, 1] * g + m[1, 2] * b)
        v = offset[2] + scale[2] * (m[2, 0] * r + m[2, 1] * g + m[2, 2] * b)
        luma[i] = np.uint8(y)
        chroma[i] = np.uint16(u) | (np.uint16(v) << np.uint16(8))


@njit(cache=True, nogil=True, fastmath=True)
def _encode_rgb(linear, out):  # pragma: no cover - compiled
    for i in range(linear.shape[1]):
        for c in range(3):
            out[i, c] = np.uint8(np.float32(0.5) + np.float32(255.0) * _tone(linear[c, i]))
        out[i, 3] = 255


@njit(cache=True, nogil=True)
def _gather_yuv(luma, chroma, cells, cells_half, out):  # pragma: no cover - compiled
    # One 16-bit read gives both chroma samples; 16-bit cell maps halve the index traffic.
    n, m = cells.size, cells_half.size
    for i in range(n):
        out[i] = luma[cells[i]]
    for i in range(m):
        both = chroma[cells_half[i]]
        out[n + i] = both & 0xFF
        out[n + m + i] = both >> 8


# --- geometry ---------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def cell_maps(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell index of every pixel (full size) and of every 2x2 block (chroma), as flat uint16
    (every layout draws on the same polar grid)."""
    return _cells(width, height, 1), _cells(width // 2, height // 2, 2)


def _cells(width: int, height: int, step: int) -> np.ndarray:
    # Pixel centres in full-size pixels (a chroma sample sits at the centre of its 2x2 block).
    ys = (np.arange(height, dtype=np.float64) + 0.5) * step
    xs = (np.arange(width, dtype=np.float64) + 0.5) * step
    full_w, full_h = width * step, height * step
    unit = full_h / 2.0
    dx = (xs[None, :] - full_w / 2.0) / unit
    dy = (ys[:, None] - full_h / 2.0) / unit
    # Angle clockwise from 12 o'clock (C at the top, like a clock of pitch classes).
    angle = np.mod(np.arctan2(dx, -dy), 2 * np.pi)
    radius = np.hypot(dx, dy) / max_radius(full_w, full_h)
    a = np.mod(np.round(angle / (2 * np.pi) * ANGLES).astype(np.int32), ANGLES)
    r = np.minimum((radius * RADII).astype(np.int32), RADII - 1)
    cells = a * RADII + r
    return np.ascontiguousarray(cells, dtype=np.uint16).ravel()
