"""The drop's publication tree on IPFS, and build/drop.car: everything to pin, in one DAG.

One root folder, laid out virtually (nothing is copied): ``media/<token id>/`` (the song's
audio, video, GIF, poster and spectrogram), ``metadata/`` (build/metadata: its CID is the
contract's base URI), ``reports/`` and ``site/`` when the drop has them. Each media file is
checked against the CID its token metadata records, so what is exported is what was packaged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

from dropper.errors import MissingInput
from dropper.files import read_json
from dropper.ipfs.car import car_is_whole, read_car_roots, stream_car
from dropper.ipfs.errors import CarError, StaleFiles
from dropper.ipfs.filecache import DropFileCache
from dropper.ipfs.importer import FileCache, ImportResult, Layout, import_layout
from dropper.progress import Progress
from dropper.workspace import Drop

CAR_NAME = "drop.car"
#: The token metadata key that records each role's CID (the spectrogram is not referenced).
RECORDED_BY = {"audio": "audio", "video": "animation_url", "gif": "image", "poster": "poster"}


@dataclass(frozen=True)
class MediaFile:
    """One media file of the tree, with the CID its token's metadata records (if any)."""

    tree_path: str  # e.g. "media/3/video.mp4"
    source: Path
    metadata: str  # e.g. "3.json"
    recorded_cid: str | None


@dataclass(frozen=True)
class Export:
    """The drop's tree: its root CID (what to pin) and each top folder's CID."""

    root_cid: str
    media_cid: str
    metadata_cid: str
    reports_cid: str | None
    site_cid: str | None
    files: int
    file_bytes: int
    dag_bytes: int

    def folder_cids(self) -> dict[str, str]:
        """CID of each top folder present, by name ("media", "metadata", ...)."""
        return {name: cid for name in ("media", "metadata", "reports", "site")
                if (cid := getattr(self, f"{name}_cid")) is not None}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DropCar(NamedTuple):
    """build/drop.car: where it is, its size in bytes and its root CID."""

    path: Path
    car_bytes: int
    root_cid: str


def export_tree(drop: Drop, *, fresh: bool = False, cache: FileCache | None = None) -> Export:
    """The drop's publication tree and its CIDs, without writing anything but the CID cache.

    Parameters
    ----------
    fresh
        Hash every byte again instead of reusing the CIDs cached in dropper.db (what
        ``dropper pin`` does before pinning).
    cache
        With ``fresh``: CIDs this caller computed from the bytes just now, reused instead of
        hashing those files a second time (what ``dropper verify`` does).

    Raises
    ------
    MissingInput
        Nothing is packaged yet, or a packaged file is gone.
    StaleFiles
        A file no longer has the CID its token metadata (or build/package.json) records.
    """
    return _export(drop, fresh=fresh, cache=cache)[0]


def write_drop_car(drop: Drop, out: str | Path | None = None, *,
                   progress: Progress | None = None) -> DropCar:
    """Write the tree as a CAR v1 (build/drop.car by default), atomically; skip it if current.

    The CAR is current when its header names the tree's root and no section is cut short.
    Writing it reads every file again, so a file changed since ``dropper package`` is named and
    nothing is written.
    """
    return car_status(drop, out, progress=progress)[0]


def car_status(drop: Drop, out: str | Path | None = None, *,
               progress: Progress | None = None) -> tuple[DropCar, bool, Export]:
    """:func:`write_drop_car`, also saying whether it wrote the file, and the export."""
    path = Path(out) if out is not None else drop.build_dir / CAR_NAME
    export, result, layout, media = _export(drop, fresh=False)
    if _root_of(path) == export.root_cid:
        return DropCar(path, path.stat().st_size, export.root_cid), False, export
    progress = progress or Progress.quiet()
    leaves = sum(max(1, -(-entry.file_bytes // result.profile.chunk_bytes))
                 for entry in result.entries.values() if entry.kind == "file")
    with progress.task("car", total=leaves) as advance:
        def build(sink):
            def counting(cid: bytes, block) -> None:
                if cid[1:2] == b"\x55":  # a raw leaf: one chunk of a file
                    advance("")
                sink(cid, block)
            return import_layout(layout, sink=counting)

        summary, written = stream_car(path, build, check=lambda fresh: _check(drop, fresh, media))
    if written.root_cid != export.root_cid:
        raise CarError(f"{drop.relative(path)}: files changed while it was written "
                       f"({export.root_cid} became {written.root_cid}); run the command again")
    return DropCar(path, summary.car_bytes, summary.root), True, export


def drop_layout(drop: Drop) -> tuple[Layout, list[MediaFile]]:
    """The virtual tree (name -> path) and the media files it holds."""
    summary = package_summary(drop)
    metadata = drop.build_dir / "metadata"
    media_files = _media_files(drop, summary, metadata)
    media: dict[str, dict[str, Path]] = {}
    for item in media_files:
        _, token, name = item.tree_path.split("/")
        media.setdefault(token, {})[name] = item.source
    layout: dict[str, Any] = {"media": media, "metadata": metadata}
    for name, folder in (("reports", drop.reports_dir), ("site", drop.root / "site")):
        if folder.is_dir():
            layout[name] = folder
    return layout, media_files


def package_summary(drop: Drop) -> dict[str, Any]:
    """build/package.json (the metadata root CID and the tokens), or a MissingInput: also when
    build/metadata/ is gone."""
    # Imported here: the package stage imports dropper.ipfs.
    from dropper.stages.package import read_summary

    if not (drop.build_dir / "metadata").is_dir():
        raise MissingInput(f"{drop.build_dir / 'package.json'}: nothing packaged yet: run dropper package {drop.root}")
    return read_summary(drop)


def _export(drop: Drop, *, fresh: bool,
            cache: FileCache | None = None) -> tuple[Export, ImportResult, Layout, list[MediaFile]]:
    layout, media = drop_layout(drop)
    with _one_transaction(drop):  # one commit for all the CIDs learnt, not one per file
        result = import_layout(layout, cache=cache if fresh else DropFileCache(drop))
    _check(drop, result, media)
    entries = result.entries
    files = [entry for entry in entries.values() if entry.kind == "file"]
    cid = {name: entries[name].cid if name in entries else None
           for name in ("media", "metadata", "reports", "site")}
    export = Export(root_cid=result.root_cid, media_cid=cid["media"], metadata_cid=cid["metadata"],
                    reports_cid=cid["reports"], site_cid=cid["site"], files=len(files),
                    file_bytes=sum(entry.file_bytes for entry in files), dag_bytes=result.dag_bytes)
    return export, result, layout, media


def _media_files(drop: Drop, summary: dict[str, Any], metadata: Path) -> list[MediaFile]:
    songs = {song.sha256: song for song in drop.songs("all")}
    found: list[MediaFile] = []
    for token in summary["tokens"]:
        song = songs.get(token["sha256"])
        if song is None:
            raise MissingInput(f"build/package.json: token {token['token_id']}: its song "
                               f"{token['song']} is no longer in the drop; run dropper package again")
        document = read_json(metadata / token["metadata"], f"run dropper package {drop.root} again")
        sources = {"audio": drop.absolute(song.path)}
        for stage in ("visualize", "screen"):
            rendered = drop.latest_result(song, stage) or {}
            sources.update({role: drop.absolute(path) for role, path in rendered.get("files", {}).items()})
        for role, source in sorted(sources.items()):
            key = RECORDED_BY.get(role)
            recorded = document["audio"]["uri"] if key == "audio" else document.get(key) if key else None
            found.append(MediaFile(f"media/{token['token_id']}/{role}{source.suffix.lower()}", source,
                                   token["metadata"], recorded.removeprefix("ipfs://") if recorded else None))
    return found


def _check(drop: Drop, result: ImportResult, media: list[MediaFile]) -> None:
    """Refuse a tree whose files are not the ones packaged (CIDs differ from the records)."""
    problems = []
    for item in media:
        actual = result.entries[item.tree_path].cid
        if item.recorded_cid is not None and actual != item.recorded_cid:
            problems.append(f"{drop.relative(item.source)} hashes to {actual}, but "
                            f"build/metadata/{item.metadata} records {item.recorded_cid}")
    recorded_root = package_summary(drop)["metadata_root_cid"]
    if result.entries["metadata"].cid != recorded_root:
        problems.append(f"build/metadata hashes to {result.entries['metadata'].cid}, but "
                        f"build/package.json records {recorded_root}")
    if problems:
        raise StaleFiles(f"{len(problems)} file(s) changed since dropper package: "
                         + "; ".join(problems[:5]) + f"; run dropper package {drop.root} again")


@contextlib.contextmanager
def _one_transaction(drop: Drop) -> Iterator[None]:
    if drop.db.in_transaction:
        yield
        return
    drop.db.execute("BEGIN")
    try:
        yield
    except BaseException:
        drop.db.execute("ROLLBACK")
        raise
    drop.db.execute("COMMIT")


def _root_of(path: Path) -> str | None:
    """The root a CAR at ``path`` names, or None (no file, not a readable CAR, or cut short)."""
    if not path.is_file():
        return None
    try:
        roots = read_car_roots(path)
    except CarError:
        return None
    return roots[0] if len(roots) == 1 and car_is_whole(path) else None
