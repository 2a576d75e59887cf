"""A call's pass through a queue, rebuilt from the queue log's events.

The ACD logs steps (enter, ring, answer, abandon, exit-timeout, exit-full,
exit-empty, transfer, overflow, complete, wrapup); the figures need the pass
as one piece: when the caller entered, how it left the queue, when the
conversation ended, and how long the agent's wrap-up after it lasted.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace

from firmware.store.models import QueueEvent, QueueLogEntry


class Outcome(enum.StrEnum):
    """How a caller left the queue."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMED_OUT = "timed-out"
    # Turned away (full, nobody logged in) or moved to another queue.
    EXITED = "exited"


@dataclass(frozen=True)
class QueueVisit:
    """One call's pass through one queue; times are the queue log's clock.

    ``left`` is the time of the answer, abandon or exit-timeout (None while the
    caller is still waiting); ``ended`` is the time of the ``complete`` event
    of an answered call (None while it is still connected); ``wrapup`` is the
    measured wrap-up after it (None when the log has no ``wrapup`` event).
    ``caller`` is the caller's number, which the ``enter`` event carries
    (None when the caller withheld it or the log has none).
    """

    call_id: str
    queue: str
    entered: float
    outcome: Outcome | None = None
    left: float | None = None
    agent: str | None = None
    ended: float | None = None
    wrapup: float | None = None
    caller: str | None = None

    @property
    def wait(self) -> float | None:
        """Seconds from entering the queue to leaving it (None while still waiting)."""
        return None if self.left is None else self.left - self.entered

    @property
    def talk(self) -> float | None:
        """Seconds connected to the agent (None unless answered and ended)."""
        if self.outcome is not Outcome.ANSWERED or self.left is None or self.ended is None:
            return None
        return self.ended - self.left


_LEAVING = {
    QueueEvent.ANSWER: Outcome.ANSWERED,
    QueueEvent.ABANDON: Outcome.ABANDONED,
    QueueEvent.EXIT_TIMEOUT: Outcome.TIMED_OUT,
    QueueEvent.EXIT_FULL: Outcome.EXITED,
    QueueEvent.EXIT_EMPTY: Outcome.EXITED,
    QueueEvent.TRANSFER: Outcome.EXITED,
}


def queue_visits(log: Iterable[QueueLogEntry]) -> list[QueueVisit]:
    """Every pass through a queue that the log shows entering, in order of entering.

    Events of a pass whose ``enter`` is not in the log (it entered before the
    log's window) are ignored, as are events that contradict the pass so far
    (an answer after an abandon), so a cut or damaged log gives figures for
    what it does show rather than an error.
    """
    entries = sorted(log, key=lambda entry: entry.time)  # stable: same-time order kept
    visits: list[QueueVisit] = []
    open_visit: dict[tuple[str, str], int] = {}
    for entry in entries:
        key = (entry.call_id, entry.queue)
        if entry.event is QueueEvent.ENTER:
            open_visit[key] = len(visits)
            visits.append(
                QueueVisit(entry.call_id, entry.queue, entry.time, caller=entry.data or None)
            )
            continue
        index = open_visit.get(key)
        if index is None:
            continue
        visit = visits[index]
        outcome = _LEAVING.get(entry.event)
        if outcome is not None and visit.outcome is None:
            visits[index] = replace(
                visit, outcome=outcome, left=entry.time,
                agent=entry.agent if outcome is Outcome.ANSWERED else None,
            )
            if outcome is not Outcome.ANSWERED:
                del open_visit[key]
        elif (
            entry.event is QueueEvent.COMPLETE
            and visit.outcome is Outcome.ANSWERED
            and visit.ended is None
        ):
            visits[index] = replace(visit, ended=entry.time)
        elif entry.event is QueueEvent.WRAPUP and visit.ended is not None:
            visits[index] = replace(visit, wrapup=_seconds(entry.data))
            del open_visit[key]
    return visits


def _seconds(data: str | None) -> float | None:
    """The seconds a ``wrapup`` event carries; None when the data is damaged."""
    try:
        value = float(data or "")
    except ValueError:
        return None
    return value if value >= 0 else None
