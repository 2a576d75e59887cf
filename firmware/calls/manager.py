"""The call layer: line events in, calls through IVR and ACD, records out.

It runs on the asyncio thread, once per tick, fed by the media runner with the
tick's HAL and media events. Line technologies (:mod:`firmware.calls.analog`)
own the signaling machines and report call events here through
:class:`~firmware.calls.lines.CallEvents`; this module routes calls, runs IVR
sessions, and implements the ACD's :class:`~firmware.acd.service.AgentLine` so
queues can ring phones.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from firmware.acd.agents import AgentRuntime
from firmware.acd.service import Acd
from firmware.calls.analog import AnalogPort, FxoPort, FxsPort
from firmware.calls.callback import Callbacks
from firmware.calls.card_commands import CardCommands
from firmware.calls.lines import PhonePort, TrunkPort
from firmware.calls.model import Call, CallState
from firmware.calls.pri import BChannelPort, PriTrunks
from firmware.calls.queue_experience import PLEASE_HOLD, QueueExperience
from firmware.calls.recording_policy import RecordingPolicy
from firmware.calls.remote_agents import AGENT_LOGIN_FLOW, RemoteAgents
from firmware.calls.routing import Router
from firmware.calls.supervision import Supervision
from firmware.calls.timers import TimerHandle, Timers
from firmware.calls.transfer import PhoneCalls
from firmware.ivr.host import IvrHost
from firmware.ivr.prompts import PromptLibrary
from firmware.media import events as media_events
from firmware.media.engine import MediaEngine, MediaError
from firmware.media.prompts import PromptError
from firmware.media.tones import RING_CADENCES
from firmware.signaling.loopstart.events import CallerInfo
from firmware.signaling.loopstart.fxs import FxsConfig
from firmware.store.clients import ClientDirectory
from firmware.store.models import BoxConfig, Cdr, QueueLogEntry
from hal import interface as hal
from hal.clock import Clock
from hal.span import SpanAlarmChanged

log = logging.getLogger(__name__)

# How long an IVR transfer node rings an extension before taking its fail branch.
IVR_TRANSFER_RING_SECONDS = 25.0


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
        self._engine = engine
        self._clock = clock
        self._prompts = prompts
        self._record = record
        self._publish = publish
        self._now = clock.now()
        self._ids = itertools.count(1)
        self.timers = Timers()
        # The ACD's agent-state events also reach remote agents (nailed-up lines follow logins).
        self.acd = Acd(self.timers, self, record, self._acd_published, clock.wall)
        self.ivr = IvrHost(self, self.timers, clock, record, publish)
        # Calls an IVR transfer node is ringing an extension for: call id -> (phone, agent).
        self._ivr_transfers: dict[str, tuple[FxsPort, str, TimerHandle]] = {}
        cadence = RING_CADENCES.get(country, (1.0, 4.0))
        self.router = Router()
        self.pri = PriTrunks(card, engine, self, clock, self.router.did_match)
        b_channels = {p.channel: p for p in self.pri.ports()}
        self.ports: list[AnalogPort | BChannelPort] = []
        for info in card.ports:
            if info.kind is hal.PortKind.FXO:
                self.ports.append(FxoPort(info, commands, engine, self))
            elif info.kind is hal.PortKind.E1B:
                self.ports.append(b_channels[info.index])
            else:
                config = FxsConfig(ring_cadence=cadence)
                self.ports.append(FxsPort(info, commands, engine, self, config))
        self._by_channel = {port.channel: port for port in self.ports}
        # Calls the phones place themselves: extensions, outside lines, transfers.
        self.stations = PhoneCalls(self, engine, self.timers, clock.wall, record, publish)
        self.stations.attach(
            [p for p in self.ports if isinstance(p, FxsPort)],
            [p for p in self.ports if isinstance(p, FxoPort)],
        )
        self.calls: dict[str, Call] = {}
        self.config = BoxConfig((), (), (), (), country)
        self.config_errors: list[str] = []
        self.errors = 0
        self._routes: dict[str, str] = {}
        self._flows: dict[str, dict] = {}
        # What a waiting caller hears, in-queue callback, recording, supervision (issue 6).
        self.experience = QueueExperience(engine, prompts, self.timers, self.acd, publish)
        self.callbacks = Callbacks(
            self, self.acd, self.experience, self.router,
            lambda: [p for p in self.ports if isinstance(p, FxoPort)],
            self.timers, record, publish, clock.wall,
        )
        self.recording = RecordingPolicy(engine, record, publish, clock.wall)
        self.supervision = Supervision(
            engine, self.timers, self.calls, self._supervisor_phone, record,
            publish, clock.wall,
        )
        # Which client owns each line, number, flow and queue (the box sets it on reload).
        self.clients = ClientDirectory()
        # Agents reached on their own phone number over a trunk (issue 6).
        self.remote_agents = RemoteAgents(
            self, self.acd, self.router, engine, prompts, self.timers, clock, publish,
            self.experience.language,
        )

    # -- configuration -------------------------------------------------
    def configure(self, config: BoxConfig) -> list[str]:
        """Apply a configuration; rows naming ports this card lacks are reported and skipped."""
        errors: list[str] = []
        phones = {p.info.name: p for p in self.ports if isinstance(p, FxsPort)}
        trunks = {p.info.name for p in self.ports if isinstance(p, FxoPort)}
        agents = []
        for i, agent in enumerate(config.agents):
            if agent.remote:
                continue  # taken by remote_agents below
            if agent.port not in phones:
                errors.append(f"agents[{i}].port: unknown port {agent.port!r} "
                              f"(agent {agent.name}); this card's phone ports: "
                              f"{', '.join(sorted(phones)) or 'none'}")
                continue
            agents.append(agent)
        routes = {}
        for i, route in enumerate(config.routes):
            if route.port not in trunks:
                errors.append(f"routes[{i}].port: unknown port {route.port!r}; this card's "
                              f"lines: {', '.join(sorted(trunks)) or 'none'}")
                continue
            routes[route.port] = route.destination
        errors += self.stations.configure(config)
        self.config = config
        self.config_errors = errors
        self._routes = routes
        self._flows = {f.name: f.definition for f in config.flows}
        self.ivr.configure(self._flows, config.schedules)
        self._prompts.forget()
        agents += self.remote_agents.configure(config.agents, config.remote_pins, self._now)
        self.acd.configure(agents, config.queues, self._now, config.pause_reasons)
        self.experience.configure(config.queues, config.country)
        self.callbacks.configure(config.queues)
        self.recording.configure(config.queues)
        for phone in phones.values():
            phone.agent = None
        for agent in agents:
            if not agent.remote:
                phones[agent.port].agent = agent.name
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
            deadline = port.next_deadline()
            if deadline is not None and deadline <= now:
                self._guarded(port.on_timer, now)
        self._guarded(self.pri.on_tick, now)
        self._guarded(self.timers.run_due, now)

    def _guarded(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a fault in one call must not take down the others
            self.errors += 1
            log.exception("error while handling %s", args[0])

    def _on_hal(self, event: hal.HalEvent, now: float) -> None:
        if isinstance(event, SpanAlarmChanged):
            self.pri.on_span_alarm(event, now)
            self._publish({"type": "span-alarm", "span": f"span{event.span}",
                           "alarms": sorted(a.name for a in event.alarms)})
            return
        port = self.ports[event.port]
        if isinstance(event, hal.AlarmChanged):
            port.on_alarm(event.alarm)
            self._publish({"type": "port-alarm", "port": port.info.name, "alarm": event.alarm})
        else:
            port.on_hal(event, now)

    def _on_media(self, event: media_events.MediaEvent, now: float) -> None:
        if isinstance(event, media_events.RecordingFinished):
            if not self.ivr.recording_finished(
                event.key, event.path, event.seconds, event.error, now
            ):
                self.recording.finished(event.key, event.path, event.seconds, event.error, now)
            return
        if self.remote_agents.on_media(event, now):
            return  # a digit or prompt end on a remote agent's line
        port = self._by_channel.get(event.channel)
        if port is None:
            return
        if isinstance(event, media_events.PromptFinished):
            self._prompt_finished(port, event.tag, now)
        else:
            port.on_media(event, now)

    # -- CallEvents, from the line ports ---------------------------------
    def trunk_offered(
        self, port: TrunkPort, caller_number: str | None, caller_name: str | None, now: float
    ) -> None:
        destination = self._routes.get(port.info.name)
        if isinstance(port, BChannelPort):
            destination = self.router.inbound_destination(port.called_number)
        if destination is None:
            log.warning("%s rings but has no inbound route: not answered", port.info.name)
            return
        call = Call(
            id=f"c{next(self._ids)}",
            port=port.channel,
            port_name=port.info.name,
            direction="in",
            caller_number=caller_number,
            caller_name=caller_name,
            started=now,
            started_wall=self._clock.wall(),
            destination=destination,
        )
        self.calls[call.id] = call
        port.call_id = call.id
        self._publish({"type": "call-started", "call_id": call.id, "port": call.port_name,
                       "caller_number": call.caller_number, "caller_name": call.caller_name})
        port.answer(now)

    def trunk_connected(self, port: TrunkPort, now: float) -> None:
        call = self.calls.get(port.call_id or "")
        if call is None:
            return
        kind, _, name = (call.destination or "").partition(":")
        if kind == "ivr" and name == AGENT_LOGIN_FLOW and not self.ivr.has_flow(name):
            self.remote_agents.login_call(call, port, now)  # the built-in login flow
        elif kind == "ivr" and self.ivr.has_flow(name):
            self._start_ivr(call, name, now)
        elif kind == "queue" and name in self.acd.queues:
            self._enqueue(call, name, now)
        elif kind == "extension":
            self._ring_extension(call, name, now)
        else:
            log.error("call %s: destination %r does not exist", call.id, call.destination)
            self._end_call(call, now, "failed")

    def _ring_extension(self, call: Call, extension: str, now: float) -> None:
        """A DID routed straight to an agent's phone: ring it as an IVR transfer would."""
        problem = self.transfer(call.id, "extension", extension, now)
        if problem is not None:
            log.warning("call %s: %s", call.id, problem)
            self._end_call(call, now, "busy" if problem.endswith("busy") else "failed")
            return

        def unanswered(t: float, c: Call = call) -> None:
            # Runs after the transfer's own ring timer: nobody answered, the caller goes.
            if c.id in self.calls and c.state is not CallState.CONNECTED:
                self._end_call(c, t, "no-answer")

        self.timers.call_at(now + IVR_TRANSFER_RING_SECONDS, unanswered)

    def trunk_gone(self, port: TrunkPort, now: float) -> None:
        call = self.calls.get(port.call_id or "")
        if call is None:
            return
        if self.callbacks.keeps_place(call.id):
            # Hung up after asking for a call back, as told to: the place in the queue stays.
            self._end_call(call, now, "callback", by_caller=True)
            return
        connected = call.state is CallState.CONNECTED
        self.acd.caller_hung_up(call.id, now)
        self._end_call(call, now, "answered" if connected else "abandoned", by_caller=True)

    def trunk_digit(self, port: TrunkPort, digit: str, now: float) -> None:
        call = self.calls.get(port.call_id or "")
        if call is not None and self.ivr.active(call.id):
            self.ivr.digit(call.id, digit, now)
        elif call is not None:
            self.callbacks.digit(call, digit, now)

    def phone_answered(self, port: PhonePort, now: float) -> None:
        if isinstance(port, FxsPort) and self.supervision.answered(port, now):
            return
        if port.call_id in self._ivr_transfers:
            self._ivr_transfer_answered(port.call_id, now)
            return
        if port.call_id is not None and port.agent is not None:
            self.acd.agent_answered(port.agent, port.call_id, now)

    def phone_hung_up(self, port: PhonePort, now: float) -> None:
        if isinstance(port, FxsPort) and self.supervision.hung_up(port, now):
            return
        call = self.calls.get(port.call_id or "")
        port.call_id = None
        if call is not None and call.agent_port == port.channel and port.agent is not None:
            self.acd.agent_hung_up(port.agent, now)
            self._end_call(call, now, "answered", by_agent=True)
        self.acd.dispatch(now)

    def phone_lifted(self, port: PhonePort, now: float) -> None:
        self._publish({"type": "phone-offhook", "port": port.info.name})

    # -- inbound calls -------------------------------------------------
    def _prompt_finished(self, port: AnalogPort, tag: str, now: float) -> None:
        call = self.calls.get(port.call_id or "")
        if call is None:
            return
        if self.experience.prompt_finished(call.id, tag, now):
            return
        if tag == "goodbye":
            self._end_call(call, now, call.disposition or "no-answer")
        elif self.ivr.active(call.id):
            self.ivr.prompt_finished(call.id, tag, now)

    def _enqueue(self, call: Call, queue: str, now: float, priority: int = 0) -> None:
        if queue not in self.acd.queues:
            log.error("call %s: queue %r does not exist", call.id, queue)
            self._end_call(call, now, "failed")
            return
        call.state = CallState.QUEUED
        call.queue = queue
        first = [PLEASE_HOLD]
        if self.recording.decide(call.id, queue):
            # The notice comes first: a caller is told before anything is recorded.
            first.insert(0, self.recording.notice(queue, self.experience.language(queue)))
        self.experience.start(
            call.id, call.port, queue, now, first=first,
            offer_callback=self.callbacks.offered(queue, call.caller_number),
        )
        self.acd.enqueue(call.id, queue, now, call.caller_number, priority)

    # -- CallControl, for the IVR host (firmware.ivr.host) -----------------
    def _start_ivr(self, call: Call, flow: str, now: float) -> None:
        call.state = CallState.IVR
        self.ivr.start(call.id, flow, call.caller_number, now)
        # Kept after the flow hands the call on, so the agent's screen pop shows its variables.
        call.ivr = self.ivr.session(call.id)

    def play_prompt(self, call_id: str, prompt: str, tag: str) -> bool:
        call = self.calls.get(call_id)
        if call is None:
            return False
        try:
            audio = self._prompts.get(prompt)
        except PromptError as exc:
            log.error("call %s: %s", call_id, exc)
            return False
        self._engine.play_prompt(call.port, audio, tag)
        return True

    def stop_playout(self, call_id: str) -> None:
        call = self.calls.get(call_id)
        if call is not None:
            self._engine.stop_playout(call.port)

    def enqueue(self, call_id: str, queue: str, priority: int, now: float) -> None:
        call = self.calls.get(call_id)
        if call is not None:
            self._enqueue(call, queue, now, priority)

    def hang_up(self, call_id: str, reason: str, now: float) -> None:
        call = self.calls.get(call_id)
        if call is not None:
            self._end_call(call, now, "answered")

    def transfer(self, call_id: str, kind: str, number: str, now: float) -> str | None:
        call = self.calls.get(call_id)
        if call is None:
            return "the call has ended"
        if kind != "extension":
            return "calls to outside numbers need outbound routing, which this box does not have"
        agent = next((a for a in self.config.agents if a.extension == number), None)
        phones = {p.info.name: p for p in self.ports if isinstance(p, FxsPort)}
        phone = phones.get(agent.port) if agent is not None else None
        if agent is None or phone is None:
            return f"no phone has extension {number}"
        if not phone.can_ring:
            return f"extension {number} is busy"
        phone.call_id = call_id
        call.ringing_ports.add(phone.channel)
        call.state = CallState.RINGING
        self._engine.play_tone(call.port, "ringback")
        phone.ring(now, CallerInfo(call.caller_number, call.caller_name))
        timer = self.timers.call_at(
            now + IVR_TRANSFER_RING_SECONDS, lambda t: self._ivr_transfer_unanswered(call_id, t)
        )
        self._ivr_transfers[call_id] = (phone, agent.name, timer)
        return None

    def _ivr_transfer_answered(self, call_id: str, now: float) -> None:
        phone, agent, timer = self._ivr_transfers.pop(call_id)
        timer.cancel()
        call = self.calls[call_id]
        call.ringing_ports.discard(phone.channel)
        call.agent = agent
        call.agent_port = phone.channel
        call.answered_wall = self._clock.wall()
        call.state = CallState.CONNECTED
        self._engine.stop_playout(call.port)
        self._engine.bridge(call.port, phone.channel)
        phone.connect(now)
        self._publish({"type": "call-connected", "call_id": call_id, "agent": agent,
                       "port": call.port_name, "agent_port": phone.info.name})
        self.ivr.transfer_connected(call_id, now)

    def _ivr_transfer_unanswered(self, call_id: str, now: float) -> None:
        number = self._cancel_ivr_transfer(call_id, now)
        call = self.calls.get(call_id)
        if number is not None and call is not None:
            call.state = CallState.IVR
            self._engine.stop_playout(call.port)
            self.ivr.transfer_failed(call_id, f"{number} did not answer", now)

    def _cancel_ivr_transfer(self, call_id: str, now: float) -> str | None:
        """Stop an IVR transfer's ringing; returns the phone's name if one was ringing."""
        pending = self._ivr_transfers.pop(call_id, None)
        if pending is None:
            return None
        phone, _, timer = pending
        timer.cancel()
        call = self.calls.get(call_id)
        if call is not None:
            call.ringing_ports.discard(phone.channel)
        if phone.call_id == call_id:
            phone.call_id = None
            phone.stop_ring(now)
        return phone.info.name

    def start_recording(self, call_id: str, key: str) -> str | None:
        call = self.calls.get(call_id)
        if call is None:
            return "the call has ended"
        try:
            self._engine.start_recording(call.port, key, stereo=False)
        except MediaError as exc:
            return str(exc)
        return None

    def stop_recording(self, key: str) -> None:
        # It may have ended already with its channel (a hang-up resets the channel).
        with contextlib.suppress(MediaError):
            self._engine.stop_recording(key)

    def _supervisor_phone(self, name: str) -> FxsPort | None:
        """A supervisor's phone, by an agent's extension or by the port's name."""
        agent = next((a for a in self.config.agents if a.extension == name), None)
        port = agent.port if agent is not None else name
        return next(
            (p for p in self.ports if isinstance(p, FxsPort) and p.info.name == port), None
        )

    # -- AgentLine, for the ACD ----------------------------------------
    def _acd_published(self, event: dict[str, Any]) -> None:
        self._publish(event)
        if event.get("type") == "agent-state":
            self.remote_agents.agent_state(event["agent"], self._now)

    def _phone(self, agent: AgentRuntime) -> FxsPort:
        port = self.ports[self._card.port_by_name(agent.port).index]
        assert isinstance(port, FxsPort)
        return port

    def ring_agent(self, agent: AgentRuntime, call_id: str) -> bool:
        if self.remote_agents.handles(agent.name):
            return self.remote_agents.ring(agent, call_id, self._now)
        call = self.calls.get(call_id)
        if call is None:
            return False
        port = self._phone(agent)
        if not port.can_ring:
            return False
        port.call_id = call_id
        call.ringing_ports.add(port.channel)
        call.state = CallState.RINGING
        port.ring(self._now, CallerInfo(call.caller_number, call.caller_name))
        return True

    def cancel_agent_ring(self, agent: AgentRuntime, call_id: str) -> None:
        if self.remote_agents.handles(agent.name):
            self.remote_agents.cancel_ring(agent, call_id, self._now)
            return
        call = self.calls.get(call_id)
        port = self._phone(agent)
        if port.call_id == call_id and call is not None and call.agent_port != port.channel:
            port.call_id = None
            port.stop_ring(self._now)
        if call is not None:
            call.ringing_ports.discard(port.channel)
            if not call.ringing_ports and call.state is CallState.RINGING:
                call.state = CallState.QUEUED

    def connect_agent(self, agent: AgentRuntime, call_id: str) -> None:
        call = self.calls[call_id]
        # A remote agent's leg is the trunk channel of the call to their own phone.
        remote = self.remote_agents.channel(agent.name)
        port = self._phone(agent) if remote is None else None
        channel = remote if port is None else port.channel
        assert channel is not None
        call.agent = agent.name
        call.agent_port = channel
        call.answered_wall = self._clock.wall()
        call.state = CallState.CONNECTED
        self.experience.stop(call.id)
        self._engine.stop_playout(call.port)
        self._engine.bridge(call.port, channel)
        if port is not None:
            port.connect(self._now)
        else:
            self.remote_agents.connected(agent.name, call_id, self._now)
        self.recording.call_connected(call)
        self._publish({"type": "call-connected", "call_id": call.id, "agent": agent.name,
                       "port": call.port_name,
                       "agent_port": self._by_channel[channel].info.name})

    def queue_exit(self, call_id: str, reason: str, destination: str | None = None) -> None:
        call = self.calls.get(call_id)
        if call is None:
            return
        self.experience.stop(call_id)
        kind, _, name = (destination or "").partition(":")
        if kind == "ivr" and self.ivr.has_flow(name):
            # The queue's exit destination: the caller walks that flow.
            self._engine.stop_playout(call.port)
            self._start_ivr(call, name, self._now)
            return
        call.disposition = "no-answer"
        call.state = CallState.ENDING
        try:
            self._engine.play_prompt(call.port, self._prompts.get("goodbye"), "goodbye")
        except PromptError:
            self._end_call(call, self._now, "no-answer")

    # -- ending --------------------------------------------------------
    def end_call(self, call_id: str, now: float, disposition: str) -> None:
        """Clear both legs of a call from outside the manager (a transfer nobody took)."""
        call = self.calls.get(call_id)
        if call is not None:
            self._end_call(call, now, disposition)

    def _end_call(
        self, call: Call, now: float, disposition: str, *, by_caller: bool = False,
        by_agent: bool = False,
    ) -> None:
        """Clear both legs of ``call`` and write its CDR; safe to call once per call."""
        if self.calls.pop(call.id, None) is None:
            return
        self.stations.call_ended(call.id, now)
        self.ivr.call_ended(call.id, now)
        self._cancel_ivr_transfer(call.id, now)
        self.experience.stop(call.id)
        self.supervision.call_ended(call.id, now)
        self.recording.call_ended(call.id)
        if not by_caller and not by_agent and not self.callbacks.keeps_place(call.id):
            self.acd.caller_hung_up(call.id, now)
        self.callbacks.call_ended(call.id, now)
        trunk = self._by_channel[call.port]
        assert isinstance(trunk, FxoPort | BChannelPort)
        self._engine.reset(call.port)
        if trunk.call_id == call.id:
            trunk.call_id = None
        # Even when the far end left first, the line is still seized: release it.
        trunk.hangup(now)
        # A remote agent's line is hung up, or kept open (nailed-up), by remote_agents.
        remote_leg = self.remote_agents.call_ended(call, now)
        if call.agent_port is not None and not remote_leg:
            phone = self._by_channel[call.agent_port]
            assert isinstance(phone, FxsPort)
            self._engine.reset(call.agent_port)
            if not by_agent:
                if phone.call_id == call.id:
                    phone.call_id = None
                phone.release(now)
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
            "agent_port": self._by_channel[call.agent_port].info.name
            if call.agent_port is not None else None,
        })

    # -- views ---------------------------------------------------------
    def port_status(self) -> list[dict]:
        return [
            {"name": p.info.name, "kind": p.info.kind.value, "state": p.state,
             "alarm": p.alarm, "call_id": p.call_id}
            for p in self.ports
            if p.info.kind is not hal.PortKind.E1B
        ]

    def call_views(self, now: float) -> list[dict]:
        return [self._call_view(call, now) for call in self.calls.values()]

    def _call_view(self, call: Call, now: float) -> dict:
        """A call's view with what an agent's screen pop needs.

        That is the number dialled (E1), the client, the agents being rung, and
        the IVR variables (a lookup's answer, digits collected).
        """
        view = call.view(now)
        port = self._by_channel.get(call.port)
        did = port.called_number if isinstance(port, BChannelPort) else None
        view["did"] = did
        view["client"] = self.clients.for_call(call.port_name, did, call.destination, call.queue)
        view["ringing_agents"] = sorted(
            agent for ch in call.ringing_ports
            if (agent := getattr(self._by_channel.get(ch), "agent", None)) is not None
        )
        view["variables"] = dict(call.ivr.variables) if call.ivr is not None else {}
        return view
