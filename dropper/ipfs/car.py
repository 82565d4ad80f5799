"""CAR v1 archives: the upload format pinning services accept, written and verified here.

A CAR is a varint-framed dag-cbor header naming the root, then one varint-framed section per
block (binary CID + block bytes). :func:`write_car` streams blocks to disk as the import makes
them (children before parents; CAR v1 sets no order) and patches the header in at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import dag_cbor
from multiformats import CID, varint

from dropper.errors import MissingInput
from dropper.files import atomic_write
from dropper.ipfs.balanced import BlockSink
from dropper.ipfs.cid import DAG_PB, Cid, block_cid, hash_function, parse_cid
from dropper.ipfs.errors import CarError
from dropper.ipfs.importer import ImportResult, import_tree
from dropper.ipfs.profile import KUBO_CIDV1, ImportProfile

_MAX_SECTION_BYTES = 64 << 20  # far above any UnixFS block; stops a corrupt length early


@dataclass(frozen=True)
class CarSummary:
    """What a CAR holds: its first root, all roots, its distinct blocks and its size."""

    root: str
    roots: tuple[str, ...]
    blocks: int
    car_bytes: int


@dataclass(frozen=True)
class CarBlock:
    cid: Cid
    data: bytes


def car_header(root: bytes) -> bytes:
    """The framed CAR v1 header for one root."""
    header = dag_cbor.encode({"roots": [CID.decode(root)], "version": 1})
    return varint.encode(len(header)) + header


class _BlockWriter:
    """A block sink that appends each distinct block to an open CAR once."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.seen: set[bytes] = set()  # ~40 bytes a block: duplicate chunks are written once

    def __call__(self, cid: bytes, block: bytes | memoryview) -> None:
        if cid in self.seen:
            return
        self.seen.add(cid)
        self.handle.write(varint.encode(len(cid) + len(block)))
        self.handle.write(cid)
        self.handle.write(block)


def write_car(source: str | os.PathLike | ImportResult, out_path: str | os.PathLike, *,
              profile: ImportProfile = KUBO_CIDV1, include_hidden: bool = False) -> CarSummary:
    """Write a folder's whole DAG to ``out_path`` as a CAR v1, atomically.

    Parameters
    ----------
    source
        A folder, or an :class:`ImportResult` of one (its folder, profile and hidden-file
        setting are reused, and the root must come out the same).
    out_path
        The CAR to write (a temporary name beside it is renamed into place on success).
    profile, include_hidden
        Import settings when ``source`` is a folder.

    Raises
    ------
    CarError
        The folder changed since ``source`` was imported.
    """
    expected = None
    if isinstance(source, ImportResult):
        if source.folder is None:
            raise TypeError("write_car needs a folder's ImportResult; use stream_car for a layout")
        expected, folder = source.root, source.folder
        profile, include_hidden = source.profile, source.include_hidden
    else:
        folder = Path(source)

    def same_root(result: ImportResult) -> None:
        if expected is not None and result.root != expected:
            raise CarError(f"{folder}: files changed since the import ({expected} is now "
                           f"{result.root}); import again")

    summary, _ = stream_car(out_path, lambda sink: import_tree(
        folder, profile=profile, include_hidden=include_hidden, sink=sink),
        cid_version=profile.cid_version, check=same_root)
    return summary


def stream_car(out_path: str | os.PathLike, build: Callable[[BlockSink], ImportResult], *,
               cid_version: int = 1,
               check: Callable[[ImportResult], None] | None = None) -> tuple[CarSummary, ImportResult]:
    """Write the blocks ``build`` makes (it is called with the sink) to a CAR, atomically.

    ``check`` sees the import before the CAR is renamed into place; an exception it raises
    leaves ``out_path`` as it was.
    """
    # The root is a directory node, so its CID length (hence the header's) is known up front.
    placeholder = car_header(block_cid(b"", codec=DAG_PB, version=cid_version))
    with atomic_write(out_path, "wb") as handle:
        handle.write(placeholder)
        writer = _BlockWriter(handle)
        result = build(writer)
        if check is not None:
            check(result)
        header = car_header(result.root.raw)
        if len(header) != len(placeholder):
            raise AssertionError("CAR header length changed: root CID is not a dag-pb node")
        car_bytes = handle.tell()
        handle.seek(0)
        handle.write(header)
    summary = CarSummary(result.root_cid, (result.root_cid,), len(writer.seen), car_bytes)
    return summary, result


def read_car(path: str | os.PathLike, *, verify: bool = True) -> CarSummary:
    """Read a whole CAR, checking its framing and (with ``verify``) every block's hash.

    Raises
    ------
    CarError
        Malformed framing, or a block whose bytes do not hash to its CID.
    """
    roots = read_car_roots(path)
    distinct: set[bytes] = set()
    for block in iter_car(path, verify=verify):
        distinct.add(block.cid.raw)
    return CarSummary(roots[0] if roots else "", roots, len(distinct), os.path.getsize(path))


def read_car_roots(path: str | os.PathLike) -> tuple[str, ...]:
    """The roots a CAR's header names."""
    with _open(path) as handle:
        return tuple(str(Cid(bytes(root))) for root in _read_header(handle, path))


def car_is_whole(path: str | os.PathLike) -> bool:
    """Whether the CAR's sections are all there, to the last byte: their framing is walked with
    seeks, so no block is read or hashed (a cut-short copy is found in milliseconds; a changed
    byte is :func:`read_car`'s to find)."""
    size = os.path.getsize(path)
    try:
        with _open(path) as handle:
            _read_header(handle, path)
            while (length := _read_varint(handle, path)) is not None:
                end = handle.tell() + length
                if not 0 < length <= _MAX_SECTION_BYTES or end > size:
                    return False
                handle.seek(end)
    except CarError:
        return False
    return True


def iter_car(path: str | os.PathLike, *, verify: bool = True) -> Iterator[CarBlock]:
    """Yield the blocks of a CAR in file order, one section in memory at a time."""
    with _open(path) as handle:
        _read_header(handle, path)
        index = 0
        while (length := _read_varint(handle, path)) is not None:
            if not 0 < length <= _MAX_SECTION_BYTES:
                raise CarError(f"{path}: block {index}: bad section length {length}")
            section = handle.read(length)
            if len(section) != length:
                raise CarError(f"{path}: block {index}: truncated (file ends inside it)")
            yield _parse_section(section, index, path, verify)
            index += 1


def _open(path: str | os.PathLike) -> BinaryIO:
    try:
        return open(path, "rb")
    except FileNotFoundError as error:
        raise MissingInput(f"{path}: no such CAR file") from error


def _read_varint(handle: BinaryIO, path: str | os.PathLike) -> int | None:
    """The next varint, or None at a clean end of file."""
    encoded = bytearray()
    while byte := handle.read(1):
        encoded += byte
        if not byte[0] & 0x80:
            return varint.decode(bytes(encoded))
        if len(encoded) > 9:
            break
    if not encoded:
        return None
    raise CarError(f"{path}: truncated or overlong varint at byte {handle.tell()}")


def _read_header(handle: BinaryIO, path: str | os.PathLike) -> list[CID]:
    length = _read_varint(handle, path)
    if length is None or not 0 < length <= _MAX_SECTION_BYTES:
        raise CarError(f"{path}: not a CAR file (no header)")
    try:
        header = dag_cbor.decode(handle.read(length))
    except Exception as error:  # dag_cbor raises several types for bad input
        raise CarError(f"{path}: not a CAR file (unreadable header: {error})") from error
    if not isinstance(header, dict) or header.get("version") != 1:
        version = header.get("version") if isinstance(header, dict) else None
        raise CarError(f"{path}: CAR version {version!r} not supported (only CAR v1)")
    roots = header.get("roots")
    if not isinstance(roots, list) or not all(isinstance(root, CID) for root in roots):
        raise CarError(f"{path}: CAR header has no list of root CIDs")
    return roots


def _parse_section(section: bytes, index: int, path: str | os.PathLike,
                   verify: bool) -> CarBlock:
    try:
        _, _, hash_code, digest, end = parse_cid(section)
    except (ValueError, KeyError) as error:
        raise CarError(f"{path}: block {index}: unreadable CID ({error})") from error
    cid, data = Cid(section[:end]), section[end:]
    if verify:
        try:
            function = hash_function(hash_code)
        except KeyError as error:
            raise CarError(f"{path}: block {index} ({cid}): unknown hash function "
                           f"{hash_code:#x}") from error
        if function.digest(data, size=len(digest))[-len(digest):] != digest:
            raise CarError(f"{path}: block {index} ({cid}): bytes do not hash to the CID; "
                           "the CAR is corrupt, write it again")
    return CarBlock(cid, data)
