"""Drives the media engine from the card's 20 ms clock, in its own thread or step by step.

The card paces the loop (``wait_tick`` blocks until the next frame is due), so the
runner never sleeps on its own except to back off after an error. Whatever goes
wrong inside one tick is counted and kept for the health check, and the loop goes
on: a bad frame from a line must never silence the box.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from firmware.media.engine import MediaEngine
from firmware.media.events import MediaEvent
from hal import g711
from hal.interface import FRAME_SAMPLES, FRAME_SECONDS, Card, HalEvent

Deliver = Callable[[float, list[HalEvent], list[MediaEvent]], None]


class MediaRunner:
    """One tick is: wait for the card, read, poll events, run the engine, write, deliver.

    ``deliver`` is called every tick, even with empty lists, because the layers
    above run their timers on it. ``timer`` measures tick durations for the health
    check (a duration, never a timestamp the logic relies on).
    """

    def __init__(
        self,
        card: Card,
        engine: MediaEngine,
        deliver: Deliver,
        *,
        timer: Callable[[], float] = time.perf_counter,
        error_backoff: float = FRAME_SECONDS,
    ) -> None:
        self.card = card
        self.engine = engine
        self.deliver = deliver
        self._timer = timer
        self._error_backoff = error_backoff
        self._silence = np.full(
            (len(card.ports), FRAME_SAMPLES), g711.SILENCE[card.law], dtype=np.uint8
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0
        self.errors = 0
        self.last_error: Exception | None = None
        self.last_tick_duration = 0.0

    @property
    def running(self) -> bool:
        """True while the media thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def step(self) -> None:
        """Run one tick synchronously; errors are counted, kept and not raised."""
        self._step()

    def _step(self) -> bool:
        try:
            now = self.card.wait_tick()
            started = self._timer()
            rx = self.card.read_frames()
            hal_events = self.card.poll_events()
        except Exception as exc:  # the card failed: nothing to process this tick
            self._record(exc)
            return False
        ok = True
        try:
            tx, media_events = self.engine.tick(rx, now)
        except Exception as exc:  # a bad frame: send silence, keep the line events
            self._record(exc)
            tx, media_events, ok = self._silence, [], False
        try:
            self.card.write_frames(tx)
        except Exception as exc:
            self._record(exc)
            ok = False
        try:
            self.deliver(now, hal_events, media_events)
        except Exception as exc:
            self._record(exc)
            ok = False
        self.ticks += 1
        self.last_tick_duration = self._timer() - started
        return ok

    def _record(self, exc: Exception) -> None:
        self.errors += 1
        self.last_error = exc

    def start(self) -> None:
        """Run ticks in a daemon thread until :meth:`stop`."""
        if self.running:
            raise RuntimeError("the media runner is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="media", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._step():
                self._stop.wait(self._error_backoff)  # do not spin on a card that is gone

    def stop(self, timeout: float = 1.0) -> bool:
        """Ask the thread to end and wait up to ``timeout`` s; True if it has ended."""
        self._stop.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()
