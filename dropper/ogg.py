"""Ogg Vorbis that is the same bytes for the same audio.

libsndfile draws a random stream serial number for every Ogg file it writes, so writing the same
samples twice gives two files, two hashes and two IPFS CIDs. :func:`vorbis_bytes` encodes with
libsndfile and then sets every page's serial number to one constant, recomputing each page's
CRC; nothing else about the stream changes.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

SERIAL = 0x64726F70  # "drop"


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return tuple(table)


CRC_TABLE = _crc_table()  # Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0


def page_crc(page: bytes | bytearray) -> int:
    """The CRC of one Ogg page (its CRC field counted as zero bytes)."""
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ CRC_TABLE[(crc >> 24) ^ byte]
    return crc


def with_serial(data: bytes, serial: int = SERIAL) -> bytes:
    """The Ogg stream ``data`` with every page's serial number set to ``serial``.

    Raises ValueError when ``data`` is not a sequence of whole Ogg pages.
    """
    out, pos = bytearray(data), 0
    while pos < len(out):
        if out[pos: pos + 4] != b"OggS" or pos + 27 > len(out):
            raise ValueError(f"not an Ogg page at byte {pos}")
        segments = out[pos + 26]
        length = 27 + segments + sum(out[pos + 27: pos + 27 + segments])
        if pos + length > len(out):
            raise ValueError(f"Ogg page at byte {pos} is cut short")
        out[pos + 14: pos + 18] = serial.to_bytes(4, "little")
        out[pos + 22: pos + 26] = bytes(4)
        out[pos + 22: pos + 26] = page_crc(out[pos: pos + length]).to_bytes(4, "little")
        pos += length
    return bytes(out)


def vorbis_bytes(y: np.ndarray, sr: int) -> bytes:
    """``y`` (samples, or samples x channels) encoded as Ogg Vorbis, the same bytes every time."""
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="OGG", subtype="VORBIS")
    return with_serial(buffer.getvalue())
