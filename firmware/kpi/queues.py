"""Queue figures: offered, answered, abandoned, service level, ASA, AHT, longest wait.

Definitions, over the passes through a queue that the log shows (see
:func:`firmware.kpi.visits.queue_visits`); ``wait`` is the time from entering
the queue to leaving it by answer, abandon or exit-timeout:

- short abandon: an abandoned pass whose wait is shorter than the queue's
  ``short_abandon_seconds`` (a caller who dialled by mistake); such passes are
  left out of every other figure.
- offered: passes that left the queue (answered, abandoned, timed out, or
  exited: turned away full or empty, or moved to another queue), short
  abandons excluded. Callers still waiting are counted in ``waiting``
  and in nothing else, so a figure never changes its mind about a call.
- answered / abandoned / timed_out / exited: offered passes by how they left.
- service level: answered passes with wait <= ``service_level_seconds``,
  divided by offered. Abandons, time-outs and exits count against it.
- ASA (average speed of answer): the mean wait of answered passes.
- AHT (average handle time): the mean, over answered passes whose
  conversation has ended, of talk time (answer to complete, hold included:
  the caller is on hold inside the conversation) plus the agent's
  wrap-up after it: as the ``wrapup`` event measured it, or the queue's
  ``wrapup_seconds`` when the log has none (the wrap-up has not ended yet,
  or the log comes from before wrap-up events).
- max wait: the longest wait among offered passes.

A ratio or mean over nothing is None, not zero: a queue nobody called has no
service level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from firmware.kpi.visits import Outcome, QueueVisit, queue_visits
from firmware.store.models import QueueLogEntry


class KpiError(ValueError):
    """Figures asked for with arguments that cannot mean anything (a window ending early)."""


@dataclass(frozen=True)
class QueueTargets:
    """The per-queue settings the figures are measured against."""

    service_level_seconds: float = 20.0
    wrapup_seconds: float = 0.0
    short_abandon_seconds: float = 0.0

    def __post_init__(self) -> None:
        for name in ("service_level_seconds", "wrapup_seconds", "short_abandon_seconds"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise KpiError(f"{name} must be a finite number of seconds, not {value!r}")


@dataclass(frozen=True)
class QueueKpis:
    """The figures of one queue; see the module's docstring for each definition."""

    queue: str
    offered: int
    answered: int
    abandoned: int
    timed_out: int
    short_abandoned: int
    exited: int
    waiting: int
    service_level: float | None
    asa: float | None
    aht: float | None
    max_wait: float | None

    def as_dict(self) -> dict[str, int | float | None]:
        """The keys the simulator prints and the reports show, as the issue names them."""
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "service_level": self.service_level,
            "asa": self.asa,
            "aht": self.aht,
            "max_wait": self.max_wait,
        }


def queue_kpis(
    log: Iterable[QueueLogEntry], targets: Mapping[str, QueueTargets] | None = None
) -> dict[str, QueueKpis]:
    """Figures per queue: every queue in ``targets`` (in its order), then any other in the log.

    A queue that is in the log but not in ``targets`` is measured against the
    default :class:`QueueTargets`.
    """
    targets = targets or {}
    by_queue: dict[str, list[QueueVisit]] = {name: [] for name in targets}
    for visit in queue_visits(log):
        by_queue.setdefault(visit.queue, []).append(visit)
    return {name: measure(name, visits, targets) for name, visits in by_queue.items()}


def measure(
    name: str, visits: Sequence[QueueVisit], targets: Mapping[str, QueueTargets]
) -> QueueKpis:
    """The figures of any set of passes, each measured against its own queue's targets.

    A report per client, hour or day mixes queues with different answer-time
    targets and short-abandon thresholds; each pass is judged by its queue's.
    ``name`` labels the result.
    """
    default = QueueTargets()
    waiting = sum(v.outcome is None for v in visits)
    left = [v for v in visits if v.outcome is not None]
    is_short = [is_short_abandon(v, targets.get(v.queue, default)) for v in left]
    offered = [v for v, short in zip(left, is_short, strict=True) if not short]
    answered = [v for v in offered if v.outcome is Outcome.ANSWERED]
    within = sum(
        _wait(v) <= targets.get(v.queue, default).service_level_seconds for v in answered
    )
    handles = [handle_time(v, targets.get(v.queue, default)) for v in answered]
    measured = [h for h in handles if h is not None]
    return QueueKpis(
        queue=name,
        offered=len(offered),
        answered=len(answered),
        abandoned=sum(v.outcome is Outcome.ABANDONED for v in offered),
        timed_out=sum(v.outcome is Outcome.TIMED_OUT for v in offered),
        short_abandoned=sum(is_short),
        exited=sum(v.outcome is Outcome.EXITED for v in offered),
        waiting=waiting,
        service_level=within / len(offered) if offered else None,
        asa=_mean([_wait(v) for v in answered]),
        aht=_mean(measured),
        max_wait=max((_wait(v) for v in offered), default=None),
    )


def is_short_abandon(visit: QueueVisit, target: QueueTargets) -> bool:
    """Whether a pass is a short abandon: left out of every figure but its own count."""
    return visit.outcome is Outcome.ABANDONED and _wait(visit) < target.short_abandon_seconds


def handle_time(visit: QueueVisit, target: QueueTargets) -> float | None:
    """Talk plus wrap-up of an answered pass whose conversation has ended; None otherwise.

    Hold is inside talk: the log measures from the answer to the end of the
    conversation, whatever happened between.
    """
    talk = visit.talk
    if talk is None:
        return None
    return talk + (target.wrapup_seconds if visit.wrapup is None else visit.wrapup)


def _wait(visit: QueueVisit) -> float:
    wait = visit.wait
    if wait is None:  # only passes that left the queue are measured
        raise KpiError(f"call {visit.call_id} has not left queue {visit.queue}")
    return wait


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None
