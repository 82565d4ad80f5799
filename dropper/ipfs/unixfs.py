"""The UnixFS ``Data`` message that dag-pb nodes carry: file, directory, symlink, HAMT shard.

Fields are written in field-number order and only when set, as Go's protobuf does, so that the
bytes (and therefore the CIDs) match kubo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dropper.ipfs.dagpb import iter_fields, length_delimited, varint_field

# UnixFS node types (unixfs.proto: Data.DataType).
RAW, DIRECTORY, FILE, METADATA, SYMLINK, HAMT_SHARD = range(6)
MURMUR3_X64_64 = 0x22  # the only HAMT hash function kubo accepts

_TYPE, _DATA, _FILESIZE, _BLOCKSIZES, _HASHTYPE, _FANOUT = (
    0x08, 0x12, 0x18, 0x20, 0x28, 0x30)


@dataclass(frozen=True)
class UnixFSData:
    type: int
    data: bytes = b""
    filesize: int | None = None
    blocksizes: tuple[int, ...] = field(default_factory=tuple)
    hash_type: int | None = None
    fanout: int | None = None


def file_data(*, filesize: int, blocksizes: list[int] | tuple[int, ...] = (),
              data: bytes | memoryview = b"") -> bytes:
    """Data of a file node: a leaf holding ``data`` or an inner node listing child sizes."""
    out = varint_field(_TYPE, FILE)
    if len(data):
        out += length_delimited(_DATA, data)
    out += varint_field(_FILESIZE, filesize)
    # proto2 repeated scalars are not packed: one key per block size.
    out += b"".join(varint_field(_BLOCKSIZES, size) for size in blocksizes)
    return out


def directory_data() -> bytes:
    """Data of a plain directory node (no mode, no mtime: kubo's default)."""
    return varint_field(_TYPE, DIRECTORY)


def symlink_data(target: bytes) -> bytes:
    """Data of a symlink node: the link target's bytes."""
    return varint_field(_TYPE, SYMLINK) + length_delimited(_DATA, target)


def hamt_shard_data(bitfield: bytes, fanout: int) -> bytes:
    """Data of one HAMT shard node: which slots are used, the hash function and the fanout."""
    return (varint_field(_TYPE, HAMT_SHARD) + length_delimited(_DATA, bitfield)
            + varint_field(_HASHTYPE, MURMUR3_X64_64) + varint_field(_FANOUT, fanout))


def decode_data(payload: bytes) -> UnixFSData:
    """Parse a UnixFS Data message (for checks and tests)."""
    values: dict[int, object] = {}
    blocksizes: list[int] = []
    for key, value in iter_fields(payload):
        if key == _BLOCKSIZES:
            blocksizes.append(value)  # type: ignore[arg-type]
        else:
            values[key] = value
    return UnixFSData(type=values.get(_TYPE, 0), data=values.get(_DATA, b""),  # type: ignore[arg-type]
                      filesize=values.get(_FILESIZE), blocksizes=tuple(blocksizes),  # type: ignore[arg-type]
                      hash_type=values.get(_HASHTYPE), fanout=values.get(_FANOUT))  # type: ignore[arg-type]
