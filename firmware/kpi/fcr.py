"""First-call resolution: answered callers who did not have to call the same queue again.

Definition (docs/kpi.md): an answered pass through a queue is resolved at the
first call when the same caller (by number) does not enter the same queue
on another call within the window after the conversation ended, that is
in (end, end + window]; the window
is 24 hours unless the technician sets another. FCR = resolved / judged,
where judged are the answered passes that can be decided:

- the conversation has ended (the ``complete`` event is in the log);
- the caller's number is known (a withheld number cannot be matched);
- the log covers the whole window: it ends at ``known_until``, and a pass
  whose window is still open may yet be followed by a repeat call.

The same call entering the queue again (moved back by a transfer) is not a
repeat: only another call is; nor is a call that entered while this one
was still in progress (another person behind the same number). Abandoned
and turned-away passes are not judged: they were not handled, so there is
nothing to resolve.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from firmware.kpi.queues import KpiError
from firmware.kpi.visits import Outcome, QueueVisit

DEFAULT_FCR_WINDOW = 86400.0


def first_call_resolution(
    visits: Sequence[QueueVisit], window_seconds: float, known_until: float
) -> list[bool | None]:
    """For each pass (same order), True if resolved, False if repeated, None if not judged."""
    if not math.isfinite(window_seconds) or window_seconds <= 0:
        raise KpiError(f"the FCR window must be a positive number of seconds, "
                       f"not {window_seconds!r}")
    if not math.isfinite(known_until):
        raise KpiError(f"the end of the log must be a time, not {known_until!r}")
    # Every entering into a queue by a number, in time order, to find the next one fast.
    entries: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for visit in visits:
        if visit.caller:
            entries.setdefault((visit.caller, visit.queue), []).append(
                (visit.entered, visit.call_id)
            )
    for times in entries.values():
        times.sort()
    return [_judge(visit, entries, window_seconds, known_until) for visit in visits]


def fcr_rate(judgements: Sequence[bool | None]) -> tuple[float | None, int]:
    """The FCR of some passes and how many were judged; None when none was."""
    judged = [j for j in judgements if j is not None]
    return (sum(judged) / len(judged) if judged else None), len(judged)


def _judge(
    visit: QueueVisit,
    entries: dict[tuple[str, str], list[tuple[float, str]]],
    window: float,
    known_until: float,
) -> bool | None:
    if visit.outcome is not Outcome.ANSWERED or visit.ended is None or not visit.caller:
        return None
    closes = visit.ended + window
    if closes > known_until:
        return None
    times = entries[(visit.caller, visit.queue)]
    # Calls entering after the conversation ended, up to the window's end inclusive.
    first = bisect.bisect_right(times, visit.ended, key=lambda item: item[0])
    for entered, call_id in times[first:]:
        if entered > closes:
            break
        if call_id != visit.call_id:
            return False
    return True
