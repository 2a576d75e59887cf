"""The daemon's health, as the watchdog and the bypass relay judge it.

Healthy means three things at once: the media tick ran recently (audio flows),
the event loop answered recently (calls are handled), and the database took a
write (calls are recorded). Each part reports to :class:`HealthMonitor` from
where it runs; the board asks for a verdict on its own tick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Health:
    """One verdict, with the reasons when it is not healthy."""

    media_on_time: bool
    loop_responsive: bool
    db_writable: bool

    @property
    def ok(self) -> bool:
        return self.media_on_time and self.loop_responsive and self.db_writable

    @property
    def problems(self) -> tuple[str, ...]:
        out = []
        if not self.media_on_time:
            out.append("media tick stalled")
        if not self.loop_responsive:
            out.append("event loop not responding")
        if not self.db_writable:
            out.append("database not writable")
        return tuple(out)


class HealthMonitor:
    """Collects heartbeats and answers :meth:`check`.

    ``media_stall`` is how late a media tick may be (ticks are 20 ms apart; a few
    hundred ms late means audio is broken); ``loop_stall`` how long the event loop
    may stay silent. ``db_probe`` returns whether a test write succeeded; it is
    called at most every ``db_every`` seconds, as a write costs flash wear.
    """

    def __init__(
        self,
        db_probe: Callable[[], bool],
        *,
        media_stall: float = 0.5,
        loop_stall: float = 2.0,
        db_every: float = 30.0,
    ) -> None:
        self.db_probe = db_probe
        self.media_stall = media_stall
        self.loop_stall = loop_stall
        self.db_every = db_every
        self._media_at: float | None = None
        self._loop_at: float | None = None
        self._db_at: float | None = None
        self._db_ok = False

    def media_ticked(self, now: float) -> None:
        """Called by the media thread after each tick."""
        self._media_at = now

    def loop_alive(self, now: float) -> None:
        """Called from a periodic task on the event loop."""
        self._loop_at = now

    def check(self, now: float) -> Health:
        if self._db_at is None or now - self._db_at >= self.db_every:
            self._db_at = now
            try:
                self._db_ok = bool(self.db_probe())
            except Exception:  # any failure of the probe means "not writable"
                self._db_ok = False
        return Health(
            media_on_time=self._media_at is not None and now - self._media_at <= self.media_stall,
            loop_responsive=self._loop_at is not None and now - self._loop_at <= self.loop_stall,
            db_writable=self._db_ok,
        )
