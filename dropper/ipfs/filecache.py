"""File CIDs remembered in dropper.db (table file_cids), reused while size and mtime hold.

The same rows ``dropper package`` writes: a file hashed once is not read again by ``dropper
car`` or the manifest. A file's Tsize follows from its length, so only the CID is stored.
"""

from __future__ import annotations

from pathlib import Path

from dropper.ipfs.balanced import DagLink, file_dag_bytes
from dropper.ipfs.cid import cid_from_text, cid_text
from dropper.ipfs.profile import KUBO_CIDV1, ImportProfile
from dropper.workspace import Drop


class DropFileCache:
    """A :class:`dropper.ipfs.importer.FileCache` over the drop's ``file_cids`` table."""

    def __init__(self, drop: Drop, profile: ImportProfile = KUBO_CIDV1) -> None:
        if profile != KUBO_CIDV1:
            raise ValueError("file_cids holds CIDs of the kubo --cid-version=1 profile only")
        self.drop = drop
        self.profile = profile

    def lookup(self, path: Path) -> DagLink | None:
        stat = path.stat()
        row = self.drop.db.execute("SELECT size_bytes, mtime_ns, cid FROM file_cids WHERE path = ?",
                                   (str(path),)).fetchone()
        if row is None or (row["size_bytes"], row["mtime_ns"]) != (stat.st_size, stat.st_mtime_ns):
            return None
        return DagLink(cid_from_text(row["cid"]).raw, file_dag_bytes(stat.st_size, self.profile),
                       stat.st_size)

    def store(self, path: Path, link: DagLink) -> None:
        stat = path.stat()
        if stat.st_size != link.file_bytes:
            return  # written to while we read it: remember nothing
        self.drop.db.execute("INSERT OR REPLACE INTO file_cids VALUES (?, ?, ?, ?)",
                             (str(path), stat.st_size, stat.st_mtime_ns, cid_text(link.cid)))
