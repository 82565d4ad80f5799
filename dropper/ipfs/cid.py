"""Content identifiers in binary form, built on the ``multiformats`` library.

Blocks are hashed with :mod:`hashlib` and named with a cached CID prefix, because building a
``multiformats.CID`` object costs about half a millisecond (runtime type checks) and an
import makes thousands of CIDs; text forms are made lazily, only for CIDs a caller reads.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from multiformats import CID, multibase, multicodec, multihash, varint

DAG_PB = "dag-pb"
RAW = "raw"
SHA2_256 = "sha2-256"


@dataclass(frozen=True)
class Cid:
    """A CID in its binary form (``raw``), with the text form computed on demand."""

    raw: bytes

    def __str__(self) -> str:
        return cid_text(self.raw)

    @property
    def version(self) -> int:
        return 0 if _is_v0(self.raw) else 1

    @property
    def codec(self) -> str:
        """``"dag-pb"`` or ``"raw"`` (any multicodec name for CIDs read from a CAR)."""
        return parse_cid(self.raw)[1]

    def to_multiformats(self) -> CID:
        """The same CID as a ``multiformats.CID`` (for callers that want the full object)."""
        return CID.decode(self.raw)


@functools.cache
def _prefix(version: int, codec: str) -> bytes:
    """Bytes before the digest: version and codec varints plus the sha2-256 multihash header."""
    digest_header = multihash.get(SHA2_256).wrap(bytes(32))[:-32]
    if version == 0:
        if codec != DAG_PB:
            raise ValueError("CIDv0 can only name dag-pb blocks")
        return digest_header
    return varint.encode(1) + varint.encode(multicodec.get(codec).code) + digest_header


def block_cid(block: bytes | memoryview, *, codec: str, version: int = 1) -> bytes:
    """Binary CID (sha2-256) of ``block`` encoded with ``codec``."""
    return _prefix(version, codec) + hashlib.sha256(block).digest()


def _is_v0(raw: bytes) -> bool:
    # A CIDv0 is a bare sha2-256 multihash: 0x12 0x20 followed by 32 bytes.
    return len(raw) == 34 and raw[0] == 0x12 and raw[1] == 0x20


@functools.lru_cache(maxsize=4096)
def cid_text(raw: bytes) -> str:
    """Text form like kubo prints it: base58btc for CIDv0, base32 for CIDv1."""
    if _is_v0(raw):
        return str(CID.decode(raw))
    return multibase.encode(raw, "base32")


def cid_from_text(text: str) -> Cid:
    """Parse a CID string (any multibase) into its binary form."""
    return Cid(bytes(CID.decode(text)))


def parse_cid(buffer: bytes | memoryview, offset: int = 0) -> tuple[int, str, int, bytes, int]:
    """Read one binary CID at ``offset``.

    Returns
    -------
    (version, codec name, multihash code, digest, end offset)

    Raises
    ------
    ValueError
        The bytes are not a CID (truncated, unknown codec or hash function).
    """
    view = memoryview(buffer)[offset:]
    if len(view) >= 34 and view[0] == 0x12 and view[1] == 0x20:
        return 0, DAG_PB, 0x12, bytes(view[2:34]), offset + 34
    version, n1, _ = varint.decode_raw(view)
    if version != 1:
        raise ValueError(f"unsupported CID version {version}")
    codec_code, n2, _ = varint.decode_raw(view[n1:])
    hash_code, n3, _ = varint.decode_raw(view[n1 + n2:])
    length, n4, _ = varint.decode_raw(view[n1 + n2 + n3:])
    start = n1 + n2 + n3 + n4
    if start + length > len(view):
        raise ValueError("truncated CID")
    return (1, _codec_name(codec_code), hash_code, bytes(view[start:start + length]),
            offset + start + length)


@functools.cache
def _codec_name(code: int) -> str:
    return multicodec.get(code=code).name


@functools.cache
def hash_function(code: int) -> multihash.Multihash:
    """The ``multiformats`` hash function for a multihash code (KeyError when unknown)."""
    return multihash.get(code=code)
