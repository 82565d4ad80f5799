"""IPFS without a node: the CIDs kubo would give, and CAR files to upload to pinning services.

Everything is computed locally and matches ``ipfs add --cid-version=1`` (kubo >= 0.40):
raw leaves, 256 KiB chunks, balanced DAG of at most 174 links, dag-pb directories that become
HAMT shards past 256 KiB of names + CIDs. Other kubo settings are :class:`ImportProfile` values.

Examples
--------
>>> from dropper import ipfs
>>> ipfs.bytes_cid(b"hello world")
'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'

``ipfs.tree_cid("build/metadata")`` is the folder's root CID (the contract's base URI is
``ipfs://<root>/``); ``ipfs.write_car("build/metadata", "metadata.car")`` writes the archive.
The whole drop (media, metadata, reports, site) is :mod:`dropper.ipfs.export`'s tree and
build/drop.car; :mod:`dropper.ipfs.pin` pins it to a kubo node or a pinning service.
"""

from __future__ import annotations

from dropper.ipfs.car import (
                                   CarBlock,
                                   CarSummary,
                                   iter_car,
                                   read_car,
                                   read_car_roots,
                                   write_car,
)
from dropper.ipfs.cid import Cid
from dropper.ipfs.errors import CarError, StaleFiles, UnsupportedEntry
from dropper.ipfs.importer import (
                                   ImportedEntry,
                                   ImportResult,
                                   bytes_cid,
                                   file_cid,
                                   import_tree,
                                   tree_cid,
)
from dropper.ipfs.profile import (
                                   KUBO_CIDV1,
                                   UNIXFS_V0_2015,
                                   UNIXFS_V1_2025,
                                   ImportProfile,
)

__all__ = [
                                   "KUBO_CIDV1",
                                   "UNIXFS_V0_2015",
                                   "UNIXFS_V1_2025",
                                   "CarBlock",
                                   "CarError",
                                   "CarSummary",
                                   "Cid",
                                   "ImportProfile",
                                   "ImportResult",
                                   "ImportedEntry",
                                   "StaleFiles",
                                   "UnsupportedEntry",
                                   "bytes_cid",
                                   "file_cid",
                                   "import_tree",
                                   "iter_car",
                                   "read_car",
                                   "read_car_roots",
                                   "tree_cid",
                                   "write_car",
]
