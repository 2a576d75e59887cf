"""The power-fail-transfer relay: FXO line 1 wired straight to FXS phone 1 unless the box is well.

The relay is wired so that de-energised means bypass: with no power, a crashed
daemon, a hung board or a watchdog reset, the first phone still reaches the
exchange. The box energises it (lines to the box) only after it has been healthy
for ``settle`` seconds, and lets it drop at the first unhealthy check.
"""

from __future__ import annotations

import enum

from hal.board.gpio import OutputPin


class RelayState(enum.Enum):
    """Where the first line goes, in words for the console."""

    BYPASS = "bypass: line fxo1 is connected straight to phone fxs1"
    THROUGH_BOX = "normal: lines go through the box"


class BypassRelay:
    """Drives the relay line from health checks; starts (and fails) in bypass."""

    def __init__(self, pin: OutputPin, *, settle: float = 3.0) -> None:
        if settle < 0:
            raise ValueError("settle time must be >= 0")
        self.pin = pin
        self.settle = settle
        self._healthy_since: float | None = None
        self._energised = False
        self.pin.write(False)

    @property
    def state(self) -> RelayState:
        return RelayState.THROUGH_BOX if self._energised else RelayState.BYPASS

    def update(self, healthy: bool, now: float) -> RelayState:
        """Feed one health verdict; returns the relay's state after it."""
        if not healthy:
            self._healthy_since = None
            self._set(False)
        else:
            if self._healthy_since is None:
                self._healthy_since = now
            if now - self._healthy_since >= self.settle:
                self._set(True)
        return self.state

    def bypass_now(self) -> None:
        """Drop to bypass at once (daemon stopping, update starting)."""
        self._healthy_since = None
        self._set(False)

    def _set(self, energised: bool) -> None:
        if energised != self._energised:
            self.pin.write(energised)
            self._energised = energised
