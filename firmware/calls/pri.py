"""E1 ISDN PRI trunks: each B-channel a trunk port, each span driven by its D-channel.

A :class:`PriSpan` owns one :class:`~firmware.pri.dchannel.DChannel` (Q.921 under
Q.931, user side when the box faces an operator, network side when a PBX is
plugged into it) and the 30 :class:`BChannelPort` of the span. Incoming SETUPs
become calls offered to the call layer through the trunk role of
:mod:`firmware.calls.lines`, routed by the number dialled; calls the router
places go out with SETUP. B-channel audio is the media engine's, row for row.

Only the media thread touches the card: :meth:`PriTrunks.pump` runs there every
tick (a tick hook of the box), writing the frames the D-channels queued and
collecting the frames received; :meth:`PriTrunks.on_tick` runs on the asyncio
thread with the call layer and feeds them to the protocol machines.
"""

from __future__ import annotations

import collections
import datetime
import enum
import io
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from firmware.calls.lines import CallEvents
from firmware.calls.routing import CallingPresentation, DidMatch, OutboundLeg
from firmware.media import events as media_events
from firmware.media.engine import MediaEngine
from firmware.pri.dchannel import DChannel, Output
from firmware.pri.pcap import PcapWriter
from firmware.signaling.q921 import Side
from firmware.signaling.q921 import events as l2
from firmware.signaling.q921.errors import RemoteProtocolError as FrameError
from firmware.signaling.q921.frames import FrameKind, decode
from firmware.signaling.q931 import CallRef, LocalProtocolError, SetupRequest
from firmware.signaling.q931 import events as l3
from firmware.signaling.q931.ies import NumberingPlan, PartyNumber, Presentation, TypeOfNumber
from firmware.signaling.q931.messages import MessageIgnored, decode_message
from firmware.signaling.q931.states import CallState as Q931State
from firmware.store.trunk_models import SpanConfig, SpanRole
from hal import interface as hal
from hal.clock import Clock
from hal.span import (
    BChannelInfo,
    Framing,
    SpanAlarm,
    SpanAlarmChanged,
    SpanCard,
    SpanDescription,
    SpanStatus,
)

log = logging.getLogger(__name__)

# Q.850 causes the box sends.
UNALLOCATED_NUMBER = 1
NORMAL_CLEARING = 16
TEMPORARY_FAILURE = 41
CHANNEL_NOT_AVAILABLE = 44
# How often the media thread reads span status (alarms come as events in between).
STATUS_EVERY_TICKS = 50
TRACE_LIMIT = 5000
_DEAD_LINE = frozenset({SpanAlarm.LOS, SpanAlarm.LOF, SpanAlarm.AIS})
# Q.931 states of a call that has answered (ours) or been answered (theirs).
_CLEARING_STATES = frozenset({
    Q931State.U11, Q931State.U19, Q931State.N12, Q931State.N19,
})
_PEER_CLEARED_STATES = frozenset({Q931State.U12, Q931State.N11})


class BChannelState(enum.StrEnum):
    """A B-channel as the web page shows it."""

    IDLE = "idle"
    INCOMING = "incoming"  # SETUP received, not answered yet
    OUTGOING = "outgoing"  # our SETUP sent, no answer yet
    ALERTING = "alerting"  # the far end rings the called party
    CONNECTED = "connected"
    CLEARING = "clearing"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class BChannelPort:
    """One B-channel: a trunk port of the call layer (:class:`~firmware.calls.lines.TrunkPort`)."""

    def __init__(self, info: BChannelInfo, span: PriSpan) -> None:
        self.info = info
        self.channel = info.index
        self.call_id: str | None = None
        self.alarm: str | None = None
        self.span = span
        self.ref: CallRef | None = None
        self.direction: Direction | None = None
        self.phase = BChannelState.IDLE
        self.called_number: str | None = None
        self.caller_number: str | None = None
        self.caller_name: str | None = None
        self.cause: int | None = None
        self.leg: OutboundLeg | None = None

    def __repr__(self) -> str:
        return f"BChannelPort({self.info.name}, {self.phase.value})"

    @property
    def timeslot(self) -> int:
        return self.info.timeslot

    @property
    def state(self) -> str:
        if self.alarm and self.phase is BChannelState.IDLE:
            return "alarm"
        return self.phase.value

    @property
    def free(self) -> bool:
        return self.ref is None and self.call_id is None and self.phase is BChannelState.IDLE

    def next_deadline(self) -> float | None:
        return None  # the span's D-channel keeps every timer of its calls

    def on_timer(self, now: float) -> None:
        return None

    def on_alarm(self, alarm: str | None) -> None:
        self.alarm = alarm

    def on_hal(self, event: hal.HalEvent, now: float) -> None:
        """B-channels have no line events of their own: the D-channel signals for them."""

    def on_media(self, event: media_events.MediaEvent, now: float) -> None:
        if isinstance(event, media_events.DigitDetected) and self.call_id is not None:
            self.span.up.trunk_digit(self, event.digit, now)

    def answer(self, now: float) -> None:
        self.span.answer(self, now)

    def hangup(self, now: float) -> None:
        self.span.hangup(self, now)

    def view(self) -> dict:
        return {
            "name": self.info.name, "timeslot": self.timeslot, "state": self.state,
            "direction": self.direction.value if self.direction else None,
            "called": self.called_number, "calling": self.caller_number,
            "call_id": self.call_id, "q931_state": self.span.q931_state(self),
        }

    def _clear(self) -> None:
        self.ref = None
        self.direction = None
        self.phase = BChannelState.IDLE
        self.called_number = None
        self.caller_number = None
        self.caller_name = None
        self.leg = None


@dataclass(frozen=True)
class TraceEntry:
    """One D-channel frame as the technician's trace shows it."""

    wall: float
    sent: bool
    frame: bytes
    text: str

    def line(self) -> str:
        """"12:30:05.120 sent I N(S)=0 N(R)=0 | SETUP ..." in the box's local time."""
        stamp = datetime.datetime.fromtimestamp(self.wall).strftime("%H:%M:%S.%f")[:-3]
        return f"{stamp} {'sent' if self.sent else 'recv'} {self.text}"


class DChannelTrace:
    """A bounded record of a span's D-channel frames, readable and exportable as pcap."""

    def __init__(self, network: bool, limit: int = TRACE_LIMIT) -> None:
        self.network = network
        self.running = False
        self.started_at: float | None = None
        self.entries: collections.deque[TraceEntry] = collections.deque(maxlen=limit)

    def start(self, wall: float) -> None:
        self.entries.clear()
        self.running = True
        self.started_at = wall

    def stop(self) -> None:
        self.running = False

    def record(self, frame: bytes, sent: bool, wall: float) -> None:
        if self.running:
            self.entries.append(TraceEntry(wall, sent, frame, describe_frame(frame)))

    def lines(self, since: int = 0) -> list[str]:
        return [entry.line() for entry in list(self.entries)[since:]]

    def pcap(self) -> bytes:
        """The trace as a pcap file (link type 177, LINUX_LAPD) for Wireshark."""
        buffer = io.BytesIO()
        writer = PcapWriter(buffer, network=self.network)
        for entry in list(self.entries):
            writer.write(entry.frame, sent=entry.sent, wall_time=entry.wall)
        return buffer.getvalue()


def describe_frame(frame: bytes) -> str:
    """A LAPD frame, and the Q.931 message inside it, in one readable line."""
    try:
        decoded = decode(frame)
    except FrameError as exc:
        return f"invalid frame ({exc}): {frame.hex(' ')}"
    parts = [decoded.kind.value]
    if decoded.ns is not None:
        parts.append(f"N(S)={decoded.ns}")
    if decoded.nr is not None:
        parts.append(f"N(R)={decoded.nr}")
    if decoded.pf:
        parts.append("P/F")
    text = " ".join(parts)
    if decoded.kind in (FrameKind.I, FrameKind.UI) and decoded.info:
        text += " | " + describe_message(decoded.info)
    return text


def describe_message(data: bytes) -> str:
    """One Q.931 message in words: type, call reference and the elements that matter."""
    try:
        msg = decode_message(data)
    except MessageIgnored as exc:
        return f"not a Q.931 message ({exc})"
    known = msg.known_type
    name = known.name.replace("_", " ") if known is not None else f"type 0x{msg.message_type:02x}"
    origin = "dest" if msg.flag else "orig"
    parts = [name, f"cref={msg.call_ref} ({origin})"]
    f = msg.fields
    if f.channel is not None and f.channel.channels:
        parts.append(f"B{','.join(map(str, f.channel.channels))}"
                     + ("" if f.channel.exclusive else " preferred"))
    if f.called is not None:
        parts.append(f"called={f.called.digits}")
    if f.calling is not None:
        shown = "restricted " if f.calling.presentation is Presentation.RESTRICTED else ""
        parts.append(f"calling={shown}{f.calling.digits}")
    if f.cause is not None:
        parts.append(f"cause={f.cause.value}")
    if f.restart is not None:
        parts.append(f"restart class={int(f.restart)}")
    if f.sending_complete:
        parts.append("sending complete")
    for problem in msg.problems:
        parts.append(f"[IE 0x{problem.identifier:02x}: {problem.problem.value}]")
    return " ".join(parts)


class PriSpan:
    """One span's D-channel and its B-channel ports; also a member of trunk groups."""

    def __init__(
        self,
        description: SpanDescription,
        role: SpanRole,
        ports: Sequence[BChannelInfo],
        up: CallEvents,
        engine: MediaEngine,
        clock: Clock,
        did_match: Callable[[str], DidMatch],
    ) -> None:
        self.description = description
        self.role = role
        self.up = up
        self._engine = engine
        self._clock = clock
        self._did_match = did_match
        self.ports: dict[int, BChannelPort] = {p.timeslot: BChannelPort(p, self) for p in ports}
        self._by_ref: dict[CallRef, BChannelPort] = {}
        self.dchannel = DChannel(self.side)
        self.trace = DChannelTrace(network=self.side is Side.NETWORK)
        self.outbox: collections.deque[bytes] = collections.deque()
        self.restarts = 0
        self.alarms: frozenset[SpanAlarm] = frozenset()
        self.status: SpanStatus | None = None
        self.frames_in = 0
        self.frames_out = 0
        self.link_changes = 0
        self._started = False

    @property
    def number(self) -> int:
        return self.description.number

    @property
    def name(self) -> str:
        return self.description.name

    @property
    def side(self) -> Side:
        return Side.NETWORK if self.role is SpanRole.NT else Side.USER

    @property
    def signalling(self) -> bool:
        """Whether the span runs ISDN PRI: CAS framing has no D-channel."""
        return self.description.framing is Framing.CCS

    def __repr__(self) -> str:
        return f"PriSpan({self.name}, {self.role.value}, link {'up' if self.link_up else 'down'})"

    @property
    def link_up(self) -> bool:
        return self.dchannel.link_up

    # -- the D-channel --------------------------------------------------------------------

    def start(self, now: float) -> None:
        if self.signalling and not self._started:
            self._started = True
            self._run(self.dchannel.start(now), now)

    def reconfigure(self, description: SpanDescription, role: SpanRole, now: float) -> None:
        """Take a new set-up; a new role or framing restarts signalling and drops the calls."""
        restart = role is not self.role or description.framing is not self.description.framing
        self.description = description
        if not restart:
            return
        self.restarts += 1
        log.warning("%s: now %s, %s; signalling restarts", self.name, role.value.upper(),
                    description.framing.value.upper())
        for port in list(self.ports.values()):
            if port.ref is not None:
                self._by_ref.pop(port.ref, None)
                self._released(port, TEMPORARY_FAILURE, now)
        self.role = role
        self.dchannel = DChannel(self.side)
        self.trace = DChannelTrace(network=self.side is Side.NETWORK)
        self.outbox.clear()
        self._started = False
        self.start(now)

    def receive(self, frame: bytes, now: float) -> None:
        self.frames_in += 1
        self.trace.record(frame, sent=False, wall=self._clock.wall())
        if self.signalling:
            self._run(self.dchannel.receive_frame(frame, now), now)

    def on_timer(self, now: float) -> None:
        deadline = self.dchannel.next_deadline()
        if self._started and deadline is not None and deadline <= now:
            self._run(self.dchannel.handle_timer(now), now)

    def on_alarm(self, alarms: frozenset[SpanAlarm], now: float) -> None:
        """The line's alarms changed; a dead line ends the calls on it at once."""
        self.alarms = alarms
        words = "; ".join(a.words for a in sorted(alarms, key=list(SpanAlarm).index)) or None
        for port in self.ports.values():
            port.on_alarm(words)
        if alarms & _DEAD_LINE:
            for port in list(self.ports.values()):
                if port.ref is not None:
                    self._far_end_gone(port, None, now)

    def q931_state(self, port: BChannelPort) -> str | None:
        info = self.dchannel.calls.calls.get(port.ref) if port.ref is not None else None
        return info.state.name if info is not None else None

    # -- requests from the call layer -----------------------------------------------------

    def answer(self, port: BChannelPort, now: float) -> None:
        if port.ref is None or port.phase is not BChannelState.INCOMING:
            return
        try:
            outs = self.dchannel.calls.connect(port.ref, now)
        except LocalProtocolError as exc:
            log.warning("%s: cannot answer: %s", port.info.name, exc)
            return
        port.phase = BChannelState.CONNECTED
        self._run(self.dchannel.submit(outs, now), now)
        # Q.931 §5.2.8: the user side connects to the B-channel when it sends CONNECT.
        self.up.trunk_connected(port, now)

    def hangup(self, port: BChannelPort, now: float, cause: int = NORMAL_CLEARING) -> None:
        ref = port.ref
        if ref is None:
            return
        info = self.dchannel.calls.calls.get(ref)
        if info is None or info.state in _CLEARING_STATES:
            return
        calls = self.dchannel.calls
        try:
            if info.state in _PEER_CLEARED_STATES:
                outs = calls.release(ref, now)
            else:
                outs = calls.disconnect(ref, now, cause)
        except LocalProtocolError as exc:
            log.warning("%s: cannot clear: %s", port.info.name, exc)
            return
        port.phase = BChannelState.CLEARING
        self._run(self.dchannel.submit(outs, now), now)

    # -- TrunkMember: outbound calls ------------------------------------------------------

    def dial(
        self, number: str, calling: CallingPresentation, now: float, leg: OutboundLeg
    ) -> BChannelPort | None:
        """Place a call on the lowest free B-channel; None when none is free or the link is down."""
        if not self.signalling or not self.link_up or self.alarms & _DEAD_LINE:
            return None
        free = set(self.dchannel.calls.free_channels())
        port = next((p for ts, p in sorted(self.ports.items()) if ts in free and p.free), None)
        if port is None:
            return None
        calling_number = None
        if calling.number is not None or calling.restricted:
            calling_number = PartyNumber(
                calling.number or "", TypeOfNumber.UNKNOWN, NumberingPlan.ISDN,
                presentation=Presentation.RESTRICTED if calling.restricted
                else Presentation.ALLOWED,
            )
        request = SetupRequest(
            called=PartyNumber(number, TypeOfNumber.UNKNOWN, NumberingPlan.ISDN),
            calling=calling_number,
            channel=port.timeslot,
            exclusive=self.side is Side.NETWORK,
        )
        try:
            ref, outs = self.dchannel.calls.setup(request, now)
        except (LocalProtocolError, ValueError) as exc:
            log.warning("%s: cannot place a call to %s: %s", self.name, number, exc)
            return None
        port.ref = ref
        port.direction = Direction.OUT
        port.phase = BChannelState.OUTGOING
        port.called_number = number
        port.caller_number = calling.number
        port.leg = leg
        self._by_ref[ref] = port
        self._run(self.dchannel.submit(outs, now), now)
        return port

    # -- what the D-channel reports -------------------------------------------------------

    def _run(self, outputs: list[Output], now: float) -> None:
        for output in outputs:
            if isinstance(output, l2.TransmitFrame):
                self.outbox.append(output.frame)
                self.frames_out += 1
                self.trace.record(output.frame, sent=True, wall=self._clock.wall())
            else:
                self._event(output, now)

    def _event(self, event: Output, now: float) -> None:
        match event:
            case l2.EstablishIndication() | l2.EstablishConfirm():
                self.link_changes += 1
                log.info("%s: D-channel up", self.name)
            case l2.ReleaseIndication():
                self.link_changes += 1
                log.warning("%s: D-channel down; re-establishing", self.name)
            case l3.IncomingCall():
                self._incoming(event, now)
            case l3.MoreDigits(ref=ref, digits=digits, complete=complete):
                port = self._by_ref.get(ref)
                if port is not None:
                    port.called_number = (port.called_number or "") + digits
                    self._offer_when_complete(port, complete, now)
            case l3.SetupAcknowledged(ref=ref, channel=channel) | l3.CallProceeding(
                ref=ref, channel=channel
            ):
                self._rebind(ref, channel)
            case l3.CallAlerting(ref=ref, channel=channel):
                port = self._rebind(ref, channel)
                if port is not None:
                    port.phase = BChannelState.ALERTING
                    if port.leg is not None:
                        port.leg.progress(port, True, now)
            case l3.CallConnected(ref=ref, channel=channel):
                port = self._rebind(ref, channel)
                if port is not None:
                    port.phase = BChannelState.CONNECTED
                    if port.leg is not None:
                        port.leg.answered(port, now)
            case l3.CallDisconnecting(ref=ref, cause=cause):
                port = self._by_ref.get(ref)
                self._run(self.dchannel.submit(self.dchannel.calls.release(ref, now), now), now)
                if port is not None:
                    self._far_end_gone(port, cause, now)
            case l3.CallReleased(ref=ref, cause=cause):
                port = self._by_ref.pop(ref, None)
                if port is not None:
                    self._released(port, cause, now)
            case _:
                pass

    def _incoming(self, event: l3.IncomingCall, now: float) -> None:
        port = self.ports.get(event.channel)
        if port is None or not port.free:
            self._reject(event.ref, CHANNEL_NOT_AVAILABLE, now)
            return
        calling = event.calling
        port.ref = event.ref
        port.direction = Direction.IN
        port.phase = BChannelState.INCOMING
        port.called_number = event.called.digits if event.called is not None else ""
        hidden = calling is not None and calling.presentation is Presentation.RESTRICTED
        port.caller_number = calling.digits if calling is not None and not hidden else None
        port.caller_name = event.display
        self._by_ref[event.ref] = port
        if not event.complete and self._did_match(port.called_number) is DidMatch.PARTIAL:
            # Q.931 §5.2.4 overlap receiving: ask for the rest of the number.
            self._run(self.dchannel.submit(
                self.dchannel.calls.setup_acknowledge(event.ref, now), now), now)
            return
        self._offer(port, now)

    def _offer_when_complete(self, port: BChannelPort, complete: bool, now: float) -> None:
        if port.phase is not BChannelState.INCOMING or port.call_id is not None:
            return
        if complete or self._did_match(port.called_number or "") is not DidMatch.PARTIAL:
            self._offer(port, now)

    def _offer(self, port: BChannelPort, now: float) -> None:
        ref = port.ref
        assert ref is not None
        self._run(self.dchannel.submit(self.dchannel.calls.proceeding(ref, now), now), now)
        self.up.trunk_offered(port, port.caller_number, port.caller_name, now)
        if port.ref == ref and port.call_id is None and port.phase is BChannelState.INCOMING:
            # Nobody took the call: no route for the number dialled (Q.850 cause 1).
            log.warning("%s: no route for called number %r; refused",
                        port.info.name, port.called_number)
            self.hangup(port, now, UNALLOCATED_NUMBER)

    def _reject(self, ref: CallRef, cause: int, now: float) -> None:
        try:
            outs = self.dchannel.calls.disconnect(ref, now, cause)
        except LocalProtocolError:
            return
        self._run(self.dchannel.submit(outs, now), now)

    def _rebind(self, ref: CallRef, channel: int | None) -> BChannelPort | None:
        """Move our outgoing call to the channel the far end chose (a preferred one was taken)."""
        port = self._by_ref.get(ref)
        if port is None or channel is None or channel == port.timeslot:
            return port
        target = self.ports.get(channel)
        if target is None or not target.free:
            return port
        for name in ("ref", "direction", "phase", "called_number", "caller_number",
                     "caller_name", "leg"):
            setattr(target, name, getattr(port, name))
        port._clear()
        self._by_ref[ref] = target
        if target.leg is not None:
            target.leg.rebind(port, target)
        return target

    def _far_end_gone(self, port: BChannelPort, cause: int | None, now: float) -> None:
        port.cause = cause
        port.phase = BChannelState.CLEARING
        if port.call_id is not None:
            self.up.trunk_gone(port, now)
        leg, port.leg = port.leg, None
        if leg is not None:
            leg.cleared(port, cause, now)

    def _released(self, port: BChannelPort, cause: int | None, now: float) -> None:
        had_call = port.call_id is not None
        leg = port.leg
        port._clear()
        port.cause = cause
        self._engine.reset(port.channel)
        if had_call:
            self.up.trunk_gone(port, now)
        if leg is not None:
            leg.cleared(port, cause, now)

    # -- views ----------------------------------------------------------------------------

    def view(self) -> dict:
        status = self.status
        counters = status.counters if status is not None else None
        return {
            "name": self.name,
            "role": self.role.value,
            "signalling": "ISDN PRI (CCS)" if self.signalling else "CAS (no signalling yet)",
            "dchannel": "up" if self.link_up else "down",
            "alarms": [a.name for a in sorted(self.alarms, key=list(SpanAlarm).index)],
            "alarm_words": [a.words for a in sorted(self.alarms, key=list(SpanAlarm).index)],
            "summary": status.summary if status is not None else "status not read yet",
            "clock_source": bool(status and status.clock_source),
            "counters": {
                "bpv": counters.bpv if counters else None,
                "crc_errors": counters.crc_errors if counters else None,
                "slips": counters.slips if counters else None,
            },
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
            "link_changes": self.link_changes,
            "trace": {"running": self.trace.running, "frames": len(self.trace.entries)},
            "channels": [p.view() for _, p in sorted(self.ports.items())],
        }


class PriTrunks:
    """Every span of the card: configured from the store, pumped by the media thread."""

    def __init__(
        self,
        card: hal.Card,
        engine: MediaEngine,
        up: CallEvents,
        clock: Clock,
        did_match: Callable[[str], DidMatch],
    ) -> None:
        self._card = card if isinstance(card, SpanCard) else None
        self._engine = engine
        self._up = up
        self._clock = clock
        self._did_match = did_match
        self.spans: dict[int, PriSpan] = {}
        self._inbox: collections.deque[tuple[int, bytes]] = collections.deque()
        self._alarms: collections.deque[SpanAlarmChanged] = collections.deque()
        self._configure: collections.deque[SpanDescription] = collections.deque()
        self._ticks = 0
        if self._card is not None:
            for description in self._card.spans:
                self.spans[description.number] = self._make_span(description, SpanRole.TE)

    def _make_span(self, description: SpanDescription, role: SpanRole) -> PriSpan:
        assert self._card is not None
        ports = [p for p in self._card.b_channels(description.number)
                 if isinstance(p, BChannelInfo)]
        return PriSpan(description, role, ports, self._up, self._engine, self._clock,
                       self._did_match)

    def ports(self) -> list[BChannelPort]:
        return [port for span in self.spans.values() for port in span.ports.values()]

    def by_name(self, name: str) -> PriSpan | None:
        return next((s for s in self.spans.values() if s.name == name), None)

    def configure(self, spans: Sequence[SpanConfig], now: float) -> list[str]:
        """Apply stored span set-ups and start signalling; returns what could not be applied.

        A change of role or framing restarts the span's signalling (its calls
        drop); line settings (CRC-4, line code, clock, build-out) only reach the
        line interface, and calls carry on.
        """
        errors: list[str] = []
        for config in spans:
            span = self.spans.get(config.number)
            if span is None:
                errors.append(f"spans.{config.name}: this card has no such span")
                continue
            description = SpanDescription(
                config.number, config.framing, config.crc4, config.line_code,
                config.clock_priority, config.line_build_out,
            )
            if description != span.description:
                self._configure.append(description)
            span.reconfigure(description, config.role, now)
        for span in self.spans.values():
            span.start(now)
        return errors

    # -- the media thread -----------------------------------------------------------------

    def pump(self, now: float) -> None:
        """Media thread, once per tick: set-ups to the line, frames out, frames and status in."""
        card = self._card
        if card is None:
            return
        while self._configure:
            card.configure_span(self._configure.popleft())
        for number, span in list(self.spans.items()):
            while span.outbox:
                card.write_dchannel(number, span.outbox.popleft())
            for frame in card.read_dchannel(number):
                self._inbox.append((number, frame))
        if self._ticks % STATUS_EVERY_TICKS == 0:
            for number, span in list(self.spans.items()):
                span.status = card.span_status(number)
        self._ticks += 1

    # -- the asyncio thread ---------------------------------------------------------------

    def on_tick(self, now: float) -> None:
        """Feed the frames received to the D-channels and run their timers."""
        while self._inbox:
            number, frame = self._inbox.popleft()
            span = self.spans.get(number)
            if span is not None:
                span.receive(frame, now)
        for span in list(self.spans.values()):
            span.on_timer(now)

    def on_span_alarm(self, event: SpanAlarmChanged, now: float) -> None:
        span = self.spans.get(event.span)
        if span is not None:
            span.on_alarm(event.alarms, now)

    def views(self) -> list[dict]:
        return [span.view() for _, span in sorted(self.spans.items())]

    def members(self) -> Mapping[str, PriSpan]:
        return {span.name: span for span in self.spans.values()}
