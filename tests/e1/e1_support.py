"""Support for the E1 tests: a box on a sim card with spans, stepped on a ManualClock."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

from firmware.box import Box
from firmware.media import events as media_events
from firmware.settings import CardSettings, DaemonSettings
from firmware.store import sync
from hal.clock import ManualClock
from hal.sim.card import SimCard


def make_box(tmp_path: Path, *, fxs: int = 2, fxo: int = 0, spans: int = 1) -> tuple[Box, SimCard]:
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=fxs, fxo=fxo))
    card = SimCard(clock, fxs=fxs, fxo=fxo, spans=spans, law=settings.card.law)
    return Box(settings, clock, card), card


async def run_until(
    box: Box, condition: Callable[[], bool], limit: float, step: float = 0.1
) -> None:
    """Run box time until ``condition`` holds; fail after ``limit`` seconds of box time."""
    waited = 0.0
    while not condition():
        if waited >= limit:
            raise AssertionError(f"condition not met within {limit} s of box time")
        await box.run_for(step)
        waited += step


class DigitSpy:
    """Collects the digits the box's DTMF receivers detect, per engine channel."""

    def __init__(self, box: Box) -> None:
        assert box.manager is not None
        self.digits: dict[int, str] = {}
        manager = box.manager
        on_tick = manager.on_tick

        def spy(now: float, hal_events: list, events: list) -> None:
            for event in events:
                if isinstance(event, media_events.DigitDetected):
                    self.digits[event.channel] = self.digits.get(event.channel, "") + event.digit
            on_tick(now, hal_events, events)

        manager.on_tick = spy  # type: ignore[method-assign]


async def edit_store(box: Box, edit: Callable[[sqlite3.Connection], object]) -> None:
    """Run ``edit`` on a connection of its own in a worker thread, as the web UI would.

    The daemon's own writes need the event loop to reach their COMMIT; a blocking
    write made on the loop itself would wait for a lock the loop can never free.
    """

    def run() -> None:
        conn = sync.connect(str(box.settings.database))
        try:
            edit(conn)
        finally:
            conn.close()

    await asyncio.to_thread(run)
