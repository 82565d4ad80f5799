"""Human annotations: keep/reject, style, tapped tempo, distinctions, notes, title override.

Stored as append-only events (who, when); the newest event of each kind that is not undone
holds. No automatic stage writes here, so a rerun never overwrites a human decision. The
screen stage's auto-reject rule is applied when reading, and a human decision wins over it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dropper.db import now
from dropper.errors import ConfigError, DropperError

if TYPE_CHECKING:
    from dropper.workspace import Drop, Song

KINDS = ("decision", "style", "tempo", "distinctions", "notes", "title")
DECISIONS = ("keep", "reject")


class EditConflict(DropperError):
    """A song changed since the editor read it (another tab, person or command wrote first)."""

    def __init__(self, message: str, *, revision: int):
        super().__init__(message)
        self.revision = revision


@dataclass
class Annotation:
    """The current human view of one song (None where nobody has said anything)."""

    decision: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    auto_rejected_for: tuple[str, ...] = ()
    style: str | None = None
    tempo_bpm: float | None = None
    distinctions: tuple[str, ...] = ()
    notes: str | None = None
    title: str | None = None
    updated_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "reason": self.reason, "decided_by": self.decided_by,
                "auto_rejected_for": list(self.auto_rejected_for), "style": self.style,
                "tempo_bpm": self.tempo_bpm, "distinctions": list(self.distinctions),
                "notes": self.notes, "title": self.title, "updated_at": self.updated_at}


def record(drop: Drop, song: Song, kind: str, value: Any, *, author: str) -> int:
    """Append one human event; returns its id. Values are checked here, not by callers."""
    value = _checked(kind, value)
    cursor = drop.db.execute(
        "INSERT INTO events (song_id, kind, value, author, at) VALUES (?, ?, ?, ?, ?)",
        (song.id, kind, json.dumps(value), author, now()))
    return int(cursor.lastrowid)


def undo_last(drop: Drop, song: Song, *, author: str,
              expected_revision: int | None = None) -> str | None:
    """Mark the song's newest live event undone; returns its kind (None if nothing to undo).

    With ``expected_revision`` (see :func:`revision`), raise :class:`EditConflict` instead
    when the song changed since the caller read it.
    """
    drop.db.execute("BEGIN IMMEDIATE")
    try:
        _check_revision(drop, song, expected_revision)
        row = drop.db.execute(
            "SELECT id, kind FROM events WHERE song_id = ? AND undone_by IS NULL "
            "ORDER BY id DESC LIMIT 1", (song.id,)).fetchone()
        if row is None:
            drop.db.execute("ROLLBACK")
            return None
        undo_id = drop.db.execute(
            "INSERT INTO events (song_id, kind, value, author, at) VALUES (?, ?, ?, ?, ?)",
            (song.id, row["kind"], json.dumps({"undo": row["id"]}), author, now())).lastrowid
        drop.db.execute("UPDATE events SET undone_by = ? WHERE id = ?", (undo_id, row["id"]))
        # The undo marker itself is not a value: mark it as consumed by itself.
        drop.db.execute("UPDATE events SET undone_by = id WHERE id = ?", (undo_id,))
        drop.db.execute("COMMIT")
    except BaseException:
        drop.db.execute("ROLLBACK")
        raise
    return str(row["kind"])


def revision(drop: Drop, song: Song | int) -> int:
    """The song's annotation revision: the id of its newest event (0 before any).

    Every edit and every undo appends an event, so the number grows with each change; an
    editor that read revision N detects another writer by finding a different number.
    """
    song_id = song if isinstance(song, int) else song.id
    row = drop.db.execute("SELECT COALESCE(MAX(id), 0) FROM events WHERE song_id = ?",
                          (song_id,)).fetchone()
    return int(row[0])


def revisions(drop: Drop) -> dict[int, int]:
    """:func:`revision` of every song that has events, in one query."""
    rows = drop.db.execute("SELECT song_id, MAX(id) FROM events GROUP BY song_id")
    return {int(song_id): int(newest) for song_id, newest in rows}


def _check_revision(drop: Drop, song: Song, expected: int | None) -> None:
    """Inside a write transaction: raise EditConflict when the song moved past ``expected``."""
    if expected is None:
        return
    found = revision(drop, song)
    if found != expected:
        row = drop.db.execute("SELECT kind, author, at FROM events WHERE id = ?", (found,)).fetchone()
        by = f" ({row['kind']} by {row['author']} at {row['at']})" if row else ""
        raise EditConflict(f"{song.name}: changed elsewhere since you opened it{by}; "
                           "your edit was not saved — look at the current values and redo it",
                           revision=found)


def current(drop: Drop) -> dict[int, Annotation]:
    """Annotation per song id, from the live events (without the auto-reject rule)."""
    state: dict[int, Annotation] = {}
    rows = drop.db.execute(
        "SELECT song_id, kind, value, author, at FROM events WHERE undone_by IS NULL ORDER BY id")
    for row in rows:
        note = state.setdefault(row["song_id"], Annotation())
        _apply(note, row["kind"], json.loads(row["value"]), row["author"])
        note.updated_at = row["at"]
    return state


def decisions(drop: Drop) -> dict[int, Annotation]:
    """Annotation for every song, with the drop's auto-reject rule applied to undecided songs."""
    state = current(drop)
    rule = set(drop.config.screen.auto_reject)
    for song in drop.songs("all"):
        note = state.setdefault(song.id, Annotation())
        if note.decision is not None or not rule:
            continue
        screened = drop.latest_result(song, "screen") or {}
        hits = tuple(flag for flag in screened.get("flags", []) if flag in rule)
        if hits:
            note.decision, note.auto_rejected_for = "reject", hits
            note.reason = "auto-reject rule: " + ", ".join(hits)
            note.decided_by = "screen.auto_reject"
    return state


def _apply(note: Annotation, kind: str, value: Any, author: str) -> None:
    if kind == "decision":
        note.decision, note.reason, note.decided_by = value["decision"], value.get("reason"), author
    elif kind == "tempo":
        note.tempo_bpm = value
    elif kind == "distinctions":
        note.distinctions = tuple(value)
    else:
        setattr(note, kind, value)


def check(kind: str, value: Any) -> Any:
    """The value as it would be stored for ``kind``; ConfigError (or ValueError) if it is wrong."""
    return _checked(kind, value)


def _checked(kind: str, value: Any) -> Any:
    if kind not in KINDS:
        raise ConfigError(f"annotation kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "decision":
        if value.get("decision") not in DECISIONS:
            raise ConfigError(f"decision must be keep or reject, not {value.get('decision')!r}")
        return {"decision": value["decision"], "reason": value.get("reason") or None}
    if kind == "tempo":
        bpm = float(value)
        if not (bpm == 0 or 20 <= bpm <= 400):
            raise ConfigError(f"tempo: {bpm:g} BPM is outside 20–400 (use 0 for no pulse)")
        return bpm
    if kind == "distinctions":
        tags = [str(tag).strip() for tag in value if str(tag).strip()]
        for tag in tags:  # the CSV export joins tags with "; ": such a tag would come back as two
            if ";" in tag:
                raise ConfigError(f"distinction {tag!r}: a tag cannot hold ';' (it separates tags in "
                                  "the CSV); give two tags instead")
        return sorted(set(tags), key=tags.index)
    return None if value is None else str(value)


def apply_edits(drop: Drop, song: Song, *, author: str, decision: str | None = None,
                reason: str | None = None, style: str | None = None, tempo_bpm: float | None = None,
                add_tags: tuple[str, ...] = (), remove_tags: tuple[str, ...] = (),
                notes: str | None = None, title: str | None = None,
                expected_revision: int | None = None) -> int:
    """Record the given edits as events in one transaction; returns how many were recorded.

    With ``expected_revision`` (see :func:`revision`), nothing is recorded and
    :class:`EditConflict` is raised when the song changed since the caller read it.
    """
    if reason and not decision:
        raise ConfigError("--reason goes with --keep or --reject")
    edits: list[tuple[str, Any]] = []
    if decision:
        edits.append(("decision", {"decision": decision, "reason": reason}))
    for kind, value in (("style", style), ("tempo", tempo_bpm), ("notes", notes), ("title", title)):
        if value is not None:
            edits.append((kind, value))
    drop.db.execute("BEGIN IMMEDIATE")
    try:
        _check_revision(drop, song, expected_revision)
        if add_tags or remove_tags:  # read inside the transaction: a concurrent tag is not lost
            tags = list(current(drop).get(song.id, Annotation()).distinctions)
            tags = [tag for tag in tags if tag not in remove_tags] + [t for t in add_tags if t not in tags]
            edits.append(("distinctions", tags))
        for kind, value in edits:
            record(drop, song, kind, value, author=author)
        drop.db.execute("COMMIT")
    except BaseException:
        drop.db.execute("ROLLBACK")
        raise
    return len(edits)
