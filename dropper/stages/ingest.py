"""ingest: find the drop's audio files, verify each decodes, record them as songs.

A song is identified by the SHA-256 of its bytes: a renamed file is the same song, two
identical files are one song (the copy is reported once). A sidecar ``<stem>.json`` beside
the audio carries the sampling temperature, model, checkpoint and seed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dropper import audio
from dropper.db import now
from dropper.errors import MissingInput
from dropper.pipeline import Outcome, StageReport, Task, run_stage
from dropper.progress import Progress
from dropper.workspace import Drop

STAGE = "ingest"
VERSION = 2  # 2: truncated MP3, Ogg and FLAC files fail with where decoding stopped
SIDECAR_KEYS = ("temperature", "model", "checkpoint", "seed")


def run(drop: Drop, *, force: bool = False, jobs: int | None = None,
        ray_address: str | None = None, progress: Progress | None = None) -> StageReport:
    """Verify every audio file in the songs folder and record the good ones as songs."""
    folder = drop.songs_dir
    if not folder.is_dir():
        raise MissingInput(f"{folder}: songs folder not found (drop.toml: drop.songs)")
    files, ignored = _scan(folder)
    hashes = {path: drop.content_hash(path) for path in files}
    # Of identical files, the first one with a sidecar is the song: a bare copy would lose the
    # temperature, model and seed the generator wrote beside the original.
    chosen: dict[str, Path] = {}
    for path in sorted(files, key=lambda path: not path.with_suffix(".json").is_file()):
        chosen.setdefault(hashes[path], path)
    first = {hashes[path]: path for path in files if chosen[hashes[path]] == path}
    duplicates = [f"{drop.relative(path)} is a duplicate of {drop.relative(chosen[hashes[path]])}"
                  for path in files if chosen[hashes[path]] != path]
    tasks = [Task(sha256=sha, name=path.name, source=str(path), params={}) for sha, path in first.items()]
    report = run_stage(drop, stage=STAGE, version=VERSION, params={}, tasks=tasks, work=verify_file,
                       force=force, jobs=jobs, ray_address=ray_address, progress=progress)
    report.notes += duplicates
    if not files:
        kinds = ", ".join(extension.lstrip(".") for extension in audio.AUDIO_EXTENSIONS)
        report.notes.append(f"no audio in {folder}: put the songs there ({kinds}), "
                            "or set drop.songs in drop.toml")
    if ignored:
        report.notes.append(f"ignored {len(ignored)} file(s) that are not audio: {', '.join(ignored[:5])}"
                            + (" ..." if len(ignored) > 5 else ""))
    good = {song.sha256 for song in report.songs if song.status in ("done", "skipped")}
    report.notes += _sync_songs(drop, [first[sha] for sha in first if sha in good], hashes)
    return report


def verify_file(task: Task) -> Outcome:
    """Worker: decode the whole file; a bad file raises AudioError (a recorded failure)."""
    info = audio.verify(task.source)
    return Outcome(ok=True, result={"format": info.format, "sample_rate": info.sample_rate,
                                    "channels": info.channels, "frames": info.frames,
                                    "duration_s": round(info.duration_s, 6)})


def read_sidecar(path: Path) -> dict[str, Any]:
    """The ``<stem>.json`` sidecar of an audio file, limited to the keys dropper uses.

    Raises ValueError with a one-line reason for a sidecar that is not what the generator writes.
    """
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        return {}
    try:
        values = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{sidecar.name}: not valid JSON ({exc})") from None
    if not isinstance(values, dict):
        raise ValueError(f"{sidecar.name}: expected a JSON object with {', '.join(SIDECAR_KEYS)}")
    temperature = values.get("temperature")
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))):
        raise ValueError(f"{sidecar.name}: temperature must be a number, not {temperature!r}")
    seed = values.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"{sidecar.name}: seed must be an integer, not {seed!r}")
    return {key: values.get(key) if key in ("temperature", "seed") or values.get(key) is None
            else str(values[key]) for key in SIDECAR_KEYS}


def _scan(folder: Path) -> tuple[list[Path], list[str]]:
    files, ignored = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.suffix.lower() == ".json":
            continue
        if audio.is_audio_name(path):
            files.append(path)
        else:
            ignored.append(path.name)
    return files, ignored


def _sync_songs(drop: Drop, paths: list[Path], hashes: dict[Path, str]) -> list[str]:
    """Insert or update one songs row per verified file; returns notes for the report."""
    notes = []
    low, high = drop.config.drop.temperature_range
    taken = {row["name"]: row["sha256"] for row in drop.db.execute("SELECT name, sha256 FROM songs")}
    drop.db.execute("BEGIN IMMEDIATE")
    try:
        for path in paths:
            sha = hashes[path]
            facts = drop.latest_result(sha, STAGE)
            try:
                sidecar = read_sidecar(path)
            except ValueError as exc:
                sidecar = {}
                notes.append(f"{drop.relative(path)}: sidecar ignored: {exc}")
            name = path.stem if taken.get(path.stem, sha) == sha else f"{path.stem}-{sha[:6]}"
            taken[name] = sha
            temperature = sidecar.get("temperature")
            if temperature is not None and not (low <= float(temperature) <= high):
                notes.append(f"{name}: temperature {temperature} is outside drop.temperature_range [{low}, {high}]")
            drop.db.execute(
                """INSERT INTO songs (sha256, name, path, format, size_bytes, duration_s, sample_rate,
                       channels, frames, temperature, model, checkpoint, seed, ingested_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(sha256) DO UPDATE SET path = excluded.path, temperature = excluded.temperature,
                       model = excluded.model, checkpoint = excluded.checkpoint, seed = excluded.seed""",
                (sha, name, drop.relative(path), facts["format"], path.stat().st_size, facts["duration_s"],
                 facts["sample_rate"], facts["channels"], facts["frames"],
                 None if temperature is None else float(temperature), sidecar.get("model"),
                 sidecar.get("checkpoint"), sidecar.get("seed"), now()))
        drop.db.execute("COMMIT")
    except BaseException:
        drop.db.execute("ROLLBACK")
        raise
    return notes
