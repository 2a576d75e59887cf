"""Numbered schema migrations, applied in order and recorded in ``PRAGMA user_version``.

A migration is never edited once released: a change to the schema is a new
entry at the end of :data:`MIGRATIONS`. Both the daemon (aiosqlite) and the web
UI (sqlite3) apply them, so whichever starts first creates the database.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: the walking skeleton's configuration and records.
    """
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE agents (
        id        INTEGER PRIMARY KEY,
        name      TEXT NOT NULL UNIQUE,
        extension TEXT NOT NULL UNIQUE,
        port      TEXT NOT NULL,
        logged_in INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE queues (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        strategy     TEXT NOT NULL DEFAULT 'longest-idle',
        ring_timeout REAL NOT NULL DEFAULT 15,
        retry_delay  REAL NOT NULL DEFAULT 2,
        max_wait     REAL NOT NULL DEFAULT 600
    );
    CREATE TABLE queue_members (
        queue_id INTEGER NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
        agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        PRIMARY KEY (queue_id, agent_id)
    );
    CREATE TABLE ivr_flows (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        definition TEXT NOT NULL
    );
    CREATE TABLE inbound_routes (
        id          INTEGER PRIMARY KEY,
        port        TEXT NOT NULL UNIQUE,
        destination TEXT NOT NULL
    );
    CREATE TABLE cdr (
        id            INTEGER PRIMARY KEY,
        call_id       TEXT NOT NULL,
        start         REAL NOT NULL,
        answer        REAL,
        end           REAL NOT NULL,
        port          TEXT NOT NULL,
        direction     TEXT NOT NULL,
        caller_number TEXT,
        caller_name   TEXT,
        destination   TEXT,
        queue         TEXT,
        agent         TEXT,
        disposition   TEXT NOT NULL,
        duration      REAL NOT NULL,
        billsec       REAL NOT NULL
    );
    CREATE INDEX cdr_start ON cdr(start);
    CREATE TABLE queue_log (
        id      INTEGER PRIMARY KEY,
        time    REAL NOT NULL,
        call_id TEXT NOT NULL,
        queue   TEXT NOT NULL,
        agent   TEXT,
        event   TEXT NOT NULL,
        data    TEXT
    );
    CREATE INDEX queue_log_time ON queue_log(time);
    """,
    # 2: queue members keep the order a linear queue hunts in; existing
    # members keep the order they were added in.
    """
    ALTER TABLE queue_members ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
    UPDATE queue_members SET position = rowid;
    """,
)


def schema_version() -> int:
    """The version a fully migrated database has."""
    return len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn`` to the newest schema; returns the version it was at.

    Each migration runs in one transaction with its version bump, so a power
    cut leaves the database at either the old or the new version.
    """
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    start = conn.execute("PRAGMA user_version").fetchone()[0]
    if start > len(MIGRATIONS):
        raise RuntimeError(
            f"database schema version {start} is newer than this firmware knows ({len(MIGRATIONS)})"
        )
    for version in range(start + 1, len(MIGRATIONS) + 1):
        script = MIGRATIONS[version - 1]
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    return start
