"""``dropper verify``: re-hash the drop's files and check them against the recorded CIDs.

Every CID in the token metadata (audio, video, GIF, poster) and the metadata folder's CID in
build/package.json are computed again from the bytes on disk (no cache), so a file that was
swapped or damaged after packaging is named. When those all match and manifest.json exists,
the drop's tree (media, metadata, reports, site) is hashed again too and each CID the manifest
gives the marketplace is compared with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dropper import ipfs
from dropper.ipfs.balanced import DagLink
from dropper.workspace import Drop

ROLES = {"image": "gif", "animation_url": "video", "poster": "poster"}


@dataclass
class VerifyReport:
    checked: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "mismatches": self.mismatches}


def run(drop: Drop) -> VerifyReport:
    """Recompute every recorded CID from the files; list each one that differs or is missing."""
    from dropper.stages.package import read_summary

    summary = read_summary(drop)
    report = VerifyReport()
    folder = drop.build_dir / "metadata"
    report.checked += 1
    if ipfs.tree_cid(folder) != summary["metadata_root_cid"]:
        report.mismatches.append(f"build/metadata: its CID is not the base URI's {summary['metadata_root_cid']}")
    songs = {song.sha256: song for song in drop.songs("all")}
    hashed = HashedThisRun()
    for token in summary["tokens"]:
        try:
            document = json.loads((folder / token["metadata"]).read_text(encoding="utf-8"))
            uris = {"audio": document["audio"]["uri"], **{key: document[key] for key in ROLES}}
        except (OSError, ValueError, KeyError, TypeError) as exc:  # a damaged file is a mismatch too
            report.checked += 1
            report.mismatches.append(f"token {token['token_id']} ({token['title']}): build/metadata/"
                                     f"{token['metadata']}: unreadable ({type(exc).__name__})")
            continue
        song = songs.get(token["sha256"])
        files = _files_of(drop, song)
        for key, path in [("audio", drop.absolute(song.path) if song else None),
                          *((key, files.get(role)) for key, role in ROLES.items())]:
            recorded = uris[key]
            report.checked += 1
            problem = _check(path, recorded, hashed)
            if problem:
                report.mismatches.append(f"token {token['token_id']} ({token['title']}): {key}: {problem}")
    if report.ok:
        _check_manifest(drop, report, hashed)
    return report


class HashedThisRun:
    """A FileCache of the CIDs this run computed from the bytes (nothing from dropper.db), so
    the tree's media files are not hashed a second time for the manifest."""

    def __init__(self) -> None:
        self.links: dict[Path, DagLink] = {}

    def lookup(self, path: Path) -> DagLink | None:
        return self.links.get(Path(path).resolve())

    def store(self, path: Path, link: DagLink) -> None:
        self.links[Path(path).resolve()] = link


def _check_manifest(drop: Drop, report: VerifyReport, hashed: HashedThisRun) -> None:
    """Compare the CIDs manifest.json records with the tree as it is now (hashed afresh, reusing
    what this run hashed already)."""
    from dropper.ipfs.export import export_tree
    from dropper.manifest import MANIFEST

    path = drop.root / MANIFEST
    if not path.is_file():
        return
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))["ipfs"]
        recorded = {key: recorded[key] for key in recorded if key.endswith("_cid")}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        report.checked += 1
        report.mismatches.append(f"{MANIFEST}: unreadable ({type(exc).__name__}); run dropper manifest again")
        return
    now = export_tree(drop, fresh=True, cache=hashed).to_dict()
    for key, cid in sorted(recorded.items()):
        report.checked += 1
        if now.get(key) != cid:
            folder = key.removesuffix("_cid")
            report.mismatches.append(f"{MANIFEST}: ipfs.{key} is {cid}, but the {folder} now hashes to "
                                     f"{now.get(key)}: the drop changed since; run dropper manifest again")


def _files_of(drop: Drop, song) -> dict[str, Any]:
    rendered = drop.latest_result(song, "visualize") if song else None
    return {role: drop.absolute(path) for role, path in (rendered or {}).get("files", {}).items()}


def _check(path, recorded: str, hashed: HashedThisRun) -> str | None:
    if path is None or not path.exists():
        return f"file missing (recorded {recorded})"
    actual = f"ipfs://{ipfs.file_cid(path, cache=hashed)}"
    return None if actual == recorded else f"{path.name} hashes to {actual}, metadata says {recorded}"
