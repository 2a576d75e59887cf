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
    # 3: per-port analog line settings (ring cadence, caller ID, hook flash window,
    # answer detection, disconnect supervision, stuck-line guard, learned tone).
    """
    CREATE TABLE analog_ports (
        port               TEXT PRIMARY KEY,
        ring_country       TEXT,
        caller_id          TEXT NOT NULL DEFAULT 'country',
        call_waiting       INTEGER NOT NULL DEFAULT 1,
        flash_min          REAL NOT NULL DEFAULT 0.08,
        flash_max          REAL NOT NULL DEFAULT 0.6,
        interdigit_timeout REAL NOT NULL DEFAULT 4,
        message_waiting    TEXT NOT NULL DEFAULT 'stutter',
        howler_after       REAL NOT NULL DEFAULT 60,
        answer_detection   TEXT NOT NULL DEFAULT 'polarity',
        answer_delay       REAL NOT NULL DEFAULT 0,
        disconnect_by      TEXT NOT NULL DEFAULT 'loop-current,polarity,tone,silence',
        silence_disconnect REAL NOT NULL DEFAULT 60,
        max_call_duration  REAL NOT NULL DEFAULT 14400,
        max_silence        REAL NOT NULL DEFAULT 600,
        disconnect_profile TEXT
    );
    """,
    # 4: E1 spans, routes by the number dialled (DID), and outbound routes by
    # prefix to trunk groups.
    """
    CREATE TABLE spans (
        id             INTEGER PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        role           TEXT NOT NULL DEFAULT 'te',
        framing        TEXT NOT NULL DEFAULT 'ccs',
        crc4           INTEGER NOT NULL DEFAULT 1,
        line_code      TEXT NOT NULL DEFAULT 'hdb3',
        clock_priority INTEGER NOT NULL DEFAULT 1,
        line_build_out INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE did_routes (
        id          INTEGER PRIMARY KEY,
        did         TEXT NOT NULL UNIQUE,
        destination TEXT NOT NULL
    );
    CREATE TABLE trunk_groups (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE trunk_group_members (
        group_id INTEGER NOT NULL REFERENCES trunk_groups(id) ON DELETE CASCADE,
        trunk    TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (group_id, trunk)
    );
    CREATE TABLE outbound_routes (
        id             INTEGER PRIMARY KEY,
        prefix         TEXT NOT NULL UNIQUE,
        trunk_group    TEXT NOT NULL,
        strip          INTEGER NOT NULL DEFAULT 0,
        prepend        TEXT NOT NULL DEFAULT '',
        calling_number TEXT,
        restricted     INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 5: the full ACD: agents' skills, queue settings (wrap-up, skills,
    # overflow, limits, priorities) and the agent state log. Skills and
    # priority callers are JSON objects.
    """
    ALTER TABLE agents ADD COLUMN skills TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE queues ADD COLUMN service_level REAL NOT NULL DEFAULT 20;
    ALTER TABLE queues ADD COLUMN wrapup REAL NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD COLUMN autopause_rings INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD COLUMN skills TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE queues ADD COLUMN skill_widen_after REAL NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD COLUMN skill_widen_step INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE queues ADD COLUMN max_length INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD COLUMN exit_destination TEXT NOT NULL DEFAULT '';
    ALTER TABLE queues ADD COLUMN join_empty INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE queues ADD COLUMN leave_empty INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD COLUMN overflow_queue TEXT NOT NULL DEFAULT '';
    ALTER TABLE queues ADD COLUMN overflow_after REAL NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD COLUMN overflow_predicted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD COLUMN priority_callers TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE agent_state_log (
        id     INTEGER PRIMARY KEY,
        time   REAL NOT NULL,
        agent  TEXT NOT NULL,
        state  TEXT NOT NULL,
        reason TEXT
    );
    CREATE INDEX agent_state_log_time ON agent_state_log(time);
    """,
    # IVR flows become versioned graphs (every save is kept, one version is
    # active and copied into ivr_flows.definition, which the daemon reads);
    # schedules for business hours; voicemail messages.
    """
    CREATE TABLE ivr_flow_versions (
        id         INTEGER PRIMARY KEY,
        flow_id    INTEGER NOT NULL REFERENCES ivr_flows(id) ON DELETE CASCADE,
        version    INTEGER NOT NULL,
        definition TEXT NOT NULL,
        created    REAL NOT NULL,
        UNIQUE (flow_id, version)
    );
    ALTER TABLE ivr_flows ADD COLUMN active_version INTEGER NOT NULL DEFAULT 1;
    INSERT INTO ivr_flow_versions (flow_id, version, definition, created)
        SELECT id, 1, definition, CAST(strftime('%s', 'now') AS REAL) FROM ivr_flows;
    CREATE TABLE schedules (
        id       INTEGER PRIMARY KEY,
        name     TEXT NOT NULL UNIQUE,
        timezone TEXT NOT NULL,
        hours    TEXT NOT NULL,
        holidays TEXT NOT NULL
    );
    CREATE TABLE voicemail (
        id            INTEGER PRIMARY KEY,
        call_id       TEXT NOT NULL,
        mailbox       TEXT NOT NULL,
        flow          TEXT,
        caller_number TEXT,
        created       REAL NOT NULL,
        seconds       REAL NOT NULL,
        path          TEXT NOT NULL
    );
    CREATE INDEX voicemail_created ON voicemail(created);
    """,
    # What a waiting caller hears, in-queue callback and call recording per queue;
    # recordings listed with their call; every use of listen/whisper/barge.
    """
    ALTER TABLE queues ADD COLUMN hold_music TEXT NOT NULL DEFAULT '';
    ALTER TABLE queues ADD COLUMN announce_every REAL NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD COLUMN announce_position INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE queues ADD COLUMN announce_wait INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE queues ADD COLUMN language TEXT NOT NULL DEFAULT '';
    ALTER TABLE queues ADD COLUMN callback_digit TEXT NOT NULL DEFAULT '';
    ALTER TABLE queues ADD COLUMN record_percent INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE queues ADD COLUMN record_notice TEXT NOT NULL DEFAULT '';
    CREATE TABLE recordings (
        id            INTEGER PRIMARY KEY,
        call_id       TEXT NOT NULL,
        queue         TEXT,
        agent         TEXT,
        caller_number TEXT,
        started       REAL NOT NULL,
        seconds       REAL NOT NULL,
        bytes         INTEGER NOT NULL,
        path          TEXT NOT NULL
    );
    CREATE INDEX recordings_started ON recordings(started);
    CREATE INDEX recordings_call ON recordings(call_id);
    CREATE TABLE supervision_log (
        id         INTEGER PRIMARY KEY,
        time       REAL NOT NULL,
        supervisor TEXT NOT NULL,
        call_id    TEXT NOT NULL,
        agent      TEXT,
        mode       TEXT NOT NULL,
        event      TEXT NOT NULL
    );
    CREATE INDEX supervision_log_time ON supervision_log(time);
    """,
    # Clients of a center serving several companies: each owns routes (lines
    # and DIDs), flows and queues through a nullable client_id; agents' PINs
    # for their own page; disposition codes set on finished calls.
    """
    CREATE TABLE clients (
        id                INTEGER PRIMARY KEY,
        name              TEXT NOT NULL UNIQUE,
        script            TEXT NOT NULL DEFAULT '',
        pricing           TEXT NOT NULL DEFAULT 'per-minute',
        price             TEXT NOT NULL DEFAULT '0',
        currency          TEXT NOT NULL DEFAULT 'PLN',
        increment         INTEGER NOT NULL DEFAULT 60,
        disposition_codes TEXT NOT NULL DEFAULT ''
    );
    ALTER TABLE inbound_routes ADD COLUMN client_id INTEGER
        REFERENCES clients(id) ON DELETE SET NULL;
    ALTER TABLE did_routes ADD COLUMN client_id INTEGER
        REFERENCES clients(id) ON DELETE SET NULL;
    ALTER TABLE ivr_flows ADD COLUMN client_id INTEGER
        REFERENCES clients(id) ON DELETE SET NULL;
    ALTER TABLE queues ADD COLUMN client_id INTEGER
        REFERENCES clients(id) ON DELETE SET NULL;
    ALTER TABLE agents ADD COLUMN pin_hash TEXT;
    CREATE TABLE call_dispositions (
        cdr_id  INTEGER PRIMARY KEY REFERENCES cdr(id) ON DELETE CASCADE,
        call_id TEXT NOT NULL,
        agent   TEXT NOT NULL,
        client  TEXT,
        code    TEXT NOT NULL,
        time    REAL NOT NULL
    );
    """,
    # Remote agents: reached on their own phone number over a trunk instead of
    # an FXS port (port is then ''), per call or on a nailed-up line.
    """
    ALTER TABLE agents ADD COLUMN remote_number TEXT NOT NULL DEFAULT '';
    ALTER TABLE agents ADD COLUMN remote_mode TEXT NOT NULL DEFAULT 'per-call';
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
