"""The daemon assembled: card, media, calls, store and control socket.

Two ways to run it. Threaded (the product): a media thread paced by the card
ticks every 20 ms and posts each tick's events to the asyncio loop. Stepped
(tests, simulations): :meth:`Box.run_for` ticks on the caller's loop with a
ManualClock, so a minute of calls runs in well under a second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from firmware import __version__, sdnotify
from firmware.calls.card_commands import CardCommands
from firmware.calls.manager import CallManager
from firmware.control import CommandTable, ControlServer, EventBus
from firmware.ivr.prompts import PromptLibrary
from firmware.media.engine import MediaEngine
from firmware.media.runner import MediaRunner
from firmware.settings import DaemonSettings, SettingsError
from firmware.store.db import Store
from firmware.store.writer import RecordWriter
from hal import interface as hal
from hal.clock import Clock

log = logging.getLogger(__name__)


def open_card(settings: DaemonSettings, clock: Clock) -> hal.Card:
    """The card the settings name."""
    if settings.card.backend == "sim":
        from hal.sim.card import SimCard

        return SimCard(clock, fxs=settings.card.fxs, fxo=settings.card.fxo, law=settings.card.law)
    raise SettingsError(f"card.backend: {settings.card.backend!r} is not available")


class Box:
    """One running Centrala: everything between the card and the control socket."""

    def __init__(
        self, settings: DaemonSettings, clock: Clock, card: hal.Card | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.card = card or open_card(settings, clock)
        self.bus = EventBus()
        self.tick_hooks: list[Callable[[float], None]] = []
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threaded = False
        self._started = 0.0
        self.store: Store | None = None
        self.writer: RecordWriter | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self.control: ControlServer | None = None
        self.engine = MediaEngine(len(self.card.ports), self.card.law)
        self.commands = CardCommands(self.card, lambda msg: log.error("card: %s", msg))
        self.runner = MediaRunner(self.card, self.engine, self._deliver)
        self.manager: CallManager | None = None
        self.commands_table = CommandTable()
        self.commands_table.add("status", self._cmd_status)
        self.commands_table.add("calls", self._cmd_calls)
        self.commands_table.add("reload", self.reload)

    async def start(self, *, threaded: bool = True) -> None:
        """Open the store (seeding the default configuration on first start) and go live."""
        self._loop = asyncio.get_running_loop()
        self._threaded = threaded
        self._started = self.clock.now()
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = await Store.open(str(self.settings.database))
        ports = self.card.ports
        await self.store.record_card_ports([p.name for p in ports])
        seeded = await self.store.seed_defaults(
            [p.name for p in ports if p.kind is hal.PortKind.FXS],
            [p.name for p in ports if p.kind is hal.PortKind.FXO],
        )
        if seeded:
            log.info("first start: default configuration created")
        config = await self.store.load_config()
        self.engine.set_country(config.country)
        self.writer = RecordWriter(self.store)
        self._writer_task = asyncio.create_task(self.writer.run())
        self.manager = CallManager(
            self.card, self.commands, self.engine, self.clock,
            PromptLibrary(self.settings.data_dir / "prompts"),
            self.writer.submit, self._publish, config.country,
        )
        self.manager.configure(config)
        self.control = ControlServer(str(self.settings.socket_path), self.commands_table, self.bus)
        await self.control.start()
        if threaded:
            self.runner.start()

    def _publish(self, event: dict[str, Any]) -> None:
        """Live events go to control-socket subscribers and in-process listeners."""
        event.setdefault("time", round(self.clock.wall(), 3))
        self.bus.publish(event)
        for listener in self.listeners:
            listener(event)

    def _deliver(self, now: float, hal_events: list[Any], media_events: list[Any]) -> None:
        """Runs on the media thread after each tick (inline when stepped)."""
        self.commands.apply()
        for hook in self.tick_hooks:
            hook(now)
        if self.manager is None:
            return
        if self._threaded and self._loop is not None:
            self._loop.call_soon_threadsafe(self.manager.on_tick, now, hal_events, media_events)
        else:
            self.manager.on_tick(now, hal_events, media_events)

    async def run_for(self, seconds: float) -> None:
        """Stepped mode: run ``seconds`` of box time, yielding to the loop every tick."""
        for _ in range(round(seconds / hal.FRAME_SECONDS)):
            self.runner.step()
            await asyncio.sleep(0)

    async def _cmd_status(self) -> dict[str, Any]:
        return self.status()

    async def _cmd_calls(self) -> dict[str, Any]:
        assert self.manager is not None
        return {"calls": self.manager.call_views(self.clock.now())}

    async def reload(self) -> dict[str, Any]:
        """Re-read the configuration the web UI wrote; calls in progress carry on."""
        assert self.manager is not None and self.store is not None
        config = await self.store.load_config()
        errors = self.manager.configure(config)
        self.engine.set_country(config.country)
        self._publish({"type": "reloaded", "config_errors": errors})
        return {"reloaded": True, "config_errors": errors}

    def status(self) -> dict[str, Any]:
        assert self.manager is not None
        now = self.clock.now()
        return {
            "version": __version__,
            "uptime": round(now - self._started, 1),
            "backend": self.settings.card.backend,
            "country": self.manager.config.country,
            "ports": self.manager.port_status(),
            "queues": self.manager.acd.queue_status(now),
            "agents": self.manager.acd.agent_status(now),
            "calls": self.manager.call_views(now),
            "config_errors": list(self.manager.config_errors),
            "media": {"ticks": self.runner.ticks, "errors": self.runner.errors,
                      "call_errors": self.manager.errors},
        }

    async def stop(self) -> None:
        """Stop ticking, finish writing records, close everything."""
        if self._threaded:
            await asyncio.to_thread(self.runner.stop, 2.0)
        if self.control is not None:
            await self.control.close()
        if self.writer is not None:
            await self.writer.drain()
            await self.writer.close()
        if self._writer_task is not None:
            await self._writer_task
        if self.store is not None:
            await self.store.close()
        self.card.close()


    def healthy(self, last_ticks: int) -> bool:
        """True while the media thread has ticked since ``last_ticks`` was read."""
        return self.runner.ticks > last_ticks


async def _keep_watchdog_fed(box: Box, interval: float) -> None:
    """Ping systemd's watchdog only while media ticks advance: a stalled tick means restart."""
    last = box.runner.ticks
    while True:
        await asyncio.sleep(interval)
        if box.healthy(last):
            sdnotify.notify("WATCHDOG=1")
        else:
            log.error("media tick stalled at %d; not feeding the watchdog", last)
        last = box.runner.ticks


async def run_daemon(settings: DaemonSettings, clock: Clock, stop: asyncio.Event) -> None:
    """The daemon until ``stop`` is set (systemd's SIGTERM, or Ctrl-C)."""
    box = Box(settings, clock)
    await box.start(threaded=True)
    log.info("centrala %s running; control socket %s", __version__, settings.socket_path)
    sdnotify.notify("READY=1")
    interval = sdnotify.watchdog_interval()
    feeder = asyncio.create_task(_keep_watchdog_fed(box, interval)) if interval else None
    try:
        await stop.wait()
    finally:
        sdnotify.notify("STOPPING=1")
        if feeder is not None:
            feeder.cancel()
        started = time.monotonic()
        await box.stop()
        log.info("stopped in %.1f s", time.monotonic() - started)
