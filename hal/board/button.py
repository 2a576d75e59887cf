"""The reset button: debounced from edge timestamps, short press and long hold told apart.

A short press (under ``short_max`` seconds) asks to show the box's IP address; a
hold of ``hold`` seconds (10 s) asks for a factory reset, decided while the button
is still down so the LED can confirm it. Letting go between the two cancels:
someone who held it too long to mean "show IP" and changed their mind.
"""

from __future__ import annotations

import enum

from hal.board.gpio import Edge


class ButtonAction(enum.Enum):
    """What the daemon is asked to do."""

    SHOW_IP = "show ip"
    FACTORY_RESET = "factory reset"


class ButtonPhase(enum.Enum):
    """Where a press is, for the LED to show it."""

    RELEASED = "released"
    PRESSED = "pressed"
    ARMED = "armed"  # held past short_max: letting go now cancels
    RESETTING = "resetting"  # held for the full hold: factory reset was asked for


class ResetButton:
    """Debounce (a level counts once it stayed ``debounce`` s) and press timing."""

    def __init__(
        self, *, debounce: float = 0.03, short_max: float = 2.0, hold: float = 10.0
    ) -> None:
        if not 0 < debounce < short_max < hold:
            raise ValueError("need 0 < debounce < short_max < hold")
        self.debounce = debounce
        self.short_max = short_max
        self.hold = hold
        self._raw = False
        self._raw_since = 0.0
        self._stable = False
        self._pressed_at = 0.0
        self._fired = False

    def feed(self, edges: list[Edge], now: float) -> list[ButtonAction]:
        """Take the edges read since the last call and the time now; return actions."""
        actions: list[ButtonAction] = []
        for edge in sorted(edges, key=lambda e: e.at):
            if edge.active != self._raw:
                actions += self._settle(edge.at)
                self._raw, self._raw_since = edge.active, edge.at
        actions += self._settle(now)
        if self._stable and not self._fired and now - self._pressed_at >= self.hold:
            self._fired = True
            actions.append(ButtonAction.FACTORY_RESET)
        return actions

    def _settle(self, t: float) -> list[ButtonAction]:
        """Accept the raw level if it has held for the debounce time by ``t``."""
        if self._raw == self._stable or t - self._raw_since < self.debounce:
            return []
        self._stable = self._raw
        if self._stable:
            self._pressed_at = self._raw_since
            self._fired = False
            return []
        held = self._raw_since - self._pressed_at
        if not self._fired and held < self.short_max:
            return [ButtonAction.SHOW_IP]
        return []

    def phase(self, now: float) -> ButtonPhase:
        if not self._stable:
            return ButtonPhase.RELEASED
        if self._fired:
            return ButtonPhase.RESETTING
        if now - self._pressed_at >= self.short_max:
            return ButtonPhase.ARMED
        return ButtonPhase.PRESSED
