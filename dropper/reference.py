"""The reference catalog: the training discography every kept song is cleared against.

``dropper reference add/list/remove`` maintain a persistent, sharded fingerprint index (see
:mod:`dropper.fingerprint`); its ``index_hash`` changes whenever the catalog changes, which
invalidates every clearance made against the old one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
import shutil
from dataclasses import dataclass
from pathlib import Path

from dropper import audio
from dropper.db import now
from dropper.errors import ConfigError, MissingInput
from dropper.parallel import parallel_map
from dropper.pipeline import Outcome, SongOutcome, StageReport, Task, compute_target, guarded
from dropper.progress import Progress
from dropper.workspace import Drop


def index_folder(drop: Drop) -> Path:
    """Where the drop's reference index lives (drop.toml: reference.index)."""
    return drop.absolute(drop.config.reference.index)


def open_index(drop: Drop, *, create: bool = False):
    """The drop's reference index; a new empty one if ``create`` and none exists yet."""
    from dropper.fingerprint import ReferenceIndex
    from dropper.fingerprint.index import IndexError_

    folder = index_folder(drop)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder (drop.toml: reference.index names the index folder)")
    if create and not (folder / "manifest.json").exists():
        return ReferenceIndex.create(folder)
    try:
        return ReferenceIndex.load(folder)
    except MissingInput:
        raise MissingInput(f"{folder}: no reference index yet (drop.toml: reference.index); "
                           "build it with: dropper reference add PATH...") from None
    except IndexError_ as exc:
        raise IndexError_(f"{exc} with: dropper reference rebuild --drop {drop.root}") from None


@dataclass(frozen=True)
class CatalogTrack:
    id: str
    name: str
    duration_s: float
    path: str | None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "duration_s": round(self.duration_s, 3), "path": self.path}


def add(drop: Drop, paths: list[str | os.PathLike], *, jobs: int | None = None,
        ray_address: str | None = None, progress: Progress | None = None) -> StageReport:
    """Fingerprint the audio files under ``paths`` into the index; a bad file is reported, not fatal."""
    index = open_index(drop, create=True)
    files = _audio_files(paths)
    known = {track.track_id for track in index.tracks}
    report = StageReport(stage="reference")
    todo: dict[str, Task] = {}
    for path in files:
        sha = drop.content_hash(path)
        if sha in known or sha in todo:
            report.songs.append(SongOutcome(path.name, sha, "skipped"))
            continue
        todo[sha] = Task(sha256=sha, name=path.name, source=str(path), params=index.params.to_dict())
    try:
        for task, outcome in fingerprints(drop, list(todo.values()), label="reference", jobs=jobs,
                                          ray_address=ray_address, progress=progress):
            if outcome.ok:
                print_ = outcome.result["print"]
                index.add(track_id=task.sha256, name=Path(task.source).stem, sha256=task.sha256, print_=print_)
                _remember(drop, task, print_.duration_s)
            report.songs.append(SongOutcome(task.name, task.sha256, "done" if outcome.ok else "failed",
                                            outcome.reason))
    finally:
        # Save what was fingerprinted even when interrupted; the save itself is atomic.
        if report.count("done"):
            index.save()
    done = report.count("done")
    report.failure_hint = "the reasons are listed below; " + (
        "no track was added" if not done else f"{done} other track{' was' if done == 1 else 's were'} added")
    report.notes.append(_summary(index))
    return report


def fingerprints(drop: Drop, tasks: list[Task], *, label: str, jobs: int | None, ray_address: str | None,
                 progress: Progress | None) -> Iterator[tuple[Task, Outcome]]:
    """Fingerprint each task's file in workers (processes or Ray); yield ``(task, outcome)`` as they finish."""
    jobs, address = compute_target(drop, jobs, ray_address)
    with (progress or Progress.quiet()).task(label, total=len(tasks)) as advance:
        for position, outcome in parallel_map(guarded(fingerprint_file), tasks, jobs=jobs, ray_address=address):
            yield tasks[position], outcome
            advance(tasks[position].name)


def fingerprint_file(task: Task) -> Outcome:
    """Worker: load one reference track and compute its fingerprint."""
    from dropper.fingerprint import FingerprintParams, fingerprint

    params = FingerprintParams.from_dict(task.params)
    y, sr = audio.load(task.source, sr=params.sample_rate_hz, mono=True)
    return Outcome(ok=True, result={"print": fingerprint(y, sr, params)})


def rebuild(drop: Drop, *, jobs: int | None = None, ray_address: str | None = None,
            progress: Progress | None = None) -> StageReport:
    """Fingerprint every track this drop added again into a new index (after a format change).

    Refused when the index holds a track whose file this drop does not know (added by another
    drop sharing the folder, or copied in): a rebuild would drop it from the catalog unseen.
    """
    paths = {row["sha256"]: row["path"] for row in drop.db.execute("SELECT sha256, path FROM reference_tracks")}
    folder = index_folder(drop)
    unknown = [name for track_id, name in _indexed_tracks(folder).items() if track_id not in paths]
    if unknown:
        raise MissingInput(f"cannot rebuild the reference index: {len(unknown)} of its track(s) came from files "
                           f"this drop does not know, e.g. {unknown[0]}; add them again with dropper reference "
                           "add PATH (then rebuild), or take them out with dropper reference remove")
    if not paths:
        raise MissingInput(f"{folder}: nothing to rebuild (this drop has added no reference tracks); "
                           "build the index with: dropper reference add PATH...")
    missing = sorted(path for path in paths.values() if not Path(path).exists())
    if missing:
        raise MissingInput(f"cannot rebuild the reference index: {len(missing)} track file(s) are gone, "
                           f"e.g. {missing[0]}")
    # The catalog is what was added: a file whose content changed since would change it unseen.
    changed = sorted(path for sha, path in paths.items() if drop.content_hash(path) != sha)
    if changed:
        raise MissingInput(f"cannot rebuild the reference index: {len(changed)} track file(s) changed since they "
                           f"were added, e.g. {changed[0]}; put the originals back, or remove those tracks with "
                           "dropper reference remove and add the new files")
    stale = folder.with_name(folder.name + ".old")
    shutil.rmtree(stale, ignore_errors=True)
    if folder.exists():
        os.replace(folder, stale)

    def restore() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if stale.exists():
            os.replace(stale, folder)

    try:
        report = add(drop, sorted(paths.values()), jobs=jobs, ray_address=ray_address, progress=progress)
    except BaseException:
        restore()
        raise
    failed = [song for song in report.songs if song.status == "failed"]
    if failed:  # all or nothing: a rebuild that drops a track would shrink the catalog unseen
        restore()
        raise MissingInput(f"cannot rebuild the reference index: {len(failed)} track(s) failed, e.g. "
                           f"{failed[0].name}: {failed[0].reason}; the index is left as it was")
    shutil.rmtree(stale, ignore_errors=True)
    return report


def _indexed_tracks(folder: Path) -> dict[str, str]:
    """Track id -> name of the tracks an index folder's manifest lists, in any format version."""
    import json

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return {str(row["track_id"]): str(row.get("name", row["track_id"])) for row in manifest["tracks"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def remove(drop: Drop, refs: list[str]) -> list[str]:
    """Remove tracks by name, id or id prefix; returns the names removed. All or nothing: an
    unknown or ambiguous name changes neither the index nor the database."""
    index = open_index(drop)
    chosen = {}
    for ref in refs:
        hits = [t for t in index.tracks if ref in (t.name, t.track_id)
                or (len(ref) >= 6 and t.track_id.startswith(ref))]
        if len(hits) != 1:
            raise MissingInput(f"reference track {ref!r}: {'no' if not hits else len(hits)} tracks match "
                               "(see: dropper reference list)")
        chosen[hits[0].track_id] = hits[0].name
    for track_id in chosen:
        index.remove(track_id)
    index.save()
    for track_id in chosen:
        drop.db.execute("DELETE FROM reference_tracks WHERE sha256 = ?", (track_id,))
    return list(chosen.values())


def tracks(drop: Drop) -> tuple[str, list[CatalogTrack]]:
    """The index hash and the catalog's tracks (with their file path where this drop knows it)."""
    index = open_index(drop)
    paths = {row["sha256"]: row["path"] for row in drop.db.execute("SELECT sha256, path FROM reference_tracks")}
    return index.index_hash, [CatalogTrack(t.track_id, t.name, t.duration_s, paths.get(t.track_id))
                              for t in index.tracks]


def _audio_files(paths: list[str | os.PathLike]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise MissingInput(f"{path}: no such file or folder")
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and audio.is_audio_name(p))
        else:
            files.append(path)
    return files


def _remember(drop: Drop, task: Task, duration_s: float) -> None:
    drop.db.execute("INSERT OR REPLACE INTO reference_tracks VALUES (?, ?, ?, ?, ?)",
                    (task.sha256, Path(task.source).stem, str(Path(task.source).resolve()), duration_s, now()))


def _summary(index) -> str:
    hours = sum(t.duration_s for t in index.tracks) / 3600
    return (f"reference index: {len(index.tracks)} tracks, {hours:.2f} h, "
            f"{index.size_bytes / 1e6:.1f} MB, index_hash {index.index_hash[:16]}")
