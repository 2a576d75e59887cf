"""Timers on the injected clock, run from the tick rather than from threads.

The daemon calls :meth:`Timers.run_due` once per 20 ms tick, so every
application timer (IVR timeouts, ring timeouts, retry delays) has tick
resolution and a test drives them by advancing a ManualClock.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class TimerHandle:
    """A scheduled callback; :meth:`cancel` it to stop it from running."""

    when: float
    callback: Callable[[float], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    """A heap of callbacks keyed by due time; each callback receives ``now``."""

    def __init__(self) -> None:
        # (when, seq, handle) tuples: comparing tuples is much cheaper than
        # comparing dataclasses, and seq keeps equal times in scheduling order.
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()

    def call_at(self, when: float, callback: Callable[[float], None]) -> TimerHandle:
        handle = TimerHandle(when, callback)
        heapq.heappush(self._heap, (when, next(self._seq), handle))
        return handle

    def next_deadline(self) -> float | None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def run_due(self, now: float) -> int:
        """Run every callback due by ``now``, in due order; returns how many ran."""
        ran = 0
        while self._heap and self._heap[0][0] <= now:
            _, _, handle = heapq.heappop(self._heap)
            if handle.cancelled:
                continue
            handle.cancelled = True
            handle.callback(now)
            ran += 1
        return ran
