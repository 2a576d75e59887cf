"""The Q.931 (ETSI EN 300 403) call control entity of one primary rate interface.

One :class:`Q931Endpoint` holds every call of an interface, on the user side
(the box facing an operator) or on the network side (the box acting as the
network for a PBX behind it). Messages from the data link, requests from the
calls layer and the current time go in; messages to send
(:class:`~firmware.signaling.q931.events.SendMessage`) and call events come out.
Ask :meth:`Q931Endpoint.next_deadline` and call :meth:`Q931Endpoint.handle_timer`
for T301, T302, T303, T305, T308, T309, T310, T313 and T316.

Every legal move of a call is in the two transition tables at the end of the
class, one per side. A message that a call's state does not expect is answered
with STATUS (Q.931 §5.8.4); a request the state does not allow raises
:class:`~firmware.signaling.q931.errors.LocalProtocolError` and changes nothing.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from firmware.signaling.q921.frames import Side
from firmware.signaling.q931.errors import ConfigError, LocalProtocolError
from firmware.signaling.q931.events import (
    CallActive,
    CallAlerting,
    CallConnected,
    CallDisconnecting,
    CallProceeding,
    CallProgress,
    CallRef,
    CallReleased,
    ChannelsRestarted,
    IncomingCall,
    InformationReceived,
    MoreDigits,
    Output,
    RestartAcknowledged,
    RestartFailed,
    SendMessage,
    SetupAcknowledged,
    StatusReceived,
)
from firmware.signaling.q931.ies import (
    BearerCapability,
    Cause,
    ChannelId,
    ChannelSelection,
    IEId,
    Location,
    NumberingPlan,
    PartyNumber,
    ProgressDescription,
    ProgressIndicator,
    RestartClass,
    TransferCapability,
    TypeOfNumber,
)
from firmware.signaling.q931.messages import (
    GLOBAL_CALL_REF,
    MANDATORY,
    MAX_CALL_REF,
    Fields,
    IEProblem,
    Message,
    MessageIgnored,
    MessageType,
    Problem,
    decode_message,
    encode_message,
)
from firmware.signaling.q931.states import REST_0, REST_1, CallState, null_state

log = logging.getLogger(__name__)

# E1 time slots that carry B-channels: 0 is framing and 16 the D-channel.
E1_B_CHANNELS = frozenset(range(1, 16)) | frozenset(range(17, 32))


class CauseValue(enum.IntEnum):
    """The cause values this endpoint sends (Q.931 Table 4-13)."""

    NORMAL_CLEARING = 16
    NO_USER_RESPONDING = 18
    NO_ANSWER = 19
    DESTINATION_OUT_OF_ORDER = 27
    INVALID_NUMBER_FORMAT = 28
    RESPONSE_TO_STATUS_ENQUIRY = 30
    NORMAL_UNSPECIFIED = 31
    NO_CIRCUIT_AVAILABLE = 34
    TEMPORARY_FAILURE = 41
    CHANNEL_NOT_AVAILABLE = 44
    BEARER_NOT_IMPLEMENTED = 65
    INVALID_CALL_REFERENCE = 81
    CHANNEL_DOES_NOT_EXIST = 82
    MANDATORY_IE_MISSING = 96
    MESSAGE_TYPE_NONEXISTENT = 97
    IE_NONEXISTENT = 99
    INVALID_IE_CONTENTS = 100
    MESSAGE_NOT_COMPATIBLE = 101
    RECOVERY_ON_TIMER_EXPIRY = 102


@dataclass(frozen=True)
class Q931Config:
    """Timers of Q.931 Tables 9-1 and 9-2 (seconds) and the B-channels of the interface."""

    t301: float = 180.0
    t302: float = 15.0
    t303: float = 4.0
    t305: float = 30.0
    t308: float = 4.0
    t309: float = 90.0
    t310: float = 30.0
    t313: float = 4.0
    t316: float = 120.0
    restart_attempts: int = 2
    channels: frozenset[int] = E1_B_CHANNELS

    def __post_init__(self) -> None:
        for name in ("t301", "t302", "t303", "t305", "t308", "t309", "t310", "t313", "t316"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name.upper()} must be a positive number of seconds")
        if self.restart_attempts < 1:
            raise ConfigError("restart_attempts must be at least 1")
        if not self.channels or not all(0 < c < 128 for c in self.channels):
            raise ConfigError("channels must be a non-empty set of B-channel numbers 1 to 127")


@dataclass(frozen=True)
class SetupRequest:
    """What the calls layer asks for when it places a call.

    ``channel`` None lets the network choose (user side) or takes the lowest
    free channel (network side). ``sending_complete`` False starts overlap
    sending: more digits follow with :meth:`Q931Endpoint.information`.
    """

    called: PartyNumber
    calling: PartyNumber | None = None
    channel: int | None = None
    exclusive: bool = False
    bearer: BearerCapability = field(default_factory=BearerCapability)
    sending_complete: bool = True
    display: str | None = None


@dataclass(frozen=True)
class CallInfo:
    """A read-only view of one call, for status pages and tests."""

    ref: CallRef
    state: CallState
    channel: int | None


class Timer(enum.Enum):
    """The Q.931 timers this endpoint runs (Q.931 §9)."""

    T301 = "T301"
    T302 = "T302"
    T303 = "T303"
    T305 = "T305"
    T308 = "T308"
    T309 = "T309"
    T310 = "T310"
    T313 = "T313"
    T316 = "T316"


class Req(enum.Enum):
    """Requests of the calls layer, as inputs of the transition tables."""

    SETUP = "setup"
    SETUP_ACKNOWLEDGE = "setup acknowledge"
    PROCEEDING = "proceeding"
    ALERTING = "alerting"
    PROGRESS = "progress"
    CONNECT = "connect"
    INFORMATION = "information"
    DISCONNECT = "disconnect"
    RELEASE = "release"
    STATUS_ENQUIRY = "status enquiry"


@dataclass
class _Call:
    ref: CallRef
    state: CallState
    channel: int | None = None
    cause: Cause | None = None  # of our DISCONNECT, repeated in RELEASE after T305
    release_cause: int | None = None  # §5.8.6: the cause our RELEASE must carry
    setup: bytes = b""  # kept for the retransmission at the first T303 expiry
    expiries: int = 0  # expiries of T303 or T308 so far in this state
    channel_confirmed: bool = False  # a response carried (or was sent with) the channel
    reason: int | None = None  # the clearing cause, reported when the call ends


@dataclass
class _Restart:
    restart_class: RestartClass
    channels: tuple[int, ...]
    message: bytes
    attempts: int = 1


_Input = MessageType | Req | Timer
_Handler = Callable[["Q931Endpoint", _Call, float, object], list[Output]]

# The call timers each state keeps; entering a state cancels the others.
_STATE_TIMERS: dict[CallState, frozenset[Timer]] = {
    CallState.U1: frozenset({Timer.T303}),
    CallState.N6: frozenset({Timer.T303}),
    CallState.U3: frozenset({Timer.T310}),
    CallState.N9: frozenset({Timer.T310}),
    CallState.U4: frozenset({Timer.T301}),
    CallState.N7: frozenset({Timer.T301}),
    CallState.U8: frozenset({Timer.T313}),
    CallState.U11: frozenset({Timer.T305}),
    CallState.N12: frozenset({Timer.T305}),
    CallState.U19: frozenset({Timer.T308}),
    CallState.N19: frozenset({Timer.T308}),
    CallState.U25: frozenset({Timer.T302}),
    CallState.N2: frozenset({Timer.T302}),
}
_ACTIVE = (CallState.U10, CallState.N10)
_OVERLAP = (CallState.U2, CallState.U25, CallState.N2, CallState.N25)
_CLEARING_MESSAGES = frozenset(
    {MessageType.DISCONNECT, MessageType.RELEASE, MessageType.RELEASE_COMPLETE}
)
_ACCEPTED_BEARERS = frozenset({TransferCapability.SPEECH, TransferCapability.AUDIO_3K1})


class Q931Endpoint:
    """Layer 3 call control of one PRI, user or network side (Q.931 §5, EN 300 403)."""

    def __init__(self, side: Side, config: Q931Config | None = None) -> None:
        self.side = side
        self.config = config or Q931Config()
        self._table = _USER_TABLE if side is Side.USER else _NETWORK_TABLE
        self._calls: dict[CallRef, _Call] = {}
        self._busy: dict[int, CallRef] = {}  # B-channel -> the call holding it
        self._deadlines: dict[tuple[CallRef | None, Timer], float] = {}
        self._next_ref = 1
        self._restart: _Restart | None = None
        self._location = Location.USER if side is Side.USER else Location.PRIVATE_LOCAL
        self.messages_handled = 0

    # --- views -----------------------------------------------------------------------------

    @property
    def calls(self) -> dict[CallRef, CallInfo]:
        """Every call not in the null state, by reference."""
        return {r: CallInfo(r, c.state, c.channel) for r, c in self._calls.items()}

    def free_channels(self) -> list[int]:
        """B-channels no call holds, lowest first."""
        return sorted(self.config.channels - self._busy.keys())

    def __repr__(self) -> str:
        return f"<Q931Endpoint {self.side.value} calls={len(self._calls)}>"

    # --- input from the data link ----------------------------------------------------------

    def receive(self, data: bytes, now: float) -> list[Output]:
        """One message (DL-DATA-INDICATION); errors of the peer are answered, never raised."""
        out = self._expire(now)
        try:
            msg = decode_message(data)
        except MessageIgnored as exc:
            log.debug("Q.931 message ignored: %s", exc)
            return out
        self.messages_handled += 1
        if msg.is_global:
            return out + self._global_message(msg, now)
        ref = CallRef(msg.call_ref, ours=msg.flag)
        call = self._calls.get(ref)
        if call is None:
            return out + self._unknown_call(msg, ref, now)
        return out + self._call_message(call, msg, now)

    def link_established(self, now: float) -> list[Output]:
        """DL-ESTABLISH-INDICATION or -CONFIRM: the data link is (again) up (§5.8.8, §5.8.9)."""
        out = self._expire(now)
        self._deadlines.pop((None, Timer.T309), None)
        for call in list(self._calls.values()):
            if call.state in _OVERLAP:
                # §5.8.8 a): digits may have been lost in the reset.
                out += self._feed(call, Req.DISCONNECT, now, CauseValue.TEMPORARY_FAILURE)
            elif call.state in _ACTIVE:
                out.append(self._send(call.ref, MessageType.STATUS_ENQUIRY, Fields()))
        return out

    def link_released(self, now: float) -> list[Output]:
        """DL-RELEASE-INDICATION: clear calls not yet active, keep active ones for T309."""
        out = self._expire(now)
        for call in list(self._calls.values()):
            if call.state not in _ACTIVE:
                out += self._to_null(call, CauseValue.TEMPORARY_FAILURE)
        if any(c.state in _ACTIVE for c in self._calls.values()):
            self._deadlines.setdefault((None, Timer.T309), now + self.config.t309)
        return out

    # --- requests from the calls layer -----------------------------------------------------

    def setup(self, request: SetupRequest, now: float) -> tuple[CallRef, list[Output]]:
        """Place a call; the returned reference names it in every later event."""
        channel = request.channel
        if channel is not None:
            if channel not in self.config.channels:
                raise LocalProtocolError(f"B-channel {channel} does not exist on this interface")
            if channel in self._busy:
                raise LocalProtocolError(f"B-channel {channel} is in use by another call")
        elif self.side is Side.NETWORK:
            free = self.free_channels()
            if not free:
                raise LocalProtocolError("no B-channel is free for a new call")
            channel = free[0]
        out = self._expire(now)
        ref = CallRef(self._allocate_ref(), ours=True)
        call = _Call(ref, null_state(self.side))
        self._calls[ref] = call
        if channel is not None:
            self._take_channel(call, channel)
        return ref, out + self._feed(call, Req.SETUP, now, request)

    def setup_acknowledge(self, ref: CallRef, now: float) -> list[Output]:
        """Overlap receiving: ask the caller for more digits (SETUP ACKNOWLEDGE)."""
        return self._request(ref, Req.SETUP_ACKNOWLEDGE, now)

    def proceeding(self, ref: CallRef, now: float) -> list[Output]:
        """The number is complete and the call goes on (CALL PROCEEDING)."""
        return self._request(ref, Req.PROCEEDING, now)

    def alerting(self, ref: CallRef, now: float) -> list[Output]:
        """The called party is being alerted (ALERTING)."""
        return self._request(ref, Req.ALERTING, now)

    def progress(
        self,
        ref: CallRef,
        now: float,
        description: ProgressDescription = ProgressDescription.IN_BAND_AVAILABLE,
    ) -> list[Output]:
        """Tell the caller about in-band tones or announcements (PROGRESS)."""
        return self._request(ref, Req.PROGRESS, now, description)

    def connect(
        self, ref: CallRef, now: float, connected: PartyNumber | None = None
    ) -> list[Output]:
        """Answer an incoming call on its B-channel (CONNECT)."""
        return self._request(ref, Req.CONNECT, now, connected)

    def information(
        self, ref: CallRef, now: float, digits: str, sending_complete: bool = False
    ) -> list[Output]:
        """Overlap sending: more digits of the called number (INFORMATION)."""
        return self._request(ref, Req.INFORMATION, now, (digits, sending_complete))

    def disconnect(
        self, ref: CallRef, now: float, cause: int = CauseValue.NORMAL_CLEARING
    ) -> list[Output]:
        """Clear the call (DISCONNECT; RELEASE COMPLETE when it was never answered)."""
        return self._request(ref, Req.DISCONNECT, now, cause)

    def release(self, ref: CallRef, now: float, cause: int | None = None) -> list[Output]:
        """Answer the peer's DISCONNECT (RELEASE)."""
        return self._request(ref, Req.RELEASE, now, cause)

    def status_enquiry(self, ref: CallRef, now: float) -> list[Output]:
        """Ask the peer for its state of the call (STATUS ENQUIRY, §5.8.10)."""
        return self._request(ref, Req.STATUS_ENQUIRY, now)

    def restart(
        self,
        now: float,
        restart_class: RestartClass = RestartClass.ALL_INTERFACES,
        channels: tuple[int, ...] = (),
    ) -> list[Output]:
        """Return B-channels to idle on both sides (RESTART, Q.931 §5.5).

        Calls on the channels are released at once; the peer answers with
        RESTART ACKNOWLEDGE, or :class:`RestartFailed` comes after T316 ran out.
        """
        if self._restart is not None:
            raise LocalProtocolError("a RESTART is already waiting for its acknowledgement")
        if restart_class is RestartClass.INDICATED_CHANNELS:
            if not channels:
                raise LocalProtocolError("a RESTART of indicated channels needs channel numbers")
            unknown = [c for c in channels if c not in self.config.channels]
            if unknown:
                raise LocalProtocolError(f"B-channels {unknown} do not exist on this interface")
        else:
            channels = ()
        out = self._expire(now)
        out += self._clear_for_restart(restart_class, channels)
        fields = Fields(
            channel=ChannelId(tuple(channels)) if channels else None, restart=restart_class
        )
        data = encode_message(MessageType.RESTART, GLOBAL_CALL_REF, False, fields)
        self._restart = _Restart(restart_class, tuple(channels), data)
        self._deadlines[None, Timer.T316] = now + self.config.t316
        return [*out, SendMessage(data)]

    # --- time ------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or None."""
        return min(self._deadlines.values(), default=None)

    def handle_timer(self, now: float) -> list[Output]:
        """Fire every timer due at ``now``; calling early or twice does nothing."""
        return self._expire(now)

    # --- dispatch of received messages -----------------------------------------------------

    def _global_message(self, msg: Message, now: float) -> list[Output]:
        mtype = msg.known_type
        if mtype is MessageType.RESTART:
            return self._restart_received(msg)
        if mtype is MessageType.RESTART_ACKNOWLEDGE:
            return self._restart_acknowledged(msg)
        if mtype is MessageType.STATUS:
            return [StatusReceived(None, _cause_value(msg), msg.fields.call_state)]
        # §5.8.3.2 f): any other message with the global call reference.
        state = REST_1 if self._restart is not None else REST_0
        fields = Fields(cause=self._cause(CauseValue.INVALID_CALL_REFERENCE), call_state=state)
        flag = not msg.flag
        return [SendMessage(encode_message(MessageType.STATUS, GLOBAL_CALL_REF, flag, fields))]

    def _unknown_call(self, msg: Message, ref: CallRef, now: float) -> list[Output]:
        mtype = msg.known_type
        if mtype is MessageType.SETUP:
            if msg.flag:
                return []  # §5.8.3.2 d): a SETUP claiming to come from the destination side
            return self._incoming_setup(msg, ref, now)
        if mtype is MessageType.RELEASE_COMPLETE:
            return []  # §5.8.3.2 c)
        if mtype is MessageType.STATUS_ENQUIRY:
            # §5.8.10: answer for a call we do not know with the null state.
            fields = Fields(cause=self._cause(CauseValue.RESPONSE_TO_STATUS_ENQUIRY), call_state=0)
            return [self._send(ref, MessageType.STATUS, fields)]
        if mtype is MessageType.STATUS:
            # §5.8.11: the peer thinks a call exists that we do not have.
            if msg.fields.call_state in (None, 0):
                return []
            return [self._release_complete(ref, CauseValue.MESSAGE_NOT_COMPATIBLE)]
        # §5.8.3.2 a) and b): any other message, RELEASE included.
        return [self._release_complete(ref, CauseValue.INVALID_CALL_REFERENCE)]

    def _call_message(self, call: _Call, msg: Message, now: float) -> list[Output]:
        mtype = msg.known_type
        if mtype is MessageType.SETUP:
            return []  # §5.8.3.2 e): a SETUP for a call reference already in use
        if mtype is None:
            # §5.8.4: message type non-existent or not implemented.
            return [self._status(call, CauseValue.MESSAGE_TYPE_NONEXISTENT, msg.message_type)]
        if (call.state, mtype) not in self._table:
            # §5.8.4: checked before the information elements (§5.8.5 onwards).
            return [self._status(call, CauseValue.MESSAGE_NOT_COMPATIBLE, msg.message_type)]
        mandatory = set(MANDATORY.get(mtype, ()))
        missing = msg.problems_of(Problem.MISSING, Problem.COMPREHENSION)
        bad = [p for p in msg.problems_of(Problem.CONTENT) if p.identifier in mandatory]
        if mtype is MessageType.DISCONNECT and (missing or bad):
            # §5.8.6.1/§5.8.6.2: act as on cause #31, but our RELEASE carries #96/#100.
            call.release_cause = (
                CauseValue.MANDATORY_IE_MISSING if missing else CauseValue.INVALID_IE_CONTENTS
            )
        elif mtype is MessageType.STATUS and (missing or bad):
            return []  # a STATUS is never answered with a STATUS
        elif mtype not in (MessageType.RELEASE, MessageType.RELEASE_COMPLETE):
            if missing:
                return [self._status(call, CauseValue.MANDATORY_IE_MISSING, *_ids(missing))]
            if bad:
                return [self._status(call, CauseValue.INVALID_IE_CONTENTS, *_ids(bad))]
        out = self._feed(call, mtype, now, msg)
        if mtype not in _CLEARING_MESSAGES and call.ref in self._calls:
            out += self._optional_problems(call, msg, mandatory)
        return out

    def _optional_problems(self, call: _Call, msg: Message, mandatory: set[IEId]) -> list[Output]:
        # §5.8.7.1 and §5.8.7.2: act on the message, then tell the peer what was skipped.
        unknown = msg.problems_of(Problem.UNRECOGNIZED)
        if unknown:
            return [self._status(call, CauseValue.IE_NONEXISTENT, *_ids(unknown))]
        bad = [p for p in msg.problems_of(Problem.CONTENT) if p.identifier not in mandatory]
        if bad:
            return [self._status(call, CauseValue.INVALID_IE_CONTENTS, *_ids(bad))]
        return []

    def _incoming_setup(self, msg: Message, ref: CallRef, now: float) -> list[Output]:
        f = msg.fields
        missing = msg.problems_of(Problem.MISSING, Problem.COMPREHENSION)
        if self.side is Side.USER and f.channel is None and not _has(msg, IEId.CHANNEL_ID):
            missing.append(IEProblem(IEId.CHANNEL_ID, Problem.MISSING))
        if missing:
            # §5.8.6.1 / §5.8.7.1: SETUP without what it must carry.
            return [self._release_complete(ref, CauseValue.MANDATORY_IE_MISSING, *_ids(missing))]
        essential = {IEId.BEARER_CAPABILITY}
        if self.side is Side.USER:
            essential.add(IEId.CHANNEL_ID)
        bad = [p for p in msg.problems_of(Problem.CONTENT) if p.identifier in essential]
        if bad:
            return [self._release_complete(ref, CauseValue.INVALID_IE_CONTENTS, *_ids(bad))]
        assert f.bearer is not None
        if f.bearer.capability not in _ACCEPTED_BEARERS:
            return [self._release_complete(ref, CauseValue.BEARER_NOT_IMPLEMENTED)]
        channel = self._select_channel(f.channel)
        if isinstance(channel, CauseValue):
            return [self._release_complete(ref, channel, IEId.CHANNEL_ID)]
        call = _Call(ref, null_state(self.side))
        self._calls[ref] = call
        self._take_channel(call, channel)
        out = self._feed(call, MessageType.SETUP, now, msg)
        return out + self._optional_problems(call, msg, essential)

    def _select_channel(self, wanted: ChannelId | None) -> int | CauseValue:
        """The B-channel for an incoming call, or the cause to refuse it with (§5.1.2, §5.2.3)."""
        free = self.free_channels()
        if wanted is not None and wanted.selection is ChannelSelection.INDICATED:
            if len(wanted.channels) != 1:
                return CauseValue.INVALID_IE_CONTENTS
            number = wanted.channels[0]
            if number not in self.config.channels:
                return CauseValue.CHANNEL_DOES_NOT_EXIST
            if number not in self._busy:
                return number
            if wanted.exclusive:
                return CauseValue.CHANNEL_NOT_AVAILABLE
        elif wanted is not None and wanted.selection is ChannelSelection.NONE:
            return CauseValue.NO_CIRCUIT_AVAILABLE
        return free[0] if free else CauseValue.NO_CIRCUIT_AVAILABLE

    # --- the restart procedure (§5.5) ------------------------------------------------------

    def _restart_received(self, msg: Message) -> list[Output]:
        f = msg.fields
        flag = not msg.flag

        def status(cause: CauseValue, *diagnostic: int) -> list[Output]:
            fields = Fields(cause=self._cause(cause, *diagnostic), call_state=REST_0)
            return [SendMessage(encode_message(MessageType.STATUS, GLOBAL_CALL_REF, flag, fields))]

        missing = msg.problems_of(Problem.MISSING, Problem.COMPREHENSION)
        if missing:
            return status(CauseValue.MANDATORY_IE_MISSING, *_ids(missing))
        if f.restart is None:
            return status(CauseValue.INVALID_IE_CONTENTS, IEId.RESTART_INDICATOR)
        channels: tuple[int, ...] = ()
        if f.restart is RestartClass.INDICATED_CHANNELS:
            if _has(msg, IEId.CHANNEL_ID) and f.channel is None:
                return status(CauseValue.INVALID_IE_CONTENTS, IEId.CHANNEL_ID)
            if f.channel is None or f.channel.selection is not ChannelSelection.INDICATED:
                return status(CauseValue.MANDATORY_IE_MISSING, IEId.CHANNEL_ID)
            channels = f.channel.channels
            if any(c not in self.config.channels for c in channels):
                return status(CauseValue.CHANNEL_DOES_NOT_EXIST, IEId.CHANNEL_ID)
        out = self._clear_for_restart(f.restart, channels)
        ack = Fields(channel=f.channel if channels else None, restart=f.restart)
        out.append(
            SendMessage(encode_message(MessageType.RESTART_ACKNOWLEDGE, GLOBAL_CALL_REF, flag, ack))
        )
        out.append(ChannelsRestarted(f.restart, channels))
        return out

    def _restart_acknowledged(self, msg: Message) -> list[Output]:
        pending = self._restart
        if pending is None:
            return []
        self._restart = None
        self._deadlines.pop((None, Timer.T316), None)
        return [RestartAcknowledged(pending.restart_class, pending.channels)]

    def _clear_for_restart(
        self, restart_class: RestartClass, channels: tuple[int, ...]
    ) -> list[Output]:
        out: list[Output] = []
        for call in list(self._calls.values()):
            if restart_class is not RestartClass.INDICATED_CHANNELS or call.channel in channels:
                out += self._to_null(call, CauseValue.TEMPORARY_FAILURE)
        return out

    # --- the machine -----------------------------------------------------------------------

    def _request(self, ref: CallRef, what: Req, now: float, arg: object = None) -> list[Output]:
        call = self._calls.get(ref)
        if call is None:
            raise LocalProtocolError(f"there is no call {ref}")
        if (call.state, what) not in self._table:
            raise LocalProtocolError(f"cannot {what.value} call {ref} in state {call.state}")
        return self._expire(now) + self._feed(call, what, now, arg)

    def _feed(self, call: _Call, what: _Input, now: float, arg: object = None) -> list[Output]:
        move = self._table.get((call.state, what))
        if move is None:
            log.debug("Q.931 call %s in %s: %s ignored", call.ref, call.state, what)
            return []
        target, handler = move
        if target is not call.state:
            keep = _STATE_TIMERS.get(target, frozenset())
            for key in [k for k in self._deadlines if k[0] == call.ref and k[1] not in keep]:
                del self._deadlines[key]
            call.state = target
            call.expiries = 0
        return handler(self, call, now, arg)

    def _expire(self, now: float) -> list[Output]:
        out: list[Output] = []
        while self._deadlines:
            key = min(self._deadlines, key=self._deadlines.__getitem__)
            deadline = self._deadlines[key]
            if deadline > now:
                break
            del self._deadlines[key]
            ref, timer = key
            if ref is None:
                out += self._global_timer(timer, deadline)
            elif ref in self._calls:
                out += self._feed(self._calls[ref], timer, deadline)
        return out

    def _global_timer(self, timer: Timer, now: float) -> list[Output]:
        if timer is Timer.T309:
            # §5.8.9: the data link did not come back: active calls are lost.
            out: list[Output] = []
            for call in list(self._calls.values()):
                out += self._to_null(call, CauseValue.DESTINATION_OUT_OF_ORDER)
            return out
        pending = self._restart
        if timer is not Timer.T316 or pending is None:
            return []
        if pending.attempts >= self.config.restart_attempts:
            self._restart = None
            return [RestartFailed(pending.restart_class, pending.channels)]
        pending.attempts += 1
        self._deadlines[None, Timer.T316] = now + self.config.t316
        return [SendMessage(pending.message)]

    def _arm(self, call: _Call, timer: Timer, now: float) -> None:
        self._deadlines[call.ref, timer] = now + getattr(self.config, timer.name.lower())

    def _allocate_ref(self) -> int:
        for _ in range(MAX_CALL_REF):
            value = self._next_ref
            self._next_ref = value % MAX_CALL_REF + 1
            if CallRef(value, True) not in self._calls:
                return value
        raise LocalProtocolError("every call reference value is in use")

    def _take_channel(self, call: _Call, channel: int) -> None:
        if call.channel is not None and self._busy.get(call.channel) == call.ref:
            del self._busy[call.channel]
        call.channel = channel
        self._busy[channel] = call.ref

    def _to_null(self, call: _Call, cause: int | None) -> list[Output]:
        """Release the call reference and the B-channel; tell the calls layer."""
        self._calls.pop(call.ref, None)
        cause = cause if cause is not None else call.reason
        if call.channel is not None and self._busy.get(call.channel) == call.ref:
            del self._busy[call.channel]
        for key in [k for k in self._deadlines if k[0] == call.ref]:
            del self._deadlines[key]
        call.state = null_state(self.side)
        return [CallReleased(call.ref, cause)]

    # Message builders -----------------------------------------------------------------------

    def _send(self, ref: CallRef, mtype: MessageType, fields: Fields) -> SendMessage:
        return SendMessage(encode_message(mtype, ref.value, not ref.ours, fields))

    def _cause(self, value: int, *diagnostic: int) -> Cause:
        return Cause(value, self._location, bytes(diagnostic))

    def _status(self, call: _Call, cause: int, *diagnostic: int) -> SendMessage:
        fields = Fields(cause=self._cause(cause, *diagnostic), call_state=call.state.code)
        return self._send(call.ref, MessageType.STATUS, fields)

    def _release_complete(self, ref: CallRef, cause: int | None, *diagnostic: int) -> SendMessage:
        fields = Fields(cause=self._cause(cause, *diagnostic) if cause is not None else None)
        return self._send(ref, MessageType.RELEASE_COMPLETE, fields)

    def _response_channel(self, call: _Call) -> ChannelId | None:
        # §5.2.3: the first response to a SETUP names the B-channel, exclusively.
        if call.channel_confirmed or call.channel is None:
            return None
        call.channel_confirmed = True
        return ChannelId((call.channel,), exclusive=True)

    def _accept_channel(self, call: _Call, msg: Message, now: float) -> list[Output]:
        """Take the B-channel named in a response to our SETUP; clear the call if unusable."""
        wanted = msg.fields.channel
        if wanted is None or wanted.selection is not ChannelSelection.INDICATED:
            return []
        number = wanted.channels[0]
        if number not in self.config.channels:
            return self._feed(call, Req.DISCONNECT, now, CauseValue.CHANNEL_DOES_NOT_EXIST)
        holder = self._busy.get(number)
        if holder is not None and holder != call.ref:
            return self._feed(call, Req.DISCONNECT, now, CauseValue.CHANNEL_NOT_AVAILABLE)
        self._take_channel(call, number)
        call.channel_confirmed = True
        return []

    # Handlers: they run after the call moved to the target state of the table. -------------

    def _nothing(self, call: _Call, now: float, arg: object) -> list[Output]:
        return []

    def _send_setup(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, SetupRequest)
        channel = None
        if call.channel is not None:
            exclusive = arg.exclusive or self.side is Side.NETWORK
            channel = ChannelId((call.channel,), exclusive=exclusive)
        fields = Fields(
            bearer=arg.bearer,
            channel=channel,
            display=arg.display,
            calling=arg.calling,
            called=arg.called,
            sending_complete=arg.sending_complete,
        )
        call.setup = encode_message(MessageType.SETUP, call.ref.value, False, fields)
        self._arm(call, Timer.T303, now)
        return [SendMessage(call.setup)]

    def _t303(self, call: _Call, now: float, arg: object) -> list[Output]:
        # §5.1.1 / §5.2.1: one retransmission of SETUP, then give up.
        if call.expiries == 0:
            call.expiries = 1
            self._arm(call, Timer.T303, now)
            return [SendMessage(call.setup)]
        out: list[Output] = [self._release_complete(call.ref, CauseValue.RECOVERY_ON_TIMER_EXPIRY)]
        cause = (
            CauseValue.NO_USER_RESPONDING
            if self.side is Side.NETWORK
            else (CauseValue.RECOVERY_ON_TIMER_EXPIRY)
        )
        return out + self._to_null(call, cause)

    def _got_setup_ack(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        bad = self._accept_channel(call, arg, now)
        return bad or [SetupAcknowledged(call.ref, call.channel)]

    def _got_proceeding(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        self._arm(call, Timer.T310, now)
        bad = self._accept_channel(call, arg, now)
        return bad or [CallProceeding(call.ref, call.channel)]

    def _got_alerting(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        self._arm(call, Timer.T301, now)
        bad = self._accept_channel(call, arg, now)
        return bad or [CallAlerting(call.ref, call.channel)]

    def _got_connect(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        bad = self._accept_channel(call, arg, now)
        if bad:
            return bad
        # §5.1.8 / §5.2.8: the answer is acknowledged at once.
        ack = self._send(call.ref, MessageType.CONNECT_ACKNOWLEDGE, Fields())
        return [ack, CallConnected(call.ref, call.channel, arg.fields.connected)]

    def _got_progress(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        # EN 300 403 §5.1.6: PROGRESS stops T310 like an ALERTING would.
        self._deadlines.pop((call.ref, Timer.T310), None)
        indicator = arg.fields.progress[0] if arg.fields.progress else None
        if indicator is None:
            return []
        return [CallProgress(call.ref, indicator.description)]

    def _incoming(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message) and arg.fields.bearer is not None
        f = arg.fields
        return [
            IncomingCall(
                call.ref,
                call.channel or 0,
                f.called,
                f.calling,
                f.bearer,
                f.sending_complete,
                f.display,
            )
        ]

    def _send_setup_ack(self, call: _Call, now: float, arg: object) -> list[Output]:
        self._arm(call, Timer.T302, now)
        fields = Fields(channel=self._response_channel(call))
        return [self._send(call.ref, MessageType.SETUP_ACKNOWLEDGE, fields)]

    def _send_proceeding(self, call: _Call, now: float, arg: object) -> list[Output]:
        fields = Fields(channel=self._response_channel(call))
        return [self._send(call.ref, MessageType.CALL_PROCEEDING, fields)]

    def _send_alerting(self, call: _Call, now: float, arg: object) -> list[Output]:
        fields = Fields(channel=self._response_channel(call))
        return [self._send(call.ref, MessageType.ALERTING, fields)]

    def _send_progress(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, int)
        fields = Fields(progress=(ProgressIndicator(arg, self._location),))
        return [self._send(call.ref, MessageType.PROGRESS, fields)]

    def _send_connect(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert arg is None or isinstance(arg, PartyNumber)
        if call.state is CallState.U8:
            self._arm(call, Timer.T313, now)
        fields = Fields(channel=self._response_channel(call), connected=arg)
        return [self._send(call.ref, MessageType.CONNECT, fields)]

    def _send_info(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, tuple)
        digits, complete = arg
        try:
            called = PartyNumber(digits, TypeOfNumber.UNKNOWN, NumberingPlan.ISDN)
        except ValueError as exc:
            raise LocalProtocolError(str(exc)) from None
        fields = Fields(called=called, sending_complete=complete)
        return [self._send(call.ref, MessageType.INFORMATION, fields)]

    def _got_digits(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        f = arg.fields
        if f.sending_complete:
            self._deadlines.pop((call.ref, Timer.T302), None)
        else:
            self._arm(call, Timer.T302, now)
        digits = f.called.digits if f.called is not None else ""
        return [MoreDigits(call.ref, digits, f.sending_complete)]

    def _overlap_timeout(self, call: _Call, now: float, arg: object) -> list[Output]:
        return [MoreDigits(call.ref, "", True)]

    def _got_connect_ack(self, call: _Call, now: float, arg: object) -> list[Output]:
        return [CallActive(call.ref)]

    def _got_info(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        f = arg.fields
        digits = f.called.digits if f.called is not None else ""
        return [InformationReceived(call.ref, digits, f.display)]

    def _reject(self, call: _Call, now: float, arg: object) -> list[Output]:
        # A call not yet answered to is refused with RELEASE COMPLETE (§5.2.5.1).
        assert isinstance(arg, int)
        return [self._release_complete(call.ref, arg), *self._to_null(call, arg)]

    def _send_disconnect(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, int)
        call.cause = self._cause(arg)
        call.reason = arg
        self._arm(call, Timer.T305, now)
        return [self._send(call.ref, MessageType.DISCONNECT, Fields(cause=call.cause))]

    def _timeout_disconnect(self, call: _Call, now: float, arg: object) -> list[Output]:
        # T310, T313, and T301 on the user side: §5.1.7, §5.2.8.
        return self._send_disconnect(call, now, CauseValue.RECOVERY_ON_TIMER_EXPIRY)

    def _no_answer(self, call: _Call, now: float, arg: object) -> list[Output]:
        # Network side T301 (§5.2.5.3): the called user was alerted but never answered.
        return self._send_disconnect(call, now, CauseValue.NO_ANSWER)

    def _got_disconnect(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        cause = arg.fields.cause.value if arg.fields.cause and not call.release_cause else None
        call.reason = cause or CauseValue.NORMAL_UNSPECIFIED
        return [CallDisconnecting(call.ref, call.reason)]

    def _send_release(self, call: _Call, now: float, arg: object) -> list[Output]:
        cause = call.release_cause or arg or CauseValue.NORMAL_CLEARING
        assert isinstance(cause, int)
        if call.cause is None:
            call.cause = self._cause(cause)
        self._arm(call, Timer.T308, now)
        return [self._send(call.ref, MessageType.RELEASE, Fields(cause=self._cause(cause)))]

    def _t305(self, call: _Call, now: float, arg: object) -> list[Output]:
        # §5.3.3: no RELEASE came for our DISCONNECT: release with the same cause.
        self._arm(call, Timer.T308, now)
        return [self._send(call.ref, MessageType.RELEASE, Fields(cause=call.cause))]

    def _disconnect_collision(self, call: _Call, now: float, arg: object) -> list[Output]:
        # §5.3.5: both sides sent DISCONNECT: go on with RELEASE.
        return self._t305(call, now, arg)

    def _t308(self, call: _Call, now: float, arg: object) -> list[Output]:
        # §5.3.4: one retransmission of RELEASE, then the call reference is released.
        if call.expiries == 0:
            call.expiries = 1
            self._arm(call, Timer.T308, now)
            return [self._send(call.ref, MessageType.RELEASE, Fields(cause=call.cause))]
        return self._to_null(call, CauseValue.RECOVERY_ON_TIMER_EXPIRY)

    def _got_release(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        bad = any(p.identifier == IEId.CAUSE for p in arg.problems_of(Problem.CONTENT))
        answer = CauseValue.INVALID_IE_CONTENTS if bad else None
        cause = arg.fields.cause.value if arg.fields.cause else None
        return [self._release_complete(call.ref, answer), *self._to_null(call, cause)]

    def _release_collision(self, call: _Call, now: float, arg: object) -> list[Output]:
        # §5.3.5: both sides sent RELEASE: each releases without RELEASE COMPLETE.
        assert isinstance(arg, Message)
        cause = arg.fields.cause.value if arg.fields.cause else None
        return self._to_null(call, cause)

    def _got_release_complete(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        cause = arg.fields.cause.value if arg.fields.cause else None
        return self._to_null(call, cause)

    def _send_status_enquiry(self, call: _Call, now: float, arg: object) -> list[Output]:
        return [self._send(call.ref, MessageType.STATUS_ENQUIRY, Fields())]

    def _got_status_enquiry(self, call: _Call, now: float, arg: object) -> list[Output]:
        return [self._status(call, CauseValue.RESPONSE_TO_STATUS_ENQUIRY)]

    def _got_status(self, call: _Call, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Message)
        cause = _cause_value(arg)
        if arg.fields.call_state == 0:
            # §5.8.11: the peer has no such call: release ours without a message.
            return self._to_null(call, cause)
        return [StatusReceived(call.ref, cause, arg.fields.call_state)]


def _ids(problems: list[IEProblem]) -> list[int]:
    return [p.identifier for p in problems]


def _has(msg: Message, identifier: IEId) -> bool:
    return any(p.identifier == identifier for p in msg.problems)


def _cause_value(msg: Message) -> int | None:
    return msg.fields.cause.value if msg.fields.cause is not None else None


# Short names keep the tables readable, one move per line.
M = MessageType
E = Q931Endpoint
S = CallState


def _build_user_table() -> dict[tuple[CallState, _Input], tuple[CallState, _Handler]]:
    t: dict[tuple[CallState, _Input], tuple[CallState, _Handler]] = {
        # Outgoing call (Q.931 §5.1)
        (S.U0, Req.SETUP): (S.U1, E._send_setup),
        (S.U1, Timer.T303): (S.U1, E._t303),
        (S.U1, M.SETUP_ACKNOWLEDGE): (S.U2, E._got_setup_ack),
        (S.U1, M.CALL_PROCEEDING): (S.U3, E._got_proceeding),
        (S.U1, M.ALERTING): (S.U4, E._got_alerting),
        (S.U1, M.CONNECT): (S.U10, E._got_connect),
        (S.U2, Req.INFORMATION): (S.U2, E._send_info),
        (S.U2, M.CALL_PROCEEDING): (S.U3, E._got_proceeding),
        (S.U2, M.ALERTING): (S.U4, E._got_alerting),
        (S.U2, M.CONNECT): (S.U10, E._got_connect),
        (S.U2, M.PROGRESS): (S.U2, E._got_progress),
        (S.U3, M.ALERTING): (S.U4, E._got_alerting),
        (S.U3, M.CONNECT): (S.U10, E._got_connect),
        (S.U3, M.PROGRESS): (S.U3, E._got_progress),
        (S.U3, Timer.T310): (S.U11, E._timeout_disconnect),
        (S.U4, M.CONNECT): (S.U10, E._got_connect),
        (S.U4, M.PROGRESS): (S.U4, E._got_progress),
        (S.U4, Timer.T301): (S.U11, E._timeout_disconnect),
        # Incoming call (Q.931 §5.2)
        (S.U0, M.SETUP): (S.U6, E._incoming),
        (S.U6, Req.SETUP_ACKNOWLEDGE): (S.U25, E._send_setup_ack),
        (S.U6, Req.PROCEEDING): (S.U9, E._send_proceeding),
        (S.U6, Req.ALERTING): (S.U7, E._send_alerting),
        (S.U6, Req.CONNECT): (S.U8, E._send_connect),
        (S.U6, Req.DISCONNECT): (S.U0, E._reject),
        (S.U25, M.INFORMATION): (S.U25, E._got_digits),
        (S.U25, Timer.T302): (S.U25, E._overlap_timeout),
        (S.U25, Req.PROCEEDING): (S.U9, E._send_proceeding),
        (S.U25, Req.ALERTING): (S.U7, E._send_alerting),
        (S.U25, Req.CONNECT): (S.U8, E._send_connect),
        (S.U25, Req.PROGRESS): (S.U25, E._send_progress),
        (S.U9, Req.ALERTING): (S.U7, E._send_alerting),
        (S.U9, Req.CONNECT): (S.U8, E._send_connect),
        (S.U9, Req.PROGRESS): (S.U9, E._send_progress),
        (S.U7, Req.CONNECT): (S.U8, E._send_connect),
        (S.U7, Req.PROGRESS): (S.U7, E._send_progress),
        (S.U8, M.CONNECT_ACKNOWLEDGE): (S.U10, E._got_connect_ack),
        (S.U8, Timer.T313): (S.U11, E._timeout_disconnect),
        (S.U10, M.CONNECT_ACKNOWLEDGE): (S.U10, E._nothing),
        # Clearing (Q.931 §5.3)
        (S.U11, M.DISCONNECT): (S.U19, E._disconnect_collision),
        (S.U11, Timer.T305): (S.U19, E._t305),
        (S.U12, Req.RELEASE): (S.U19, E._send_release),
        (S.U12, Req.DISCONNECT): (S.U19, E._send_release),
        (S.U19, M.RELEASE): (S.U0, E._release_collision),
        (S.U19, Timer.T308): (S.U19, E._t308),
    }
    calls = (S.U1, S.U2, S.U3, S.U4, S.U6, S.U7, S.U8, S.U9, S.U10, S.U25)
    for s in calls:
        if s is not S.U6:
            t[s, Req.DISCONNECT] = (S.U11, E._send_disconnect)
        t[s, M.DISCONNECT] = (S.U12, E._got_disconnect)
    for s in (*calls, S.U11, S.U12):
        t[s, M.RELEASE] = (S.U0, E._got_release)
    for s in (*calls, S.U11, S.U12, S.U19):
        t[s, M.RELEASE_COMPLETE] = (S.U0, E._got_release_complete)
        t[s, M.STATUS_ENQUIRY] = (s, E._got_status_enquiry)
        t[s, M.STATUS] = (s, E._got_status)
        t[s, Req.STATUS_ENQUIRY] = (s, E._send_status_enquiry)
    for s in (S.U3, S.U4, S.U7, S.U8, S.U9, S.U10, S.U11, S.U12):
        t[s, M.INFORMATION] = (s, E._got_info)
    for s in (S.U3, S.U4, S.U7, S.U8, S.U9, S.U10):
        t[s, M.NOTIFY] = (s, E._nothing)
    return t


def _build_network_table() -> dict[tuple[CallState, _Input], tuple[CallState, _Handler]]:
    t: dict[tuple[CallState, _Input], tuple[CallState, _Handler]] = {
        # Call offered to the user (Q.931 §5.2, network view)
        (S.N0, Req.SETUP): (S.N6, E._send_setup),
        (S.N6, Timer.T303): (S.N6, E._t303),
        (S.N6, M.SETUP_ACKNOWLEDGE): (S.N25, E._got_setup_ack),
        (S.N6, M.CALL_PROCEEDING): (S.N9, E._got_proceeding),
        (S.N6, M.ALERTING): (S.N7, E._got_alerting),
        (S.N6, M.CONNECT): (S.N10, E._got_connect),
        (S.N25, Req.INFORMATION): (S.N25, E._send_info),
        (S.N25, M.CALL_PROCEEDING): (S.N9, E._got_proceeding),
        (S.N25, M.ALERTING): (S.N7, E._got_alerting),
        (S.N25, M.CONNECT): (S.N10, E._got_connect),
        (S.N25, M.PROGRESS): (S.N25, E._got_progress),
        (S.N9, M.ALERTING): (S.N7, E._got_alerting),
        (S.N9, M.CONNECT): (S.N10, E._got_connect),
        (S.N9, M.PROGRESS): (S.N9, E._got_progress),
        (S.N9, Timer.T310): (S.N12, E._timeout_disconnect),
        (S.N7, M.CONNECT): (S.N10, E._got_connect),
        (S.N7, M.PROGRESS): (S.N7, E._got_progress),
        (S.N7, Timer.T301): (S.N12, E._no_answer),
        # Call placed by the user (Q.931 §5.1, network view)
        (S.N0, M.SETUP): (S.N1, E._incoming),
        (S.N1, Req.SETUP_ACKNOWLEDGE): (S.N2, E._send_setup_ack),
        (S.N1, Req.PROCEEDING): (S.N3, E._send_proceeding),
        (S.N1, Req.ALERTING): (S.N4, E._send_alerting),
        (S.N1, Req.CONNECT): (S.N10, E._send_connect),
        (S.N1, Req.DISCONNECT): (S.N0, E._reject),
        (S.N2, M.INFORMATION): (S.N2, E._got_digits),
        (S.N2, Timer.T302): (S.N2, E._overlap_timeout),
        (S.N2, Req.PROCEEDING): (S.N3, E._send_proceeding),
        (S.N2, Req.ALERTING): (S.N4, E._send_alerting),
        (S.N2, Req.CONNECT): (S.N10, E._send_connect),
        (S.N2, Req.PROGRESS): (S.N2, E._send_progress),
        (S.N3, Req.ALERTING): (S.N4, E._send_alerting),
        (S.N3, Req.CONNECT): (S.N10, E._send_connect),
        (S.N3, Req.PROGRESS): (S.N3, E._send_progress),
        (S.N4, Req.CONNECT): (S.N10, E._send_connect),
        (S.N4, Req.PROGRESS): (S.N4, E._send_progress),
        (S.N10, M.CONNECT_ACKNOWLEDGE): (S.N10, E._nothing),
        # Clearing (Q.931 §5.3, network view)
        (S.N12, M.DISCONNECT): (S.N19, E._disconnect_collision),
        (S.N12, Timer.T305): (S.N19, E._t305),
        (S.N11, Req.RELEASE): (S.N19, E._send_release),
        (S.N11, Req.DISCONNECT): (S.N19, E._send_release),
        (S.N19, M.RELEASE): (S.N0, E._release_collision),
        (S.N19, Timer.T308): (S.N19, E._t308),
    }
    calls = (S.N1, S.N2, S.N3, S.N4, S.N6, S.N7, S.N9, S.N10, S.N25)
    for s in calls:
        if s is not S.N1:
            t[s, Req.DISCONNECT] = (S.N12, E._send_disconnect)
        t[s, M.DISCONNECT] = (S.N11, E._got_disconnect)
    for s in (*calls, S.N11, S.N12):
        t[s, M.RELEASE] = (S.N0, E._got_release)
    for s in (*calls, S.N11, S.N12, S.N19):
        t[s, M.RELEASE_COMPLETE] = (S.N0, E._got_release_complete)
        t[s, M.STATUS_ENQUIRY] = (s, E._got_status_enquiry)
        t[s, M.STATUS] = (s, E._got_status)
        t[s, Req.STATUS_ENQUIRY] = (s, E._send_status_enquiry)
    for s in (S.N3, S.N4, S.N7, S.N9, S.N10, S.N11, S.N12):
        t[s, M.INFORMATION] = (s, E._got_info)
    for s in (S.N3, S.N4, S.N7, S.N9, S.N10):
        t[s, M.NOTIFY] = (s, E._nothing)
    return t


# Every legal move of a call: (state, input) -> (next state, handler). A message
# missing here is answered with STATUS #101; a request missing here raises.
_USER_TABLE = _build_user_table()
_NETWORK_TABLE = _build_network_table()
