"""dropper.db: ordered migrations recorded in the database; STRICT tables."""

from __future__ import annotations

import sqlite3

import pytest

from dropper import db
from dropper.errors import DropperError


def test_new_database_is_migrated_and_recorded(tmp_path):
    connection = db.connect(tmp_path / "dropper.db")
    assert db.schema_version(connection) == len(db.MIGRATIONS)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"songs", "results", "runs", "events", "file_hashes", "schema_migrations"} <= tables
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    connection.close()
    again = db.connect(tmp_path / "dropper.db")  # reopening applies nothing twice
    assert again.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(db.MIGRATIONS)


def test_tables_are_strict(tmp_path):
    connection = db.connect(tmp_path / "dropper.db")
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute("INSERT INTO file_hashes VALUES ('p', 'not a number', 0, 'x')")


def test_newer_database_is_refused(tmp_path):
    connection = db.connect(tmp_path / "dropper.db")
    connection.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'now')")
    connection.close()
    with pytest.raises(DropperError, match="newer than this dropper"):
        db.connect(tmp_path / "dropper.db")
