"""A directory node from its named children: plain, or a HAMT once past kubo's threshold."""

from __future__ import annotations

from dropper.ipfs.balanced import BlockSink, DagLink
from dropper.ipfs.cid import DAG_PB, block_cid
from dropper.ipfs.dagpb import PBLink, encode_node
from dropper.ipfs.hamt import DirEntry, build_shard
from dropper.ipfs.profile import KUBO_CIDV1, ImportProfile
from dropper.ipfs.unixfs import directory_data


def estimated_size(entries: list[DirEntry], block: bytes, profile: ImportProfile) -> int:
    """The size boxo compares with the HAMT threshold.

    ``"links"`` counts only name and CID bytes (kubo's default); ``"block"`` is the exact size of
    the plain directory block, which boxo computes arithmetically to the same number.
    """
    if profile.hamt_size_estimation == "block":
        return len(block)
    return sum(len(entry.name) + len(entry.cid) for entry in entries)


def build_directory(entries: list[DirEntry], profile: ImportProfile = KUBO_CIDV1,
                    sink: BlockSink | None = None) -> DagLink:
    """Encode a directory, sharding it when its estimated size is over the threshold."""
    links = [PBLink(entry.cid, entry.name, entry.dag_bytes) for entry in entries]
    block = encode_node(links, directory_data())
    threshold = profile.hamt_threshold_bytes  # 0 turns sharding off, as in boxo
    if threshold > 0 and estimated_size(entries, block, profile) > threshold:
        return build_shard(entries, fanout=profile.hamt_fanout,
                           cid_version=profile.cid_version, sink=sink)
    cid = block_cid(block, codec=DAG_PB, version=profile.cid_version)
    if sink is not None:
        sink(cid, block)
    return DagLink(cid, len(block) + sum(entry.dag_bytes for entry in entries))
