"""Reading audio files: probe, verify and load, with one clear error for bad input.

Everything else in dropper works on arrays: ``y`` is float32, 1-D (mono) or
``(channels, samples)``, in [-1, 1]. Formats: whatever libsndfile reads (wav, flac, ogg, mp3).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from dropper.errors import AudioError, MissingInput

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")
_BLOCK_FRAMES = 1 << 16
_FINE_BLOCK_FRAMES = 1 << 10  # locating a decoding error: libsndfile drops a failing block
_MP3_TAG_SEARCH_BYTES = 1 << 12
_UNKNOWN_FRAMES = 1 << 62  # libsndfile's frame count for a length it cannot know (SF_COUNT_MAX)


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
    file, or one holding NaN/inf samples. A truncated file is one that decodes to less than its
    header declares (WAV data size, FLAC STREAMINFO, an MP3's Xing/Info/VBRI frame count) or an
    Ogg stream without its end-of-stream page; the message says where decoding stopped. A
    file whose header does not record its length (FLAC from a streaming encoder) and a chained
    or multiplexed Ogg file (libsndfile decodes only its first stream) are refused too.
    libmpg123's own warnings (it prints them on file descriptor 2) are kept out of stderr.
    """
    path = Path(path)
    with quiet_decoder(path):
        info = _open_info(path)
        frames, error = _decode(path, _BLOCK_FRAMES)
        if error is not None:
            # libsndfile drops a block that fails part-way: find the spot in small steps.
            frames = min(frames + _BLOCK_FRAMES, _decode(path, _FINE_BLOCK_FRAMES)[0])
    rate = info.samplerate
    declared = max(_declared_frames(path, info), 0)
    stopped = f"decoding stopped at {frames / rate:.1f} s"
    if declared > frames:
        stopped += f" of the {declared / rate:.1f} s the header declares"
    if error is not None:
        raise AudioError(f"{path}: corrupt audio: {stopped} ({error})")
    if frames == 0:
        raise AudioError(f"{path}: zero-length audio (the file holds no samples)")
    if declared > 0 and frames < 0.99 * declared:
        raise AudioError(f"{path}: truncated audio: {stopped}")
    if info.format.upper() == "OGG":
        unfinished, streams = _ogg_walk(path)
        if unfinished:
            raise AudioError(f"{path}: truncated audio: {stopped} and the Ogg stream has no "
                             f"end-of-stream page")
        if streams > 1:  # libsndfile decodes the first logical stream and stops
            raise AudioError(f"{path}: {streams} Ogg streams in one file (chained or multiplexed), "
                             f"only the first ({frames / rate:.1f} s) decodes: re-encode it as one "
                             "stream (e.g. ffmpeg -i)")
    return AudioInfo(format=info.format.lower(), sample_rate=int(rate),
                     channels=int(info.channels), frames=frames)


def load(path: str | os.PathLike, *, sr: int | None = None, mono: bool = False) -> tuple[np.ndarray, int]:
    """Load a file as float32 ``(channels, samples)`` (or 1-D if ``mono``), resampled to ``sr``."""
    path = Path(path)
    with quiet_decoder(path):
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


def _decode(path: Path, block_frames: int) -> tuple[int, str | None]:
    """Frames that decode (reading ``block_frames`` at a time) and libsndfile's error, if any.

    ``SoundFile.blocks`` is not used: it yields whole blocks even where the decoder delivered
    fewer frames, so an MP3 cut in half would read as its header's full length.
    """
    frames = 0
    try:
        with sf.SoundFile(str(path)) as handle:
            rate = handle.samplerate
            while True:
                block = handle.read(block_frames, dtype="float32", always_2d=True)
                if len(block) == 0:
                    return frames, None
                if not np.isfinite(block).all():
                    raise AudioError(f"{path}: corrupt audio: non-finite samples near "
                                     f"{frames / rate:.1f} s")
                frames += len(block)
    except sf.LibsndfileError as exc:
        return frames, exc.error_string.rstrip(".")


def _declared_frames(path: Path, info: sf._SoundFileInfo) -> int:
    """Frames the file's header promises; 0 where it promises nothing checkable.

    libsndfile's own count is the header's for FLAC and for an MP3 with a Xing/Info/VBRI
    frame count, but an estimate from the file size for a WAV (so the RIFF header is read
    here) and for an MP3 without such a tag (not a promise: a cut there goes unnoticed).
    """
    kind = info.format.upper()
    if kind == "WAV":
        return max(info.frames, _wav_declared_frames(path, info.channels))
    if kind == "MP3":
        return info.frames if _mp3_has_frame_count(path) else 0
    if kind == "OGG":
        return 0  # libsndfile reads the last granule position it finds: checked by _ogg_walk
    return info.frames


def _mp3_has_frame_count(path: Path) -> bool:
    """True when the first MPEG frame (after any ID3v2 tag) is a Xing, Info or VBRI header."""
    with open(path, "rb") as handle:
        head = handle.read(10)
        start = 0
        if head[:3] == b"ID3" and len(head) == 10:
            size = 0
            for byte in head[6:10]:  # syncsafe: 7 bits a byte
                size = (size << 7) | (byte & 0x7F)
            start = 10 + size + (10 if head[5] & 0x10 else 0)  # a footer repeats the header
        handle.seek(start)
        first_frame = handle.read(_MP3_TAG_SEARCH_BYTES)
    sync = first_frame.find(b"\xff")
    while sync >= 0 and not (sync + 1 < len(first_frame) and first_frame[sync + 1] & 0xE0 == 0xE0):
        sync = first_frame.find(b"\xff", sync + 1)
    if sync < 0:
        return False
    frame = first_frame[sync: sync + 200]  # the tag sits 13, 21, 36 bytes into the frame
    return any(tag in frame for tag in (b"Xing", b"Info", b"VBRI"))


def _ogg_walk(path: Path) -> tuple[bool, int]:
    """Whether an Ogg file ends before every logical stream in it reached its last page, and
    how many logical streams it holds (beginning-of-stream pages: chained links count too).

    Walks the page headers (constant memory). Each stream's last page carries the
    end-of-stream flag; a file cut anywhere loses it, or ends inside a page. Bytes that are not
    a page (damage, junk) are skipped to the next ``OggS`` as a decoder does.
    """
    size = path.stat().st_size
    unfinished: set[bytes] = set()
    streams = 0
    with open(path, "rb") as handle:
        position = 0
        while position < size:
            handle.seek(position)
            header = handle.read(27)
            if header[:4] != b"OggS":
                found = _find_from(handle, b"OggS", position + 1)
                if found < 0:
                    break
                position = found
                continue
            if len(header) < 27:
                return True, streams
            lacing = handle.read(header[26])
            end = position + 27 + header[26] + sum(lacing)
            if len(lacing) < header[26] or end > size:
                return True, streams  # the file ends inside this page
            serial = header[14:18]
            streams += bool(header[5] & 0x02)
            if header[5] & 0x04:
                unfinished.discard(serial)
            else:
                unfinished.add(serial)
            position = end
    return bool(unfinished), streams


def _find_from(handle, needle: bytes, start: int) -> int:
    """Offset of the next ``needle`` at or after ``start`` in a binary file, or -1."""
    handle.seek(start)
    carry = b""
    offset = start
    while chunk := handle.read(1 << 16):
        data = carry + chunk
        found = data.find(needle)
        if found >= 0:
            return offset - len(carry) + found
        carry = data[-(len(needle) - 1):]
        offset += len(chunk)
    return -1


_quiet_lock = threading.RLock()  # held for the whole block: one capture at a time
_quiet_active = False
# libmpg123's messages: "Warning: Xing stream size off by ...", "Note: ...",
# "[src/libmpg123/layer3.c:123] error: ...".
_DECODER_LINE = re.compile(rb"^(Warning|Note): |^\[[^\]]*(mpg123|\.c:\d+)[^\]]*\] ")
# Containers libsndfile recognises by their first bytes; anything else may be MPEG audio.
_NOT_MPEG_MAGIC = (b"RIFF", b"RF64", b"fLaC", b"OggS", b"FORM")


@contextmanager
def quiet_decoder(path: str | os.PathLike | None = None) -> Iterator[None]:
    """Keep libmpg123's messages off stderr while libsndfile opens and decodes ``path``.

    libmpg123 writes warnings such as "Xing stream size off by more than 1%" straight to
    file descriptor 2, past Python. For a file that may be MPEG audio (or with no ``path``),
    fd 2 points at a temporary file inside this block; on the way out it is restored first and
    then everything captured that is not such a message (a progress bar, another thread's
    output) is written through, late but whole. WAV, FLAC and Ogg files (known by their first
    bytes) leave fd 2 alone. One thread at a time holds the capture; nested use joins it.
    """
    global _quiet_active
    if path is not None and not _may_be_mpeg(Path(path)):
        yield
        return
    with _quiet_lock:
        if _quiet_active:
            yield
            return
        with tempfile.TemporaryFile() as capture:
            try:
                saved = os.dup(2)
            except OSError:  # no fd 2 at all: nothing to keep clean
                saved = -1
            if saved < 0:
                yield
                return
            try:
                _flush_stderr()
                os.dup2(capture.fileno(), 2)
                _quiet_active = True
                yield
            finally:
                # fd 2 comes back even when flushing raises (a Ctrl-C inside a Python-level
                # sys.stderr such as rich's), so nothing after this is written into the capture.
                _quiet_active = False
                try:
                    _flush_stderr()
                finally:
                    os.dup2(saved, 2)
                    os.close(saved)
                _pass_on(capture)


def _may_be_mpeg(path: Path) -> bool:
    """False for files whose first bytes name a container libsndfile reads without libmpg123."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) not in _NOT_MPEG_MAGIC
    except OSError:
        return False  # missing or unreadable: opening it fails before any decoder runs


def _flush_stderr() -> None:
    try:
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def _pass_on(capture: typing.BinaryIO) -> None:
    """Write what was captured on fd 2 to the real fd 2, less libmpg123's lines."""
    capture.seek(0)
    kept = b"".join(line for line in capture.read().splitlines(keepends=True)
                    if not _DECODER_LINE.match(line))
    try:
        while kept:
            kept = kept[os.write(2, kept):]
    except OSError:  # stderr closed or a broken pipe: there is nowhere to pass it on
        pass


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
        info = sf.info(str(path))
    except sf.LibsndfileError as exc:
        reason = exc.error_string.rstrip(".")
        if reason.startswith("File does not exist"):  # libsndfile's words for undecodable mp3
            reason = "format not recognised"
        raise AudioError(f"{path}: not a readable audio file ({reason})") from None
    except (RuntimeError, TypeError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({exc})") from None
    if info.frames >= _UNKNOWN_FRAMES:
        # libsndfile reads such a file up to an error at its end and cannot load it whole.
        raise AudioError(f"{path}: the header does not say how many samples the file holds "
                         f"(a {info.format} file from a streaming encoder?): re-encode it to a file "
                         "first (e.g. flac -f, or ffmpeg -i) so its length is recorded")
    return info
