"""What the FXO and FXS machines share: walking their transition table and their timers.

Each machine keeps its own table of ``(state, input) -> (next state, handler)``,
the inputs only the layer above may give, and the timers each state keeps; this
base walks the table, refuses illegal requests from above (LocalProtocolError)
and ignores unexpected line input, so both machines behave alike at the edges.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from firmware.signaling.loopstart.errors import LocalProtocolError
from firmware.signaling.loopstart.events import Output
from firmware.signaling.loopstart.timers import TimerSet

log = logging.getLogger(__name__)

Handler = Callable[[Any, float, object], list[Output]]


class TableMachine:
    """Timers and the transition table walk of a loop-start machine."""

    # Set by each machine: its name in messages, its requests from above, the
    # timers each state keeps, and how a refused request reads.
    NAME: ClassVar[str]
    FROM_ABOVE: ClassVar[frozenset[Any]]
    STATE_TIMERS: ClassVar[Mapping[Any, frozenset[Any]]]
    REFUSAL: ClassVar[str]  # formatted with {what} and {state}

    _state: enum.Enum
    _timers: TimerSet[Any]
    _transitions: Mapping[tuple[Any, Any], tuple[Any, Handler]]

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or None if nothing is pending."""
        return self._timers.next_deadline()

    def handle_timer(self, now: float) -> list[Output]:
        """Fire every timer due at ``now``; calling it early or twice does nothing."""
        return self._expire(now)

    def _expire(self, now: float) -> list[Output]:
        out: list[Output] = []
        while (due := self._timers.pop_due(now)) is not None:
            timer, deadline = due
            # A timer acts at its own deadline, so timers armed from it stay exact.
            out += self._feed(timer.value, deadline)
        return out

    def _feed(self, what: Any, now: float, arg: object = None) -> list[Output]:
        move = self._transitions.get((self._state, what))
        if move is None:
            if what in self.FROM_ABOVE:
                raise LocalProtocolError(
                    self.REFUSAL.format(what=what.value, state=self._state.value)
                )
            log.debug("%s %s: %s ignored", self.NAME, self._state.value, what.value)
            return []
        target, handler = move
        if target is not self._state:
            self._timers.keep_only(self.STATE_TIMERS[target])
            self._state = target
        return handler(self, now, arg)
