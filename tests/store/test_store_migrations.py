"""Schema migrations: from an empty file, idempotent, and carrying old data forward."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pytest_mock import MockerFixture

from firmware.store import migrations, sync

TABLES = {
    "settings",
    "agents",
    "queues",
    "queue_members",
    "ivr_flows",
    "inbound_routes",
    "cdr",
    "queue_log",
}


def _tables(conn: sqlite3.Connection) -> set[str]:
    found = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in found}


def test_connect_creates_folder_and_full_schema_in_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "box.db"
    conn = sync.connect(str(path))
    try:
        assert path.exists()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.schema_version()
        assert _tables(conn) >= TABLES
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_connection_is_safe_against_power_cut_and_enforces_references(
    conn: sqlite3.Connection,
) -> None:
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert conn.row_factory is sqlite3.Row


def test_migrate_twice_changes_nothing(db_path: str) -> None:
    conn = sync.connect(db_path)
    before = list(conn.iterdump())
    assert migrations.migrate(conn) == migrations.schema_version()
    assert list(conn.iterdump()) == before
    conn.close()
    again = sync.connect(db_path)
    assert list(again.iterdump()) == before
    again.close()


def test_migrate_reports_version_it_started_from(tmp_path: Path) -> None:
    conn = sqlite3.connect(str(tmp_path / "x.db"), isolation_level=None)
    assert migrations.migrate(conn) == 0
    assert migrations.migrate(conn) == migrations.schema_version()
    conn.close()


def test_database_from_newer_firmware_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "future.db")
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {migrations.schema_version() + 1}")
    raw.close()
    with pytest.raises(RuntimeError, match="newer than this firmware"):
        sync.connect(path)


def test_members_of_a_version_1_database_keep_their_order(tmp_path: Path) -> None:
    path = str(tmp_path / "v1.db")
    raw = sqlite3.connect(path, isolation_level=None)
    raw.executescript(f"BEGIN;\n{migrations.MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
    raw.executescript(
        """
        INSERT INTO agents (id, name, extension, port) VALUES (1, 'Ann', '101', 'fxs1');
        INSERT INTO agents (id, name, extension, port) VALUES (2, 'Bob', '102', 'fxs2');
        INSERT INTO agents (id, name, extension, port) VALUES (3, 'Cid', '103', 'fxs3');
        INSERT INTO queues (id, name) VALUES (1, 'sales');
        INSERT INTO queue_members (queue_id, agent_id) VALUES (1, 3);
        INSERT INTO queue_members (queue_id, agent_id) VALUES (1, 1);
        INSERT INTO queue_members (queue_id, agent_id) VALUES (1, 2);
        """
    )
    raw.close()
    conn = sync.connect(path)
    try:
        (queue,) = sync.list_queues(conn)
        assert queue.members == ("Cid", "Ann", "Bob")
    finally:
        conn.close()


def test_connect_survives_another_process_migrating_the_same_new_file(
    tmp_path: Path, mocker: MockerFixture
) -> None:
    path = str(tmp_path / "race.db")
    real_migrate = migrations.migrate
    raced = []

    def migrate_after_losing_the_race(conn: sqlite3.Connection) -> int:
        if not raced:
            raced.append(True)
            # The other process migrates first; this one still runs version 1's
            # script, as if it had read user_version before the other committed.
            other = sqlite3.connect(path, isolation_level=None)
            real_migrate(other)
            other.close()
            conn.executescript(f"BEGIN;\n{migrations.MIGRATIONS[0]}\nCOMMIT;")
        return real_migrate(conn)

    mocker.patch.object(migrations, "migrate", migrate_after_losing_the_race)
    conn = sync.connect(path)
    try:
        assert raced
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.schema_version()
        assert not conn.in_transaction
    finally:
        conn.close()


def test_broken_migration_is_not_retried_forever(tmp_path: Path, mocker: MockerFixture) -> None:
    failing = mocker.patch.object(
        migrations, "migrate", side_effect=sqlite3.OperationalError("disk I/O error")
    )
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        sync.connect(str(tmp_path / "x.db"))
    assert failing.call_count == 1
