"""Line controls queued for the media thread.

Only the media thread touches the card: the call layer, on the asyncio
thread, queues hook and ring controls here and the media thread applies them
at its next tick, so a backend never sees two threads at once.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence

from hal.interface import Card, HalError


class CardCommands:
    """A thread-safe queue of controls for ``card``, applied by :meth:`apply`."""

    def __init__(self, card: Card, on_error: Callable[[str], None]) -> None:
        self._card = card
        self._queue: collections.deque[Callable[[], None]] = collections.deque()
        self._on_error = on_error

    def set_hook(self, port: int, offhook: bool) -> None:
        self._queue.append(lambda: self._card.set_hook(port, offhook))

    def flash(self, port: int, seconds: float) -> None:
        self._queue.append(lambda: self._card.flash(port, seconds))

    def start_ring(self, port: int, cadence: Sequence[float]) -> None:
        cadence = tuple(cadence)
        self._queue.append(lambda: self._card.start_ring(port, cadence))

    def stop_ring(self, port: int) -> None:
        self._queue.append(lambda: self._card.stop_ring(port))

    def apply(self) -> None:
        """Run the queued controls in order (media thread only)."""
        while self._queue:
            command = self._queue.popleft()
            try:
                command()
            except HalError as exc:
                self._on_error(str(exc))
