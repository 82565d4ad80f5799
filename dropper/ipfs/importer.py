"""Folders and files to UnixFS DAGs with the CIDs ``ipfs add --cid-version=1`` prints.

Like ``ipfs add -r`` with kubo's defaults: names starting with "." are left out below the root
(kubo's ``--hidden=false``), symbolic links are stored as UnixFS symlinks and not followed,
empty folders are kept, and the folder itself is the root (no ``--wrap-with-directory``).
:func:`import_layout` imports a virtual folder (names mapped to files and folders anywhere on
disk) the same way, without copying anything.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, Union

from dropper.errors import MissingInput
from dropper.ipfs.balanced import BlockSink, DagLink, stream_dag
from dropper.ipfs.cid import DAG_PB, Cid, block_cid, cid_text
from dropper.ipfs.dagpb import encode_node
from dropper.ipfs.directory import build_directory
from dropper.ipfs.errors import UnsupportedEntry
from dropper.ipfs.hamt import DirEntry
from dropper.ipfs.profile import KUBO_CIDV1, ImportProfile
from dropper.ipfs.unixfs import symlink_data

EntryKind = Literal["file", "directory", "symlink"]
#: A virtual folder: each name maps to a file or folder on disk, or to a nested virtual folder.
Layout = Mapping[str, Union[str, os.PathLike, "Layout"]]


class FileCache(Protocol):
    """Known file DAGs, so that an unchanged file is not read again (used without a sink)."""

    def lookup(self, path: Path) -> DagLink | None:
        """The file's DAG root and sizes if it is unchanged since :meth:`store`, else None."""

    def store(self, path: Path, link: DagLink) -> None:
        """Remember the DAG just built from the file at ``path``."""


@dataclass(frozen=True)
class ImportedEntry:
    """One imported file, folder or symlink below the root."""

    cid_bytes: bytes
    kind: EntryKind
    file_bytes: int  # the file's length (0 for folders and symlinks)
    dag_bytes: int  # all blocks of its DAG together (the Tsize its parent records)

    @property
    def cid(self) -> str:
        """The CID as kubo prints it."""
        return cid_text(self.cid_bytes)


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_tree` built: the root and every entry by relative POSIX path.

    ``entries`` lists each folder's children by name, a folder after its contents; the root
    itself is ``root`` / ``root_cid``, not an entry.
    """

    root: Cid
    dag_bytes: int
    folder: Path | None  # None for a virtual folder (import_layout)
    profile: ImportProfile
    include_hidden: bool
    entries: dict[str, ImportedEntry] = field(repr=False)

    @property
    def root_cid(self) -> str:
        return str(self.root)


def bytes_cid(data: bytes, *, profile: ImportProfile = KUBO_CIDV1) -> str:
    """CID of ``data`` imported as one file.

    Examples
    --------
    >>> bytes_cid(b"hello world")
    'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'
    """
    return cid_text(stream_dag(io.BytesIO(data), profile).cid)


def file_cid(path: str | os.PathLike, *, profile: ImportProfile = KUBO_CIDV1,
             cache: FileCache | None = None) -> str:
    """CID of the file at ``path`` (read in chunks: memory does not grow with its size).

    With ``cache``, a CID it still holds for the file is reused and a new one is stored.
    """
    return cid_text(_file_link(Path(path), profile, None, None, cache).cid)


def tree_cid(folder: str | os.PathLike, *, profile: ImportProfile = KUBO_CIDV1,
             include_hidden: bool = False) -> str:
    """Root CID of ``folder`` as ``ipfs add -r --cid-version=1 folder`` prints it."""
    return import_tree(folder, profile=profile, include_hidden=include_hidden).root_cid


def import_tree(folder: str | os.PathLike, *, profile: ImportProfile = KUBO_CIDV1,
                include_hidden: bool = False, sink: BlockSink | None = None) -> ImportResult:
    """Import ``folder`` in one streaming pass.

    Parameters
    ----------
    folder
        The directory to import; it becomes the root.
    profile
        CID settings; the default matches ``ipfs add --cid-version=1``.
    include_hidden
        Also import names starting with "." (kubo's ``--hidden``).
    sink
        Called with (binary CID, block bytes) for every block, children before parents
        (how :func:`dropper.ipfs.car.write_car` streams blocks to disk).

    Raises
    ------
    MissingInput
        ``folder`` does not exist or is not a directory.
    UnsupportedEntry
        The tree holds a socket, device or FIFO.
    """
    root_path = Path(folder)
    if not root_path.is_dir():
        raise MissingInput(f"{root_path}: no such folder to import")
    walk = _Walk(profile, include_hidden, sink, bytearray(profile.chunk_bytes), {})
    root = walk.directory(root_path, "")
    return ImportResult(Cid(root.cid), root.dag_bytes, root_path, profile, include_hidden,
                        walk.entries)


def import_layout(layout: Layout, *, profile: ImportProfile = KUBO_CIDV1,
                  include_hidden: bool = False, sink: BlockSink | None = None,
                  cache: FileCache | None = None) -> ImportResult:
    """Import a virtual folder: the CIDs are those of a real folder laid out the same way.

    Parameters
    ----------
    layout
        Names to files or folders on disk (imported as ``ipfs add -r`` would, symlinks below
        a folder kept as links) or to nested layouts (virtual subfolders).
    cache
        Reuse and record file DAGs there; ignored when ``sink`` needs every block.

    Raises
    ------
    MissingInput
        A path of the layout does not exist.
    """
    walk = _Walk(profile, include_hidden, sink, bytearray(profile.chunk_bytes), {},
                 cache if sink is None else None)
    root = walk.virtual(layout, "")
    return ImportResult(Cid(root.cid), root.dag_bytes, None, profile, include_hidden,
                        walk.entries)


@dataclass
class _Walk:
    """One import's settings and state, shared by the recursive walk."""

    profile: ImportProfile
    include_hidden: bool
    sink: BlockSink | None
    buffer: bytearray  # one chunk buffer for every file of the import
    entries: dict[str, ImportedEntry]
    cache: FileCache | None = None

    def directory(self, path: Path, relative: str) -> DagLink:
        children: list[DirEntry] = []
        with os.scandir(path) as listing:
            items = sorted(listing, key=lambda item: os.fsencode(item.name))
        for item in items:
            if item.name.startswith(".") and not self.include_hidden:
                continue
            child_relative = f"{relative}/{item.name}" if relative else item.name
            self.add(children, item.name, child_relative, *self.entry(item, child_relative))
        return build_directory(children, self.profile, self.sink)

    def virtual(self, layout: Layout, relative: str) -> DagLink:
        children: list[DirEntry] = []
        for name in sorted(layout, key=os.fsencode):
            source = layout[name]
            child_relative = f"{relative}/{name}" if relative else name
            if isinstance(source, Mapping):
                kind, built = "directory", self.virtual(source, child_relative)
            elif Path(source).is_dir():
                kind, built = "directory", self.directory(Path(source), child_relative)
            else:
                kind, built = "file", self.file(Path(source))
            self.add(children, name, child_relative, kind, built)
        return build_directory(children, self.profile, self.sink)

    def add(self, children: list[DirEntry], name: str, relative: str, kind: EntryKind,
            built: DagLink) -> None:
        self.entries[relative] = ImportedEntry(built.cid, kind, built.file_bytes, built.dag_bytes)
        children.append(DirEntry(os.fsencode(name), built.cid, built.dag_bytes))

    def entry(self, item: os.DirEntry, relative: str) -> tuple[EntryKind, DagLink]:
        if item.is_symlink():
            return "symlink", _import_symlink(Path(item.path), self.profile, self.sink)
        if item.is_dir():
            return "directory", self.directory(Path(item.path), relative)
        if item.is_file():
            return "file", self.file(Path(item.path))
        mode = item.stat(follow_symlinks=False).st_mode
        raise UnsupportedEntry(f"{item.path}: cannot import a {_file_type(mode)}; remove it "
                               "from the folder")

    def file(self, path: Path) -> DagLink:
        return _file_link(path, self.profile, self.sink, self.buffer, self.cache)


def _file_link(path: Path, profile: ImportProfile, sink: BlockSink | None, buffer: bytearray | None,
               cache: FileCache | None) -> DagLink:
    """A file's DAG link: from ``cache`` when it still holds one, else imported (and stored)."""
    if cache is not None and (known := cache.lookup(path)) is not None:
        return known
    built = _import_file(path, profile, sink, buffer)
    if cache is not None:
        cache.store(path, built)
    return built


def _import_file(path: Path, profile: ImportProfile, sink: BlockSink | None,
                 buffer: bytearray | None = None) -> DagLink:
    try:
        with open(path, "rb") as stream:
            return stream_dag(stream, profile, sink, buffer)
    except (FileNotFoundError, IsADirectoryError) as error:
        raise MissingInput(f"{path}: no such file to import") from error


def _import_symlink(path: Path, profile: ImportProfile, sink: BlockSink | None) -> DagLink:
    # kubo stores the link itself (its target as bytes), never what it points to.
    block = encode_node((), symlink_data(os.fsencode(os.readlink(path))))
    cid = block_cid(block, codec=DAG_PB, version=profile.cid_version)
    if sink is not None:
        sink(cid, block)
    return DagLink(cid, len(block))


def _file_type(mode: int) -> str:
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISFIFO(mode):
        return "FIFO"
    return "device file"
