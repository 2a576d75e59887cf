"""The simulated world's shared time line: where the lines are, and what they signalled.

The card, its phones and the exchange all read one clock through a :class:`SimWorld`.
Line audio is produced in whole 20 ms frames; ``position`` counts the samples the
world has produced since the card was made, so every scheduled change lands on an
exact sample and every tone stays phase-continuous.
"""

from __future__ import annotations

from collections.abc import Callable

from hal.clock import Clock
from hal.interface import SAMPLE_RATE, HalError, HalEvent


class SimError(HalError):
    """The simulation was asked for something a real line or phone could not do."""


class SimWorld:
    """Sample-exact time of the simulated lines, and the queue of their line events."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.t0 = clock.now()
        self.position = 0
        self._events: list[HalEvent] = []
        self._catch_up: Callable[[], None] = lambda: None

    def bind(self, catch_up: Callable[[], None]) -> None:
        """Name the card's routine that brings the lines up to the clock's time."""
        self._catch_up = catch_up

    def catch_up(self) -> None:
        """Produce every whole frame that is due, so a change made now lands after them."""
        self._catch_up()

    def now(self) -> float:
        """The injected clock's time, which every simulated person and line reads."""
        return self.clock.now()

    def sample_at(self, t: float) -> int:
        """The sample at time ``t``; never one the world has already produced."""
        return max(self.position, round((t - self.t0) * SAMPLE_RATE))

    def time_at(self, sample: int) -> float:
        """The clock time at which the line carried ``sample``."""
        return self.t0 + sample / SAMPLE_RATE

    def emit(self, event: HalEvent) -> None:
        """Queue a line event for the card's next :meth:`~hal.interface.Card.poll_events`."""
        self._events.append(event)

    def drain(self) -> list[HalEvent]:
        """Every event queued so far, oldest first (stable for equal times)."""
        events = sorted(self._events, key=lambda e: e.at)
        self._events = []
        return events
