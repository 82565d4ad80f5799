"""The dag-pb block format (PBNode / PBLink), encoded byte-exact as kubo writes it.

Canonical form: every link is written with Hash, Name (even when empty) and Tsize, links sorted
by name bytes, and all links come before the Data field. The decoder is for checks and tests.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from multiformats import varint

# Protobuf keys: (field number << 3) | wire type (0 = varint, 2 = length-delimited).
_NODE_DATA = 0x0A
_NODE_LINK = 0x12
_LINK_HASH = 0x0A
_LINK_NAME = 0x12
_LINK_TSIZE = 0x18


@dataclass(frozen=True)
class PBLink:
    """A link: the child's binary CID, its name (bytes) and the child DAG's total size."""

    cid: bytes
    name: bytes
    tsize: int


@dataclass(frozen=True)
class PBNode:
    links: tuple[PBLink, ...]
    data: bytes | None


# multiformats' varint.encode type-checks each call (~8 us); the same few lengths and sizes
# recur in every node (36-byte CIDs, 262144-byte chunks), so results are cached.
encode_varint = functools.lru_cache(maxsize=8192)(varint.encode)


def length_delimited(key: int, payload: bytes | memoryview) -> bytes:
    """One protobuf field of wire type 2: key, varint length, payload."""
    return bytes((key,)) + encode_varint(len(payload)) + bytes(payload)


def varint_field(key: int, value: int) -> bytes:
    """One protobuf field of wire type 0."""
    return bytes((key,)) + encode_varint(value)


def encode_link(link: PBLink) -> bytes:
    """A PBLink as it appears inside a node (with its own key and length)."""
    body = (length_delimited(_LINK_HASH, link.cid) + length_delimited(_LINK_NAME, link.name)
            + varint_field(_LINK_TSIZE, link.tsize))
    return length_delimited(_NODE_LINK, body)


def encode_node(links: list[PBLink] | tuple[PBLink, ...], data: bytes | None) -> bytes:
    """Serialize a PBNode; links are sorted by name (stable, so file chunks keep their order)."""
    ordered = sorted(links, key=lambda link: link.name)
    parts = [encode_link(link) for link in ordered]
    if data is not None:
        parts.append(length_delimited(_NODE_DATA, data))
    return b"".join(parts)


def iter_fields(buffer: bytes | memoryview):
    """Yield (key, value) for each protobuf field: an int for varints, bytes for the rest."""
    view = memoryview(buffer)
    offset = 0
    while offset < len(view):
        key, n, _ = varint.decode_raw(view[offset:])
        offset += n
        wire_type = key & 7
        value, n, _ = varint.decode_raw(view[offset:])
        offset += n
        if wire_type == 0:
            yield key, value
        elif wire_type == 2:
            if offset + value > len(view):
                raise ValueError("truncated protobuf field")
            yield key, bytes(view[offset:offset + value])
            offset += value
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")


def decode_node(block: bytes | memoryview) -> PBNode:
    """Parse a dag-pb block (raises ValueError on malformed input)."""
    links: list[PBLink] = []
    data = None
    for key, value in iter_fields(block):
        if key == _NODE_LINK:
            fields = dict(iter_fields(value))
            links.append(PBLink(fields.get(_LINK_HASH, b""), fields.get(_LINK_NAME, b""),
                                fields.get(_LINK_TSIZE, 0)))
        elif key == _NODE_DATA:
            data = value
        else:
            raise ValueError(f"unexpected dag-pb field key {key:#x}")
    return PBNode(tuple(links), data)
