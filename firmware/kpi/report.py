"""Report tables: the figures per queue, client, hour, day and agent over a period.

Every table is built from the same passes and the same formulas
(:mod:`firmware.kpi.queues`, :mod:`firmware.kpi.fcr`,
:mod:`firmware.kpi.occupancy`), so the rows of one table add up to the
same calls as the rows of another. A pass belongs to the period, and to the
hour or day bucket, in which it entered the queue; what happened to it
after (answer, wrap-up, a repeat call) is read from the log as far as
``known_until``, even past the period's end.

Grouping by client uses a queue-to-client mapping: once queues carry a
client, the web UI passes it and the table appears; queues with no client
are grouped under "".
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from firmware.kpi.agent_states import state_durations, state_seconds_between
from firmware.kpi.buckets import BucketSize, bucket_label, bucket_start, bucket_starts
from firmware.kpi.fcr import DEFAULT_FCR_WINDOW, fcr_rate, first_call_resolution
from firmware.kpi.occupancy import busy_and_staffed
from firmware.kpi.queues import (
    KpiError,
    QueueKpis,
    QueueTargets,
    handle_time,
    measure,
)
from firmware.kpi.visits import Outcome, QueueVisit, queue_visits
from firmware.store.models import AgentState, AgentStateEntry, QueueEvent, QueueLogEntry


class Grouping(enum.StrEnum):
    """What one row of a call table stands for."""

    QUEUE = "queue"
    CLIENT = "client"
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True)
class ReportScope:
    """The period [start, end) and what the figures are measured against.

    ``known_until`` is how far the log has been read (now, for a period that
    includes today). ``targets`` per queue; ``clients`` maps queue names to
    client names; ``tz`` is the zone of hours and days (None: system local).
    """

    start: float
    end: float
    known_until: float
    targets: Mapping[str, QueueTargets] = field(default_factory=dict)
    fcr_window: float = DEFAULT_FCR_WINDOW
    tz: tzinfo | None = None
    clients: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("start", "end", "known_until", "fcr_window"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise KpiError(f"{name} must be a number of seconds, not {value!r}")
            if not math.isfinite(value):
                raise KpiError(f"{name} must be finite, not {value!r}")
        if self.end <= self.start:
            raise KpiError(f"the period must end after it starts, not [{self.start}, {self.end}]")

    @property
    def measured_until(self) -> float:
        """The end of the period, or of the log when the period is not over yet."""
        return max(self.start, min(self.end, self.known_until))


@dataclass(frozen=True)
class CallFigures:
    """One row of a queue, client, hour or day table.

    ``occupancy`` is None on queue and client rows: agents' time is shared
    among the queues they serve and cannot be split by queue honestly.
    ``fcr_judged`` is how many answered calls the FCR is measured over.
    """

    key: str
    label: str
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    timed_out: int
    exited: int
    waiting: int
    service_level: float | None
    asa: float | None
    aht: float | None
    max_wait: float | None
    occupancy: float | None
    fcr: float | None
    fcr_judged: int


@dataclass(frozen=True)
class AgentFigures:
    """One row of the agent table; times in seconds over the period."""

    agent: str
    answered: int
    missed: int
    talk: float
    aht: float | None
    staffed: float
    busy: float
    paused: float
    occupancy: float | None
    fcr: float | None
    fcr_judged: int


def call_figures(
    log: Iterable[QueueLogEntry],
    states: Iterable[AgentStateEntry],
    scope: ReportScope,
    grouping: Grouping,
) -> list[CallFigures]:
    """The rows of one call table, in the order a manager reads them.

    Queues: every queue in ``scope.targets`` in its order, then others in the
    log by name. Clients: in the order of ``scope.clients``, then "" (queues
    of no client) if any queue has none. Hours
    and days: every bucket from the start of the period to its end, or to
    ``known_until`` if sooner, empty ones included.
    """
    visits, judged = _passes(log, scope)
    if grouping is Grouping.QUEUE:
        keys = list(scope.targets)
        rows = _grouped(visits, judged, lambda v: v.queue, keys, scope)
        return [_row(k, k, *rows[k], None) for k in rows]
    if grouping is Grouping.CLIENT:
        keys = list(dict.fromkeys(c for c in scope.clients.values() if c))
        if any(not scope.clients.get(queue) for queue in scope.targets):
            keys.append("")
        rows = _grouped(visits, judged, lambda v: scope.clients.get(v.queue, ""), keys, scope)
        order = [k for k in rows if k] + ([""] if "" in rows else [])
        return [_row(k, k or "(no client)", *rows[k], None) for k in order]
    size = BucketSize.HOUR if grouping is Grouping.HOUR else BucketSize.DAY
    starts = bucket_starts(scope.start, scope.measured_until, size, scope.tz)
    keys = [repr(s) for s in starts]
    rows = _grouped(
        visits, judged, lambda v: repr(bucket_start(v.entered, size, scope.tz)), keys, scope
    )
    boundaries = [max(scope.start, s) for s in starts] + [scope.measured_until]
    seconds = state_seconds_between(list(states), boundaries) if len(starts) else []
    result = []
    for index, start in enumerate(starts):
        busy, staffed = busy_and_staffed(seconds[index])
        result.append(
            _row(
                repr(start), bucket_label(start, size, scope.tz), *rows[repr(start)],
                busy / staffed if staffed > 0 else None,
            )
        )
    return result


def agent_figures(
    log: Iterable[QueueLogEntry],
    states: Iterable[AgentStateEntry],
    scope: ReportScope,
    agents: Sequence[str] = (),
) -> list[AgentFigures]:
    """One row per agent: ``agents`` in their order, then any other seen in the logs by name."""
    entries = list(log)
    visits, judged = _passes(entries, scope)
    durations = state_durations(states, scope.start, scope.measured_until)
    missed: dict[str, int] = {}
    for entry in entries:
        if (
            entry.event is QueueEvent.RING_NO_ANSWER
            and entry.agent
            and scope.start <= entry.time < scope.end
        ):
            missed[entry.agent] = missed.get(entry.agent, 0) + 1
    answered: dict[str, list[tuple[QueueVisit, bool | None]]] = {}
    for visit, judgement in zip(visits, judged, strict=True):
        if visit.outcome is Outcome.ANSWERED and visit.agent:
            answered.setdefault(visit.agent, []).append((visit, judgement))
    seen = set(durations) | set(missed) | set(answered)
    names = list(dict.fromkeys([*agents, *sorted(seen - set(agents))]))
    rows = []
    for name in names:
        calls = answered.get(name, [])
        talks = [v.talk for v, _ in calls if v.talk is not None]
        handles = [
            h for v, _ in calls
            if (h := handle_time(v, scope.targets.get(v.queue, QueueTargets()))) is not None
        ]
        spent = durations.get(name, {})
        busy, staffed = busy_and_staffed(spent)
        fcr, fcr_judged = fcr_rate([j for _, j in calls])
        rows.append(
            AgentFigures(
                agent=name,
                answered=len(calls),
                missed=missed.get(name, 0),
                talk=math.fsum(talks),
                aht=math.fsum(handles) / len(handles) if handles else None,
                staffed=staffed,
                busy=busy,
                paused=spent.get(AgentState.PAUSED, 0.0),
                occupancy=busy / staffed if staffed > 0 else None,
                fcr=fcr,
                fcr_judged=fcr_judged,
            )
        )
    return rows


def _passes(
    log: Iterable[QueueLogEntry], scope: ReportScope
) -> tuple[list[QueueVisit], list[bool | None]]:
    """The passes that entered in the period, with each one's FCR judgement."""
    everything = queue_visits(entry for entry in log if entry.time <= scope.known_until)
    judged = first_call_resolution(everything, scope.fcr_window, scope.known_until)
    kept = [
        (v, j) for v, j in zip(everything, judged, strict=True)
        if scope.start <= v.entered < scope.end
    ]
    return [v for v, _ in kept], [j for _, j in kept]


def _grouped(
    visits: Sequence[QueueVisit],
    judged: Sequence[bool | None],
    key: Callable[[QueueVisit], str],
    keys: Sequence[str],
    scope: ReportScope,
) -> dict[str, tuple[QueueKpis, tuple[float | None, int]]]:
    groups: dict[str, tuple[list[QueueVisit], list[bool | None]]] = {k: ([], []) for k in keys}
    extra: dict[str, tuple[list[QueueVisit], list[bool | None]]] = {}
    for visit, judgement in zip(visits, judged, strict=True):
        k = key(visit)
        group = groups.get(k)
        if group is None:
            group = extra.setdefault(k, ([], []))
        group[0].append(visit)
        group[1].append(judgement)
    ordered = {**groups, **{k: extra[k] for k in sorted(extra)}}
    return {
        k: (measure(k, vs, scope.targets), fcr_rate(js)) for k, (vs, js) in ordered.items()
    }


def _row(
    key: str,
    label: str,
    kpis: QueueKpis,
    fcr: tuple[float | None, int],
    occupancy: float | None,
) -> CallFigures:
    return CallFigures(
        key=key,
        label=label,
        offered=kpis.offered,
        answered=kpis.answered,
        abandoned=kpis.abandoned,
        short_abandoned=kpis.short_abandoned,
        timed_out=kpis.timed_out,
        exited=kpis.exited,
        waiting=kpis.waiting,
        service_level=kpis.service_level,
        asa=kpis.asa,
        aht=kpis.aht,
        max_wait=kpis.max_wait,
        occupancy=occupancy,
        fcr=fcr[0],
        fcr_judged=fcr[1],
    )
