"""The looks: each layout turns one frame's features into a colour table over its cell grid.

Cells are ``ANGLES x RADII`` (angle clockwise from 12 o'clock x distance from the centre, for
both ``bloom`` and ``ripples``). Colours are linear light, added like light; the painter
tone-maps and gamma-encodes them. The maths is written once for numpy and torch (``xp``):
:meth:`Layout.to_torch` moves a layout's tables to a device.
"""

from __future__ import annotations

import colorsys
import copy

import numpy as np

from dropper.visualize.analysis import Features
from dropper.visualize.settings import VisualSettings

PITCH_NAMES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
PITCH_HUES: tuple[float, ...] = tuple(30.0 * k for k in range(12))  # degrees, with C = red
_RIPPLE_SECONDS = 3.0  # history shown by the ripples layout, centre to corner
RING_WIDTH = 0.6
HIT_FLOOR = 0.6
HIT_GAIN = 0.8
ANGLES = 288  # angular cells (24 per semitone)
RADII = 192  # radial cells, centre to corner
_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
_NIGHT = np.array([0.0020, 0.0014, 0.0060], np.float32)  # the background's deep blue-violet


def pitch_hues(hue_start_deg: float = 0.0) -> np.ndarray:
    """Hue in degrees of pitch classes C..B: C at ``hue_start_deg``, 30 degrees per semitone."""
    return (hue_start_deg + np.asarray(PITCH_HUES)) % 360.0


def wheel_colours(hue_start_deg: float = 0.0) -> np.ndarray:
    """(12, 3) linear-light RGB of the pitch classes, with their brightness evened out.

    Pure HSV hues differ tenfold in luminance (blue vs yellow); lifting the dark ones with a
    little white and dimming the bright ones keeps every hue (HSV) and makes them read alike.
    """
    out = np.zeros((12, 3), np.float32)
    for k, hue in enumerate(pitch_hues(hue_start_deg)):
        rgb = np.array(colorsys.hsv_to_rgb(hue / 360.0, 1.0, 1.0)) ** 2.2
        luma = float(rgb @ _LUMA)
        lift = max(0.0, 0.12 - luma) / (1.0 - luma)  # add white until luma >= 0.12
        rgb = rgb + lift * (1.0 - rgb)
        out[k] = rgb * min(1.0, 0.35 / float(rgb @ _LUMA))  # and dim down to luma <= 0.35
    return out


def max_radius(width: float, height: float) -> float:
    """Centre-to-corner distance in units of half the frame height."""
    return float(np.hypot(width / height, 1.0))


def make_layout(settings: VisualSettings, width: int, height: int) -> Layout:
    """The layout ``settings.layout`` for frames of ``width`` x ``height`` pixels."""
    kinds = {"bloom": Bloom, "ripples": Ripples}
    return kinds[settings.layout](settings, width, height)


class Layout:
    """Base: the colour wheel around the cell grid's angles, and the radial coordinates.

    ``xp`` is the array module the tables live in (numpy, or torch after :meth:`to_torch`);
    ``TABLES`` names the arrays a frame is computed from.
    """

    TABLES: tuple[str, ...] = ("colours", "background")
    xp = np
    device = None

    def __init__(self, settings: VisualSettings, width: int, height: int) -> None:
        self.settings = settings
        self.colours = wheel_colours(settings.hue_start_deg)
        self.angle = np.arange(ANGLES) / ANGLES * 2 * np.pi  # cell centres, radians
        # Radius in units of half the frame height (1.0 touches the top edge).
        self.radius = (np.arange(RADII) + 0.5) / RADII * max_radius(width, height)
        pitch_angle = np.arange(12) / 12 * 2 * np.pi
        # Each pitch class owns a soft 30-degree sector (half power 15 degrees off its centre).
        kappa = np.log(2.0) / (1.0 - np.cos(np.pi / 12))
        self.sector = np.exp(kappa * (np.cos(self.angle[:, None] - pitch_angle[None, :]) - 1.0))
        # The wheel's colour at every angle: neighbouring pitch classes blend smoothly.
        wheel = self.sector @ self.colours / self.sector.sum(axis=1, keepdims=True)
        self.wheel = np.ascontiguousarray(wheel.T, dtype=np.float32)  # (3, ANGLES)
        # (3 * ANGLES, 12): one matrix product paints all twelve petals in all channels.
        self.petal_colour = (self.colours.T[:, None, :] * self.sector[None, :, :]).reshape(3 * ANGLES, 12)
        self.petal_colour = self.petal_colour.astype(np.float32)
        self.background = np.ascontiguousarray(self.night()[:, None, :])  # (3, 1, RADII)

    def linear(self, features: Features, index: int) -> np.ndarray:
        """(3, cells) linear-light colour of every cell of frame ``index``."""
        return self.linear_batch(features.chroma, features.bands, np.array([index]), features.fps)[0]

    def linear_batch(self, chroma, bands, index: np.ndarray, fps: float):
        """(frames, 3, cells) colours of frames ``index`` (host integers) of a song whose
        per-frame ``chroma`` (frames, 12) and ``bands`` (frames, n) are ``xp`` arrays."""
        raise NotImplementedError

    def to_torch(self, device) -> Layout:
        """A copy of this layout that draws with torch on ``device``."""
        import torch

        moved = copy.copy(self)
        moved.xp, moved.device = torch, device
        for name in self.TABLES:
            setattr(moved, name, torch.from_numpy(np.ascontiguousarray(getattr(self, name))).to(device))
        return moved

    def _rows(self, index: np.ndarray):
        """Host frame numbers as an index into ``xp`` arrays."""
        return index if self.device is None else self.xp.from_numpy(index).to(self.device)

    def night(self) -> np.ndarray:
        """(3, RADII) background: deep blue-violet, brighter towards the middle. It never changes,
        so the encoder skips whatever the music leaves dark."""
        fall = np.exp(-(self.radius / 1.6) ** 2).astype(np.float32)
        return _NIGHT[:, None] * (0.6 + 2.0 * fall[None, :])


class Bloom(Layout):
    """Twelve petals around the centre, one per pitch class at its clock position (C at 12
    o'clock), glowing with the harmonic part; concentric rings of light for the percussive
    bands (bass in the middle, cymbals towards the corners), tinted by the wheel."""

    PETAL_REACH = 1.45  # petals are drawn out to this radius (half frame heights)
    TABLES = Layout.TABLES + ("petals", "rings", "ring_tint")

    def __init__(self, settings: VisualSettings, width: int, height: int) -> None:
        super().__init__(settings, width, height)
        self.reach = int(np.searchsorted(self.radius, self.PETAL_REACH))
        self.petals = _petal_basis(self.angle, self.radius[: self.reach])  # (24, ANGLES * reach)
        n = settings.n_bands
        centres = 0.10 + np.arange(n) / max(n - 1, 1) * (self.radius[-1] - 0.16)
        spacing = centres[1] - centres[0] if n > 1 else 1.0
        ring = np.exp(-0.5 * ((self.radius[:, None] - centres[None, :]) / (RING_WIDTH * spacing)) ** 2)
        self.rings = ring.astype(np.float32)  # (RADII, n_bands)
        self.ring_tint = (0.15 + 1.2 * self.wheel).astype(np.float32)  # wheel colour, towards white

    def linear_batch(self, chroma, bands, index: np.ndarray, fps: float):
        rows, count = self._rows(index), len(index)
        weights = _petal_weights(self.xp, chroma[rows], self.colours)  # (frames, 3, 24)
        petals = (weights @ self.petals).reshape(count, 3, ANGLES, self.reach)
        light = _hit_light(self.xp, bands[rows]) @ self.rings.T  # (frames, RADII)
        out = self.ring_tint[None, :, :, None] * light[:, None, None, :] + self.background
        out[:, :, :, : self.reach] += petals
        return out.reshape(count, 3, ANGLES * RADII)


class Ripples(Layout):
    """The colours of the last three seconds travel outwards: the centre is now, the corners are
    the past. Percussive hits leave as bright rings; chords as coloured arcs at their pitches."""

    TABLES = Layout.TABLES + ("petal_colour", "fade", "ring_tint")

    def __init__(self, settings: VisualSettings, width: int, height: int) -> None:
        super().__init__(settings, width, height)
        seconds_per_radius = _RIPPLE_SECONDS / self.radius[-1]
        self.lag_s = self.radius * seconds_per_radius  # (RADII,)
        self.fade = np.exp(-self.radius / 1.2).astype(np.float32)
        self.ring_tint = (0.25 + 0.8 * self.wheel).astype(np.float32)

    def linear_batch(self, chroma, bands, index: np.ndarray, fps: float):
        xp, count = self.xp, len(index)
        lag = np.round(self.lag_s * fps).astype(np.int64)
        past = self._rows(np.clip(index[:, None] - lag[None, :], 0, None))  # (frames, RADII)
        chroma = chroma[past]  # (frames, RADII, 12)
        emphasis = chroma ** 2 * (chroma / xp.clip(xp.amax(chroma, axis=-1, keepdims=True), 1e-3, None))
        arcs = self.petal_colour @ (1.4 * emphasis * self.fade[:, None]).swapaxes(-1, -2)
        arcs = arcs.reshape(count, 3, ANGLES, RADII)
        hits = _hit_light(xp, bands[past]).mean(axis=-1) * self.fade  # (frames, RADII)
        arcs += self.ring_tint[None, :, :, None] * (0.9 * hits)[:, None, None, :]
        arcs += self.background
        return arcs.reshape(count, 3, ANGLES * RADII)


def _hit_light(xp, bands):
    """Light of the percussive bands: only the louder half of the scale shows, rising steeply."""
    lifted = xp.clip((bands - HIT_FLOOR) / (1.0 - HIT_FLOOR), 0.0, 1.0)
    return HIT_GAIN * lifted ** 2


def _petal_basis(angle: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """(24, cells) images: a sharp petal and a soft halo for each pitch class, on the polar grid."""
    theta = angle[:, None, None] - np.arange(12)[None, None, :] * (np.pi / 6)
    along = radius[None, :, None] * np.cos(theta)  # distance along the petal's axis
    across = radius[None, :, None] * np.sin(theta)
    core = np.exp(-0.5 * ((along - 0.52) / 0.26) ** 2 - 0.5 * (across / (0.05 + 0.12 * np.clip(along, 0, None))) ** 2)
    halo = np.exp(-0.5 * ((along - 0.45) / 0.30) ** 2 - 0.5 * (across / 0.22) ** 2)
    basis = np.concatenate([core, halo], axis=2)  # (ANGLES, reach, 24)
    basis[basis < 1e-4] = 0.0  # no subnormal floats (they are ~100x slower to add)
    return np.ascontiguousarray(basis.reshape(-1, 24).T, dtype=np.float32)


def _petal_weights(xp, chroma, colours):
    """(frames, 3, 24) weights of the petal basis from (frames, 12) ``chroma``: the strongest
    pitch classes of each frame stand out."""
    relative = chroma / xp.clip(xp.amax(chroma, axis=-1, keepdims=True), 1e-3, None)
    core = 1.5 * chroma ** 2 * relative ** 2
    halo = 0.3 * chroma * relative
    tint = colours.T[None, :, :]  # (1, 3, 12)
    return xp.concatenate([tint * core[:, None, :], tint * halo[:, None, :]], axis=-1)
