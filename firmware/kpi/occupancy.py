"""Agent occupancy: how much of the staffed time agents spent handling calls.

Definition: occupancy = busy agent-seconds / staffed agent-seconds within a
window [start, end], where

- busy time is, for every answered call, the span from the answer to the end
  of its wrap-up (complete + the measured wrap-up, or the queue's
  ``wrapup_seconds`` when the log has no wrap-up event), clipped to the
  window; a call still connected at the end of the log is busy until ``end``.
  Ringing is not busy time: the agent was free and the ACD was offering a call.
- staffed time is the agent-seconds logged in within the window, given by the
  caller: the queue log does not record logins.

It is the fraction of the time agents could take calls that calls took, so
it reaches 1 only when callers wait for every free moment.

The reports measure it from the agent state log instead
(:func:`occupancy_from_states`), where the box knows each agent's logins and
pauses: busy is time on a call or in wrap-up, staffed is that plus time
available or ringing. Paused time is not staffed: an agent at lunch cannot
take calls, and counting it would make a well-run lunch look like idleness.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from firmware.kpi.queues import KpiError, QueueTargets
from firmware.kpi.visits import Outcome, queue_visits
from firmware.store.models import AgentState, QueueLogEntry

BUSY_STATES = frozenset({AgentState.ON_CALL, AgentState.WRAPUP})
STAFFED_STATES = frozenset(
    {AgentState.AVAILABLE, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAPUP}
)


def busy_and_staffed(seconds: Mapping[AgentState, float]) -> tuple[float, float]:
    """Busy and staffed seconds out of the seconds spent in each state."""
    busy = math.fsum(v for state, v in seconds.items() if state in BUSY_STATES)
    staffed = math.fsum(v for state, v in seconds.items() if state in STAFFED_STATES)
    return busy, staffed


def occupancy_from_states(seconds: Mapping[AgentState, float]) -> float | None:
    """(on call + wrap-up) / (available + ringing + on call + wrap-up); None if never staffed."""
    busy, staffed = busy_and_staffed(seconds)
    return busy / staffed if staffed > 0 else None


def occupancy(
    log: Iterable[QueueLogEntry],
    staffed_seconds: float,
    start: float,
    end: float,
    targets: Mapping[str, QueueTargets] | None = None,
) -> float | None:
    """Busy over staffed time in [start, end]; None when nobody was staffed."""
    if not (math.isfinite(start) and math.isfinite(end)) or end < start:
        raise KpiError(f"the window must end after it starts, not [{start}, {end}]")
    if not math.isfinite(staffed_seconds) or staffed_seconds < 0:
        raise KpiError(f"staffed time must be zero or more seconds, not {staffed_seconds!r}")
    if staffed_seconds == 0:
        return None
    targets = targets or {}
    busy: list[float] = []
    for visit in queue_visits(log):
        if visit.outcome is not Outcome.ANSWERED or visit.left is None:
            continue
        if visit.ended is None:
            until = end
        else:
            wrapup = visit.wrapup
            if wrapup is None:
                wrapup = targets.get(visit.queue, QueueTargets()).wrapup_seconds
            until = visit.ended + wrapup
        busy.append(max(0.0, min(until, end) - max(visit.left, start)))
    return math.fsum(busy) / staffed_seconds
