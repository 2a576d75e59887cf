"""Simulated E1 spans: the line, its alarms and counters, and what is at its far end.

A :class:`SimSpan` is one E1 port of the simulated card. At its far end is
either a :class:`SimOperator` (an operator's switch, or a PBX when the box plays
the network) or another span of the same card, cabled back to back. Both
directions of the D-channel and of the 30 B-channels cross the line one 20 ms
frame later, as they would through a real line interface.

The far end speaks Q.931 with the firmware's own Q.921/Q.931 machines
(:class:`firmware.pri.dchannel.DChannel`): the only place the ``hal`` package
uses firmware code, because a simulated operator needs a protocol stack and the
box's is the one at hand. Interoperability with other stacks is tested against
libpri, not here.
"""

from __future__ import annotations

import collections
import enum
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from firmware.pri.dchannel import DChannel
from firmware.pri.dchannel import Output as DOutput
from firmware.signaling.q921 import Side
from firmware.signaling.q921 import events as l2
from firmware.signaling.q931 import CallRef, LocalProtocolError, SetupRequest
from firmware.signaling.q931 import events as l3
from firmware.signaling.q931.ies import (
    PartyNumber,
    Presentation,
    TypeOfNumber,
)
from hal.interface import FRAME_SAMPLES, Law
from hal.sim import signals
from hal.sim.audio_queue import AudioQueue, Recording
from hal.sim.world import SimError, SimWorld
from hal.span import (
    B_TIMESLOTS,
    BChannelInfo,
    SpanAlarm,
    SpanAlarmChanged,
    SpanCounters,
    SpanDescription,
    SpanStatus,
    check_dframe,
)

# Q.931 Table 4-13 causes the simulated operator uses.
NORMAL_CLEARING = 16
USER_BUSY = 17
NO_CIRCUIT_AVAILABLE = 34
SWITCHING_CONGESTION = 42
# A red or blue defect at one end means the line brings nothing in: the far end sees RAI.
_RECEIVE_DEAD = frozenset({SpanAlarm.LOS, SpanAlarm.LOF, SpanAlarm.AIS})
# A CRC-4 multiframe lasts 2 ms: a mismatch spoils ten of them per 20 ms frame.
_MULTIFRAMES_PER_FRAME = 10


class SimCallState(enum.StrEnum):
    """A call as the far end sees it."""

    CALLING = "calling"  # SETUP sent or received, no answer yet
    PROCEEDING = "proceeding"
    ALERTING = "alerting"
    CONNECTED = "connected"
    RELEASED = "released"


class SimDirection(enum.StrEnum):
    """Who placed the call, seen from the box: "in" came from the far end."""

    IN = "in"
    OUT = "out"


@dataclass
class OperatorPolicy:
    """How the far end treats the box's calls.

    ``reject_cause`` refuses every call with that Q.931 cause (34 "no circuit"
    or 42 "switching equipment congestion" make the box try another trunk);
    otherwise the far end alerts after ``alert_after`` seconds and answers after
    ``answer_after`` (None: it rings until the box gives up).
    """

    alert_after: float = 0.1
    answer_after: float | None = 0.5
    reject_cause: int | None = None
    reject_numbers: dict[str, int] = field(default_factory=dict)


class SimSpanCall:
    """One call at the far end of a span, with the far party's controls."""

    def __init__(
        self, operator: SimOperator, ref: CallRef, direction: SimDirection, channel: int | None,
        called: str, calling: str | None, presentation: Presentation | None = None,
    ) -> None:
        self._operator = operator
        self.ref = ref
        self.direction = direction
        self.channel = channel
        self.called = called
        self.calling = calling
        self.presentation = presentation
        self.state = SimCallState.CALLING
        self.cause: int | None = None
        self.answered_at: float | None = None
        self._outgoing = AudioQueue()
        self._heard = Recording()

    def __repr__(self) -> str:
        return (
            f"SimSpanCall({self._operator.span.name}/b{self.channel}, {self.direction.value}, "
            f"{self.called!r}, {self.state.value})"
        )

    @property
    def finished(self) -> bool:
        return self.state is SimCallState.RELEASED

    def say(self, samples: np.ndarray) -> None:
        """The far party speaks ``samples`` into the B-channel once the call is connected."""
        self._check_live("speak")
        self._outgoing.push(samples)

    def dial(self, digits: str, on: float = 0.08, off: float = 0.08) -> None:
        """The far party keys DTMF ``digits`` into the B-channel (in-band)."""
        self._check_live("dial")
        try:
            self._outgoing.push(signals.dtmf(digits, on, off))
        except signals.SignalError as exc:
            raise SimError(str(exc)) from None

    def heard(self) -> np.ndarray:
        """What the box sent on the B-channel while connected, since :meth:`clear_heard`."""
        return self._heard.samples()

    def clear_heard(self) -> None:
        self._heard.clear()

    def answer(self) -> None:
        """The far party answers a call the box placed (CONNECT)."""
        self._operator.answer(self)

    def hang_up(self, cause: int = NORMAL_CLEARING) -> None:
        """The far party hangs up (DISCONNECT with ``cause``)."""
        self._operator.hang_up(self, cause)

    def _check_live(self, what: str) -> None:
        self._operator.world.catch_up()
        if self.finished:
            raise SimError(f"the call {self!r} is over; nobody is there to {what}")


class SimOperator:
    """The far end of one span: a Q.931 switch that places and answers calls.

    ``side`` is the far end's side of the interface: the network (an operator)
    when the box is a TE, the user side (a PBX) when the box is the network.
    """

    def __init__(self, world: SimWorld, span: SimSpan, side: Side = Side.NETWORK) -> None:
        self.world = world
        self.span = span
        self.side = side
        self.dchannel = DChannel(side)
        self.policy = OperatorPolicy()
        self.calls: list[SimSpanCall] = []
        self._live: dict[CallRef, SimSpanCall] = {}
        self._timers: list[tuple[float, Callable[[float], list[DOutput]]]] = []
        self._started = False

    def __repr__(self) -> str:
        return f"SimOperator({self.span.name}, {self.side.value})"

    @property
    def link_up(self) -> bool:
        return self.dchannel.link_up

    # -- what a test or the demo does ---------------------------------------------------

    def call_in(
        self,
        called: str,
        calling: str | None = None,
        *,
        presentation: Presentation = Presentation.ALLOWED,
        channel: int | None = None,
        display: str | None = None,
    ) -> SimSpanCall:
        """Offer the box a call to ``called`` (the DID) from ``calling``."""
        self.world.catch_up()
        if not self.link_up:
            raise SimError(f"the D-channel of {self.span.name} is down; no call can be offered")
        try:
            request = SetupRequest(
                called=PartyNumber(called, TypeOfNumber.UNKNOWN),
                calling=PartyNumber(calling, TypeOfNumber.UNKNOWN, presentation=presentation)
                if calling
                else None,
                channel=channel,
                exclusive=channel is not None,
                display=display,
            )
            ref, outs = self.dchannel.calls.setup(request, self.world.now())
        except (ValueError, LocalProtocolError) as exc:
            raise SimError(f"{self.span.name}: cannot offer the call: {exc}") from None
        info = self.dchannel.calls.calls[ref]
        call = SimSpanCall(self, ref, SimDirection.IN, info.channel, called, calling, presentation)
        self.calls.append(call)
        self._live[ref] = call
        self._run(self.dchannel.submit(outs, self.world.now()))
        return call

    def answer(self, call: SimSpanCall) -> None:
        self.world.catch_up()
        if call.direction is not SimDirection.OUT or call.state is SimCallState.CONNECTED:
            raise SimError(f"{call!r} is not a call of the box waiting for an answer")
        self._connect(call, self.world.now())

    def hang_up(self, call: SimSpanCall, cause: int = NORMAL_CLEARING) -> None:
        self.world.catch_up()
        if call.finished:
            return
        now = self.world.now()
        self._run(self.dchannel.submit(self.dchannel.calls.disconnect(call.ref, now, cause), now))

    def call_to(self, called: str) -> SimSpanCall | None:
        """The latest call the box placed to ``called``, if any."""
        found = [c for c in self.calls if c.direction is SimDirection.OUT and c.called == called]
        return found[-1] if found else None

    # -- the line -----------------------------------------------------------------------

    def start(self, now: float) -> None:
        if not self._started:
            self._started = True
            self._run(self.dchannel.start(now))

    def receive_frame(self, frame: bytes, now: float) -> None:
        self._run(self.dchannel.receive_frame(frame, now))

    def step(self, now: float) -> None:
        """Run the far end's protocol timers and its own delays up to ``now``."""
        self.start(now)
        deadline = self.dchannel.next_deadline()
        if deadline is not None and deadline <= now:
            self._run(self.dchannel.handle_timer(now))
        due = [t for t in self._timers if t[0] <= now]
        if due:
            self._timers = [t for t in self._timers if t[0] > now]
            for when, action in sorted(due, key=lambda t: t[0]):
                self._run(action(max(when, now)))

    def render(self, channel: int, n: int) -> np.ndarray | None:
        call = self._on_channel(channel)
        if call is None or call.state is not SimCallState.CONNECTED:
            return None
        return call._outgoing.pull(n)

    def hear(self, channel: int, samples: np.ndarray) -> None:
        call = self._on_channel(channel)
        if call is not None and call.state is SimCallState.CONNECTED:
            call._heard.append(samples)

    def _on_channel(self, channel: int) -> SimSpanCall | None:
        for call in self._live.values():
            if call.channel == channel:
                return call
        return None

    # -- protocol events ----------------------------------------------------------------

    def _run(self, outputs: list[DOutput]) -> None:
        for output in outputs:
            if isinstance(output, l2.TransmitFrame):
                self.span.far_end_sends(output.frame)
            else:
                self._event(output)

    def _event(self, event: DOutput) -> None:
        now = self.world.now()
        match event:
            case l3.IncomingCall(ref=ref, channel=channel, called=called, calling=calling):
                self._incoming(ref, channel, called, calling, now)
            case l3.MoreDigits(ref=ref, digits=digits):
                call = self._live.get(ref)
                if call is not None:
                    call.called += digits
            case l3.CallProceeding(ref=ref, channel=channel) | l3.CallAlerting(
                ref=ref, channel=channel
            ):
                call = self._live.get(ref)
                if call is not None:
                    call.channel = channel or call.channel
                    alerting = isinstance(event, l3.CallAlerting)
                    call.state = SimCallState.ALERTING if alerting else SimCallState.PROCEEDING
            case l3.CallConnected(ref=ref, channel=channel):
                call = self._live.get(ref)
                if call is not None:
                    call.channel = channel or call.channel
                    call.state = SimCallState.CONNECTED
                    call.answered_at = now
            case l3.CallActive(ref=ref):
                call = self._live.get(ref)
                if call is not None:
                    call.state = SimCallState.CONNECTED
            case l3.CallDisconnecting(ref=ref, cause=cause):
                call = self._live.get(ref)
                if call is not None:
                    call.cause = cause
                self._run(self.dchannel.submit(self.dchannel.calls.release(ref, now), now))
            case l3.CallReleased(ref=ref, cause=cause):
                call = self._live.pop(ref, None)
                if call is not None:
                    call.state = SimCallState.RELEASED
                    call.cause = call.cause or cause
            case _:
                pass

    def _incoming(
        self, ref: CallRef, channel: int, called: PartyNumber | None,
        calling: PartyNumber | None, now: float,
    ) -> None:
        number = called.digits if called is not None else ""
        call = SimSpanCall(
            self, ref, SimDirection.OUT, channel, number,
            calling.digits if calling is not None else None,
            calling.presentation if calling is not None else None,
        )
        self.calls.append(call)
        self._live[ref] = call
        policy = self.policy
        cause = policy.reject_numbers.get(number, policy.reject_cause)
        calls = self.dchannel.calls
        if cause is not None:
            call.cause = cause
            self._run(self.dchannel.submit(calls.disconnect(ref, now, cause), now))
            return
        self._run(self.dchannel.submit(calls.proceeding(ref, now), now))
        call.state = SimCallState.PROCEEDING

        def alert(at: float) -> list[DOutput]:
            if ref not in self._live or call.state is not SimCallState.PROCEEDING:
                return []
            call.state = SimCallState.ALERTING
            return self.dchannel.submit(calls.alerting(ref, at), at)

        self._timers.append((now + policy.alert_after, alert))
        if policy.answer_after is not None:
            when = now + max(policy.answer_after, policy.alert_after)
            self._timers.append((when, lambda at: self._answer(call, at)))

    def _answer(self, call: SimSpanCall, at: float) -> list[DOutput]:
        if call.ref not in self._live or call.state is SimCallState.CONNECTED:
            return []
        call.state = SimCallState.CONNECTED
        call.answered_at = at
        return self.dchannel.submit(self.dchannel.calls.connect(call.ref, at), at)

    def _connect(self, call: SimSpanCall, now: float) -> None:
        self._run(self._answer(call, now))


class SimSpan:
    """One E1 port of the simulated card and its line."""

    def __init__(self, world: SimWorld, description: SpanDescription, ports: list[BChannelInfo],
                 law: Law) -> None:
        self.world = world
        self.description = description
        self.ports = ports
        self.law = law
        self.operator: SimOperator | None = SimOperator(world, self)
        self.peer: SimSpan | None = None
        self.line_alarms: frozenset[SpanAlarm] = frozenset()
        self.reported: frozenset[SpanAlarm] = frozenset()
        self._bpv = 0
        self._crc = 0
        self._slips = 0
        self._to_box: collections.deque[bytes] = collections.deque()
        self._from_box: collections.deque[bytes] = collections.deque()
        self._sent = np.zeros((len(ports), FRAME_SAMPLES), dtype=np.int16)
        self._index = {p.timeslot: i for i, p in enumerate(ports)}

    @property
    def number(self) -> int:
        return self.description.number

    @property
    def name(self) -> str:
        return self.description.name

    def __repr__(self) -> str:
        far = self.peer.name if self.peer else repr(self.operator)
        return f"SimSpan({self.name} -> {far})"

    # -- alarms ---------------------------------------------------------------------------

    @property
    def alarms(self) -> frozenset[SpanAlarm]:
        """What the box's line interface reports: its own defects, and RAI from the far end."""
        alarms = set(self.line_alarms)
        if self.peer is not None and self.peer.line_alarms & _RECEIVE_DEAD:
            alarms.add(SpanAlarm.RAI)
        return frozenset(alarms)

    @property
    def receive_dead(self) -> bool:
        return bool(self.alarms & _RECEIVE_DEAD)

    @property
    def transmit_dead(self) -> bool:
        """The far end receives nothing from the box."""
        if self.peer is not None:
            return self.peer.receive_dead or self._framing_mismatch
        return SpanAlarm.RAI in self.line_alarms

    @property
    def _framing_mismatch(self) -> bool:
        return self.peer is not None and (
            self.peer.description.framing is not self.description.framing
        )

    def status(self, clock_source: bool) -> SpanStatus:
        counters = SpanCounters(bpv=self._bpv, crc_errors=self._crc, slips=self._slips)
        return SpanStatus(self.number, self.alarms, counters, clock_source, self.description)

    def count_errors(self, bpv: int, crc_errors: int, slips: int) -> None:
        self._bpv += bpv
        self._crc += crc_errors
        self._slips += slips

    def alarm_change(self, at: float) -> SpanAlarmChanged | None:
        """The event to report if the alarms differ from the last ones reported."""
        alarms = self.alarms
        if alarms == self.reported:
            return None
        self.reported = alarms
        return SpanAlarmChanged(self.number, alarms, at)

    # -- D-channel ------------------------------------------------------------------------

    def box_sends(self, frame: bytes) -> None:
        self._from_box.append(check_dframe(frame))

    def far_end_sends(self, frame: bytes) -> None:
        self._to_box.append(frame)

    def box_receives(self) -> list[bytes]:
        frames = list(self._to_box)
        self._to_box.clear()
        return frames

    # -- one 20 ms frame --------------------------------------------------------------------

    def step(self, now: float) -> None:
        """Carry the D-channel frames the box wrote across the line, run the far end."""
        frames = list(self._from_box)
        self._from_box.clear()
        if not self.transmit_dead:
            for frame in frames:
                if self.peer is not None:
                    self.peer.far_end_sends(frame)
                elif self.operator is not None:
                    self.operator.receive_frame(frame, now)
        if self.operator is not None:
            self.operator.step(now)
        if self.receive_dead:
            self._to_box.clear()
        peer = self.peer
        if peer is not None and not self.receive_dead:
            mine, theirs = self.description, peer.description
            if mine.crc4 and not theirs.crc4:
                self._crc += _MULTIFRAMES_PER_FRAME
            if mine.line_code is not theirs.line_code:
                self._bpv += FRAME_SAMPLES

    def render(self, start: int, n: int) -> np.ndarray:
        """(30, n) int16: what the box receives on the B-channels in this frame."""
        out = np.zeros((len(self.ports), n), dtype=np.int16)
        if self.receive_dead:
            return out
        if self.peer is not None:
            if not self.peer.transmit_dead:
                out[:, : min(n, FRAME_SAMPLES)] = self.peer._sent[:, :n]
            return out
        if self.operator is not None:
            for ts, row in self._index.items():
                audio = self.operator.render(ts, n)
                if audio is not None:
                    out[row] = audio
        return out

    def hear(self, linear: np.ndarray) -> None:
        """(30, 160) int16: what the box sent on the B-channels."""
        self._sent = np.array(linear, dtype=np.int16)
        if self.transmit_dead or self.operator is None:
            return
        for ts, row in self._index.items():
            self.operator.hear(ts, self._sent[row])


def check_error_counts(**counts: int) -> None:
    """Refuse error counts that no line could produce."""
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SimError(f"{name} must be a whole number >= 0, got {value!r}")


__all__ = [
    "B_TIMESLOTS",
    "OperatorPolicy",
    "SimCallState",
    "SimDirection",
    "SimOperator",
    "SimSpan",
    "SimSpanCall",
]
