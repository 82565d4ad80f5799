"""Reading audio files: probe, verify and load, with one clear error for bad input.

Everything else in dropper works on arrays: ``y`` is float32, 1-D (mono) or
``(channels, samples)``, in [-1, 1]. Formats: whatever libsndfile reads (wav, flac, ogg, mp3).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from dropper.errors import AudioError, MissingInput

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")
_BLOCK_FRAMES = 1 << 16


@dataclass(frozen=True)
class AudioInfo:
    """What a full decode of a file found."""

    format: str
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


def is_audio_name(path: str | os.PathLike) -> bool:
    """True for the file extensions dropper reads."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS


def verify(path: str | os.PathLike) -> AudioInfo:
    """Decode the whole file block by block (constant memory) and describe it.

    Raises :class:`AudioError` for an empty, non-audio, corrupt, truncated or zero-length
    file, or one holding NaN/inf samples.
    """
    path = Path(path)
    info = _open_info(path)
    frames = 0
    try:
        with sf.SoundFile(str(path)) as handle:
            for block in handle.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
                if not np.isfinite(block).all():
                    raise AudioError(f"{path}: corrupt audio: non-finite samples near "
                                     f"{frames / info.samplerate:.1f} s")
                frames += len(block)
    except sf.LibsndfileError as exc:
        raise AudioError(f"{path}: corrupt audio: decoding stopped at {frames / info.samplerate:.1f} s "
                         f"({exc.error_string})") from None
    if frames == 0:
        raise AudioError(f"{path}: zero-length audio (the file holds no samples)")
    declared = max(info.frames, _wav_declared_frames(path, info.channels))
    if declared > 0 and frames < 0.99 * declared:
        raise AudioError(f"{path}: truncated audio: header says {declared / info.samplerate:.1f} s, "
                         f"only {frames / info.samplerate:.1f} s decode")
    return AudioInfo(format=info.format.lower(), sample_rate=int(info.samplerate),
                     channels=int(info.channels), frames=frames)


def load(path: str | os.PathLike, *, sr: int | None = None, mono: bool = False) -> tuple[np.ndarray, int]:
    """Load a file as float32 ``(channels, samples)`` (or 1-D if ``mono``), resampled to ``sr``."""
    path = Path(path)
    _open_info(path)
    try:
        data, native_sr = sf.read(str(path), dtype="float32", always_2d=True)
    except sf.LibsndfileError as exc:
        raise AudioError(f"{path}: corrupt audio ({exc.error_string})") from None
    if data.shape[0] == 0:
        raise AudioError(f"{path}: zero-length audio (the file holds no samples)")
    y = np.ascontiguousarray(data.T)
    if mono:
        y = y.mean(axis=0)
    if sr is not None and sr != native_sr:
        import soxr

        y = soxr.resample(y.T, native_sr, sr, quality="HQ").T.astype(np.float32, copy=False)
        native_sr = sr
    return np.ascontiguousarray(y), int(native_sr)


def _wav_declared_frames(path: Path, channels: int) -> int:
    """Frames a RIFF/WAVE header promises (libsndfile trusts the file size instead)."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return 0
    position, bits = 12, 0
    while position + 8 <= len(head):
        chunk, size = head[position:position + 4], int.from_bytes(head[position + 4:position + 8], "little")
        if chunk == b"fmt ":
            bits = int.from_bytes(head[position + 22:position + 24], "little")
        elif chunk == b"data":
            frame_bytes = channels * max(bits, 8) // 8
            # 0 and 0xFFFFFFFF mean "unknown size" (streamed writers, RF64).
            return size // frame_bytes if frame_bytes and 0 < size < 0xFFFFFFFF else 0
        position += 8 + size + (size & 1)
    return 0


def _open_info(path: Path) -> sf._SoundFileInfo:
    if not path.exists():
        raise MissingInput(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    try:
        return sf.info(str(path))
    except sf.LibsndfileError as exc:
        reason = exc.error_string.rstrip(".")
        if reason.startswith("File does not exist"):  # libsndfile's words for undecodable mp3
            reason = "format not recognised"
        raise AudioError(f"{path}: not a readable audio file ({reason})") from None
    except (RuntimeError, TypeError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({exc})") from None
