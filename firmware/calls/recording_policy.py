"""Which calls are recorded, the notice callers hear first, and how long recordings stay.

Each queue records all, a percentage, or none of its answered calls
(``record_percent``). The choice is made when the caller joins the queue, so a
caller whose call will be recorded hears the notice before anything else, as
the law in most of Europe asks; a caller who is not told is never recorded.
Recording starts when an agent answers, in stereo on the caller's channel:
the caller on the left, the agent on the right. The file is listed with its
call (a :class:`~firmware.store.recordings.CallRecording` row).

Recordings are kept for the box's retention days and within its disk quota:
a periodic sweep (:class:`RecordingSweeper`, on the box's clock) deletes the
expired ones, then the oldest until the rest fit the quota. The sweep touches
the disk, so the daemon runs it on a worker thread; deciding what to delete
(:func:`plan_sweep`) is pure and tested alone.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from firmware.calls.model import Call
from firmware.calls.queue_experience import phrase
from firmware.calls.timers import TimerHandle, Timers
from firmware.media.engine import MediaEngine, MediaError
from firmware.store import sync
from firmware.store.models import Language, Queue
from firmware.store.recordings import (
    CallRecording,
    RecordingLimits,
    delete_recording_rows,
    get_limits,
    oldest_recordings,
)

log = logging.getLogger(__name__)

KEY_PREFIX = "call-"
DAY_SECONDS = 86400.0
SWEEP_SECONDS = 600.0


@dataclass
class _Active:
    call_id: str
    queue: str | None
    agent: str | None
    caller_number: str | None
    started: float


class RecordingPolicy:
    """Decides per call, plays the notice through the caller's queue, records on answer."""

    def __init__(
        self,
        engine: MediaEngine,
        record: Callable[[CallRecording], None],
        publish: Callable[[dict], None],
        wall: Callable[[], float],
        rng: random.Random | None = None,
    ) -> None:
        self._engine = engine
        self._record = record
        self._publish = publish
        self._wall = wall
        self._rng = rng or random.Random()
        self._queues: dict[str, Queue] = {}
        self._chosen: set[str] = set()
        self._active: dict[str, _Active] = {}

    def configure(self, queues: Sequence[Queue]) -> None:
        self._queues = {q.name: q for q in queues}

    def decide(self, call_id: str, queue: str) -> bool:
        """Whether ``call_id``, joining ``queue``, will be recorded; decided once per call."""
        if call_id in self._chosen:
            return True
        config = self._queues.get(queue)
        percent = config.record_percent if config is not None else 0
        chosen = percent >= 100 or (percent > 0 and self._rng.random() * 100 < percent)
        if chosen:
            self._chosen.add(call_id)
        return chosen

    def will_record(self, call_id: str) -> bool:
        return call_id in self._chosen

    def notice(self, queue: str, lang: Language) -> str:
        """The prompt that tells the caller of ``queue`` that the call is recorded."""
        config = self._queues.get(queue)
        if config is not None and config.record_notice:
            return config.record_notice
        return phrase(lang, "queue-recorded")

    def call_connected(self, call: Call) -> None:
        """An agent answered: record the call if it was chosen (and is not recorded yet)."""
        key = KEY_PREFIX + call.id
        if call.id not in self._chosen or key in self._active:
            return
        try:
            self._engine.start_recording(call.port, key, stereo=True)
        except MediaError as exc:
            log.error("call %s not recorded: %s", call.id, exc)
            return
        self._active[key] = _Active(
            call.id, call.queue, call.agent, call.caller_number, self._wall()
        )
        self._publish({"type": "recording-started", "call_id": call.id})

    def call_ended(self, call_id: str) -> None:
        """Forget the choice; the recording itself ends with the channel's reset."""
        self._chosen.discard(call_id)

    def finished(
        self, key: str, path: str | None, seconds: float, error: str | None, now: float
    ) -> bool:
        """A recording's file is complete: list it with its call. False if not ours."""
        active = self._active.pop(key, None)
        if active is None:
            return False
        if path is None:
            log.error("recording of call %s was not saved: %s", active.call_id, error)
            return True
        try:
            size = os.stat(path).st_size
        except OSError as exc:
            log.error("recording of call %s vanished: %s", active.call_id, exc)
            return True
        self._record(CallRecording(
            None, active.call_id, active.queue, active.agent, active.caller_number,
            active.started, round(seconds, 2), size, path,
        ))
        self._publish({"type": "recording", "call_id": active.call_id,
                       "seconds": round(seconds, 2)})
        return True


# --- retention and quota ------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did."""

    deleted: int
    freed_bytes: int
    kept: int
    kept_bytes: int


def plan_sweep(
    oldest_first: Sequence[CallRecording], now_wall: float, limits: RecordingLimits
) -> list[CallRecording]:
    """The recordings to delete: every expired one, then the oldest until the rest fit.

    ``oldest_first`` is every recording, oldest first.
    """
    cutoff = now_wall - limits.retention_days * DAY_SECONDS
    doomed = [r for r in oldest_first if r.started < cutoff]
    kept = [r for r in oldest_first if r.started >= cutoff]
    total = sum(r.bytes for r in kept)
    for recording in kept:
        if total <= limits.quota_bytes:
            break
        doomed.append(recording)
        total -= recording.bytes
    return doomed


def sweep_recordings(database: str, directory: Path, now_wall: float) -> SweepResult:
    """Apply the stored limits: delete the files and rows :func:`plan_sweep` picks.

    Blocking (disk and database): the daemon runs it on a worker thread. Only
    files inside ``directory`` are ever deleted, whatever a row says.
    """
    conn = sync.connect(database)
    try:
        limits = get_limits(conn)
        everything = oldest_recordings(conn)
        doomed = plan_sweep(everything, now_wall, limits)
        root = directory.resolve()
        for recording in doomed:
            path = Path(recording.path).resolve()
            if path.parent != root:
                log.error("recording %s is outside %s; row dropped, file left", path, root)
                continue
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.error("cannot delete recording %s: %s", path, exc)
        delete_recording_rows(conn, [r.id for r in doomed if r.id is not None])
    finally:
        conn.close()
    freed = sum(r.bytes for r in doomed)
    total = sum(r.bytes for r in everything)
    if doomed:
        log.info("recordings sweep: %d deleted, %d bytes freed", len(doomed), freed)
    return SweepResult(len(doomed), freed, len(everything) - len(doomed), total - freed)


class RecordingSweeper:
    """Runs ``sweep`` every ``every`` seconds of box time, from the call layer's timers."""

    def __init__(self, timers: Timers, sweep: Callable[[], None], every: float = SWEEP_SECONDS):
        self._timers = timers
        self._sweep = sweep
        self._every = every
        self._timer: TimerHandle | None = None

    def start(self, now: float) -> None:
        self.stop()
        self._timer = self._timers.call_at(now + self._every, self._run)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _run(self, now: float) -> None:
        self._timer = self._timers.call_at(now + self._every, self._run)
        self._sweep()
