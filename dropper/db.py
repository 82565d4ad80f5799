"""dropper.db: the drop's SQLite database, its schema and its ordered migrations.

Stdlib sqlite3 and plain SQL. Only the parent process writes; workers return results.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from dropper.errors import DropperError

DB_NAME = "dropper.db"

# Ordered migrations; each runs once and is recorded in schema_migrations (statements are split
# on semicolons: keep them out of comments). Never edit a
# released one: add the next.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("songs, results, runs, annotation events, file hashes", """
    CREATE TABLE songs (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        format TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        duration_s REAL NOT NULL,
        sample_rate INTEGER NOT NULL,
        channels INTEGER NOT NULL,
        frames INTEGER NOT NULL,
        temperature REAL,
        model TEXT,
        checkpoint TEXT,
        seed INTEGER,
        ingested_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        stage TEXT NOT NULL,
        params_hash TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        done INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'running'
            CHECK (status IN ('running', 'finished', 'interrupted'))
    ) STRICT;
    -- One row per (input content, stage, parameters): the cache of every automatic stage.
    CREATE TABLE results (
        sha256 TEXT NOT NULL,
        stage TEXT NOT NULL,
        params_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
        reason TEXT,
        result TEXT NOT NULL DEFAULT '{}',
        source TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id),
        created_at TEXT NOT NULL,
        PRIMARY KEY (sha256, stage, params_hash)
    ) STRICT;
    CREATE INDEX results_by_stage ON results(stage, status);
    -- Human decisions, append-only: the latest event of a kind that is not undone holds.
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        song_id INTEGER NOT NULL REFERENCES songs(id),
        kind TEXT NOT NULL
            CHECK (kind IN ('decision', 'style', 'tempo', 'distinctions', 'notes', 'title')),
        value TEXT NOT NULL,
        author TEXT NOT NULL,
        at TEXT NOT NULL,
        undone_by INTEGER REFERENCES events(id)
    ) STRICT;
    CREATE INDEX events_by_song ON events(song_id, kind);
    -- Content hashes of input files, reused while size and mtime are unchanged.
    CREATE TABLE file_hashes (
        path TEXT PRIMARY KEY,
        size_bytes INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL
    ) STRICT;
    """),
    ("clearance waivers and reference tracks", """
    -- A person's recorded decision to publish a song despite a clearance flag.
    CREATE TABLE waivers (
        id INTEGER PRIMARY KEY,
        song_id INTEGER NOT NULL REFERENCES songs(id),
        reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
        author TEXT NOT NULL,
        at TEXT NOT NULL,
        revoked_at TEXT
    ) STRICT;
    -- Where each reference (training catalog) track's audio is, for report excerpts.
    CREATE TABLE reference_tracks (
        sha256 TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        duration_s REAL NOT NULL,
        added_at TEXT NOT NULL
    ) STRICT;
    """),
    ("titles", """
    -- Titles given by `dropper title`. A human override (events, kind "title") wins over them.
    CREATE TABLE titles (
        song_id INTEGER PRIMARY KEY REFERENCES songs(id),
        title TEXT NOT NULL UNIQUE COLLATE NOCASE,
        settings_hash TEXT NOT NULL,
        assigned_at TEXT NOT NULL
    ) STRICT;
    """),
    ("file CIDs", """
    -- IPFS CIDs of output files, reused while size and mtime are unchanged.
    CREATE TABLE file_cids (
        path TEXT PRIMARY KEY,
        size_bytes INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        cid TEXT NOT NULL
    ) STRICT;
    """),
    ("publish records", """
    -- One row per contract deployment of the drop (owned by dropper/chain/publish.py).
    -- settings is the canonical JSON of the constructor arguments.
    CREATE TABLE deployments (
        id INTEGER PRIMARY KEY,
        chain_id INTEGER NOT NULL,
        network TEXT NOT NULL,
        settings_hash TEXT NOT NULL,
        settings TEXT NOT NULL,
        deployer TEXT NOT NULL,
        address TEXT,
        deploy_tx TEXT,
        block INTEGER,
        created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX deployments_by_network ON deployments(network, chain_id);
    -- Each transaction of a publish, so that a rerun continues where it stopped: a row is
    -- written as 'sent' before the transaction goes out, then marked 'mined' or 'failed'.
    CREATE TABLE chain_steps (
        deployment_id INTEGER NOT NULL REFERENCES deployments(id),
        step TEXT NOT NULL,
        tx_hash TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'mined', 'failed')),
        gas_used INTEGER,
        block INTEGER,
        at TEXT NOT NULL,
        PRIMARY KEY (deployment_id, step)
    ) STRICT;
    """),
    ("pins", """
    -- CIDs pinned to a target (a kubo RPC URL or a pinning service URL, owned by dropper/ipfs/pin.py).
    -- request_id is the pinning service's id for the request, followed up by a rerun.
    CREATE TABLE pins (
        target TEXT NOT NULL,
        cid TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'pinning', 'pinned', 'failed')),
        request_id TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (target, cid)
    ) STRICT;
    """),
    ("waiver scope", """
    -- What a waiver waived (owned by dropper/gate.py): JSON with the params hash of the clearance it
    -- was recorded against, that clearance's verdict and the (source, track) of each of its matches.
    -- NULL in waivers recorded before this column existed.
    ALTER TABLE waivers ADD COLUMN covers TEXT
    """),
)


def now() -> str:
    """UTC timestamp, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) a drop database and bring its schema up to date.

    A file that is not a readable SQLite database (truncated, overwritten, a folder) raises
    DropperError naming it; it is left as it is, since it may hold the only copy of human
    decisions.
    """
    try:
        connection = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise DropperError(f"{path}: cannot open the drop database ({exc})") from None
    try:
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA busy_timeout = 30000")
        migrate(connection)
    except sqlite3.DatabaseError as exc:
        connection.close()
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise DropperError(f"{path}: the drop database is locked by another dropper command; "
                               "wait for it to finish, then run again") from None
        raise DropperError(f"{path}: not a usable drop database ({exc}); restore it from a backup, "
                           "or move it aside and run again to start an empty one") from None
    return connection


def schema_version(connection: sqlite3.Connection) -> int:
    """Number of migrations applied."""
    row = connection.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
    return int(row[0])


def migrate(connection: sqlite3.Connection) -> int:
    """Apply the migrations this database lacks, each in its own transaction."""
    connection.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT""")
    current = schema_version(connection)
    if current > len(MIGRATIONS):
        raise DropperError(f"dropper.db has schema version {current}, newer than this dropper "
                           f"({len(MIGRATIONS)}): upgrade dropper")
    for version, (name, sql) in enumerate(MIGRATIONS[current:], start=current + 1):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in filter(str.strip, sql.split(";")):
                connection.execute(statement)
            connection.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, now()))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    return schema_version(connection)
