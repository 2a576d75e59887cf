"""The daemon assembled: card, media, calls, store and control socket.

Two ways to run it. Threaded (the product): a media thread paced by the card
ticks every 20 ms and posts each tick's events to the asyncio loop. Stepped
(tests, simulations): :meth:`Box.run_for` ticks on the caller's loop with a
ManualClock, so a minute of calls runs in well under a second.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware import __version__, sdnotify
from firmware.acd.agents import AgentRuntime, AgentState
from firmware.acd.service import AcdError
from firmware.audio_service import AudioService
from firmware.board_service import BoardService, database_probe
from firmware.calls.analog import (
    DiagnosticsError,
    FxoPort,
    FxoTrunkMember,
    FxsPort,
    LineDiagnostics,
)
from firmware.calls.card_commands import CardCommands
from firmware.calls.manager import CallManager
from firmware.calls.recording_policy import RecordingSweeper, sweep_recordings
from firmware.calls.supervision import SupervisionError
from firmware.control import CommandTable, ControlServer, EventBus
from firmware.control.protocol import CommandError
from firmware.ivr.prompts import PromptLibrary
from firmware.media.engine import MediaEngine
from firmware.media.recording import WavFileSink
from firmware.media.runner import MediaRunner
from firmware.media.tone_learning import LineToneProfile
from firmware.settings import DaemonSettings, SettingsError
from firmware.store import analog as analog_store
from firmware.store import trunk_sync
from firmware.store.clients import load_client_directory_at
from firmware.store.db import Store
from firmware.store.defaults import DEFAULT_FLOW
from firmware.store.models import ConfigError
from firmware.store.sync import connect as sqlite_connect
from firmware.store.writer import RecordWriter
from hal import interface as hal
from hal.board import ButtonAction, open_board, sim_board
from hal.board.health import HealthMonitor
from hal.clock import Clock

log = logging.getLogger(__name__)


def open_card(settings: DaemonSettings, clock: Clock) -> hal.Card:
    """The card the settings name."""
    if settings.card.backend == "sim":
        from hal.sim.card import SimCard

        return SimCard(clock, fxs=settings.card.fxs, fxo=settings.card.fxo, law=settings.card.law)
    if settings.card.backend == "dahdi":
        return open_dahdi_card(settings, clock)
    raise SettingsError(f"card.backend: {settings.card.backend!r} is not available")


def open_dahdi_card(settings: DaemonSettings, clock: Clock) -> hal.Card:
    """Configure DAHDI for the box's lines (system.conf, dahdi_cfg), then open them.

    This runs before the media thread starts, so dahdi_cfg never holds up a tick.
    With E1 spans the card also carries each span's 30 B-channels as audio rows and
    its D-channel for the PRI signalling.
    """
    import functools

    from hal.dahdi import system_conf
    from hal.dahdi.card import DahdiCard
    from hal.dahdi.combined import DahdiE1Card, refuse_changes

    card = settings.card
    ports = [
        system_conf.AnalogPort(channel, hal.PortKind.FXO, number)
        for number, channel in enumerate(card.fxo_channels, start=1)
    ] + [
        system_conf.AnalogPort(channel, hal.PortKind.FXS, number)
        for number, channel in enumerate(card.fxs_channels, start=1)
    ]
    lines = system_conf.BoxLines(country=card.zone, analog=tuple(ports), spans=card.spans)
    if card.system_conf:
        system_conf.apply(lines, Path(card.system_conf))
    if not card.spans:
        return DahdiCard(clock, [p.channel for p in ports], law=card.law)
    apply: Callable[[system_conf.BoxLines], object] = (
        functools.partial(system_conf.apply, path=Path(card.system_conf))
        if card.system_conf
        else refuse_changes
    )
    return DahdiE1Card(clock, lines, law=card.law, apply=apply)


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
        self._background: set[asyncio.Task[Any]] = set()
        self.board: BoardService | None = None
        self._board_task: asyncio.Task[None] | None = None
        self.sim_gpio: Any = None
        self.sim_watchdog: Any = None
        self.stop_requested = asyncio.Event()
        self.factory_reset = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threaded = False
        self._started = 0.0
        self.store: Store | None = None
        self.writer: RecordWriter | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self.control: ControlServer | None = None
        # Call recordings and voicemail: written off the media thread.
        self.recordings = WavFileSink(settings.data_dir / "recordings")
        # Music on hold and paging: absent (None device) when the board has no sound.
        self.audio = AudioService(settings.audio, clock)
        self.engine = MediaEngine(
            len(self.card.ports), self.card.law,
            recording_sink=self.audio.recording_sink(self.recordings),
        )
        self.commands = CardCommands(self.card, lambda msg: log.error("card: %s", msg))
        self.runner = MediaRunner(self.card, self.engine, self._deliver)
        self.manager: CallManager | None = None
        self.commands_table = CommandTable()
        self.commands_table.add("status", self._cmd_status)
        self.commands_table.add("calls", self._cmd_calls)
        self.commands_table.add("reload", self.reload)
        self.commands_table.add("analog-ports", self._cmd_analog_ports)
        self.commands_table.add("ring-phone", self._cmd_ring_phone)
        self.commands_table.add("test-call", self._cmd_test_call)
        self.commands_table.add("message-waiting", self._cmd_message_waiting)
        self.commands_table.add("learn-tone", self._cmd_learn_tone)
        self.commands_table.add("agent_login", self._cmd_agent_login)
        self.commands_table.add("agent_logout", self._cmd_agent_logout)
        self.commands_table.add("agent_pause", self._cmd_agent_pause)
        self.commands_table.add("agent_unpause", self._cmd_agent_unpause)
        self.commands_table.add("spans", self._cmd_spans)
        self.commands_table.add("span-trace-start", self._cmd_span_trace_start)
        self.commands_table.add("span-trace-stop", self._cmd_span_trace_stop)
        self.commands_table.add("span-trace", self._cmd_span_trace)
        self.commands_table.add("span-trace-pcap", self._cmd_span_trace_pcap)
        self.commands_table.add("supervise", self._cmd_supervise)
        self.commands_table.add("supervise-mode", self._cmd_supervise_mode)
        self.commands_table.add("supervise-stop", self._cmd_supervise_stop)
        self.commands_table.add("supervisions", self._cmd_supervisions)
        self.commands_table.add("recordings-sweep", self._cmd_recordings_sweep)

    async def start(self, *, threaded: bool = True) -> None:
        """Open the store (seeding the default configuration on first start) and go live."""
        self._loop = asyncio.get_running_loop()
        self._threaded = threaded
        self._started = self.clock.now()
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.recordings.directory.mkdir(exist_ok=True)
        self.store = await Store.open(str(self.settings.database))
        ports = self.card.ports
        await self.store.record_card_ports([p.name for p in ports])
        seeded = await self.store.seed_defaults(
            [p.name for p in ports if p.kind is hal.PortKind.FXS],
            [p.name for p in ports if p.kind is hal.PortKind.FXO],
        )
        if seeded:
            log.info("first start: default configuration created")
            if any(p.kind is hal.PortKind.E1B for p in ports):
                # Calls on an E1 span reach the same greeting as calls on a line.
                await asyncio.to_thread(
                    trunk_sync.seed_did_default, str(self.settings.database), DEFAULT_FLOW
                )
        config = await self.store.load_config()
        self.engine.set_country(config.country)
        self.writer = RecordWriter(self.store)
        self._writer_task = asyncio.create_task(self.writer.run())
        self.manager = CallManager(
            self.card, self.commands, self.engine, self.clock,
            PromptLibrary(self.settings.data_dir / "prompts"),
            self.writer.submit, self._publish, config.country,
        )
        await self._configure_analog(config.country)
        await self._configure_audio()
        self.tick_hooks.append(self.audio.tick)
        self.manager.experience.music_on_hold = self.audio.moh
        self.manager.configure(config)
        self.tick_hooks.append(self.manager.pri.pump)
        await self._configure_trunks()
        await self._configure_clients()
        self.control = ControlServer(str(self.settings.socket_path), self.commands_table, self.bus)
        await self.control.start()
        self._open_board(threaded)
        # Recordings past their retention or over the quota go, every few minutes of box time.
        self._sweeper = RecordingSweeper(self.manager.timers, self._sweep_in_background)
        self._sweeper.start(self.clock.now())
        if threaded:
            self.recordings.start()
            self.runner.start()
        else:
            # Stepped: files are written on the loop's own thread, once a tick.
            self.tick_hooks.append(lambda now: self.recordings.pump())

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

    async def _cmd_agent_login(self, agent: str) -> dict[str, Any]:
        return await self._agent_presence(agent, logged_in=True)

    async def _cmd_agent_logout(self, agent: str) -> dict[str, Any]:
        return await self._agent_presence(agent, logged_in=False)

    async def _agent_presence(self, agent: str, *, logged_in: bool) -> dict[str, Any]:
        """Log an agent in or out, recorded in the store first so a reload keeps it."""
        assert self.manager is not None and self.store is not None
        acd = self.manager.acd
        if not isinstance(agent, str) or agent not in acd.agents:
            raise CommandError(f"no agent named {agent!r}")
        try:
            await self.store.set_agent_logged_in(agent, logged_in)
        except ConfigError as exc:
            raise CommandError(exc.message) from None
        now = self.clock.now()
        try:
            runtime = acd.login(agent, now) if logged_in else acd.logout(agent, now)
        except AcdError as exc:
            raise CommandError(str(exc)) from None
        return _agent_answer(runtime)

    async def _cmd_agent_pause(self, agent: str, reason: str) -> dict[str, Any]:
        """Pause an agent with one of the configured reasons (not kept over a restart)."""
        assert self.manager is not None
        if not isinstance(agent, str) or not isinstance(reason, str):
            raise CommandError("agent and reason must be text")
        try:
            runtime = self.manager.acd.pause(agent, reason, self.clock.now())
        except AcdError as exc:
            raise CommandError(str(exc)) from None
        return _agent_answer(runtime)

    async def _cmd_agent_unpause(self, agent: str) -> dict[str, Any]:
        assert self.manager is not None
        if not isinstance(agent, str):
            raise CommandError("agent must be text")
        try:
            runtime = self.manager.acd.unpause(agent, self.clock.now())
        except AcdError as exc:
            raise CommandError(str(exc)) from None
        return _agent_answer(runtime)

    async def reload(self) -> dict[str, Any]:
        """Re-read the configuration the web UI wrote; calls in progress carry on."""
        assert self.manager is not None and self.store is not None
        config = await self.store.load_config()
        await self._configure_analog(config.country)
        audio_errors = await self._configure_audio()
        errors = self.manager.configure(config) + audio_errors
        errors += await self._configure_trunks()
        await self._configure_clients()
        self.engine.set_country(config.country)
        self._publish({"type": "reloaded", "config_errors": errors})
        return {"reloaded": True, "config_errors": errors}

    async def _configure_clients(self) -> None:
        """Which client owns each line, number, flow and queue, for the calls' views."""
        assert self.manager is not None
        self.manager.clients = await asyncio.to_thread(
            load_client_directory_at, str(self.settings.database)
        )

    async def _configure_audio(self) -> list[str]:
        """Music-on-hold source and playlist, and the paging extension, from the store."""
        assert self.manager is not None
        return await self.audio.configure(
            self.manager.stations, self.engine, self._publish, str(self.settings.database),
            self.settings.data_dir / "prompts",
        )

    async def _configure_trunks(self) -> list[str]:
        """Spans, DID routes, trunk groups and outbound routes from the store."""
        assert self.manager is not None
        trunks = await asyncio.to_thread(
            trunk_sync.load_trunk_config_at, str(self.settings.database)
        )
        manager = self.manager
        errors = manager.pri.configure(trunks.spans, self.clock.now())
        members: dict[str, Any] = dict(manager.pri.members())
        members.update(
            (p.info.name, FxoTrunkMember(p)) for p in manager.ports if isinstance(p, FxoPort)
        )
        errors += manager.router.configure(trunks, members)
        for error in errors:
            log.error("configuration: %s", error)
        manager.config_errors.extend(errors)
        return errors

    def _span(self, span: str) -> Any:
        assert self.manager is not None
        found = self.manager.pri.by_name(str(span))
        if found is None:
            known = ", ".join(s.name for s in self.manager.pri.spans.values()) or "none"
            raise CommandError(f"no span {span!r}; this box has: {known}")
        return found

    async def _cmd_spans(self) -> dict[str, Any]:
        assert self.manager is not None
        return {"spans": self.manager.pri.views()}

    async def _cmd_span_trace_start(self, span: str) -> dict[str, Any]:
        """Start a fresh D-channel trace of ``span`` (the technician's "record" button)."""
        found = self._span(span)
        found.trace.start(self.clock.wall())
        return {"span": found.name, "running": True}

    async def _cmd_span_trace_stop(self, span: str) -> dict[str, Any]:
        found = self._span(span)
        found.trace.stop()
        return {"span": found.name, "running": False, "frames": len(found.trace.entries)}

    async def _cmd_span_trace(self, span: str, since: int = 0) -> dict[str, Any]:
        """The trace's lines from number ``since`` on, so a page can poll for new ones."""
        found = self._span(span)
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            raise CommandError("since must be a whole number >= 0")
        return {"span": found.name, "running": found.trace.running,
                "total": len(found.trace.entries), "lines": found.trace.lines(since)}

    async def _cmd_span_trace_pcap(self, span: str) -> dict[str, Any]:
        found = self._span(span)
        return {"span": found.name,
                "pcap": base64.b64encode(found.trace.pcap()).decode("ascii")}

    async def _configure_analog(self, country: str) -> None:
        """Per-port analog settings and the outside-line prefix; calls in progress keep theirs."""
        assert self.manager is not None
        stored, prefix = await asyncio.to_thread(
            analog_store.load_analog, str(self.settings.database)
        )
        self.manager.stations.outside_prefix = prefix
        for port in self.manager.ports:
            own = stored.get(port.info.name) or analog_store.AnalogPortSettings(port.info.name)
            if isinstance(port, FxsPort):
                port.apply_settings(own, country)
            elif isinstance(port, FxoPort):
                port.apply_settings(own)
                port.on_learned = self._keep_learned_tone

    def _keep_learned_tone(self, port: FxoPort, profile: LineToneProfile) -> None:
        """Store a line's learned disconnect tone, so it survives restarts (loop thread)."""
        text = json.dumps(profile.to_dict())
        database = str(self.settings.database)

        def save() -> None:
            conn = sqlite_connect(database)
            try:
                analog_store.save_disconnect_profile(conn, port.info.name, text)
            finally:
                conn.close()

        task = asyncio.create_task(asyncio.to_thread(save))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        self._publish({"type": "tone-learned", "port": port.info.name,
                       "profile": profile.to_dict()})

    # -- supervision and recordings (listen/whisper/barge from the wallboard) -------------

    async def _cmd_supervise(self, supervisor: str, call_id: str, mode: str) -> dict[str, Any]:
        """Ring a supervisor's phone (extension or port) to join a call in a mode."""
        assert self.manager is not None
        try:
            return self.manager.supervision.start(supervisor, call_id, mode, self.clock.now())
        except SupervisionError as exc:
            raise CommandError(str(exc)) from None

    async def _cmd_supervise_mode(self, supervisor: str, mode: str) -> dict[str, Any]:
        assert self.manager is not None
        try:
            return self.manager.supervision.change_mode(supervisor, mode, self.clock.now())
        except SupervisionError as exc:
            raise CommandError(str(exc)) from None

    async def _cmd_supervise_stop(self, supervisor: str) -> dict[str, Any]:
        assert self.manager is not None
        try:
            return self.manager.supervision.stop(supervisor, self.clock.now())
        except SupervisionError as exc:
            raise CommandError(str(exc)) from None

    async def _cmd_supervisions(self) -> dict[str, Any]:
        assert self.manager is not None
        return {"supervisions": self.manager.supervision.views(),
                "callbacks": self.manager.callbacks.views()}

    async def _cmd_recordings_sweep(self) -> dict[str, Any]:
        """Apply the recordings' retention and quota now (the sweep also runs on its own)."""
        result = await asyncio.to_thread(
            sweep_recordings, str(self.settings.database), self.recordings.directory,
            self.clock.wall(),
        )
        return dataclasses.asdict(result)

    def _sweep_in_background(self) -> None:
        task = asyncio.create_task(asyncio.to_thread(
            sweep_recordings, str(self.settings.database), self.recordings.directory,
            self.clock.wall(),
        ))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _cmd_learn_tone(self, port: str, seconds: float = 10.0) -> dict[str, Any]:
        """Start measuring an FXO line's disconnect tone; a "tone-learned" event follows."""
        assert self.manager is not None
        line = next((p for p in self.manager.ports
                     if isinstance(p, FxoPort) and p.info.name == port), None)
        if line is None:
            raise CommandError(f"no exchange line {port!r}")
        if not isinstance(seconds, int | float) or not 2 <= seconds <= 60:
            raise CommandError("seconds must be a number from 2 to 60")
        if line.machine.state.value == "idle":
            raise CommandError(
                f"{port} is idle: make a call on it and let the far end hang up first, "
                "so the line plays its disconnect tone"
            )
        line.learn_disconnect_tone(float(seconds))
        return {"port": port, "learning": True, "seconds": seconds}

    def _diagnostics(self) -> LineDiagnostics:
        assert self.manager is not None
        return LineDiagnostics(self.manager.ports, self.manager.timers)

    async def _cmd_analog_ports(self) -> dict[str, Any]:
        assert self.manager is not None
        return {"ports": self._diagnostics().views(),
                "phone_calls": self.manager.stations.views()}

    async def _cmd_ring_phone(self, port: str, seconds: float = 10.0) -> dict[str, Any]:
        try:
            return self._diagnostics().ring_phone(port, seconds, self.clock.now())
        except DiagnosticsError as exc:
            raise CommandError(str(exc)) from None

    async def _cmd_test_call(self, port: str, number: str, hold: float = 10.0) -> dict[str, Any]:
        try:
            return self._diagnostics().test_call(port, number, hold, self.clock.now())
        except DiagnosticsError as exc:
            raise CommandError(str(exc)) from None

    async def _cmd_message_waiting(self, port: str, waiting: bool) -> dict[str, Any]:
        try:
            return self._diagnostics().message_waiting(port, waiting)
        except DiagnosticsError as exc:
            raise CommandError(str(exc)) from None

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
            "spans": self.manager.pri.views(),
            "board": self.board.view() if self.board is not None else None,
            "audio": self.audio.view(),
            "media": {"ticks": self.runner.ticks, "errors": self.runner.errors,
                      "call_errors": self.manager.errors},
        }

    def _open_board(self, threaded: bool) -> None:
        """Drive the board the settings name; a broken board file stops the start clearly."""
        if self.settings.board == "none":
            return
        if self.settings.board == "sim":
            # The twins stay reachable, so the demo and tests can press the button.
            board, self.sim_gpio, self.sim_watchdog = sim_board()
        elif "/" in self.settings.board or self.settings.board.endswith(".toml"):
            board = open_board(self.settings.board)
        else:
            board = open_board(model=self.settings.board)
        assert self.manager is not None
        self.board = BoardService(
            board, self.clock, HealthMonitor(database_probe(self.settings.database)),
            self.manager.port_status, self._on_button,
        )
        self.tick_hooks.append(self.board.media_ticked)
        if threaded:
            self._board_task = asyncio.create_task(self.board.run())

    def _on_button(self, action: ButtonAction) -> None:
        if action is ButtonAction.SHOW_IP:
            log.info("reset button: the box's addresses are\n%s", _ip_addresses())
            self._publish({"type": "button", "action": "show-ip"})
        elif action is ButtonAction.FACTORY_RESET:
            log.warning("reset button held 10 s: factory reset requested")
            self._publish({"type": "button", "action": "factory-reset"})
            self.factory_reset = True
            self.stop_requested.set()

    async def stop(self) -> None:
        """Stop ticking, finish writing records, close everything."""
        if self._board_task is not None:
            self._board_task.cancel()
        if self.board is not None:
            self.board.close()
        if self._threaded:
            await asyncio.to_thread(self.runner.stop, 2.0)
        self.audio.close()
        await asyncio.to_thread(self.recordings.close, 5.0)
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


def _agent_answer(agent: AgentRuntime) -> dict[str, Any]:
    """What an agent command answers: the state now, and what applies after the work."""
    return {
        "agent": agent.name,
        "state": agent.state.value,
        "reason": agent.pause_reason if agent.state is AgentState.PAUSED else None,
        "after_call": agent.presence.value,
    }


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
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(box.stop_requested.wait())]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
    finally:
        sdnotify.notify("STOPPING=1")
        if feeder is not None:
            feeder.cancel()
        started = time.monotonic()
        await box.stop()
        log.info("stopped in %.1f s", time.monotonic() - started)
    if box.factory_reset:
        kept = reset_to_factory(settings.database, clock.wall())
        log.warning("factory reset: the configuration was moved to %s; starting afresh", kept)
        raise SystemExit(RESTART_EXIT_CODE)


# systemd's Restart=on-failure starts the daemon again after this exit.
RESTART_EXIT_CODE = 75


def reset_to_factory(database: Path, wall: float) -> Path:
    """Move the database aside (never delete: nothing committed is lost) for a fresh start."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(wall))
    kept = database.with_name(f"{database.name}.before-reset-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(database) + suffix)
        if part.exists():
            part.rename(Path(str(kept) + suffix))
    return kept


def _ip_addresses() -> str:
    from firmware.console.commands import ip_addresses

    return ip_addresses()
