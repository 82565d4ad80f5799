"""One file as a balanced UnixFS DAG, built while the bytes stream past (constant memory).

Like boxo's balanced layout: fixed-size chunks become leaves; every inner node holds up to
``max_links`` children, all full except the last; a one-chunk file is its leaf alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from dropper.ipfs.cid import DAG_PB, RAW, block_cid
from dropper.ipfs.dagpb import PBLink, encode_node
from dropper.ipfs.profile import KUBO_CIDV1, ImportProfile
from dropper.ipfs.unixfs import file_data

#: Called with (binary CID, block bytes) for every block made. The bytes may be a view of a
#: reused buffer: consume them before returning.
BlockSink = Callable[[bytes, "bytes | memoryview"], None]


@dataclass(frozen=True)
class DagLink:
    """A built (sub)DAG: its root CID, its total size (Tsize) and the file bytes it holds."""

    cid: bytes
    dag_bytes: int
    file_bytes: int = 0


class FileDag:
    """Feed chunks with :meth:`add_chunk`, then :meth:`finish` returns the file's root."""

    def __init__(self, profile: ImportProfile = KUBO_CIDV1, sink: BlockSink | None = None) -> None:
        self.profile = profile
        self._sink = sink
        # _levels[h] holds the finished children waiting for their parent at height h + 1.
        self._levels: list[list[DagLink]] = [[]]
        self._chunks = 0

    def add_chunk(self, chunk: bytes | memoryview) -> None:
        """Add the next chunk (at most ``chunk_bytes`` long; only the last may be shorter)."""
        self._chunks += 1
        self._push(0, self._leaf(chunk))

    def finish(self) -> DagLink:
        """Close the pending nodes bottom-up and return the root."""
        if self._chunks == 0:
            self.add_chunk(b"")  # kubo stores an empty file as one empty leaf
        if len(self._levels) == 1 and len(self._levels[0]) == 1:
            return self._levels[0][0]
        height = 0
        while height < len(self._levels) - 1:  # the top level can still grow while we close
            children, self._levels[height] = self._levels[height], []
            self._push(height + 1, self._node(children))
            height += 1
        return self._node(self._levels[-1])

    def _push(self, height: int, child: DagLink) -> None:
        if height == len(self._levels):
            self._levels.append([])
        if len(self._levels[height]) == self.profile.max_links:
            # The level is full: it becomes one node one level up before the new child starts
            # the next sibling, which keeps every node but the last on each level full.
            children, self._levels[height] = self._levels[height], []
            self._push(height + 1, self._node(children))
        self._levels[height].append(child)

    def _leaf(self, chunk: bytes | memoryview) -> DagLink:
        if self.profile.raw_leaves:
            return self._emit(chunk, RAW, 1, len(chunk), len(chunk))
        block = encode_node((), file_data(filesize=len(chunk), data=chunk))
        return self._emit(block, DAG_PB, self.profile.cid_version, len(block), len(chunk))

    def _node(self, children: list[DagLink]) -> DagLink:
        file_bytes = sum(child.file_bytes for child in children)
        data = file_data(filesize=file_bytes, blocksizes=[child.file_bytes for child in children])
        block = encode_node([PBLink(child.cid, b"", child.dag_bytes) for child in children], data)
        dag_bytes = len(block) + sum(child.dag_bytes for child in children)
        return self._emit(block, DAG_PB, self.profile.cid_version, dag_bytes, file_bytes)

    def _emit(self, block: bytes | memoryview, codec: str, version: int, dag_bytes: int,
              file_bytes: int) -> DagLink:
        cid = block_cid(block, codec=codec, version=version)
        if self._sink is not None:
            self._sink(cid, block)
        return DagLink(cid, dag_bytes, file_bytes)


def read_into(stream: BinaryIO, buffer: bytearray) -> int:
    """Fill ``buffer`` from ``stream`` (short reads retried); returns the bytes read."""
    view = memoryview(buffer)
    filled = 0
    while filled < len(buffer):
        count = stream.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled


def stream_dag(stream: BinaryIO, profile: ImportProfile = KUBO_CIDV1,
               sink: BlockSink | None = None, buffer: bytearray | None = None) -> DagLink:
    """Import everything ``stream`` yields as one file; memory stays at one chunk.

    ``buffer`` (``chunk_bytes`` long) lets a caller importing many files reuse one chunk buffer.
    """
    dag = FileDag(profile, sink)
    if buffer is None or len(buffer) != profile.chunk_bytes:
        buffer = bytearray(profile.chunk_bytes)
    view = memoryview(buffer)
    while count := read_into(stream, buffer):
        dag.add_chunk(view[:count])
        if count < len(buffer):
            break
    return dag.finish()


class _ShapeDag(FileDag):
    """A FileDag that hashes nothing: block sizes depend on the chunk lengths alone."""

    def _emit(self, block: bytes | memoryview, codec: str, version: int, dag_bytes: int,
              file_bytes: int) -> DagLink:
        return DagLink(_placeholder_cid(codec, version), dag_bytes, file_bytes)


def _placeholder_cid(codec: str, version: int) -> bytes:
    # Only the CID's length shapes a parent block, and every sha2-256 CID of a kind has one.
    return block_cid(b"", codec=codec, version=version)


def file_dag_bytes(file_bytes: int, profile: ImportProfile = KUBO_CIDV1) -> int:
    """The Tsize of a ``file_bytes``-long file's DAG, without reading it.

    The DAG's shape, hence the size of every block, follows from the length alone; this is what
    lets a cached file CID stand in for the file in a parent folder.
    """
    dag = _ShapeDag(profile)
    full, rest = divmod(file_bytes, profile.chunk_bytes)
    chunk = memoryview(bytes(profile.chunk_bytes))
    for _ in range(full):
        dag.add_chunk(chunk)
    if rest:
        dag.add_chunk(chunk[:rest])
    return dag.finish().dag_bytes
