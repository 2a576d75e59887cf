"""Writes call records off the call path, in order, in batched transactions.

The call layer must never wait on the disk: it hands a finished CDR, queue
log entry or agent state change to :meth:`RecordWriter.submit` and carries on. A task running
:meth:`RecordWriter.run` writes everything pending as one transaction, so a
burst of records costs one fsync rather than one each.

A disk that refuses a write (full, locked, failing) is retried after
``retry_delay`` seconds without losing or reordering anything. A record the
database rejects outright is written alone, then dropped with an error in the
log, so one bad record cannot hold back every later one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections import deque

from firmware.store.db import Record, Store
from firmware.store.models import AgentStateEntry, Cdr, QueueLogEntry, VoicemailMessage
from firmware.store.recordings import CallRecording, SupervisionEntry

log = logging.getLogger(__name__)

MAX_BATCH = 500
_RECORD_TYPES = (
    Cdr, QueueLogEntry, AgentStateEntry, VoicemailMessage, CallRecording, SupervisionEntry,
)


class WriterError(RuntimeError):
    """The writer cannot do what was asked (closed, or its task has stopped)."""


class RecordWriter:
    """A submission queue of call records in front of a :class:`Store`.

    ``submit`` is called on the event loop thread; ``run`` is one task of the
    daemon; ``drain`` waits for what was submitted so far; ``close`` writes
    what is left and ends ``run``.
    """

    def __init__(self, store: Store, *, retry_delay: float = 1.0) -> None:
        self._store = store
        self._retry_delay = retry_delay
        self._pending: deque[Record] = deque()
        self._submitted = 0
        self._settled = 0  # written, or dropped after the database refused them
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._closing = False
        self._close_requested = asyncio.Event()
        self._running = False
        self._stopped: asyncio.Event | None = None
        self._failure: BaseException | None = None

    @property
    def pending(self) -> int:
        """Records submitted and not yet settled."""
        return self._submitted - self._settled

    def submit(self, record: Record) -> None:
        """Queue a record for writing; never blocks."""
        if self._closing:
            raise WriterError("the record writer is closed; the record was not queued")
        if not isinstance(record, _RECORD_TYPES):
            raise WriterError(f"not a call record: {record!r}")
        self._pending.append(record)
        self._submitted += 1
        self._wake.set()

    async def run(self) -> None:
        """Write pending records until :meth:`close`; the daemon runs this as a task."""
        if self._running:
            raise WriterError("the record writer is already running")
        self._running = True
        self._failure = None
        self._stopped = asyncio.Event()
        try:
            while True:
                if not self._pending:
                    if self._closing:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                written = await self._write_batch()
                if not written and self._closing:
                    await self._drop_pending()
                    return
                if not written:
                    await self._pause()
        except BaseException as exc:
            self._failure = exc
            raise
        finally:
            self._running = False
            self._stopped.set()
            async with self._progress:
                self._progress.notify_all()

    async def drain(self) -> None:
        """Return once every record submitted before this call is written.

        Raises :class:`WriterError` if the ``run`` task ends first.
        """
        target = self._submitted
        async with self._progress:
            while self._settled < target:
                if self._failure is not None or (self._stopped is not None and not self._running):
                    raise WriterError(
                        f"the record writer stopped with {target - self._settled} records unwritten"
                    )
                await self._progress.wait()

    async def close(self) -> None:
        """Refuse new records, write the pending ones, and end ``run``."""
        self._closing = True
        self._close_requested.set()
        self._wake.set()
        if self._running and self._stopped is not None:
            await self._stopped.wait()
        elif not await self._write_all():
            # No task was running, so this wrote what was left, and the disk refused it.
            await self._drop_pending()

    async def _drop_pending(self) -> None:
        lost = len(self._pending)
        log.error("store unwritable while closing; %d call records lost", lost)
        self._pending.clear()
        await self._settle(lost)

    async def _write_all(self) -> bool:
        while self._pending:
            if not await self._write_batch():
                return False
        return True

    async def _write_batch(self) -> bool:
        """Write the oldest pending records; False when the disk refused and they stay queued."""
        batch = [self._pending[i] for i in range(min(MAX_BATCH, len(self._pending)))]
        try:
            await self._store.add_records(batch)
        except sqlite3.OperationalError as exc:
            log.warning("cannot write %d call records yet: %s", len(batch), exc)
            return False
        except sqlite3.Error as exc:
            log.warning("a call record was refused (%s); writing the batch one by one", exc)
            return await self._write_singly(len(batch))
        for _ in batch:
            self._pending.popleft()
        await self._settle(len(batch))
        return True

    async def _write_singly(self, count: int) -> bool:
        for _ in range(count):
            record = self._pending[0]
            try:
                await self._store.add_records((record,))
            except sqlite3.OperationalError as exc:
                log.warning("cannot write call records yet: %s", exc)
                return False
            except sqlite3.Error as exc:
                log.error("dropping a call record the database refuses (%s): %r", exc, record)
            self._pending.popleft()
            await self._settle(1)
        return True

    async def _settle(self, count: int) -> None:
        self._settled += count
        async with self._progress:
            self._progress.notify_all()

    async def _pause(self) -> None:
        """Wait before retrying, cut short by close() so shutdown is not delayed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._close_requested.wait(), self._retry_delay)
