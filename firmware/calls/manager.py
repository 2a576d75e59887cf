"""The call layer: line events in, calls through IVR and ACD, records out.

It runs on the asyncio thread, once per tick, fed by the media runner with the
tick's HAL and media events. It owns one signaling machine per port, turns
their actions into card and media commands, and implements the ACD's
:class:`~firmware.acd.service.AgentLine` so queues can ring phones.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from firmware.acd.agents import AgentRuntime
from firmware.acd.service import Acd
from firmware.calls.card_commands import CardCommands
from firmware.calls.model import Call, CallState
from firmware.calls.timers import Timers
from firmware.ivr import actions as ivr_actions
from firmware.ivr.prompts import PromptLibrary
from firmware.ivr.session import IvrSession
from firmware.media import events as media_events
from firmware.media.engine import MediaEngine
from firmware.media.prompts import PromptError
from firmware.media.tones import RING_CADENCES
from firmware.signaling.loopstart import events as sig
from firmware.signaling.loopstart.fxo import FxoConfig, FxoLine
from firmware.signaling.loopstart.fxs import FxsConfig, FxsLine
from firmware.store.models import BoxConfig, Cdr, QueueLogEntry
from hal import interface as hal
from hal.clock import Clock

log = logging.getLogger(__name__)


class PortDriver:
    """One port: its signaling machine and what is happening on it."""

    def __init__(self, info: hal.PortInfo, machine: FxsLine | FxoLine) -> None:
        self.info = info
        self.machine = machine
        self.call_id: str | None = None
        self.agent: str | None = None
        self.alarm: str | None = None
        self.offhook = False

    @property
    def state(self) -> str:
        if self.alarm:
            return "alarm"
        return str(self.machine.state.value).lower()


class CallManager:
    """All calls of the box, and the ports they use."""

    def __init__(
        self,
        card: hal.Card,
        commands: CardCommands,
        engine: MediaEngine,
        clock: Clock,
        prompts: PromptLibrary,
        record: Callable[[Cdr | QueueLogEntry], None],
        publish: Callable[[dict[str, Any]], None],
        country: str = "PL",
    ) -> None:
        self._card = card
        self._commands = commands
        self._engine = engine
        self._clock = clock
        self._prompts = prompts
        self._record = record
        self._publish = publish
        self._country = country
        self._now = clock.now()
        self._ids = itertools.count(1)
        self.timers = Timers()
        self.acd = Acd(self.timers, self, record, publish, clock.wall)
        self.ports: list[PortDriver] = []
        for info in card.ports:
            if info.kind is hal.PortKind.FXO:
                machine: FxsLine | FxoLine = FxoLine(FxoConfig())
            else:
                machine = FxsLine(FxsConfig(ring_cadence=RING_CADENCES.get(country, (1.0, 4.0))))
            self.ports.append(PortDriver(info, machine))
        self.calls: dict[str, Call] = {}
        self.config = BoxConfig((), (), (), (), country)
        self.config_errors: list[str] = []
        self.errors = 0
        self._routes: dict[str, str] = {}
        self._flows: dict[str, dict] = {}

    # -- configuration -------------------------------------------------
    def configure(self, config: BoxConfig) -> list[str]:
        """Apply a configuration; rows naming ports this card lacks are reported and skipped."""
        errors: list[str] = []
        fxs = {p.name for p in self._card.ports if p.kind is hal.PortKind.FXS}
        fxo = {p.name for p in self._card.ports if p.kind is hal.PortKind.FXO}
        agents = []
        for i, agent in enumerate(config.agents):
            if agent.port not in fxs:
                errors.append(f"agents[{i}].port: unknown port {agent.port!r} "
                              f"(agent {agent.name}); this card's phone ports: "
                              f"{', '.join(sorted(fxs)) or 'none'}")
                continue
            agents.append(agent)
        routes = {}
        for i, route in enumerate(config.routes):
            if route.port not in fxo:
                errors.append(f"routes[{i}].port: unknown port {route.port!r}; this card's "
                              f"lines: {', '.join(sorted(fxo)) or 'none'}")
                continue
            routes[route.port] = route.destination
        self.config = config
        self.config_errors = errors
        self._routes = routes
        self._flows = {f.name: f.definition for f in config.flows}
        self._prompts.forget()
        self.acd.configure(agents, config.queues, self._now)
        for port in self.ports:
            port.agent = None
        for agent in agents:
            self.ports[self._card.port_by_name(agent.port).index].agent = agent.name
        for error in errors:
            log.error("configuration: %s", error)
        return errors

    # -- the tick ------------------------------------------------------
    def on_tick(
        self,
        now: float,
        hal_events: Sequence[hal.HalEvent],
        events: Sequence[media_events.MediaEvent],
    ) -> None:
        """Handle one tick's events, then the machines' and applications' timers.

        A fault while handling one event is logged and counted; it never stops
        the others or the daemon.
        """
        self._now = now
        for event in hal_events:
            self._guarded(self._on_hal, event, now)
        for event in events:
            self._guarded(self._on_media, event, now)
        for port in self.ports:
            deadline = port.machine.next_deadline()
            if deadline is not None and deadline <= now:
                self._guarded(self._run_machine_timer, port, now)
        self._guarded(self.timers.run_due, now)

    def _guarded(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a fault in one call must not take down the others
            self.errors += 1
            log.exception("error while handling %s", args[0])

    def _run_machine_timer(self, port: PortDriver, now: float) -> None:
        self._apply(port, port.machine.handle_timer(now), now)

    def _on_hal(self, event: hal.HalEvent, now: float) -> None:
        port = self.ports[event.port]
        machine = port.machine
        if isinstance(event, hal.AlarmChanged):
            port.alarm = event.alarm
            self._publish({"type": "port-alarm", "port": port.info.name, "alarm": event.alarm})
            return
        if isinstance(machine, FxsLine):
            if isinstance(event, hal.HookChanged):
                port.offhook = event.offhook
                self._apply(port, machine.hook(event.offhook, now), now)
            return
        if isinstance(event, hal.RingStarted):
            out = machine.ring_started(now)
        elif isinstance(event, hal.RingStopped):
            out = machine.ring_stopped(now)
        elif isinstance(event, hal.PolarityReversed):
            out = machine.polarity_reversed(now)
        elif isinstance(event, hal.LoopCurrentDrop):
            out = machine.loop_current_drop(now)
        else:
            return
        self._apply(port, out, now)

    def _on_media(self, event: media_events.MediaEvent, now: float) -> None:
        port = self.ports[event.channel]
        machine = port.machine
        if isinstance(event, media_events.DigitDetected):
            if isinstance(machine, FxsLine):
                self._apply(port, machine.digit(event.digit, now), now)
            else:
                call = self.calls.get(port.call_id or "")
                if call is not None and call.ivr is not None and not call.ivr.finished:
                    self._run_ivr(call, call.ivr.digit(event.digit), now)
        elif isinstance(event, media_events.PromptFinished):
            self._prompt_finished(port, event.tag, now)
        elif isinstance(event, media_events.CallerIdReceived) and isinstance(machine, FxoLine):
            cid = event.caller_id
            self._apply(port, machine.caller_id(cid.number, cid.name, cid.datetime, now), now)
        elif isinstance(event, media_events.DigitsSent) and isinstance(machine, FxoLine):
            self._apply(port, machine.digits_sent(now), now)

    # -- machine outputs -----------------------------------------------
    def _apply(self, port: PortDriver, outputs: Sequence[Any], now: float) -> None:
        index = port.info.index
        for out in outputs:
            match out:
                case sig.StartRing(cadence=cadence):
                    self._commands.start_ring(index, cadence)
                case sig.StopRing():
                    self._commands.stop_ring(index)
                case sig.PlayTone(name=name):
                    self._engine.play_tone(index, name)
                case sig.StopTone():
                    self._engine.stop_playout(index)
                case sig.SetHook(offhook=offhook):
                    self._commands.set_hook(index, offhook)
                case sig.SendDigits(number=number):
                    self._engine.send_dtmf(index, number)
                case sig.EnableCallerId(on=on):
                    self._engine.enable_caller_id(index, on)
                case sig.HookFlash(seconds=seconds):
                    self._commands.flash(index, seconds)
                case sig.IncomingCall():
                    self._incoming(port, out, now)
                case sig.Connected():
                    self._line_connected(port, now)
                case sig.FarEndDisconnected() | sig.RingingStopped():
                    self._caller_left(port, now)
                case sig.Released():
                    self._engine.reset(index)
                case sig.Answered() if isinstance(port.machine, FxsLine):
                    self._agent_answered(port, now)
                case sig.HungUp():
                    self._phone_hung_up(port, now)
                case sig.OffHook():
                    self._publish({"type": "phone-offhook", "port": port.info.name})
                case sig.DialTimeout():
                    pass  # the phone hears congestion until it is hung up
                case sig.Digits():
                    # Internal dialling arrives with the dial plan; until then the
                    # number is unobtainable.
                    self._apply(port, port.machine.release(now), now)
                case _:
                    pass

    # -- inbound calls -------------------------------------------------
    def _incoming(self, port: PortDriver, event: sig.IncomingCall, now: float) -> None:
        destination = self._routes.get(port.info.name)
        if destination is None:
            log.warning("%s rings but has no inbound route: not answered", port.info.name)
            return
        call = Call(
            id=f"c{next(self._ids)}",
            port=port.info.index,
            port_name=port.info.name,
            direction="in",
            caller_number=event.caller_number,
            caller_name=event.caller_name,
            started=now,
            started_wall=self._clock.wall(),
            destination=destination,
        )
        self.calls[call.id] = call
        port.call_id = call.id
        self._publish({"type": "call-started", "call_id": call.id, "port": call.port_name,
                       "caller_number": call.caller_number, "caller_name": call.caller_name})
        self._apply(port, port.machine.answer(now), now)

    def _line_connected(self, port: PortDriver, now: float) -> None:
        call = self.calls.get(port.call_id or "")
        if call is None:
            return
        kind, _, name = (call.destination or "").partition(":")
        if kind == "ivr" and name in self._flows:
            call.state = CallState.IVR
            call.ivr = IvrSession(self._flows[name])
            self._run_ivr(call, call.ivr.start(), now)
        elif kind == "queue" and name in self.acd.queues:
            self._enqueue(call, name, now)
        else:
            log.error("call %s: destination %r does not exist", call.id, call.destination)
            self._end_call(call, now, "failed")

    def _run_ivr(self, call: Call, actions: Sequence[ivr_actions.IvrAction], now: float) -> None:
        for action in actions:
            match action:
                case ivr_actions.Play(prompt=prompt, tag=tag):
                    try:
                        audio = self._prompts.get(prompt)
                    except PromptError as exc:
                        log.error("call %s: %s", call.id, exc)
                        self.timers.call_at(
                            now, lambda t, c=call, g=tag: self._ivr_prompt_done(c, g, t)
                        )
                        continue
                    self._engine.play_prompt(call.port, audio, tag)
                case ivr_actions.StopPlayout():
                    self._engine.stop_playout(call.port)
                case ivr_actions.StartTimer(seconds=seconds, tag=tag):
                    if call.ivr_timer is not None:
                        call.ivr_timer.cancel()
                    call.ivr_timer = self.timers.call_at(
                        now + seconds, lambda t, c=call, g=tag: self._ivr_timer(c, g, t)
                    )
                case ivr_actions.CancelTimer():
                    if call.ivr_timer is not None:
                        call.ivr_timer.cancel()
                        call.ivr_timer = None
                case ivr_actions.Enqueue(queue=queue):
                    self._enqueue(call, queue, now)
                case ivr_actions.Hangup():
                    self._end_call(call, now, "answered")

    def _ivr_prompt_done(self, call: Call, tag: str, now: float) -> None:
        if call.ivr is not None and call.id in self.calls:
            self._run_ivr(call, call.ivr.prompt_finished(tag), now)

    def _ivr_timer(self, call: Call, tag: str, now: float) -> None:
        if call.ivr is not None and call.id in self.calls:
            self._run_ivr(call, call.ivr.timer_expired(tag), now)

    def _prompt_finished(self, port: PortDriver, tag: str, now: float) -> None:
        call = self.calls.get(port.call_id or "")
        if call is None:
            return
        if tag == "hold" and call.state in (CallState.QUEUED, CallState.RINGING):
            self._engine.play_tone(call.port, "ringback")
        elif tag == "goodbye":
            self._end_call(call, now, call.disposition or "no-answer")
        elif call.ivr is not None:
            self._ivr_prompt_done(call, tag, now)

    def _enqueue(self, call: Call, queue: str, now: float) -> None:
        if queue not in self.acd.queues:
            log.error("call %s: queue %r does not exist", call.id, queue)
            self._end_call(call, now, "failed")
            return
        call.state = CallState.QUEUED
        call.queue = queue
        try:
            self._engine.play_prompt(call.port, self._prompts.get("please-hold"), "hold")
        except PromptError:
            self._engine.play_tone(call.port, "ringback")
        self.acd.enqueue(call.id, queue, now, call.caller_number)

    # -- AgentLine, for the ACD ----------------------------------------
    def ring_agent(self, agent: AgentRuntime, call_id: str) -> bool:
        call = self.calls.get(call_id)
        if call is None:
            return False
        port = self.ports[self._card.port_by_name(agent.port).index]
        if port.call_id is not None or port.offhook or port.alarm:
            return False
        try:
            out = port.machine.ring(self._now)
        except Exception as exc:  # the phone's machine refused: treat as busy
            log.info("cannot ring %s: %s", agent.port, exc)
            return False
        port.call_id = call_id
        call.ringing_ports.add(port.info.index)
        call.state = CallState.RINGING
        self._apply(port, out, self._now)
        return True

    def cancel_agent_ring(self, agent: AgentRuntime, call_id: str) -> None:
        call = self.calls.get(call_id)
        port = self.ports[self._card.port_by_name(agent.port).index]
        if port.call_id == call_id and call is not None and call.agent_port != port.info.index:
            port.call_id = None
            self._apply(port, port.machine.stop_ring(self._now), self._now)
        if call is not None:
            call.ringing_ports.discard(port.info.index)
            if not call.ringing_ports and call.state is CallState.RINGING:
                call.state = CallState.QUEUED

    def connect_agent(self, agent: AgentRuntime, call_id: str) -> None:
        call = self.calls[call_id]
        port = self.ports[self._card.port_by_name(agent.port).index]
        call.agent = agent.name
        call.agent_port = port.info.index
        call.answered_wall = self._clock.wall()
        call.state = CallState.CONNECTED
        self._engine.stop_playout(call.port)
        self._engine.bridge(call.port, port.info.index)
        self._apply(port, port.machine.connect(self._now), self._now)
        self._publish({"type": "call-connected", "call_id": call.id, "agent": agent.name,
                       "port": call.port_name, "agent_port": agent.port})

    def queue_exit(self, call_id: str, reason: str) -> None:
        call = self.calls.get(call_id)
        if call is None:
            return
        call.disposition = "no-answer"
        call.state = CallState.ENDING
        try:
            self._engine.play_prompt(call.port, self._prompts.get("goodbye"), "goodbye")
        except PromptError:
            self._end_call(call, self._now, "no-answer")

    # -- phones --------------------------------------------------------
    def _agent_answered(self, port: PortDriver, now: float) -> None:
        if port.call_id is None or port.agent is None:
            return
        self.acd.agent_answered(port.agent, port.call_id, now)

    def _phone_hung_up(self, port: PortDriver, now: float) -> None:
        call = self.calls.get(port.call_id or "")
        port.call_id = None
        if call is not None and call.agent_port == port.info.index and port.agent is not None:
            self.acd.agent_hung_up(port.agent, now)
            self._end_call(call, now, "answered", by_agent=True)
        self.acd.dispatch(now)

    # -- ending --------------------------------------------------------
    def _caller_left(self, port: PortDriver, now: float) -> None:
        call = self.calls.get(port.call_id or "")
        if call is None:
            return
        connected = call.state is CallState.CONNECTED
        self.acd.caller_hung_up(call.id, now)
        self._end_call(call, now, "answered" if connected else "abandoned", by_caller=True)

    def _end_call(
        self, call: Call, now: float, disposition: str, *, by_caller: bool = False,
        by_agent: bool = False,
    ) -> None:
        """Clear both legs of ``call`` and write its CDR; safe to call once per call."""
        if self.calls.pop(call.id, None) is None:
            return
        if call.ivr_timer is not None:
            call.ivr_timer.cancel()
        if not by_caller and not by_agent:
            self.acd.caller_hung_up(call.id, now)
        line = self.ports[call.port]
        self._engine.reset(call.port)
        if line.call_id == call.id:
            line.call_id = None
        # Even when the far end left first, the line is still seized: release it.
        self._apply(line, line.machine.hangup(now), now)
        if call.agent_port is not None:
            agent_port = self.ports[call.agent_port]
            self._engine.reset(call.agent_port)
            if not by_agent:
                if agent_port.call_id == call.id:
                    agent_port.call_id = None
                self._apply(agent_port, agent_port.machine.release(now), now)
        end = self._clock.wall()
        answer = call.answered_wall
        self._record(Cdr(
            call_id=call.id, start=call.started_wall, answer=answer, end=end,
            port=call.port_name, direction=call.direction, caller_number=call.caller_number,
            caller_name=call.caller_name, destination=call.destination, queue=call.queue,
            agent=call.agent, disposition=disposition, duration=round(end - call.started_wall, 3),
            billsec=round(end - answer, 3) if answer is not None else 0.0,
        ))
        self._publish({
            "type": "call-ended", "call_id": call.id, "disposition": disposition,
            "port": call.port_name,
            "agent_port": self.ports[call.agent_port].info.name if call.agent_port is not None
            else None,
        })

    # -- views ---------------------------------------------------------
    def port_status(self) -> list[dict]:
        return [
            {"name": p.info.name, "kind": p.info.kind.value, "state": p.state,
             "alarm": p.alarm, "call_id": p.call_id}
            for p in self.ports
        ]

    def call_views(self, now: float) -> list[dict]:
        return [call.view(now) for call in self.calls.values()]
