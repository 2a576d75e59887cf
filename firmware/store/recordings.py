"""Call recordings and the supervision log: records, their SQL, and the box-wide limits.

A queue's policy decides which calls are recorded (see
:mod:`firmware.calls.recording_policy`); each finished recording becomes a
:class:`CallRecording` row naming its call, so the web UI lists recordings with
the call they belong to. Every listen, whisper and barge leaves
:class:`SupervisionEntry` rows: who, on which call, in which mode, when.

The limits (how many days recordings are kept, how much disk they may use)
are settings of the box, not of a queue: the disk is shared.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from firmware.store import rows
from firmware.store.models import Cdr, ConfigError, NotFoundError, RecordError
from firmware.store.sync import get_setting, set_setting, transaction

RETENTION_KEY = "recording_retention_days"
QUOTA_KEY = "recording_quota_mb"
RETENTION_DAYS_DEFAULT = 90
QUOTA_MB_DEFAULT = 1024
RETENTION_DAYS_MAX = 3650
QUOTA_MB_MAX = 1_000_000


def _text(value: object, name: str, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise RecordError(f"{what} {name} must be non-empty text, not {value!r}")


def _optional_text(value: object, name: str, what: str) -> None:
    if value is not None and not isinstance(value, str):
        raise RecordError(f"{what} {name} must be text or None, not {value!r}")


def _seconds(value: object, name: str, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise RecordError(f"{what} {name} must be a number of seconds, not {value!r}")


@dataclass(frozen=True)
class CallRecording:
    """A recorded call: ``path`` is its WAV (caller left, agent right), ``started`` wall time."""

    id: int | None
    call_id: str
    queue: str | None
    agent: str | None
    caller_number: str | None
    started: float
    seconds: float
    bytes: int
    path: str

    def __post_init__(self) -> None:
        _text(self.call_id, "call_id", "recording")
        _text(self.path, "path", "recording")
        for name in ("queue", "agent", "caller_number"):
            _optional_text(getattr(self, name), name, "recording")
        _seconds(self.started, "started", "recording")
        _seconds(self.seconds, "seconds", "recording")
        if isinstance(self.bytes, bool) or not isinstance(self.bytes, int) or self.bytes < 0:
            raise RecordError(f"recording bytes must be a whole number >= 0, not {self.bytes!r}")


class SupervisionMode(enum.StrEnum):
    """How a supervisor joins a call (see firmware.media.mixing)."""

    LISTEN = "listen"  # hears both; nobody hears the supervisor
    WHISPER = "whisper"  # the agent hears the supervisor, the caller does not
    BARGE = "barge"  # all three hear each other


class SupervisionEvent(enum.StrEnum):
    """What a supervision log row records."""

    RING = "ring"  # the supervisor's phone is rung for the call
    START = "start"  # the supervisor is on the call
    MODE = "mode"  # the supervisor changed mode
    STOP = "stop"  # the supervisor left (or the call ended)


@dataclass(frozen=True)
class SupervisionEntry:
    """One step of a supervisor's use of listen/whisper/barge; ``time`` is wall time."""

    time: float
    supervisor: str
    call_id: str
    agent: str | None
    mode: SupervisionMode
    event: SupervisionEvent

    def __post_init__(self) -> None:
        _seconds(self.time, "time", "supervision")
        _text(self.supervisor, "supervisor", "supervision")
        _text(self.call_id, "call_id", "supervision")
        _optional_text(self.agent, "agent", "supervision")
        try:
            object.__setattr__(self, "mode", SupervisionMode(self.mode))
            object.__setattr__(self, "event", SupervisionEvent(self.event))
        except ValueError as exc:
            raise RecordError(f"supervision entry: {exc}") from None


@dataclass(frozen=True)
class RecordingLimits:
    """How long recordings are kept and how much disk they may take, for the sweep."""

    retention_days: int = RETENTION_DAYS_DEFAULT
    quota_mb: int = QUOTA_MB_DEFAULT

    @property
    def quota_bytes(self) -> int:
        return self.quota_mb * 1024 * 1024


def _whole(raw: object, field: str, low: int, high: int) -> int:
    problem = f"must be a whole number from {low} to {high}"
    if isinstance(raw, bool):
        raise ConfigError(field, problem)
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or not low <= raw <= high:
        raise ConfigError(field, problem)
    return raw


def validate_limits(data: Mapping[str, Any]) -> RecordingLimits:
    """Limits from a form or the console; both values are required."""
    return RecordingLimits(
        retention_days=_whole(data.get("retention_days"), "retention_days", 1, RETENTION_DAYS_MAX),
        quota_mb=_whole(data.get("quota_mb"), "quota_mb", 1, QUOTA_MB_MAX),
    )


# --- SQL -------------------------------------------------------------------------------------

_RECORDING_COLUMNS = "call_id, queue, agent, caller_number, started, seconds, bytes, path"
RECORDING_INSERT = f"INSERT INTO recordings ({_RECORDING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_RECORDING_PAGE_SELECT = (
    f"SELECT id, {_RECORDING_COLUMNS} FROM recordings ORDER BY started DESC, id DESC "
    "LIMIT ? OFFSET ?"
)
_RECORDING_OLDEST_SELECT = (
    f"SELECT id, {_RECORDING_COLUMNS} FROM recordings ORDER BY started, id"
)
_RECORDING_SELECT = f"SELECT id, {_RECORDING_COLUMNS} FROM recordings WHERE id = ?"
_SUPERVISION_COLUMNS = "time, supervisor, call_id, agent, mode, event"
SUPERVISION_INSERT = (
    f"INSERT INTO supervision_log ({_SUPERVISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
)
_SUPERVISION_PAGE_SELECT = (
    f"SELECT {_SUPERVISION_COLUMNS} FROM supervision_log ORDER BY time DESC, id DESC "
    "LIMIT ? OFFSET ?"
)


def recording_params(recording: CallRecording) -> tuple[Any, ...]:
    """Parameters of RECORDING_INSERT."""
    r = recording
    return (r.call_id, r.queue, r.agent, r.caller_number, r.started, r.seconds, r.bytes, r.path)


def recording_from_row(row: Mapping[str, Any]) -> CallRecording:
    return CallRecording(
        row["id"], row["call_id"], row["queue"], row["agent"], row["caller_number"],
        float(row["started"]), float(row["seconds"]), int(row["bytes"]), row["path"],
    )


def supervision_params(entry: SupervisionEntry) -> tuple[Any, ...]:
    """Parameters of SUPERVISION_INSERT."""
    e = entry
    return (e.time, e.supervisor, e.call_id, e.agent, e.mode.value, e.event.value)


def supervision_from_row(row: Mapping[str, Any]) -> SupervisionEntry:
    return SupervisionEntry(
        float(row["time"]), row["supervisor"], row["call_id"], row["agent"], row["mode"],
        row["event"],
    )


# --- blocking access (web UI, console, the sweep's worker thread) ----------------------------


def add_recording(conn: sqlite3.Connection, recording: CallRecording) -> CallRecording:
    with transaction(conn):
        new_id = conn.execute(RECORDING_INSERT, recording_params(recording)).lastrowid
    return replace(recording, id=new_id)


def list_recordings(
    conn: sqlite3.Connection, limit: int = 50, offset: int = 0
) -> list[CallRecording]:
    """A page of recordings, newest first."""
    found = conn.execute(_RECORDING_PAGE_SELECT, (limit, offset))
    return [recording_from_row(r) for r in found]


def oldest_recordings(conn: sqlite3.Connection) -> list[CallRecording]:
    """Every recording, oldest first: the order the sweep deletes in."""
    return [recording_from_row(r) for r in conn.execute(_RECORDING_OLDEST_SELECT)]


def count_recordings(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM recordings").fetchone()[0])


def get_recording(conn: sqlite3.Connection, recording_id: int) -> CallRecording | None:
    row = conn.execute(_RECORDING_SELECT, (recording_id,)).fetchone()
    return None if row is None else recording_from_row(row)


def delete_recording_rows(conn: sqlite3.Connection, ids: list[int]) -> None:
    """Forget recordings (their files are the caller's business)."""
    with transaction(conn):
        conn.executemany("DELETE FROM recordings WHERE id = ?", [(i,) for i in ids])


def delete_recording(conn: sqlite3.Connection, recording_id: int) -> CallRecording:
    """Forget one recording; returns it so its file can be removed. NotFoundError if unknown."""
    with transaction(conn):
        recording = get_recording(conn, recording_id)
        if recording is None:
            raise NotFoundError("id", f"no recording with id {recording_id}")
        conn.execute("DELETE FROM recordings WHERE id = ?", (recording_id,))
    return recording


def cdrs_of_calls(conn: sqlite3.Connection, call_ids: list[str]) -> dict[str, list[Cdr]]:
    """The call records of each call (a call back has two: the call in, the call back)."""
    found: dict[str, list[Cdr]] = {}
    wanted = sorted(set(call_ids))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        query = f"SELECT * FROM cdr WHERE call_id IN ({marks}) ORDER BY start, id"
        for row in conn.execute(query, chunk):
            cdr = rows.cdr_from_row(row)
            found.setdefault(cdr.call_id, []).append(cdr)
    return found


def add_supervision(conn: sqlite3.Connection, entry: SupervisionEntry) -> None:
    with transaction(conn):
        conn.execute(SUPERVISION_INSERT, supervision_params(entry))


def list_supervision(
    conn: sqlite3.Connection, limit: int = 50, offset: int = 0
) -> list[SupervisionEntry]:
    """A page of the supervision log, newest first."""
    found = conn.execute(_SUPERVISION_PAGE_SELECT, (limit, offset))
    return [supervision_from_row(r) for r in found]


def get_limits(conn: sqlite3.Connection) -> RecordingLimits:
    """The stored limits; a damaged value falls back to its default."""
    def stored(key: str, default: int) -> int:
        text = get_setting(conn, key)
        return int(text) if text is not None and text.isdigit() and int(text) > 0 else default

    return RecordingLimits(
        stored(RETENTION_KEY, RETENTION_DAYS_DEFAULT), stored(QUOTA_KEY, QUOTA_MB_DEFAULT)
    )


def save_limits(conn: sqlite3.Connection, data: Mapping[str, Any]) -> RecordingLimits:
    """Validate and store the limits; a refused value changes nothing."""
    limits = validate_limits(data)
    with transaction(conn):
        set_setting(conn, RETENTION_KEY, str(limits.retention_days))
        set_setting(conn, QUOTA_KEY, str(limits.quota_mb))
    return limits
