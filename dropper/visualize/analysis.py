"""Per-video-frame features of a song: pitch-class energies from the harmonic part, band
brightness from the percussive part, and loudness.

The spectral analysis runs at least every 1024 samples, whatever the video frame rate, so every
sample is heard; each video frame takes one row from its analysis frames (:mod:`.clock`).

The audio is read and analysed in chunks of ~35 s, so memory does not grow with song length;
chunk seams are exact (each chunk carries the context the STFT and median filters need).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dropper.errors import AudioError, MissingInput
from dropper.visualize.clock import AnalysisClock, per_video_frame, uniform_step
from dropper.visualize.median import median_filter_rows
from dropper.visualize.settings import VisualSettings

SR = 22050  # analysis sample rate (Hz); every song is resampled to it
N_FFT = 2048  # STFT window (93 ms at 22050 Hz)
KERNEL = 31  # HPSS median filter length, in frames (time) and bins (frequency)
CHROMA_FMIN_HZ = 180.0  # pitch classes are read from ~F#3 (where bins are < 1 semitone apart) ...
CHROMA_FMAX_HZ = 5000.0  # ... up to ~D#8
# Audio analysed at once: a span of time, not of frames, so that memory is the same at any fps.
_CHUNK_SECONDS = 35.0
_BLOCK = 1 << 16
EPS = 1e-12  # power floor before dB (-120 dB)
# Percussive bands are a power density (mean over their bins): lift them by 20 dB so that loud
# drums reach about the level of a loud pitch class.
BAND_GAIN = 100.0


@dataclass(frozen=True)
class Features:
    """What the video shows at each frame; every array has one row per video frame.

    Attributes
    ----------
    fps : frames per second of the rows.
    duration_s : song duration in seconds.
    chroma : (frames, 12) float32 in [0, 1], harmonic level of pitch classes C..B over the frame
        (sticky).
    bands : (frames, n_bands) float32 in [0, 1], A-weighted percussive brightness per mel band,
        low to high, its loudest moment within the frame (sticky).
    loudness : (frames,) float32 in [0, 1], A-weighted level of the whole mix over the frame.
    """

    fps: float
    duration_s: float
    chroma: np.ndarray
    bands: np.ndarray
    loudness: np.ndarray

    @property
    def frames(self) -> int:
        return int(self.loudness.shape[0])


def stickiness(x: np.ndarray, decay: float) -> np.ndarray:
    """Hold each column's recent maximum and let it fall by ``decay`` per row.

    ``out[t] = max(x[t], decay * out[t - 1])``: a hit shows at once and fades geometrically,
    while small fluctuations below the fading maximum are hidden.

    Parameters
    ----------
    x : (frames, ...) array, non-negative.
    decay : fraction kept per frame, in [0, 1]; 0 returns ``x`` unchanged, 1 holds the maximum.
    """
    check_decay(decay)
    out = np.array(x, dtype=np.float32, copy=True)
    if decay == 0.0:
        return out
    decay = np.float32(decay)
    for t in range(1, out.shape[0]):
        np.maximum(out[t], out[t - 1] * decay, out=out[t])
    return out


def check_decay(decay: float) -> None:
    """Raise ValueError unless ``decay`` is a fraction per frame from 0 to 1."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay: must be a fraction from 0 to 1 per frame, got {decay!r}")


def decay_per_frame(half_life_s: float, fps: float) -> float:
    """The per-frame decay that halves a value in ``half_life_s`` seconds (0 s gives 0)."""
    return 0.0 if half_life_s <= 0 else float(0.5 ** (1.0 / (half_life_s * fps)))


def features(y: np.ndarray, sr: int, settings: VisualSettings = VisualSettings(), *,
             device=None) -> Features:
    """Analyse a signal (1-D mono or (channels, samples)) into per-video-frame features.

    ``device``: None for numpy, or a ``torch.device`` to run the spectral work on torch
    (see :mod:`dropper.visualize.torch_analysis`).
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        y = y.mean(axis=0)
    if sr != SR:
        import soxr

        y = soxr.resample(y, sr, SR, quality="HQ").astype(np.float32, copy=False)
    return _features_from_blocks(iter([y]), settings, device)


def features_from_file(path: str | Path, settings: VisualSettings = VisualSettings(), *,
                       device=None) -> Features:
    """Analyse an audio file, streaming it in blocks (constant memory); ``device`` as in
    :func:`features`."""
    return _features_from_blocks(read_mono(path), settings, device)


def read_mono(path: str | Path) -> Iterator[np.ndarray]:
    """Yield the file's audio as mono float32 blocks at :data:`SR` Hz.

    Raises :class:`AudioError` for a file that is not readable audio or holds no samples.
    """
    import soundfile as sf

    path = Path(path)
    if not path.exists():
        raise MissingInput(f"{path}: file not found")
    try:
        handle = sf.SoundFile(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({exc})") from None
    with handle:
        stream = None
        if handle.samplerate != SR:
            import soxr

            stream = soxr.ResampleStream(handle.samplerate, SR, 1, dtype="float32", quality="HQ")
        seen = 0
        try:
            for block in handle.blocks(blocksize=_BLOCK, dtype="float32", always_2d=True):
                if not np.isfinite(block).all():
                    raise AudioError(f"{path}: corrupt audio: non-finite samples")
                seen += len(block)
                mono = block.mean(axis=1)
                yield mono if stream is None else stream.resample_chunk(mono)
        except sf.LibsndfileError as exc:
            raise AudioError(f"{path}: corrupt audio ({exc.error_string})") from None
        if seen == 0:
            raise AudioError(f"{path}: zero-length audio (the file holds no samples)")
        if stream is not None:
            yield stream.resample_chunk(np.zeros(0, np.float32), last=True)


@dataclass(frozen=True, eq=False)
class Filterbanks:
    """The analysis' fixed matrices for one band count (built once, cached)."""

    window: np.ndarray
    chroma: np.ndarray  # (12, bins)
    mel: np.ndarray  # (n_bands, bins), rows sum to 1, A-weighting folded in
    a_weight: np.ndarray  # (bins,) power gain


@functools.lru_cache(maxsize=8)
def filterbanks(n_bands: int) -> Filterbanks:
    import librosa
    from scipy.signal import get_window

    freqs = np.fft.rfftfreq(N_FFT, 1.0 / SR)
    # Constant-Q kernels in the frequency domain: a Gaussian of 0.3 semitones around every
    # equal-tempered pitch (A4 = 440 Hz), summed over octaves into its pitch class.
    with np.errstate(divide="ignore"):
        midi = 69.0 + 12.0 * np.log2(freqs / 440.0)
    chroma = np.zeros((12, freqs.size), np.float32)
    band = (freqs >= CHROMA_FMIN_HZ) & (freqs <= CHROMA_FMAX_HZ)
    for pitch in range(int(np.floor(midi[band].min())), int(np.ceil(midi[band].max())) + 1):
        weight = np.exp(-0.5 * ((midi[band] - pitch) / 0.3) ** 2)
        chroma[pitch % 12, band] += weight
    a_weight = 10.0 ** (librosa.A_weighting(np.maximum(freqs, 1.0), min_db=-80.0) / 10.0)
    mel = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=n_bands, fmin=40.0, fmax=SR / 2, norm=None)
    mel = mel / np.maximum(mel.sum(axis=1, keepdims=True), EPS) * a_weight[None, :]
    window = get_window("hann", N_FFT).astype(np.float32)
    window /= window.sum() / 2.0  # a full-scale sine peaks at magnitude 1
    return Filterbanks(window, chroma, mel.astype(np.float32), a_weight.astype(np.float32))


def hpss_masks(magnitude: np.ndarray, margin: float, kernel: int = KERNEL) -> tuple[np.ndarray, np.ndarray]:
    """Driedger-style soft masks (harmonic, percussive) of a (bins, frames) magnitude spectrogram.

    Same definition as ``librosa.decompose.hpss(S, kernel_size=kernel, margin=margin,
    mask=True)``, with a running median that is ~30x faster than ``scipy.ndimage``.
    """
    harmonic = median_filter_rows(magnitude, kernel)
    percussive = np.ascontiguousarray(median_filter_rows(np.ascontiguousarray(magnitude.T), kernel).T)
    return _softmask(harmonic, margin * percussive), _softmask(percussive, margin * harmonic)


def _softmask(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    # librosa.util.softmask with power 2 and split_zeros=False.
    z = np.maximum(x, reference)
    zero = z <= np.finfo(np.float32).tiny
    z[zero] = 1.0
    x2 = (x / z) ** 2
    total = x2 + (reference / z) ** 2
    total[zero] = 1.0  # both zero: the mask is 0 there (x2 is 0)
    return x2 / total


def _features_from_blocks(blocks: Iterator[np.ndarray], settings: VisualSettings, device) -> Features:
    analyse, sticky = _chunk_levels, stickiness
    if device is not None:
        from dropper.visualize import torch_analysis

        analyse = functools.partial(torch_analysis.chunk_levels, device=device)
        sticky = functools.partial(torch_analysis.stickiness, device=device)
    bank = filterbanks(settings.n_bands)
    clock = AnalysisClock.for_fps(settings.fps, SR)
    levels, n_samples = _video_frame_levels(_analysis_chunks(blocks, bank, clock, settings.margin, analyse),
                                            clock, settings.fps)
    duration_s = n_samples / SR
    span = settings.ceiling_db - settings.floor_db
    scaled = np.clip((levels - settings.floor_db) / span, 0.0, 1.0).astype(np.float32)
    chroma = sticky(scaled[:, :12], decay_per_frame(settings.harmonic_half_life_s, settings.fps))
    bands = sticky(scaled[:, 13:], decay_per_frame(settings.decay_half_life_s, settings.fps))
    return Features(fps=float(settings.fps), duration_s=float(duration_s), chroma=chroma, bands=bands,
                    loudness=scaled[:, 12].copy())


def _video_frame_levels(chunks: Iterator, clock: AnalysisClock, fps: float) -> tuple[np.ndarray, int]:
    """(video frames, 13 + n_bands) dB rows from ``_analysis_chunks``, and the sample count.

    Whole video frames are reduced as their chunk comes (memory does not grow with the number
    of analysis frames); the last two wait for the end, so that the last video frame can take
    every analysis frame after it.
    """
    per_frame = clock.per_frame
    done: list[np.ndarray] = []
    waiting = np.zeros((0, 0), np.float32)
    for item in chunks:
        if not isinstance(item, np.ndarray):
            n_samples = item
            break
        waiting = item if waiting.size == 0 else np.concatenate([waiting, item])
        ready = (waiting.shape[0] // per_frame - 2) * per_frame
        if ready > 0:
            done.append(per_video_frame(waiting[:ready], ready // per_frame, per_frame))
            waiting = waiting[ready:]
    shown = sum(rows.shape[0] for rows in done)
    frames = max(shown + 1, int(np.ceil(n_samples / SR * fps - 1e-6)))
    # Frames centred on the song's end or after it only gave the HPSS filters their context.
    heard = clock.count_through(n_samples - 1) - shown * per_frame
    done.append(per_video_frame(waiting[:max(1, heard)], frames - shown, per_frame))
    return np.concatenate(done, axis=0), n_samples


def _analysis_chunks(blocks: Iterator[np.ndarray], bank: Filterbanks, clock: AnalysisClock, margin: float,
                     analyse):
    """Yield (frames, 13 + n_bands) dB rows [chroma 12, loudness, bands] chunk by chunk, then
    the total number of samples; ``analyse(segment, starts, bank, margin)`` analyses the windows
    of one chunk, starting at ``starts`` within ``segment``."""
    half, context = N_FFT // 2, KERNEL // 2
    chunk = max(4 * KERNEL, round(_CHUNK_SECONDS * SR / clock.hop))
    buffer = np.zeros(0, np.float32)
    buffer_start = 0  # global index of buffer[0]
    total = 0
    done = 0  # analysis frames emitted
    finished = False
    while not finished:
        block = next(blocks, None)
        if block is None:
            finished = True
        else:
            buffer = np.concatenate([buffer, np.asarray(block, np.float32)])
            total += len(block)
        while True:
            n_frames = clock.count_through(total) if finished else None
            stop = done + chunk if n_frames is None else min(done + chunk, n_frames)
            if n_frames is None and clock.centres(stop + context, stop + context + 1)[0] + half > total:
                break  # wait for more audio
            if stop <= done:
                break
            first, last = max(done - context, 0), stop + context
            if n_frames is not None:
                last = min(last, n_frames)
            centres = clock.centres(first, last)
            segment = _samples(buffer, buffer_start, centres[0] - half, centres[-1] + half)
            yield analyse(segment, centres - centres[0], bank, margin)[done - first: stop - first]
            done = stop
            keep_from = max(0, int(clock.centres(done - context, done - context + 1)[0]) - half)
            buffer = buffer[keep_from - buffer_start:]
            buffer_start = keep_from
            if n_frames is not None and done >= n_frames:
                break
    yield total


def _samples(buffer: np.ndarray, buffer_start: int, start: int, stop: int) -> np.ndarray:
    """Samples [start, stop) of the song, zeros outside what the buffer holds."""
    out = np.zeros(stop - start, np.float32)
    low, high = max(start, buffer_start), min(stop, buffer_start + buffer.size)
    if high > low:
        out[low - start: high - start] = buffer[low - buffer_start: high - buffer_start]
    return out


def _chunk_levels(segment: np.ndarray, starts: np.ndarray, bank: Filterbanks, margin: float) -> np.ndarray:
    from numpy.lib.stride_tricks import sliding_window_view
    from scipy.fft import rfft

    windows = sliding_window_view(segment, N_FFT)
    step = uniform_step(starts)
    frames = windows[::step] * bank.window if step else np.multiply(windows[starts], bank.window)
    magnitude = np.ascontiguousarray(np.abs(rfft(frames, axis=1)).T.astype(np.float32))
    mask_h, mask_p = hpss_masks(magnitude, margin)
    power = magnitude ** 2
    harmonic = (mask_h ** 2) * power
    percussive = (mask_p ** 2) * power
    # Only spectral peaks vote for a pitch class: the flanks of a window's main lobe would
    # otherwise leak a tone into its neighbouring semitones.
    peaks = np.zeros_like(harmonic)
    inner = (harmonic[1:-1] >= harmonic[:-2]) & (harmonic[1:-1] > harmonic[2:])
    peaks[1:-1][inner] = harmonic[1:-1][inner]
    chroma = bank.chroma @ peaks
    loud = bank.a_weight @ power
    bands = bank.mel @ percussive * BAND_GAIN
    stacked = np.concatenate([chroma, loud[None, :], bands], axis=0)
    return (10.0 * np.log10(stacked + EPS)).T.astype(np.float32)

