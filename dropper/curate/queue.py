"""What the curation page shows: one row per song with its screening, tempo and annotations.

Read in a few queries for the whole drop (the queue of 1000 songs opens at once); the page
filters and sorts it itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dropper import annotations
from dropper.workspace import Drop, Song


@dataclass
class QueueSong:
    """One song as the curator sees it (None where a stage has not run or nobody decided)."""

    id: int
    name: str
    duration_s: float
    temperature: float | None
    loudness_lufs: float | None = None
    flags: list[str] = field(default_factory=list)
    tempo_estimate_bpm: float | None = None
    tempo_confidence: float | None = None
    tempo_alternatives: list[dict[str, Any]] = field(default_factory=list)
    has_spectrogram: bool = False
    decision: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    style: str | None = None
    tempo_bpm: float | None = None
    distinctions: list[str] = field(default_factory=list)
    notes: str | None = None
    updated_at: str | None = None
    revision: int = 0

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: the values are JSON-ready, and asdict's deep copies cost ~0.3 s a queue.
        return dict(vars(self))


@dataclass
class Progress:
    """The queue's headline: "312 of 1000 reviewed, 104 kept"."""

    songs: int
    reviewed: int
    kept: int
    rejected: int


def latest_results(drop: Drop, stage: str) -> dict[str, dict[str, Any]]:
    """The newest successful result of ``stage`` per content hash (as Drop.latest_result)."""
    rows = drop.db.execute(
        "SELECT sha256, result FROM results WHERE stage = ? AND status = 'ok' "
        "ORDER BY created_at, rowid", (stage,))
    return {row["sha256"]: json.loads(row["result"]) for row in rows}


def load_queue(drop: Drop) -> list[QueueSong]:
    """Every song of the drop in name order, with what the page shows next to the player."""
    screened, tempos = latest_results(drop, "screen"), latest_results(drop, "tempo")
    state, revisions = _annotations(drop), annotations.revisions(drop)
    return [_queue_song(song, screened.get(song.sha256), tempos.get(song.sha256),
                        state.get(song.id, annotations.Annotation()), revisions.get(song.id, 0))
            for song in drop.songs("all")]


def load_song(drop: Drop, song: Song) -> QueueSong:
    """One song's row, read fresh (after an edit)."""
    note = _annotations(drop).get(song.id, annotations.Annotation())
    return _queue_song(song, drop.latest_result(song, "screen"), drop.latest_result(song, "tempo"),
                       note, annotations.revision(drop, song))


def progress(songs: list[QueueSong]) -> Progress:
    """Counts for the queue's headline."""
    return Progress(songs=len(songs), reviewed=sum(song.decision is not None for song in songs),
                    kept=sum(song.decision == "keep" for song in songs),
                    rejected=sum(song.decision == "reject" for song in songs))


def spectrogram_path(drop: Drop, song: Song) -> Path | None:
    """The spectrogram PNG the screen stage drew for ``song`` (None before screening)."""
    screened = drop.latest_result(song, "screen") or {}
    stored = screened.get("files", {}).get("spectrogram")
    path = drop.absolute(stored) if stored else None
    return path if path is not None and path.is_file() else None


def used_tags(songs: list[QueueSong]) -> list[str]:
    """Distinctions already given to songs of this drop, most used first."""
    counts: dict[str, int] = {}
    for song in songs:
        for tag in song.distinctions:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts, key=lambda tag: (-counts[tag], tag))


def _annotations(drop: Drop) -> dict[int, annotations.Annotation]:
    # decisions() reads every song again to apply the auto-reject rule: only when there is one.
    return annotations.decisions(drop) if drop.config.screen.auto_reject else annotations.current(drop)


def _queue_song(song: Song, screened: dict[str, Any] | None, tempo: dict[str, Any] | None,
                note: annotations.Annotation, revision: int) -> QueueSong:
    screened, tempo = screened or {}, tempo or {}
    loudness = screened.get("metrics", {}).get("loudness_lufs")
    # Rounded to what the page shows: the queue of 1000 songs is inlined in the page.
    alternatives = [{"bpm": round(alt["bpm"], 1), "ratio": alt["ratio"], "score": round(alt["score"], 2)}
                    for alt in tempo.get("candidates", [])]
    return QueueSong(
        id=song.id, name=song.name, duration_s=round(song.duration_s, 2), temperature=song.temperature,
        loudness_lufs=None if loudness is None else round(loudness, 2), flags=list(screened.get("flags", [])),
        tempo_estimate_bpm=tempo.get("tempo_bpm"), tempo_confidence=tempo.get("confidence"),
        tempo_alternatives=alternatives, has_spectrogram=bool(screened.get("files", {}).get("spectrogram")),
        decision=note.decision, reason=note.reason, decided_by=note.decided_by, style=note.style,
        tempo_bpm=note.tempo_bpm, distinctions=list(note.distinctions), notes=note.notes,
        updated_at=note.updated_at, revision=revision)
