"""The one clock every timer in the box reads.

Time is injected so a test can run an hour of traffic in a second: production
uses :class:`MonotonicClock`; tests and simulations use :class:`ManualClock`,
which only moves when told to.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic seconds for timers, and wall-clock seconds for records."""

    def now(self) -> float:
        """Monotonic time in seconds; only differences are meaningful."""
        ...

    def wall(self) -> float:
        """Seconds since the Unix epoch, for CDRs and logs."""
        ...


class MonotonicClock:
    """The real clock of a running box."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()


class ManualClock:
    """A clock that advances only when :meth:`advance` is called.

    Wall time is ``epoch + now()``, so a simulated day has believable
    timestamps in CDRs.
    """

    def __init__(self, start: float = 0.0, epoch: float = 1_767_225_600.0) -> None:
        self._now = start
        self._epoch = epoch

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._epoch + self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds
        return self._now
