"""The board's part in the daemon: health in; status LED, port LEDs, relay and watchdog out.

The board layer (:mod:`hal.board`) knows pins and patterns; this module knows
what the box is doing. A task on the event loop ticks the board a few times a
second with the health verdict (media ticks on time, loop responsive, database
writable), so the power-fail relay bypasses and the watchdog starves as soon as
the daemon is no longer healthy.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hal.board import Board, ButtonAction
from hal.board.health import Health, HealthMonitor
from hal.board.led import PortPattern, StatusPattern
from hal.clock import Clock

log = logging.getLogger(__name__)

TICK_SECONDS = 0.2


def database_probe(path: Path) -> Callable[[], bool]:
    """A write the database must accept for the box to count as healthy."""

    def probe() -> bool:
        try:
            conn = sqlite3.connect(str(path), timeout=2.0)
            try:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES ('health_probe', datetime('now')) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
                )
                conn.commit()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            log.error("health: the database refuses writes: %s", exc)
            return False
        return True

    return probe


class BoardService:
    """Keeps the board in step with the box."""

    def __init__(
        self,
        board: Board,
        clock: Clock,
        monitor: HealthMonitor,
        ports: Callable[[], Sequence[dict[str, Any]]],
        on_action: Callable[[ButtonAction], None],
    ) -> None:
        self.board = board
        self._clock = clock
        self._monitor = monitor
        self._ports = ports
        self._on_action = on_action
        self.health: Health | None = None
        self._status: StatusPattern | None = None
        board.status_led.set(StatusPattern.BOOTING, clock.now())

    def media_ticked(self, now: float) -> None:
        """A tick hook: runs on the media thread after every tick."""
        self._monitor.media_ticked(now)

    def step(self, now: float) -> list[ButtonAction]:
        """One board step on the event loop: health verdict, LEDs, relay, watchdog, button."""
        self._monitor.loop_alive(now)
        self.health = self._monitor.check(now)
        ports = self._ports()
        status = StatusPattern.FAULT if not self.health.ok else (
            StatusPattern.LINE_ALARM if any(p.get("alarm") for p in ports)
            else StatusPattern.RUNNING
        )
        if status is not self._status:
            self.board.status_led.set(status, now)
            self._status = status
        for port in ports:
            self.board.port_leds.set(port["name"], _port_pattern(port), now)
        actions = self.board.tick(now, self.health)
        for action in actions:
            self._on_action(action)
        return actions

    async def run(self) -> None:
        while True:
            self.step(self._clock.now())
            await asyncio.sleep(TICK_SECONDS)

    def view(self) -> dict[str, Any]:
        """The board as the status command shows it."""
        temperature = self.board.read_temperature()
        return {
            "relay": self.board.relay.state.value,
            "temperature": None if temperature is None else round(temperature, 1),
            "health": "ok" if self.health is None or self.health.ok
            else ", ".join(self.health.problems),
        }

    def close(self) -> None:
        """Planned stop: relay to bypass (the phone keeps the line), watchdog disarmed."""
        self.board.close()


def _port_pattern(port: dict[str, Any]) -> PortPattern:
    if port.get("alarm"):
        return PortPattern.ALARM
    if port.get("state") in ("ringing", "alerting", "offered"):
        return PortPattern.RINGING
    if port.get("call_id") or port.get("state") not in ("idle", None):
        return PortPattern.IN_USE
    return PortPattern.IDLE
