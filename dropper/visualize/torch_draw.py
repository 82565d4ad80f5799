"""Drawing frames with torch (a CUDA GPU, or torch's CPU device), a batch of frames at a time.

The twin of :class:`dropper.visualize.draw.Painter`: the same layout maths (the layouts are
written once for numpy and torch), the same tone curve and BT.709 YUV, the same cell maps.
Tolerance against the numpy painter, same features: float32 sums in another order move a
pixel by at most one code value (YUV or RGB), here and there; frames agree with a PSNR of at
least ``FRAME_PSNR_DB`` = 60 dB (measured: 94 dB and up, both layouts, 320x180 and 1280x720;
``tests/test_visualize_torch.py`` checks both bounds).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from dropper.visualize.analysis import Features
from dropper.visualize.draw import (
    RGB_TO_YUV,
    TONE_KNEE,
    YUV_OFFSET,
    YUV_SCALE,
    cell_maps,
)
from dropper.visualize.layouts import make_layout
from dropper.visualize.settings import VisualSettings

FRAME_PSNR_DB = 60.0  # lowest PSNR of a torch-drawn frame against the numpy one
# Frames drawn per call: a GPU wants work in bulk; on a CPU core a few frames at a time keep
# the (3 x 55k cells) tables in cache (4 was fastest at 320x180 and 1280x720).
_BATCH = {"cuda": 32}
_CPU_BATCH = 4


class TorchPainter:
    """Draws frames of one layout at one size on ``device``; build once per song."""

    def __init__(self, settings: VisualSettings, width: int, height: int, device: torch.device) -> None:
        self.settings, self.width, self.height, self.device = settings, width, height, device
        self.layout = make_layout(settings, width, height).to_torch(device)
        self.cells, cells_half = cell_maps(width, height)  # numpy, as Painter's
        self._cells = torch.from_numpy(self.cells.astype(np.int64)).to(device)
        self._cells_half = torch.from_numpy(cells_half.astype(np.int64)).to(device)
        self._yuv = torch.from_numpy(RGB_TO_YUV * YUV_SCALE[:, None]).to(device)  # (3, 3)
        self._offset = torch.from_numpy(YUV_OFFSET).to(device)[None, :, None]
        self.batch = _BATCH.get(torch.device(device).type, _CPU_BATCH)
        self._song: tuple[Features, torch.Tensor, torch.Tensor] | None = None

    def yuv420_frames(self, features: Features) -> Iterator[np.ndarray]:
        """Every frame of the song in order as planar YUV 4:2:0 bytes (BT.709, limited range)."""
        for start in range(0, features.frames, self.batch):
            index = np.arange(start, min(start + self.batch, features.frames))
            yield from self._yuv420(features, index).cpu().numpy()

    def yuv420(self, features: Features, index: int) -> np.ndarray:
        """Frame ``index`` as planar YUV 4:2:0 bytes."""
        return self._yuv420(features, np.array([index]))[0].cpu().numpy()

    def rgb_table(self, features: Features, index: int) -> np.ndarray:
        """(cells, 4) uint8 RGBX colour of every cell of frame ``index``."""
        rgb = (0.5 + 255.0 * self._display(features, np.array([index]))[0]).to(torch.uint8).T  # (cells, 3)
        return torch.cat([rgb, torch.full_like(rgb[:, :1], 255)], dim=1).cpu().numpy()

    def rgb(self, features: Features, index: int) -> np.ndarray:
        """The frame as (height, width, 3) uint8 RGB."""
        return self.rgb_table(features, index)[self.cells, :3].reshape(self.height, self.width, 3)

    def _yuv420(self, features: Features, index: np.ndarray) -> torch.Tensor:
        yuv = (self._yuv @ self._display(features, index) + self._offset).to(torch.uint8)  # (frames, 3, cells)
        luma = yuv[:, 0, self._cells]
        chroma = yuv[:, 1:, self._cells_half].reshape(len(index), -1)  # U plane, then V plane
        return torch.cat([luma, chroma], dim=1)

    def _display(self, features: Features, index: np.ndarray) -> torch.Tensor:
        """(frames, 3, cells) display values in [0, 1]: tone-mapped and gamma-encoded light."""
        chroma, bands = self._on_device(features)
        linear = self.layout.linear_batch(chroma, bands, index, features.fps).clamp(min=0.0)
        return torch.sqrt(torch.clamp(float(TONE_KNEE) * linear / (1.0 + linear), max=1.0))

    def _on_device(self, features: Features) -> tuple[torch.Tensor, torch.Tensor]:
        """The song's features on the device, moved once per song."""
        if self._song is None or self._song[0] is not features:
            self._song = (features, torch.from_numpy(features.chroma).to(self.device),
                          torch.from_numpy(features.bands).to(self.device))
        return self._song[1], self._song[2]
