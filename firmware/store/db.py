"""Asynchronous access to the store for the daemon (aiosqlite).

The daemon reads its configuration here and writes call records. Every write
is one transaction committed with ``synchronous=FULL``: once a method returns,
the data survives a power cut. One :class:`Store` serialises its own
transactions with a lock, so concurrent tasks never interleave statements.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import aiosqlite

from firmware.store import recordings, rows, sync
from firmware.store.models import (
    AgentStateEntry,
    BoxConfig,
    Cdr,
    ConfigError,
    QueueLogEntry,
    VoicemailMessage,
)
from firmware.store.recordings import CallRecording, SupervisionEntry

Record = (
    Cdr | QueueLogEntry | AgentStateEntry | VoicemailMessage | CallRecording | SupervisionEntry
)
_INSERTS = {
    Cdr: (rows.CDR_INSERT, rows.cdr_params),
    QueueLogEntry: (rows.QUEUE_LOG_INSERT, rows.queue_log_params),
    AgentStateEntry: (rows.AGENT_STATE_INSERT, rows.agent_state_params),
    VoicemailMessage: (rows.VOICEMAIL_INSERT, rows.voicemail_params),
    CallRecording: (recordings.RECORDING_INSERT, recordings.recording_params),
    SupervisionEntry: (recordings.SUPERVISION_INSERT, recordings.supervision_params),
}


class StoreError(Exception):
    """The store cannot be opened or used as asked."""


class Store:
    """The daemon's handle on the box database; make one with :meth:`open`."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self._db = db
        self.path = path
        self._lock = asyncio.Lock()
        self._closed = False

    def __str__(self) -> str:
        return f"store {self.path}"

    @classmethod
    async def open(cls, path: str) -> Store:
        """Open the database at ``path``, creating and migrating it first if needed."""
        if path == ":memory:" or path.startswith("file:"):
            raise StoreError("the store needs a database file path, not an in-memory database")
        # Migrating through the sync path keeps one implementation of it; the
        # web UI may be migrating at the same time, and WAL plus the busy
        # timeout serialise the two.
        await asyncio.to_thread(_prepare, path)
        db = await aiosqlite.connect(
            path, timeout=sync.BUSY_TIMEOUT_MS / 1000, isolation_level=None
        )
        try:
            db.row_factory = sqlite3.Row
            await db.execute(f"PRAGMA busy_timeout={sync.BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA synchronous=FULL")
        except BaseException:
            await db.close()
            raise
        return cls(db, path)

    async def close(self) -> None:
        """Close the connection; later calls raise :class:`StoreError`."""
        if self._closed:
            return
        async with self._lock:
            self._closed = True
            await self._db.close()

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            self._check_open()
            yield self._db

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        async with self._lock:
            self._check_open()
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self} is closed")

    async def load_config(self) -> BoxConfig:
        """The whole configuration, read in one snapshot."""
        async with self._read() as db:
            await db.execute("BEGIN")
            try:
                agent_rows = await db.execute_fetchall(rows.AGENTS_SELECT)
                queue_rows = await db.execute_fetchall(rows.QUEUES_SELECT)
                member_rows = await db.execute_fetchall(rows.MEMBERS_SELECT)
                flow_rows = await db.execute_fetchall(rows.FLOWS_SELECT)
                route_rows = await db.execute_fetchall(rows.ROUTES_SELECT)
                schedule_rows = await db.execute_fetchall(rows.SCHEDULES_SELECT)
                country_rows = await db.execute_fetchall(rows.SETTING_SELECT, (rows.COUNTRY_KEY,))
                reason_rows = await db.execute_fetchall(
                    rows.SETTING_SELECT, (rows.PAUSE_REASONS_KEY,)
                )
            finally:
                await db.execute("COMMIT")
        country = next((r[0] for r in country_rows), None)
        reasons = next((r[0] for r in reason_rows), None)
        return rows.config_from_rows(
            agent_rows, queue_rows, member_rows, flow_rows, route_rows, country, reasons,
            schedule_rows,
        )

    async def seed_defaults(self, fxs: Sequence[str], fxo: Sequence[str]) -> bool:
        """Write the default configuration into an unconfigured, never seeded database.

        Returns whether it did. Runs the sync save path (one transaction) on a
        connection of its own, so defaults pass the very checks a technician's
        edits do.
        """
        async with self._read():
            return await asyncio.to_thread(_seed, self.path, tuple(fxs), tuple(fxo))

    async def get_setting(self, key: str, default: str | None = None) -> str | None:
        async with self._read() as db:
            found = await db.execute_fetchall(rows.SETTING_SELECT, (key,))
        return next((r[0] for r in found), default)

    async def set_setting(self, key: str, value: str) -> None:
        if not isinstance(key, str) or not key:
            raise ConfigError("key", "a setting needs a name")
        if not isinstance(value, str):
            raise ConfigError(key, "a setting's value must be text")
        async with self._write() as db:
            await db.execute(rows.SETTING_UPSERT, (key, value))

    async def record_card_ports(self, names: Sequence[str]) -> None:
        """Record the card's port names, which the web UI offers and checks ports against."""
        await self.set_setting(rows.CARD_PORTS_KEY, rows.encode_card_ports(names))

    async def set_agent_logged_in(self, name: str, logged_in: bool) -> None:
        """Record an agent's login or logout, so a restart or reload keeps it."""
        async with self._write() as db:
            cursor = await db.execute(rows.AGENT_LOGIN_UPDATE, (int(logged_in), name))
            if cursor.rowcount == 0:
                raise ConfigError("agent", f"no agent named {name!r}")

    async def add_cdr(self, cdr: Cdr) -> None:
        await self.add_records((cdr,))

    async def add_queue_log(self, entry: QueueLogEntry) -> None:
        await self.add_records((entry,))

    async def add_records(self, records: Sequence[Record]) -> None:
        """Write records in the given order, all in one transaction."""
        for record in records:
            if type(record) not in _INSERTS:
                raise StoreError(f"not a call record: {record!r}")
        if not records:
            return
        async with self._write() as db:
            for kind, run in itertools.groupby(records, type):
                statement, params_of = _INSERTS[kind]
                await db.executemany(statement, [params_of(r) for r in run])  # type: ignore[arg-type]


def _prepare(path: str) -> None:
    sync.connect(path).close()


def _seed(path: str, fxs: tuple[str, ...], fxo: tuple[str, ...]) -> bool:
    conn = sync.connect(path)
    try:
        return sync.seed_defaults(conn, fxs, fxo)
    finally:
        conn.close()
