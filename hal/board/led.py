"""LEDs that blink in patterns, driven by the injected clock (``tick(now)``, no threads).

A pattern is on/off times in seconds, starting with on and repeating; the LED's
level at any moment follows from the time since the pattern started, so a late
tick shows the right level rather than a drifted one.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from hal.board.gpio import OutputPin


class LedError(ValueError):
    """A pattern that cannot be shown."""


@dataclass(frozen=True)
class Pattern:
    """On, off, on, off… seconds, repeating. ``()`` is dark, ``(x,)`` is steady on."""

    steps: tuple[float, ...]

    def __post_init__(self) -> None:
        if any(not math.isfinite(s) or s <= 0 for s in self.steps):
            raise LedError(f"pattern steps are positive seconds, got {self.steps}")

    def level(self, elapsed: float) -> bool:
        """Whether the LED is lit ``elapsed`` seconds into the pattern."""
        if not self.steps:
            return False
        if len(self.steps) == 1:
            return True
        t = elapsed % sum(self.steps)
        for i, step in enumerate(self.steps):
            if t < step:
                return i % 2 == 0
            t -= step
        return False


class StatusPattern(enum.Enum):
    """The box's status LED, readable from across a room."""

    BOOTING = Pattern((0.5, 0.5))
    RUNNING = Pattern((2.9, 0.1))  # lit, with a short heartbeat blink: the daemon lives
    LINE_ALARM = Pattern((0.2, 0.2, 0.2, 1.4))  # double blink: a line or span is in alarm
    UPDATING = Pattern((0.1, 0.1))
    FAULT = Pattern((0.1, 0.1, 0.1, 0.1, 0.1, 1.5))  # triple blink
    OFF = Pattern(())
    # Reset button feedback, shown over the status for a while.
    SHOW_IP = Pattern((0.15, 0.15))
    RESET_ARMED = Pattern((0.05, 0.05))  # held long enough that letting go cancels
    FACTORY_RESET = Pattern((1.0,))


class PortPattern(enum.Enum):
    """One port's LED: idle dark, ringing blinks, in use lit, alarm flickers."""

    IDLE = Pattern(())
    RINGING = Pattern((0.25, 0.25))
    IN_USE = Pattern((1.0,))
    ALARM = Pattern((0.1, 0.9))


class BlinkingLed:
    """One LED on a GPIO output; writes the line only when the level changes."""

    def __init__(self, pin: OutputPin, name: str) -> None:
        self.pin = pin
        self.name = name
        self._pattern = Pattern(())
        self._since = 0.0
        self._overlay: tuple[Pattern, float, float] | None = None
        self._lit: bool | None = None
        self.tick(0.0)

    def __str__(self) -> str:
        return f"LED {self.name}"

    @property
    def lit(self) -> bool:
        return bool(self._lit)

    def show(self, pattern: Pattern, now: float) -> None:
        """Show ``pattern`` from ``now``; showing the current pattern again keeps its phase."""
        if pattern != self._pattern:
            self._pattern, self._since = pattern, now
        self.tick(now)

    def overlay(self, pattern: Pattern, now: float, seconds: float) -> None:
        """Show ``pattern`` for ``seconds`` over the standing one, then return to it.

        Asking again for the overlay already shown extends it without restarting it.
        """
        if self._overlay is not None and self._overlay[0] == pattern:
            self._overlay = (pattern, self._overlay[1], now + seconds)
        else:
            self._overlay = (pattern, now, now + seconds)
        self.tick(now)

    def tick(self, now: float) -> bool:
        """Set the LED for time ``now``; returns whether it is lit."""
        if self._overlay is not None and now >= self._overlay[2]:
            self._overlay = None
        if self._overlay is not None:
            pattern, since, _ = self._overlay
        else:
            pattern, since = self._pattern, self._since
        lit = pattern.level(now - since)
        if lit != self._lit:
            self.pin.write(lit)
            self._lit = lit
        return lit


class StatusLed(BlinkingLed):
    """The status LED: booting, running, line alarm, updating, fault."""

    def set(self, status: StatusPattern, now: float) -> None:
        self.show(status.value, now)


class PortLeds:
    """Per-port LEDs, by port name (``fxo1``…); ports without an LED are skipped."""

    def __init__(self, leds: Sequence[BlinkingLed]) -> None:
        self._leds = {led.name: led for led in leds}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._leds)

    def set(self, port: str, state: PortPattern, now: float) -> None:
        led = self._leds.get(port)
        if led is not None:
            led.show(state.value, now)

    def tick(self, now: float) -> None:
        for led in self._leds.values():
            led.tick(now)

    def __getitem__(self, port: str) -> BlinkingLed:
        return self._leds[port]
