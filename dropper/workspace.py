"""The drop workspace: a folder with drop.toml, dropper.db, songs/, build/ and reports/.

:class:`Drop` is what every stage receives: the validated settings, the database, the paths,
and the songs selected for a stage (all, candidates, kept).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from dropper import config as config_module
from dropper import db
from dropper.errors import ConfigError, MissingInput, SongNotFound
from dropper.files import sha256_file, write_text

SCOPES = ("all", "candidates", "kept")


@dataclass(frozen=True)
class Song:
    """One ingested song, identified by the SHA-256 of its file's bytes."""

    id: int
    sha256: str
    name: str
    path: str
    format: str
    size_bytes: int
    duration_s: float
    sample_rate: int
    channels: int
    frames: int
    temperature: float | None
    model: str | None
    checkpoint: str | None
    seed: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Song:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


class Drop:
    """An open drop workspace. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, root: Path, settings: config_module.Config, connection: sqlite3.Connection):
        self.root = root
        self.config = settings
        self.db = connection

    @classmethod
    def open(cls, root: str | os.PathLike, *, environ: Mapping[str, str] | None = None) -> Drop:
        """Open the drop in ``root``: validate drop.toml, open (or create) dropper.db."""
        root = Path(root).resolve()
        if not root.is_dir():
            raise MissingInput(f"{root}: no such drop folder (create one with: dropper init {root})")
        settings = config_module.load(root / config_module.CONFIG_NAME, environ=environ)
        return cls(root, settings, db.connect(root / db.DB_NAME))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Drop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Paths -------------------------------------------------------------------------------
    @property
    def songs_dir(self) -> Path:
        return (self.root / self.config.drop.songs).resolve()

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    def relative(self, path: str | os.PathLike) -> str:
        """``path`` relative to the drop folder when inside it, else absolute."""
        path = Path(path).resolve()
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def absolute(self, stored: str) -> Path:
        """The absolute path of a path stored by :meth:`relative`."""
        path = Path(stored)
        return path if path.is_absolute() else self.root / path

    # Songs -------------------------------------------------------------------------------
    def songs(self, scope: str = "all") -> list[Song]:
        """Ingested songs in name order: ``all``; ``candidates`` (not rejected); ``kept``."""
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
        rows = self.db.execute("SELECT * FROM songs ORDER BY name").fetchall()
        songs = [Song.from_row(row) for row in rows]
        if scope == "all":
            return songs
        from dropper.annotations import decisions

        state = decisions(self)
        if scope == "candidates":
            return [song for song in songs if state[song.id].decision != "reject"]
        keep_unreviewed = self.config.curate.keep_unreviewed
        return [song for song in songs
                if state[song.id].decision == "keep"
                or (state[song.id].decision is None and keep_unreviewed)]

    def find_song(self, ref: str) -> Song:
        """A song by name, numeric id, file name or a hash prefix of >= 6 hex digits."""
        ref = ref.strip()
        row = self.db.execute("SELECT * FROM songs WHERE name = ?", (ref,)).fetchone()
        if row is None and ref.isdigit():
            row = self.db.execute("SELECT * FROM songs WHERE id = ?", (int(ref),)).fetchone()
        if row is None:
            row = self.db.execute("SELECT * FROM songs WHERE path = ? OR path LIKE ?",
                                  (ref, f"%/{ref}")).fetchone()
        if row is None and len(ref) >= 6 and all(c in "0123456789abcdef" for c in ref.lower()):
            rows = self.db.execute("SELECT * FROM songs WHERE sha256 LIKE ?",
                                   (ref.lower() + "%",)).fetchall()
            if len(rows) > 1:
                raise SongNotFound(f"song {ref!r}: the hash prefix matches {len(rows)} songs; give more digits")
            row = rows[0] if rows else None
        if row is None:
            raise SongNotFound(f"song {ref!r}: no such song in {self.root} (see: dropper status --songs)")
        return Song.from_row(row)

    def content_hash(self, path: str | os.PathLike) -> str:
        """SHA-256 of a file, reused from dropper.db while its size and mtime are unchanged."""
        path = Path(path)
        stat = path.stat()
        key = str(path.resolve())
        row = self.db.execute("SELECT size_bytes, mtime_ns, sha256 FROM file_hashes WHERE path = ?",
                              (key,)).fetchone()
        if row and row["size_bytes"] == stat.st_size and row["mtime_ns"] == stat.st_mtime_ns:
            return str(row["sha256"])
        sha = sha256_file(path)
        self.db.execute("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)",
                        (key, stat.st_size, stat.st_mtime_ns, sha))
        return sha

    # Stage results -----------------------------------------------------------------------
    def latest_result(self, song: Song | str, stage: str) -> dict[str, Any] | None:
        """The newest successful result of ``stage`` for a song (or a content hash), or None."""
        sha256 = song if isinstance(song, str) else song.sha256
        row = self.db.execute(
            "SELECT result FROM results WHERE sha256 = ? AND stage = ? AND status = 'ok' "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1", (sha256, stage)).fetchone()
        return json.loads(row["result"]) if row else None


def init(root: str | os.PathLike, *, title: str = "Untitled Drop",
         artist: str = "Unknown Artist") -> Path:
    """Create a drop folder with a commented drop.toml and an empty songs/ folder."""
    root = Path(root)
    target = root / config_module.CONFIG_NAME
    if target.exists():
        raise ConfigError(f"{target}: already exists; edit it, or remove it to start over")
    (root / "songs").mkdir(parents=True, exist_ok=True)
    write_text(target, config_module.template(title=title, artist=artist))
    db.connect(root / db.DB_NAME).close()
    return target
