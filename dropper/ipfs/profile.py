"""Import settings that decide CIDs: kubo's ``ipfs add --cid-version=1`` and the IPIP-499 profiles.

Two imports give the same CIDs only when every setting here is the same, so the settings travel
together as one frozen record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ImportProfile:
    """How files and directories become blocks.

    Parameters
    ----------
    cid_version
        CID version of dag-pb nodes (raw leaves are always CIDv1, as in kubo).
    raw_leaves
        File chunks are ``raw`` blocks; otherwise each is wrapped in a dag-pb UnixFS file node.
    chunk_bytes
        Fixed chunk size (kubo's ``size-262144`` chunker by default).
    max_links
        Most children per file node in the balanced layout.
    hamt_threshold_bytes
        A directory becomes a HAMT when its estimated size is *over* this (kubo >= 0.40:
        ``>``; kubo <= 0.39 compared with ``>=``).
    hamt_size_estimation
        ``"links"``: sum of name bytes + CID bytes (kubo's default); ``"block"``: the exact
        size of the plain directory block (IPIP-499 unixfs-v1-2025).
    hamt_fanout
        Slots per HAMT shard node (a power of two).
    """

    cid_version: int = 1
    raw_leaves: bool = True
    chunk_bytes: int = 262_144
    max_links: int = 174
    hamt_threshold_bytes: int = 262_144
    hamt_size_estimation: Literal["links", "block"] = "links"
    hamt_fanout: int = 256


#: ``ipfs add --cid-version=1`` with kubo's default config: what dropper publishes.
KUBO_CIDV1 = ImportProfile()
#: kubo's implicit default (``ipfs add`` with no flags), IPIP-499 ``unixfs-v0-2015``.
UNIXFS_V0_2015 = ImportProfile(cid_version=0, raw_leaves=False)
#: IPIP-499 ``unixfs-v1-2025`` (``ipfs init --profile=unixfs-v1-2025``).
UNIXFS_V1_2025 = ImportProfile(chunk_bytes=1_048_576, max_links=1024, hamt_size_estimation="block")
