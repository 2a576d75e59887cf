"""The logs a report needs, read from the store by time range.

A report over [start, end) needs the queue log from ``start`` to as far as
the FCR window reaches past ``end`` (a repeat call, or the end of a call
that began inside the period), and the agent state log over the period with
each agent's state at its start.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

from firmware.kpi.queues import KpiError
from firmware.store import rows, sync
from firmware.store.models import AgentStateEntry, QueueLogEntry

# A conversation longer than this is cut by the box (the analog lines' default
# longest call); the log is read this far past the window to find its end.
LONGEST_CALL = 4 * 3600.0
# Reports cover at most this many days: a longer range would take the web UI
# too long to read on a small board.
MOST_DAYS = 62

_QUEUE_LOG_RANGE = (
    "SELECT time, call_id, queue, agent, event, data FROM queue_log "
    "WHERE time >= ? AND time <= ? ORDER BY time, id"
)
_ONE_QUEUE_LOG_RANGE = (
    "SELECT time, call_id, queue, agent, event, data FROM queue_log "
    "WHERE time >= ? AND time <= ? AND queue = ? ORDER BY time, id"
)


@dataclass(frozen=True)
class ReportLogs:
    """What one report reads: the queue log and the agent state log, oldest first."""

    queue_log: tuple[QueueLogEntry, ...]
    states: tuple[AgentStateEntry, ...]
    known_until: float


def read_report_logs(
    conn: sqlite3.Connection, start: float, end: float, now: float, fcr_window: float
) -> ReportLogs:
    """The logs for a report over [start, end) seen at ``now``.

    The queue log is read up to ``end`` + the longest call + the FCR window,
    or ``now`` if sooner; ``known_until`` says which.
    """
    for value, name in ((start, "start"), (end, "end"), (now, "now"), (fcr_window, "window")):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise KpiError(f"{name} must be a number of seconds, not {value!r}")
        if not math.isfinite(value):
            raise KpiError(f"{name} must be finite, not {value!r}")
    if end <= start:
        raise KpiError("the period must end after it starts")
    if end - start > MOST_DAYS * 86400.0 + 7200.0:  # daylight saving can add an hour
        raise KpiError(f"a report covers at most {MOST_DAYS} days")
    known_until = min(now, end + LONGEST_CALL + fcr_window)
    log = tuple(read_queue_log(conn, start, known_until))
    states = tuple(sync.list_agent_states(conn, start, max(start, min(end, now))))
    return ReportLogs(log, states, known_until)


def read_queue_log(
    conn: sqlite3.Connection, since: float, until: float, queue: str | None = None
) -> list[QueueLogEntry]:
    """Queue log entries in [since, until], oldest first; only ``queue``'s when one is named."""
    if queue is None:
        cursor = conn.execute(_QUEUE_LOG_RANGE, (since, until))
    else:
        cursor = conn.execute(_ONE_QUEUE_LOG_RANGE, (since, until, queue))
    return [rows.queue_log_from_row(row) for row in cursor]
