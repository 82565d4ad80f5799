"""Mel spectrogram thumbnails on a fixed dBFS scale, for comparing songs by eye.

``render_spectrogram`` turns audio into an RGB array (pure); ``png_bytes`` encodes it.
"""

from __future__ import annotations

import io
import math

import numpy as np

from dropper.loudness import as_channels

FRAME_S = 0.046  # ~2048 samples at 44.1 kHz: 21.5 Hz bins, enough for 30 Hz at the bottom
LOW_HZ = 30.0
_CHUNK_FRAMES = 256  # frames per FFT batch: memory after the STFT does not grow with length

# Anchor colours of a dark-to-bright ramp in the manner of matplotlib's "inferno": black,
# indigo, purple, crimson, orange, pale yellow. Lightness rises monotonically, so a brighter
# pixel always means a louder band, also in greyscale and for colour-blind readers.
_ANCHORS = np.array(
    [
        (0.00, 0, 0, 4),
        (0.13, 27, 12, 65),
        (0.25, 74, 12, 107),
        (0.38, 120, 28, 109),
        (0.50, 165, 44, 96),
        (0.63, 207, 68, 70),
        (0.75, 237, 105, 37),
        (0.88, 251, 155, 6),
        (0.94, 247, 209, 61),
        (1.00, 252, 255, 164),
    ]
)


def colormap_lut(n_colours: int = 256) -> np.ndarray:
    """The dark-to-bright colormap as a ``(n_colours, 3)`` uint8 lookup table."""
    positions = np.linspace(0.0, 1.0, n_colours)
    channels = [np.interp(positions, _ANCHORS[:, 0], _ANCHORS[:, i]) for i in (1, 2, 3)]
    return np.round(np.stack(channels, axis=1)).astype(np.uint8)


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def _band_edges_mel(sr: int, n_mels: int, low_hz: float) -> np.ndarray:
    """``n_mels + 2`` equally spaced mel points: band i spans points i..i+2, centred on i+1."""
    return np.linspace(_hz_to_mel(min(low_hz, sr / 4)), _hz_to_mel(sr / 2), n_mels + 2)


def mel_filterbank(sr: int, n_fft: int, n_mels: int, *, low_hz: float = LOW_HZ) -> np.ndarray:
    """Triangular mel filters from ``low_hz`` to Nyquist, each averaging the power it covers.

    Filters are at least two FFT bins wide, so no low band is empty when the mel spacing is
    finer than the bins (it smoothly interpolates there instead). Each row sums to 1, so a
    band reads the average level of its bins: broadband noise looks equally bright in narrow
    low bands and wide high bands.

    Returns
    -------
    np.ndarray
        Shape ``(n_mels, n_fft // 2 + 1)``, float32.
    """
    bin_hz = np.arange(n_fft // 2 + 1) * sr / n_fft
    edges_hz = _mel_to_hz(_band_edges_mel(sr, n_mels, low_hz))
    centre_hz = edges_hz[1:-1, None]
    lower_hz = np.maximum(centre_hz - edges_hz[:-2, None], sr / n_fft)
    upper_hz = np.maximum(edges_hz[2:, None] - centre_hz, sr / n_fft)
    rising = (bin_hz - (centre_hz - lower_hz)) / lower_hz
    falling = ((centre_hz + upper_hz) - bin_hz) / upper_hz
    weights = np.clip(np.minimum(rising, falling), 0.0, None)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def row_of_hz(freq_hz: float, sr: int, *, height: int, low_hz: float = LOW_HZ) -> int:
    """Image row (0 = top) whose mel band is centred nearest ``freq_hz``: for axis labels."""
    centres_mel = _band_edges_mel(sr, height, low_hz)[1:-1]
    band = int(np.argmin(np.abs(centres_mel - _hz_to_mel(freq_hz))))
    return height - 1 - band


def column_power(x: np.ndarray, *, width: int, n_fft: int, hop: int) -> np.ndarray:
    """Mean FFT power of the mono mix in each of ``width`` time columns (full-scale sine: 1).

    The mix and the STFT run in batches of frames that are summed into their columns at
    once, so memory is ``width x bins`` however long the song is. Columns that no frame
    reaches (a clip shorter than ``width`` hops) repeat the column before them.

    Parameters
    ----------
    x : np.ndarray
        Audio as ``(channels, samples)``.

    Returns
    -------
    np.ndarray
        Shape ``(width, n_fft // 2 + 1)``, float64.
    """
    if x.shape[1] < n_fft:
        x = np.pad(x, ((0, 0), (0, n_fft - x.shape[1])))
    n_frames = 1 + (x.shape[1] - n_fft) // hop
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    sine_scale = 1.0 / (window.sum() / 2.0) ** 2
    sums = np.zeros((width, n_fft // 2 + 1))
    counts = np.zeros(width)
    frame_columns = np.arange(n_frames) * width // n_frames  # non-decreasing
    for first in range(0, n_frames, _CHUNK_FRAMES):
        last = min(first + _CHUNK_FRAMES, n_frames)
        piece = x[:, first * hop : (last - 1) * hop + n_fft].mean(axis=0, dtype=np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(piece, n_fft)[::hop]
        spectrum = np.fft.rfft(frames * window, axis=-1)
        power = spectrum.real**2 + spectrum.imag**2
        columns = frame_columns[first:last]
        starts = np.flatnonzero(np.diff(columns, prepend=-1))
        sums[columns[starts]] += np.add.reduceat(power, starts, axis=0)
        counts[columns[starts]] += np.diff(np.append(starts, len(columns)))
    filled = np.maximum.accumulate(np.where(counts > 0, np.arange(width), 0))
    return (sums / np.maximum(counts, 1)[:, None])[filled] * sine_scale


def render_spectrogram(
    y: np.ndarray,
    sr: int,
    *,
    width: int = 1200,
    height: int = 256,
    floor_db: float = -100.0,
    ceiling_db: float = -20.0,
    n_colours: int = 64,
) -> np.ndarray:
    """Render the whole song as a mel spectrogram image on a fixed dB scale.

    Parameters
    ----------
    y : np.ndarray
        Float audio in [-1, 1], 1-D mono or 2-D ``(channels, samples)``; the channels are
        mixed to mono.
    sr : int
        Sample rate in Hz.
    width, height : int
        Image size in pixels. Time runs left to right over the whole song (each column is the
        mean power of its frames); mel bands from 30 Hz (bottom row) to Nyquist (top row).
    floor_db, ceiling_db : float
        dB range of the colormap, relative to a full-scale sine in one FFT bin (dBFS per bin,
        ~21.5 Hz). Fixed, not relative to the song: quiet songs look dark, loud ones bright.
        The defaults put a mastered song's bass near the top and its air band mid-scale.
    n_colours : int
        Steps of the colormap, 2-256. 64 steps (1.25 dB each) look continuous and make the
        PNG about 40 % smaller than 256.

    Returns
    -------
    np.ndarray
        RGB image, shape ``(height, width, 3)``, dtype uint8.

    Examples
    --------
    >>> import numpy as np
    >>> image = render_spectrogram(np.zeros(22050, dtype=np.float32), 22050, width=64, height=32)
    >>> image.shape, image.dtype, int(image.max())
    ((32, 64, 3), dtype('uint8'), 4)
    """
    if width < 1 or height < 1 or not ceiling_db > floor_db or not 2 <= n_colours <= 256:
        raise ValueError(
            f"need width, height >= 1, ceiling_db > floor_db and 2 <= n_colours <= 256, "
            f"got {width}x{height}, {floor_db}..{ceiling_db} dB, {n_colours} colours"
        )
    x = as_channels(y, sr)
    n_fft = int(2 ** round(math.log2(max(sr * FRAME_S, 16))))
    # Short clips get finer hops so each column has its own frame; long ones overlap by half.
    hop = int(np.clip(x.shape[1] // width, max(1, n_fft // 8), n_fft // 2))
    power = column_power(x, width=width, n_fft=n_fft, hop=hop)
    bands = power @ mel_filterbank(sr, n_fft, height).T.astype(np.float64)  # (width, height)
    with np.errstate(divide="ignore"):
        level_db = 10.0 * np.log10(bands)
    scaled = np.clip((level_db - floor_db) / (ceiling_db - floor_db), 0.0, 1.0)
    indices = np.round(scaled.T[::-1] * (n_colours - 1)).astype(np.uint8)  # bass at the bottom
    return colormap_lut(n_colours)[indices]


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an RGB uint8 image as a small PNG.

    An image of at most 256 colours (every spectrogram) is stored as an exact palette PNG,
    about a third of the size of RGB; any other image is stored as RGB. Both are lossless.
    """
    from PIL import Image  # kept out of module import: only the writer of files needs Pillow

    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be (height, width, 3) uint8, not shape {image.shape}")
    packed = (image[..., 0].astype(np.uint32) << 16) | (image[..., 1].astype(np.uint32) << 8)
    packed |= image[..., 2]
    colours, indices = np.unique(packed, return_inverse=True)
    if colours.size <= 256:
        picture = Image.fromarray(indices.reshape(packed.shape).astype(np.uint8))
        palette = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], axis=1)
        picture.putpalette(palette.astype(np.uint8).ravel().tolist())  # L becomes P
    else:
        picture = Image.fromarray(image)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
