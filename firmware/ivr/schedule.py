"""Business hours: whether a schedule is open at a given wall-clock time.

A schedule's hours are local times in its own time zone, so the answer is
worked out from the wall time through :mod:`zoneinfo` each time it is asked:
the hour the clocks change (Europe/Warsaw moves 02:00 to 03:00 in March and
back in October) needs no special case, and "open 08:00-16:00" means 08:00 on
the wall of the office in winter and in summer alike.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Protocol

from firmware.store.models import Schedule


@dataclass(frozen=True)
class ScheduleState:
    """What a schedule says at one moment: open or not, and the holiday if it is one."""

    open: bool
    holiday: str | None
    local: datetime.datetime


class ScheduleView(Protocol):
    """What flow conditions and routes ask of a schedule (the test mode fakes it)."""

    def state(self, wall: float) -> ScheduleState:
        """The schedule at ``wall`` (seconds since the epoch)."""
        ...


class ScheduleClock:
    """Evaluates one :class:`~firmware.store.models.Schedule` at wall-clock times."""

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self._zone = zoneinfo.ZoneInfo(schedule.timezone)
        self._dated = {h.date: h.name for h in schedule.holidays if len(h.date) == 10}
        self._yearly = {h.date: h.name for h in schedule.holidays if len(h.date) == 5}

    def __str__(self) -> str:
        return f"schedule {self.schedule.name} ({self.schedule.timezone})"

    def local(self, wall: float) -> datetime.datetime:
        """``wall`` as the schedule's local date and time."""
        return datetime.datetime.fromtimestamp(wall, self._zone)

    def holiday(self, wall: float) -> str | None:
        """The name of the holiday on the local date of ``wall``, or None."""
        day = self.local(wall).date()
        return self._dated.get(day.isoformat()) or self._yearly.get(day.strftime("%m-%d"))

    def is_open(self, wall: float) -> bool:
        """Open at ``wall``: not a holiday, and inside one of that weekday's intervals."""
        return self.state(wall).open

    def state(self, wall: float) -> ScheduleState:
        local = self.local(wall)
        holiday = self.holiday(wall)
        if holiday is not None:
            return ScheduleState(False, holiday, local)
        minute = local.hour * 60 + local.minute
        intervals = self.schedule.hours[local.weekday()]
        is_open = any(opening <= minute < closing for opening, closing in intervals)
        return ScheduleState(is_open, None, local)


class FixedSchedule:
    """A schedule that always answers the same, for the flow editor's test mode."""

    def __init__(self, is_open: bool, holiday: str | None = None) -> None:
        self._open = is_open and holiday is None
        self._holiday = holiday

    def state(self, wall: float) -> ScheduleState:
        local = datetime.datetime.fromtimestamp(wall, datetime.UTC)
        return ScheduleState(self._open, self._holiday, local)
