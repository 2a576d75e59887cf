"""The daemon's async store and the record writer: nothing submitted is lost or reordered."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from firmware.store import sync
from firmware.store.db import Record, Store, StoreError
from firmware.store.models import Cdr, QueueLogEntry
from firmware.store.writer import RecordWriter, WriterError


def _cdr(n: int) -> Cdr:
    return Cdr(
        call_id=f"call-{n}",
        start=1000.0 + n,
        answer=1003.0 + n,
        end=1030.0 + n,
        port="fxo1",
        direction="in",
        caller_number="601000" + str(n),
        caller_name=None,
        destination="ivr:main",
        queue="sales",
        agent="Agent 1",
        disposition="answered",
        duration=30.0,
        billsec=27.0,
    )


def _entry(n: int) -> QueueLogEntry:
    return QueueLogEntry(1000.0 + n, f"call-{n}", "sales", None, "enter", None)


async def _drained(writer: RecordWriter) -> None:
    """drain(), bounded so a writer that loses a record fails the test instead of hanging it."""
    await asyncio.wait_for(writer.drain(), timeout=10)


def _stored(db_path: str) -> tuple[list[Cdr], list[QueueLogEntry]]:
    """What a fresh connection reads back, oldest first."""
    conn = sync.connect(db_path)
    try:
        return sync.list_cdr(conn, limit=100_000)[::-1], sync.list_queue_log(conn, 100_000)[::-1]
    finally:
        conn.close()


def test_open_creates_and_migrates_the_database(tmp_path: Path) -> None:
    path = tmp_path / "var" / "box.db"

    async def scenario() -> None:
        store = await Store.open(str(path))
        await store.set_setting("country", "DE")
        assert await store.get_setting("country") == "DE"
        assert await store.get_setting("missing", "x") == "x"
        await store.close()

    asyncio.run(scenario())
    assert path.exists()


def test_in_memory_database_is_refused() -> None:
    with pytest.raises(StoreError, match="database file"):
        asyncio.run(Store.open(":memory:"))


def test_closed_store_refuses_work(db_path: str) -> None:
    async def scenario() -> None:
        store = await Store.open(db_path)
        await store.close()
        await store.close()
        with pytest.raises(StoreError, match="closed"):
            await store.load_config()

    asyncio.run(scenario())


def test_writer_stores_every_record_in_submission_order(db_path: str) -> None:
    records: list[Record] = [_cdr(n) if n % 3 else _entry(n) for n in range(1200)]

    async def scenario() -> None:
        store = await Store.open(db_path)
        writer = RecordWriter(store)
        task = asyncio.create_task(writer.run())
        for record in records[:700]:
            writer.submit(record)
        await _drained(writer)
        for record in records[700:]:
            writer.submit(record)
        await _drained(writer)
        assert writer.pending == 0
        await writer.close()
        await task
        await store.close()

    asyncio.run(scenario())
    cdrs, entries = _stored(db_path)
    assert cdrs == [r for r in records if isinstance(r, Cdr)]
    assert entries == [r for r in records if isinstance(r, QueueLogEntry)]


def test_drain_returns_only_once_records_are_committed(db_path: str) -> None:
    async def scenario() -> list[Cdr]:
        store = await Store.open(db_path)
        writer = RecordWriter(store)
        task = asyncio.create_task(writer.run())
        writer.submit(_cdr(1))
        writer.submit(_cdr(2))
        await _drained(writer)
        seen, _ = _stored(db_path)  # another connection, while the writer is still open
        await writer.close()
        await task
        await store.close()
        return seen

    assert asyncio.run(scenario()) == [_cdr(1), _cdr(2)]


class _FlakyStore:
    """A store whose disk refuses the first writes, or refuses one record for good."""

    def __init__(self, store: Store, refusals: int = 0, poison: Record | None = None) -> None:
        self.store = store
        self.refusals = refusals
        self.poison = poison
        self.batches: list[int] = []

    async def add_records(self, records: Sequence[Record]) -> None:
        self.batches.append(len(records))
        await asyncio.sleep(0)  # a real write gives the loop a turn too
        if self.refusals:
            self.refusals -= 1
            raise sqlite3.OperationalError("disk I/O error")
        if self.poison in records:
            raise sqlite3.IntegrityError("NOT NULL constraint failed")
        await self.store.add_records(records)


def test_writer_retries_when_disk_refuses_and_loses_nothing(db_path: str) -> None:
    async def scenario() -> list[int]:
        store = await Store.open(db_path)
        flaky = _FlakyStore(store, refusals=2)
        writer = RecordWriter(flaky, retry_delay=0)  # type: ignore[arg-type]
        task = asyncio.create_task(writer.run())
        for n in range(10):
            writer.submit(_cdr(n))
        await _drained(writer)
        await writer.close()
        await task
        await store.close()
        return flaky.batches

    batches = asyncio.run(scenario())
    assert len(batches) >= 3
    assert _stored(db_path)[0] == [_cdr(n) for n in range(10)]


def test_record_the_database_refuses_is_dropped_and_others_kept(db_path: str) -> None:
    async def scenario() -> None:
        store = await Store.open(db_path)
        flaky = _FlakyStore(store, poison=_cdr(3))
        writer = RecordWriter(flaky, retry_delay=0)  # type: ignore[arg-type]
        for n in range(6):
            writer.submit(_cdr(n))
        task = asyncio.create_task(writer.run())
        await _drained(writer)
        await writer.close()
        await task
        await store.close()

    asyncio.run(scenario())
    assert _stored(db_path)[0] == [_cdr(n) for n in (0, 1, 2, 4, 5)]


def test_close_without_a_running_task_writes_what_is_pending(db_path: str) -> None:
    async def scenario() -> None:
        store = await Store.open(db_path)
        writer = RecordWriter(store)
        writer.submit(_entry(1))
        writer.submit(_cdr(2))
        await writer.close()
        with pytest.raises(WriterError, match="closed"):
            writer.submit(_cdr(3))
        await store.close()

    asyncio.run(scenario())
    assert _stored(db_path) == ([_cdr(2)], [_entry(1)])


def test_drain_reports_a_writer_task_that_was_cancelled(db_path: str) -> None:
    async def scenario() -> None:
        store = await Store.open(db_path)
        broken = _FlakyStore(store, refusals=10**6)
        writer = RecordWriter(broken, retry_delay=60)  # type: ignore[arg-type]
        task = asyncio.create_task(writer.run())
        writer.submit(_cdr(1))
        drained = asyncio.create_task(writer.drain())
        while not broken.batches:  # let the task start and meet the refusing disk
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(WriterError, match="1 records unwritten"):
            await asyncio.wait_for(drained, timeout=5)
        await store.close()

    asyncio.run(scenario())


def test_writer_refuses_what_is_not_a_record(db_path: str) -> None:
    async def scenario() -> None:
        store = await Store.open(db_path)
        writer = RecordWriter(store)
        bad: Any = {"call_id": "x"}
        with pytest.raises(WriterError, match="not a call record"):
            writer.submit(bad)
        assert writer.pending == 0
        await store.close()

    asyncio.run(scenario())


def test_sync_and_async_views_agree(db_path: str) -> None:
    conn = sync.connect(db_path)
    sync.save_agent(conn, {"name": "Ann", "extension": "201", "port": "fxs1"})

    async def scenario() -> None:
        store = await Store.open(db_path)
        await store.record_card_ports(["fxs1", "fxs2", "fxo1"])
        await store.seed_defaults(["fxs1", "fxs2"], ["fxo1"])  # configured: not seeded
        sync.save_queue(conn, {"name": "sales", "strategy": "ring-all", "members": ["Ann"]})
        sync.save_flow(
            conn, "main", {"start": "q", "nodes": {"q": {"type": "queue", "queue": "sales"}}}
        )
        sync.save_route(conn, {"port": "fxo1", "destination": "ivr:main"})
        sync.set_setting(conn, "country", "CZ")
        await store.add_cdr(_cdr(1))
        await store.add_queue_log(_entry(1))
        config = await store.load_config()
        assert config == sync.load_config(conn)
        assert config.country == "CZ"
        assert [a.name for a in config.agents] == ["Ann"]
        assert sync.card_ports(conn) == ["fxs1", "fxs2", "fxo1"]
        assert sync.list_cdr(conn) == [_cdr(1)]
        assert sync.list_queue_log(conn) == [_entry(1)]
        await store.close()

    try:
        asyncio.run(scenario())
    finally:
        conn.close()
