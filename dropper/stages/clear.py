"""clear: the mandatory originality test of every kept song.

Each kept song is scanned against the reference index (the training catalog) and, unless
``clear.check_drop`` is off, against the other kept songs (near-duplicates). The cache key
holds the index hash and the set of kept songs, so a changed catalog or drop means a new
clearance. The originality report (JSON + HTML) is written after every run.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from dropper import audio, reference
from dropper.errors import MissingInput
from dropper.files import hash_params
from dropper.parallel import parallel_map
from dropper.pipeline import (
    Outcome,
    StageReport,
    Task,
    compute_target,
    guarded,
    params_hash,
    run_stage,
    song_tasks,
)
from dropper.progress import Progress
from dropper.workspace import Drop, Song

STAGE = "clear"
VERSION = 1


def thresholds_of(drop: Drop):
    """The clearance thresholds of drop.toml [clear]."""
    from dropper.fingerprint import ClearanceThresholds

    settings = drop.config.clear
    return ClearanceThresholds(min_score_bits=settings.min_score_bits, min_matched_s=settings.min_matched_s,
                               min_agreement=settings.min_agreement)


def clearance_params(drop: Drop, index, songs: list[Song]) -> dict[str, Any]:
    """Everything a clearance depends on; its hash is the cache key and the gate's key."""
    from dropper.fingerprint.landmarks import FORMAT_VERSION

    drop_set = hashlib.sha256("".join(sorted(s.sha256 for s in songs)).encode()).hexdigest()
    return {"fingerprint": index.params.to_dict(), "index_format": FORMAT_VERSION, "thresholds": thresholds_of(drop).to_dict(),
            "index_hash": index.index_hash,
            "drop_set": drop_set if drop.config.clear.check_drop else None}


def current_key(drop: Drop, index, songs: list[Song]) -> str:
    """The params hash a passing clearance must have been made with, today."""
    return params_hash(STAGE, VERSION, clearance_params(drop, index, songs))


def run(drop: Drop, *, force: bool = False, jobs: int | None = None,
        ray_address: str | None = None, progress: Progress | None = None) -> StageReport:
    """Scan every kept song; record verdicts and matches; write reports/originality.*."""
    from dropper import originality

    notes = _sync_catalog(drop, jobs=jobs, ray_address=ray_address, progress=progress)
    index = reference.open_index(drop)
    songs = drop.songs("kept")
    params = clearance_params(drop, index, songs)
    inputs = _inputs(drop, index, songs, params, jobs=jobs, ray_address=ray_address, progress=progress)
    tasks = song_tasks(drop, songs, params, stage=STAGE, version=VERSION, inputs=inputs)
    report = run_stage(drop, stage=STAGE, version=VERSION, params=params, tasks=tasks, work=clear_song,
                       force=force, jobs=jobs, ray_address=ray_address, progress=progress)
    report.notes += notes
    from dropper.gate import covering_waivers

    results = originality.stored_results(drop, songs, report.params_hash)
    waived, stale = covering_waivers(drop, songs, results, report.params_hash)
    written = originality.write(drop, index, songs, report.params_hash, params, results, waived)
    ids = {song.sha256: song.id for song in songs}
    flagged = [song.name + (f" ({stale[ids.get(song.sha256)]})" if ids.get(song.sha256) in stale else "")
               for song in report.songs
               if song.result.get("verdict") == "flagged" and ids.get(song.sha256) not in waived]
    if flagged:
        report.notes.append(f"flagged: {', '.join(flagged)} — see {drop.relative(written['html'])}; "
                            "publishing is refused until each is fixed or waived "
                            "(dropper clear --waive SONG --reason ...)")
    from dropper.gate import changed_files

    changed = changed_files(drop, songs)
    report.notes += [f"{song.name}: {changed[song.id]}; package and publish are refused"
                     for song in songs if song.id in changed]
    report.notes.append(f"originality report: {drop.relative(written['json'])}, {drop.relative(written['html'])}")
    return report


def _sync_catalog(drop: Drop, *, jobs: int | None, ray_address: str | None,
                  progress: Progress | None) -> list[str]:
    """Add new files of drop.toml's reference.catalog folder to the index (if one is set)."""
    if not drop.config.reference.catalog:
        return []
    catalog = drop.absolute(drop.config.reference.catalog)
    if not catalog.exists():
        raise MissingInput(f"{catalog}: the reference catalog is not there (drop.toml: reference.catalog); "
                           "put the training discography there, or fix the path")
    added = reference.add(drop, [catalog], jobs=jobs, ray_address=ray_address, progress=progress)
    notes = [f"reference catalog: {added.count('done')} new track(s) indexed"] if added.count("done") else []
    return notes + [f"reference catalog: {song.name} not indexed: {song.reason}"
                    for song in added.songs if song.status == "failed"]


def rescan(drop: Drop, songs: list[Song], params: dict[str, Any], *, jobs: int | None = None,
           ray_address: str | None = None) -> dict[str, dict[str, Any]]:
    """Scan ``songs`` afresh (no cache) with recorded ``params``; results by song hash (for audit)."""
    index = reference.open_index(drop)
    inputs = _inputs(drop, index, songs, params, jobs=jobs, ray_address=ray_address, progress=None)
    tasks = song_tasks(drop, songs, params, stage=STAGE, version=VERSION, inputs=inputs)
    jobs, address = compute_target(drop, jobs, ray_address)
    results = {}
    for position, outcome in parallel_map(guarded(clear_song), tasks, jobs=jobs, ray_address=address):
        results[tasks[position].sha256] = outcome.result if outcome.ok else \
            {"verdict": "failed", "matches": [], "reason": outcome.reason}
    return results


def _inputs(drop: Drop, index, songs: list[Song], params: dict[str, Any], *, jobs: int | None,
            ray_address: str | None, progress: Progress | None) -> dict[str, str]:
    inputs = {"reference": str(index.folder)}
    if params.get("drop_set"):
        inputs["drop"] = str(_drop_index(drop, songs, params, jobs=jobs, ray_address=ray_address,
                                         progress=progress))
    return inputs


def clear_song(task: Task) -> Outcome:
    """Worker: scan one song against the reference index and the drop's own songs."""
    from dropper.fingerprint import ClearanceThresholds, scan

    thresholds = ClearanceThresholds.from_dict(task.params["thresholds"])
    # Decode straight to the fingerprint's analysis rate: one resampling instead of two.
    y, sr = audio.load(task.source, mono=True, sr=task.params["fingerprint"]["sample_rate_hz"])
    matches = [{**m.to_dict(), "source": "reference"}
               for m in scan(y, sr, _index(task.inputs["reference"], task.params["index_hash"]),
                             thresholds=thresholds)]
    if "drop" in task.inputs:
        matches += [{**m.to_dict(), "source": "drop"}
                    for m in scan(y, sr, _index(task.inputs["drop"], task.params["drop_set"]),
                                  thresholds=thresholds, exclude={task.sha256})]
    return Outcome(ok=True, result={"verdict": "flagged" if matches else "pass", "matches": matches})


@lru_cache(maxsize=4)
def _index(folder: str, version: str):
    """Indexes are memory-mapped; keep a few open per worker process (``version`` keys the cache)."""
    from dropper.fingerprint import ReferenceIndex

    return ReferenceIndex.load(Path(folder))


def _drop_index(drop: Drop, songs: list[Song], params: dict[str, Any], *, jobs: int | None,
                ray_address: str | None, progress: Progress | None) -> Path:
    """An index of the kept songs themselves, built once per set of songs and parameters."""
    from dropper.fingerprint import ReferenceIndex
    from dropper.fingerprint.landmarks import FORMAT_VERSION
    from dropper.reference import fingerprints

    key = hash_params([params["drop_set"], params["fingerprint"], FORMAT_VERSION])[:16]
    folder = drop.build_dir / "clear" / f"drop-index-{key}"
    if (folder / "manifest.json").exists():
        return folder
    index = ReferenceIndex.create(folder)
    tasks = [Task(sha256=s.sha256, name=s.name, source=str(drop.absolute(s.path)), params=params["fingerprint"])
             for s in songs]
    for task, outcome in fingerprints(drop, tasks, label="drop prints", jobs=jobs, ray_address=ray_address,
                                      progress=progress):
        if outcome.ok:  # a song that fails here fails its own scan with the same reason
            index.add(track_id=task.sha256, name=task.name, sha256=task.sha256, print_=outcome.result["print"])
    index.save()
    return folder
