"""`dropper curate --export/--import CSV`: the curation edits as a spreadsheet, one row a song.

Columns: name, decision, reason, style, tempo, tags, notes (tags joined by "; "). An import
records, as the app does, only what differs from the database, so running it again changes
nothing; every row is checked before the first edit is recorded.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dropper import annotations
from dropper.curate.queue import QueueSong, load_queue
from dropper.errors import ConfigError, DropperError, MissingInput
from dropper.files import write_text
from dropper.workspace import Drop

COLUMNS = ("name", "decision", "reason", "style", "tempo", "tags", "notes")
TAG_SEPARATOR = "; "


@dataclass
class ImportReport:
    """What an import recorded: songs changed, edits (events) recorded, songs unchanged."""

    changed: list[str] = field(default_factory=list)
    edits: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        return (f"import: {len(self.changed)} songs changed ({self.edits} edits), "
                f"{self.unchanged} unchanged")

    def to_dict(self) -> dict[str, Any]:
        return {"changed": self.changed, "edits": self.edits, "unchanged": self.unchanged}


def export_csv(drop: Drop, path: str | Path) -> int:
    """Write every song's current decision and annotations to ``path``; returns the row count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    songs = load_queue(drop)
    for song in songs:
        writer.writerow([song.name, song.decision or "", song.reason or "", song.style or "",
                         "" if song.tempo_bpm is None else f"{song.tempo_bpm:g}",
                         TAG_SEPARATOR.join(song.distinctions), song.notes or ""])
    write_text(path, buffer.getvalue())
    return len(songs)


def import_csv(drop: Drop, path: str | Path, *, author: str) -> ImportReport:
    """Record the differences between the CSV at ``path`` and the database, song by song."""
    path = Path(path)
    if not path.is_file():
        raise MissingInput(f"{path}: no such CSV file (write one with: dropper curate --export {path})")
    songs = {song.name: song for song in load_queue(drop)}
    planned = [(line, songs[row["name"]], _edits(row, songs[row["name"]], f"{path}:{line}"))
               for line, row in _rows(path, songs)]
    report = ImportReport()
    for line, song, edits in planned:
        if not edits:
            report.unchanged += 1
            continue
        try:
            report.edits += annotations.apply_edits(drop, drop.find_song(song.name), author=author,
                                                    expected_revision=song.revision, **edits)
        except DropperError as exc:
            raise type(exc)(f"{path}:{line}: {exc}") from None
        report.changed.append(song.name)
    return report


def _rows(path: Path, songs: dict[str, QueueSong]) -> list[tuple[int, dict[str, str]]]:
    """The CSV's rows with their line numbers, each naming a known song once."""
    try:
        return _read_rows(path, songs)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the sheet as 'CSV UTF-8' and import it again") from None


def _read_rows(path: Path, songs: dict[str, QueueSong]) -> list[tuple[int, dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except csv.Error as exc:
            raise ConfigError(f"{path}:1: not a CSV row ({exc})") from None
        unknown = [name for name in header if name not in COLUMNS]
        if "name" not in header or unknown:
            raise ConfigError(f"{path}:1: columns must include name and be among {', '.join(COLUMNS)}"
                              + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
        rows, seen = [], set()
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise ConfigError(f"{path}:{reader.line_num + 1}: not a CSV row ({exc})") from None
            line, name = reader.line_num, (row.get("name") or "").strip()
            if name not in songs:
                raise ConfigError(f"{path}:{line}: no song named {name!r} in this drop "
                                  "(see: dropper status --songs)")
            if name in seen:
                raise ConfigError(f"{path}:{line}: {name} appears twice")
            seen.add(name)
            rows.append((line, {key: (value or "").strip() for key, value in row.items() if key}))
    return rows


def _edits(row: dict[str, str], song: QueueSong, where: str) -> dict[str, Any]:
    """The apply_edits keywords that turn ``song`` into ``row`` (columns left out: unchanged)."""
    edits: dict[str, Any] = {}
    # Cells are read stripped, so the database's values are compared stripped: an unedited
    # export must import as no change even where a note ends with a newline.
    now = {"reason": (song.reason or "").strip(), "style": (song.style or "").strip(),
           "notes": (song.notes or "").strip()}
    decision, reason = row.get("decision", song.decision or ""), row.get("reason", now["reason"])
    if decision not in ("", *annotations.DECISIONS):
        raise ConfigError(f"{where}: decision must be keep, reject or empty, not {decision!r}")
    if decision != (song.decision or "") or (decision and reason != now["reason"]):
        if not decision:
            raise ConfigError(f"{where}: {song.name}'s decision cannot be emptied here "
                              f"(undo it with: dropper annotate {song.name} --undo)")
        edits.update(decision=decision, reason=reason or None)
    for column in ("style", "notes"):
        if column in row and row[column] != now[column]:
            edits[column] = row[column]
    if "tempo" in row and row["tempo"] != ("" if song.tempo_bpm is None else f"{song.tempo_bpm:g}"):
        edits["tempo_bpm"] = _tempo(row["tempo"], song, where)
    if "tags" in row:
        tags = [tag.strip() for tag in row["tags"].split(";") if tag.strip()]
        edits["add_tags"] = tuple(tag for tag in tags if tag not in song.distinctions)
        edits["remove_tags"] = tuple(tag for tag in song.distinctions if tag not in tags)
        if not edits["add_tags"] and not edits["remove_tags"]:
            del edits["add_tags"], edits["remove_tags"]
    return edits


def _tempo(text: str, song: QueueSong, where: str) -> float:
    if not text:
        raise ConfigError(f"{where}: {song.name}'s tapped tempo cannot be emptied (0 = no pulse)")
    try:
        return annotations.check("tempo", text)
    except (ValueError, ConfigError) as exc:
        message = str(exc) if isinstance(exc, ConfigError) else f"tempo must be a number of BPM, not {text!r}"
        raise ConfigError(f"{where}: {message}") from None
