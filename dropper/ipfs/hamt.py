"""HAMT-sharded UnixFS directories, laid out as boxo's ``hamt.Shard`` writes them.

Each name is hashed with murmur3-x64-64 (the first 64 bits of murmur3 x64-128, seed 0, read
big-endian); each level consumes log2(fanout) bits from the top. A slot holding one name links
to that entry under ``<hex slot><name>``; a slot shared by several names links to a child shard
under ``<hex slot>`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import mmh3

from dropper.errors import DropperError
from dropper.ipfs.balanced import BlockSink, DagLink
from dropper.ipfs.cid import DAG_PB, block_cid
from dropper.ipfs.dagpb import PBLink, encode_node
from dropper.ipfs.unixfs import hamt_shard_data

_HASH_BITS = 64


@dataclass(frozen=True)
class DirEntry:
    """One named child of a directory."""

    name: bytes
    cid: bytes
    dag_bytes: int


def name_hash(name: bytes) -> int:
    """The 64-bit HAMT key of a name (go's ``murmur3.New64().Sum64()``)."""
    return mmh3.hash64(name, 0, True, False)[0]


def build_shard(entries: list[DirEntry], *, fanout: int, cid_version: int,
                sink: BlockSink | None = None) -> DagLink:
    """Build the HAMT for ``entries`` and return its root shard."""
    bits = fanout.bit_length() - 1
    if fanout < 8 or 1 << bits != fanout:
        raise ValueError(f"hamt_fanout must be a power of two >= 8, got {fanout}")
    keyed = [(name_hash(entry.name), entry) for entry in entries]
    return _shard(keyed, 0, bits, cid_version, sink)


def _shard(keyed: list[tuple[int, DirEntry]], depth: int, bits: int, cid_version: int,
           sink: BlockSink | None) -> DagLink:
    shift = _HASH_BITS - (depth + 1) * bits
    if shift < 0:
        raise DropperError("HAMT directory too deep: more names share a 64-bit hash prefix "
                           "than a shard can split")
    slots: dict[int, list[tuple[int, DirEntry]]] = {}
    for key, entry in keyed:
        slots.setdefault((key >> shift) & ((1 << bits) - 1), []).append((key, entry))
    width = len(f"{(1 << bits) - 1:X}")
    links: list[PBLink] = []
    bitfield = 0
    for slot in sorted(slots):
        bitfield |= 1 << slot
        label = f"{slot:0{width}X}".encode()
        group = slots[slot]
        if len(group) == 1:
            entry = group[0][1]
            links.append(PBLink(entry.cid, label + entry.name, entry.dag_bytes))
        else:
            child = _shard(group, depth + 1, bits, cid_version, sink)
            links.append(PBLink(child.cid, label, child.dag_bytes))
    # go-bitfield's Bytes(): the bit set as a big-endian integer, leading zero bytes dropped.
    used = bitfield.to_bytes((bitfield.bit_length() + 7) // 8, "big")
    block = encode_node(links, hamt_shard_data(used, 1 << bits))
    cid = block_cid(block, codec=DAG_PB, version=cid_version)
    if sink is not None:
        sink(cid, block)
    return DagLink(cid, len(block) + sum(link.tsize for link in links))
