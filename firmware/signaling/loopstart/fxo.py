"""The box's FXO port: a loop-start line facing an exchange.

An analog exchange line says little: ringing voltage, a polarity reversal, a
short break in loop current, tones. This machine turns those, with caller ID
from the media layer, into calls: ``IncomingCall`` for the calls layer to
answer, ``Answered`` and ``FarEndDisconnected`` for the calls it places.

When an incoming call is reported (ETSI EN 300 659-1, on-hook data
transmission): caller ID is sent either before the first ring, after a polarity
reversal (as in the UK), or in the silence after the first ring (as in most of
Europe). The call is reported at the first of:

* caller ID received (before the first ring: as soon as that ring starts);
* the start of the second ring, with no caller ID;
* ``cid_wait`` seconds after the end of the first ring, with no caller ID, so a
  cadence with a long silence does not make the caller wait a whole extra ring.

A call that stops ringing for ``ring_gone_timeout`` before it is answered was
abandoned by the caller: ``RingingStopped``. Ringing is validated by its
cadence: a first burst shorter than ``ring_min_on`` is not a ring (a ring-pulse
alert before caller ID, or a splash), and ringing voltage that never pauses
within ``ring_gone_timeout`` is a line fault, never offered as a call.

Outbound, the line is seized and digits are sent when call-progress detection
hears dial tone, or after ``dialtone_delay`` at the latest. How the far end's
answer is known is one clear setting, ``answer_detection``: by the exchange's
polarity reversal (``polarity``), by voice heard after ringback (``progress``, for
lines without reversal), or ``no_polarity_answer_delay`` after the digits were
sent (``delay``).

Disconnect supervision uses every means a line offers, each of which can be
switched off per line (``disconnect_by``): a loop-current drop, a polarity
reversal (on lines that answer by reversal), a busy, congestion or learned
disconnect tone, or dial tone, heard in the call, and a long silence
(``silence_disconnect`` seconds from the moment detection reports silence).
Above them, the stuck-line guard frees a line whose call outlives
``max_call_duration`` or stays silent for ``max_silence``, whatever the calls
layer does, and says why in :class:`LineFreed`.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from firmware.signaling.loopstart.errors import ConfigError, LocalProtocolError
from firmware.signaling.loopstart.events import (
    DISCONNECT_METHODS,
    DTMF_DIGITS,
    Answered,
    Connected,
    DisconnectReason,
    EnableCallerId,
    FarEndDisconnected,
    GuardReason,
    HookFlash,
    IncomingCall,
    LineFreed,
    Output,
    Released,
    RingingStopped,
    SendDigits,
    SetHook,
)
from firmware.signaling.loopstart.machine import TableMachine
from firmware.signaling.loopstart.timers import TimerSet

log = logging.getLogger(__name__)

MAX_DIAL_DIGITS = 32

# After our own hook flash, the exchange sees (and some cards report) the loop
# current we broke ourselves; drops this long after the flash are not the far end.
FLASH_SETTLE = 0.3


class AnswerDetection(enum.Enum):
    """How an outbound call's answer is known on this line."""

    POLARITY = "polarity"  # the exchange reverses the line's polarity on answer
    PROGRESS = "progress"  # voice heard after ringback (lines without reversal)
    DELAY = "delay"  # assumed ``no_polarity_answer_delay`` after the digits went out


@dataclass(frozen=True)
class FxoConfig:
    """Timings and line habits of an FXO port, in seconds.

    ``answer_by_polarity`` is the short form of ``answer_detection`` kept for
    lines configured before it existed: when ``answer_detection`` is not given it
    is POLARITY or DELAY by that flag, and afterwards the flag always says whether
    detection is POLARITY. ``max_call_duration`` and ``max_silence`` (the
    stuck-line guard) are off when None, as in a bare machine; a port's stored
    settings switch them on.
    """

    ring_gone_timeout: float = 6.0
    cid_wait: float = 4.5
    ring_min_on: float = 0.15
    answer_by_polarity: bool = True
    dialtone_delay: float = 1.5
    no_polarity_answer_delay: float = 0.0
    flash_time: float = 0.1
    answer_detection: AnswerDetection | None = None
    disconnect_by: frozenset[DisconnectReason] = DISCONNECT_METHODS
    silence_disconnect: float = 60.0
    max_call_duration: float | None = None
    max_silence: float | None = None

    def __post_init__(self) -> None:
        for name in (
            "ring_gone_timeout", "cid_wait", "flash_time", "silence_disconnect", "ring_min_on"
        ):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive, not {getattr(self, name)}")
        for name in ("dialtone_delay", "no_polarity_answer_delay"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"{name} cannot be negative ({getattr(self, name)})")
        for name in ("max_call_duration", "max_silence"):
            limit = getattr(self, name)
            if limit is not None and not limit > 0:
                raise ConfigError(f"{name} must be positive or None (off), not {limit}")
        unknown = set(self.disconnect_by) - DISCONNECT_METHODS
        if unknown:
            raise ConfigError(
                f"unknown disconnect methods {sorted(unknown)}; "
                f"known: {', '.join(sorted(DISCONNECT_METHODS))}"
            )
        object.__setattr__(self, "disconnect_by", frozenset(self.disconnect_by))
        mode = self.answer_detection
        if mode is None:
            mode = AnswerDetection.POLARITY if self.answer_by_polarity else AnswerDetection.DELAY
        elif not isinstance(mode, AnswerDetection):
            try:
                mode = AnswerDetection(mode)
            except ValueError:
                known = ", ".join(m.value for m in AnswerDetection)
                raise ConfigError(
                    f"answer_detection must be one of {known}, not {mode!r}"
                ) from None
        object.__setattr__(self, "answer_detection", mode)
        object.__setattr__(self, "answer_by_polarity", mode is AnswerDetection.POLARITY)


@dataclass(frozen=True)
class CallerId:
    """Caller ID as the media layer decoded it; any field may be missing."""

    number: str | None
    name: str | None
    datetime: str | None


class FxoState(enum.Enum):
    """Where the exchange line and its call are."""

    IDLE = "idle"
    PRE_RING = "pre-ring"  # reversal or caller ID before any ring (EN 300 659-1, prior to ringing)
    ALERTING = "alerting"  # first ring seen, waiting for caller ID or the second ring
    OFFERED = "offered"  # IncomingCall reported, waiting for the calls layer to answer
    DECLINED = "declined"  # the calls layer refused the call; it rings on until it is gone
    SEIZED = "seized"  # outbound: off-hook, waiting for dial tone
    DIALLING = "dialling"  # outbound: the media layer is sending the digits
    PROCEEDING = "proceeding"  # outbound: digits sent, waiting for the answer
    CONNECTED = "connected"  # a call is through, either way
    FAR_END_GONE = "far-end-gone"  # the exchange cleared; still off-hook until hangup


class _In(enum.Enum):
    """Inputs of the transition table: line inputs, requests from above, and timers."""

    RING_START = "ring started"
    RING_STOP = "ring stopped"
    RING_SPLASH = "ring burst too short"
    POLARITY = "polarity reversed"
    LOOP_DROP = "loop current dropped"
    CALLER_ID = "caller id"
    DISCONNECT_TONE = "disconnect tone"
    DIGITS_SENT = "digits sent"
    DIAL_TONE = "dial tone heard"
    RINGBACK = "ringback heard"
    VOICE = "voice heard"
    SILENCE = "silence heard"
    FAR_ANSWER = "far end answered"
    ANSWER = "answer"
    DIAL = "dial"
    HANGUP = "hang up"
    FLASH = "flash"
    PRE_RING_TIMER = "pre-ring timer"
    CID_TIMER = "caller id timer"
    RING_GONE_TIMER = "ring-gone timer"
    DIALTONE_TIMER = "dial-tone timer"
    ANSWER_TIMER = "answer timer"
    SILENCE_TIMER = "silence timer"
    GUARD_DURATION_TIMER = "guard: call duration"
    GUARD_SILENCE_TIMER = "guard: silence"


class _Timer(enum.Enum):
    PRE_RING = _In.PRE_RING_TIMER
    CID = _In.CID_TIMER
    RING_GONE = _In.RING_GONE_TIMER
    DIALTONE = _In.DIALTONE_TIMER
    ANSWER = _In.ANSWER_TIMER
    SILENCE = _In.SILENCE_TIMER
    GUARD_DURATION = _In.GUARD_DURATION_TIMER
    GUARD_SILENCE = _In.GUARD_SILENCE_TIMER


# What each report of call-progress detection is to the machine.
_HEARD_INPUT: dict[str, _In] = {
    "voice": _In.VOICE,
    "silence": _In.SILENCE,
    "dial": _In.DIAL_TONE,
    "ringback": _In.RINGBACK,
    "busy": _In.DISCONNECT_TONE,
    "congestion": _In.DISCONNECT_TONE,
    "sit": _In.DISCONNECT_TONE,
    "disconnect": _In.DISCONNECT_TONE,
}


_FROM_ABOVE = frozenset({_In.ANSWER, _In.DIAL, _In.HANGUP, _In.FLASH})

_SEIZED_STATES = (
    FxoState.SEIZED,
    FxoState.DIALLING,
    FxoState.PROCEEDING,
    FxoState.CONNECTED,
)

# The timers that survive in each state; entering a state cancels all others.
# The guard's duration timer runs from seizure until the line is on-hook again.
_STATE_TIMERS: dict[FxoState, frozenset[_Timer]] = {
    FxoState.IDLE: frozenset(),
    FxoState.PRE_RING: frozenset({_Timer.PRE_RING}),
    FxoState.ALERTING: frozenset({_Timer.RING_GONE, _Timer.CID}),
    FxoState.OFFERED: frozenset({_Timer.RING_GONE}),
    FxoState.DECLINED: frozenset({_Timer.RING_GONE}),
    FxoState.SEIZED: frozenset({_Timer.DIALTONE, _Timer.GUARD_DURATION}),
    FxoState.DIALLING: frozenset({_Timer.GUARD_DURATION}),
    FxoState.PROCEEDING: frozenset(
        {_Timer.ANSWER, _Timer.GUARD_DURATION, _Timer.GUARD_SILENCE}
    ),
    FxoState.CONNECTED: frozenset(
        {_Timer.GUARD_DURATION, _Timer.GUARD_SILENCE, _Timer.SILENCE}
    ),
    FxoState.FAR_END_GONE: frozenset({_Timer.GUARD_DURATION}),
}

_Handler = Callable[["FxoLine", float, object], list[Output]]


class FxoLine(TableMachine):
    """The loop-start machine of one FXO port.

    Feed it the line events from the HAL, caller ID, tone detection and "digits
    sent" from the media layer, and the calls layer's requests; apply the
    ``Action`` outputs to the port and pass the ``Event`` ones up. Ask
    :meth:`next_deadline` and call :meth:`handle_timer` when it has passed; every
    input also fires the timers already due, so a late timer call cannot reorder
    what happened.
    """

    NAME = "FXO"
    FROM_ABOVE = _FROM_ABOVE
    STATE_TIMERS = _STATE_TIMERS
    REFUSAL = "cannot {what} on an FXO line that is {state}"

    def __init__(self, config: FxoConfig | None = None) -> None:
        self.config = config or FxoConfig()
        self._state = FxoState.IDLE
        self._timers: TimerSet[_Timer] = TimerSet()
        self._cid_on = False
        self._early_cid: CallerId | None = None  # caller ID heard before the first ring
        self._number = ""
        self._answered_early = False
        self._flash_settles_at = float("-inf")
        self._ringback_heard = False
        self._ring_since = float("-inf")
        self._transitions = self._build_transitions(self.config)

    @property
    def state(self) -> FxoState:
        return self._state

    @property
    def is_idle(self) -> bool:
        """Whether :meth:`dial` may seize the line now."""
        return self._state in (FxoState.IDLE, FxoState.PRE_RING)

    def __repr__(self) -> str:
        return f"<FxoLine {self._state.value}>"

    # --- inputs from the line and the media layer -----------------------------------------

    def ring_started(self, now: float) -> list[Output]:
        """Ringing voltage appeared on the line."""
        return self._expire(now) + self._feed(_In.RING_START, now)

    def ring_stopped(self, now: float) -> list[Output]:
        """Ringing voltage went away: the end of one ring burst."""
        return self._expire(now) + self._feed(_In.RING_STOP, now)

    def polarity_reversed(self, now: float) -> list[Output]:
        """The exchange reversed the line's polarity."""
        return self._expire(now) + self._feed(_In.POLARITY, now)

    def loop_current_drop(self, now: float) -> list[Output]:
        """The exchange broke the loop current briefly: the far end cleared."""
        out = self._expire(now)
        if now < self._flash_settles_at:
            return out  # the break of our own hook flash
        return out + self._feed(_In.LOOP_DROP, now)

    def caller_id(
        self, number: str | None, name: str | None, datetime: str | None, now: float
    ) -> list[Output]:
        """A caller ID message decoded by the media layer."""
        return self._expire(now) + self._feed(_In.CALLER_ID, now, CallerId(number, name, datetime))

    def disconnect_tone(self, now: float) -> list[Output]:
        """Call-progress detection heard busy or congestion tone: the far end is gone."""
        return self._expire(now) + self._feed(_In.DISCONNECT_TONE, now)

    def heard(self, kind: str, now: float) -> list[Output]:
        """Call-progress detection's report of what the line carries now.

        ``kind`` is one of :data:`~firmware.signaling.loopstart.events.HEARD_KINDS`.
        Reports may come at every change or repeatedly; "silence" starts the
        silence clocks and anything else stops them. A kind the machine does not
        know is ignored, as any odd line input is.
        """
        what = _HEARD_INPUT.get(kind)
        if what is None:
            log.debug("FXO: unknown call-progress report %r ignored", kind)
            return self._expire(now)
        return self._expire(now) + self._feed(what, now)

    def digits_sent(self, now: float) -> list[Output]:
        """The media layer finished sending the digits of :class:`SendDigits`."""
        return self._expire(now) + self._feed(_In.DIGITS_SENT, now)

    # --- requests from the calls layer ----------------------------------------------------

    def answer(self, now: float) -> list[Output]:
        """Accept the offered call."""
        return self._expire(now) + self._feed(_In.ANSWER, now)

    def dial(self, number: str, now: float) -> list[Output]:
        """Seize the line and call ``number`` (DTMF digits, at most 32)."""
        if not number or len(number) > MAX_DIAL_DIGITS:
            raise LocalProtocolError(
                f"a number to dial needs 1 to {MAX_DIAL_DIGITS} digits, not {len(number)}"
            )
        bad = sorted(set(number) - DTMF_DIGITS)
        if bad:
            raise LocalProtocolError(f"cannot dial {number!r}: {''.join(bad)!r} is not DTMF")
        out = self._expire(now)
        return out + self._feed(_In.DIAL, now, number)

    def hangup(self, now: float) -> list[Output]:
        """End the call (or refuse the offered one); harmless on an idle line."""
        return self._expire(now) + self._feed(_In.HANGUP, now)

    def flash(self, now: float) -> list[Output]:
        """Flash the hook during a call: the exchange's transfer or hold signal."""
        return self._expire(now) + self._feed(_In.FLASH, now)

    def _cid(self, on: bool) -> list[Output]:
        if self._cid_on == on:
            return []
        self._cid_on = on
        return [EnableCallerId(on)]

    # Handlers run after the state has moved to the target in the table.

    def _nothing(self, now: float, arg: object) -> list[Output]:
        return []

    def _pre_ring(self, now: float, arg: object) -> list[Output]:
        self._timers.arm(_Timer.PRE_RING, now + self.config.cid_wait)
        return self._cid(True)

    def _pre_ring_cid(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, CallerId)
        self._early_cid = arg
        if not self._timers.is_armed(_Timer.PRE_RING):
            self._timers.arm(_Timer.PRE_RING, now + self.config.cid_wait)
        return []

    def _splash(self, now: float, arg: object) -> list[Output]:
        # Too short for a ring: a ring-pulse alerting signal before caller ID
        # (EN 300 659-1 §6.2.1, RP-AS, 200-300 ms) or a splash on the line. Listen
        # for caller ID as before a first ring; the real first ring starts the call.
        self._timers.arm(_Timer.PRE_RING, now + self.config.cid_wait)
        return []

    def _pre_ring_over(self, now: float, arg: object) -> list[Output]:
        self._early_cid = None
        return self._cid(False)

    def _first_ring(self, now: float, arg: object) -> list[Output]:
        self._ring_since = now
        self._timers.arm(_Timer.RING_GONE, now + self.config.ring_gone_timeout)
        early, self._early_cid = self._early_cid, None
        if early is not None:
            return self._feed(_In.CALLER_ID, now, early)
        return self._cid(True)

    def _first_ring_over(self, now: float, arg: object) -> list[Output]:
        if now - self._ring_since < self.config.ring_min_on:
            return self._feed(_In.RING_SPLASH, now)
        self._timers.arm(_Timer.RING_GONE, now + self.config.ring_gone_timeout)
        if not self._timers.is_armed(_Timer.CID):
            self._timers.arm(_Timer.CID, now + self.config.cid_wait)
        return []

    def _offer(self, now: float, arg: object) -> list[Output]:
        cid = arg if isinstance(arg, CallerId) else CallerId(None, None, None)
        return [*self._cid(False), IncomingCall(cid.number, cid.name, cid.datetime)]

    def _offer_on_second_ring(self, now: float, arg: object) -> list[Output]:
        self._timers.arm(_Timer.RING_GONE, now + self.config.ring_gone_timeout)
        return self._offer(now, None)

    def _still_ringing(self, now: float, arg: object) -> list[Output]:
        self._timers.arm(_Timer.RING_GONE, now + self.config.ring_gone_timeout)
        return []

    def _never_offered(self, now: float, arg: object) -> list[Output]:
        return self._cid(False)

    def _abandoned(self, now: float, arg: object) -> list[Output]:
        return [RingingStopped()]

    def _declined_gone(self, now: float, arg: object) -> list[Output]:
        return [Released()]

    def _arm_guard(self, now: float) -> None:
        limit = self.config.max_call_duration
        if limit is not None:
            self._timers.arm(_Timer.GUARD_DURATION, now + limit)

    def _take(self, now: float, arg: object) -> list[Output]:
        self._arm_guard(now)
        return [SetHook(True), Connected()]

    def _seize(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, str)
        self._number = arg
        self._answered_early = False
        self._ringback_heard = False
        self._early_cid = None
        self._arm_guard(now)
        self._timers.arm(_Timer.DIALTONE, now + self.config.dialtone_delay)
        return [*self._cid(False), SetHook(True)]

    def _send_digits(self, now: float, arg: object) -> list[Output]:
        return [SendDigits(self._number)]

    def _digits_done(self, now: float, arg: object) -> list[Output]:
        mode = self.config.answer_detection
        if mode is AnswerDetection.POLARITY:
            if self._answered_early:
                return self._feed(_In.POLARITY, now)
            return []
        if mode is AnswerDetection.PROGRESS:
            return []
        delay = self.config.no_polarity_answer_delay
        if delay > 0:
            self._timers.arm(_Timer.ANSWER, now + delay)
            return []
        return self._feed(_In.ANSWER_TIMER, now)

    def _ringback(self, now: float, arg: object) -> list[Output]:
        self._ringback_heard = True
        return self._activity(now, arg)

    def _voice_proceeding(self, now: float, arg: object) -> list[Output]:
        out = self._activity(now, arg)
        # Voice before any ringback is an announcement, not the called party.
        if self.config.answer_detection is AnswerDetection.PROGRESS and self._ringback_heard:
            out += self._feed(_In.FAR_ANSWER, now)
        return out

    def _activity(self, now: float, arg: object) -> list[Output]:
        self._timers.cancel(_Timer.SILENCE)
        self._timers.cancel(_Timer.GUARD_SILENCE)
        return []

    def _quiet(self, now: float, arg: object) -> list[Output]:
        # A detector may repeat "silence": the clocks run from the first report.
        config = self.config
        if (
            self._state is FxoState.CONNECTED
            and "silence" in config.disconnect_by
            and not self._timers.is_armed(_Timer.SILENCE)
        ):
            self._timers.arm(_Timer.SILENCE, now + config.silence_disconnect)
        if config.max_silence is not None and not self._timers.is_armed(_Timer.GUARD_SILENCE):
            self._timers.arm(_Timer.GUARD_SILENCE, now + config.max_silence)
        return []

    def _gone_silence(self, now: float, arg: object) -> list[Output]:
        return [FarEndDisconnected("silence")]

    def _guard(self, reason: GuardReason, limit: float | None) -> list[Output]:
        self._number = ""
        self._flash_settles_at = float("-inf")
        return [LineFreed(reason, float(limit or 0.0)), SetHook(False), Released()]

    def _guard_duration(self, now: float, arg: object) -> list[Output]:
        return self._guard("max-duration", self.config.max_call_duration)

    def _guard_silence(self, now: float, arg: object) -> list[Output]:
        return self._guard("max-silence", self.config.max_silence)

    def _early_answer(self, now: float, arg: object) -> list[Output]:
        # The reversal can beat the media layer's "digits sent" by a frame or two.
        self._answered_early = True
        return []

    def _answered(self, now: float, arg: object) -> list[Output]:
        return [Answered()]

    def _flash(self, now: float, arg: object) -> list[Output]:
        self._flash_settles_at = now + self.config.flash_time + FLASH_SETTLE
        return [HookFlash(self.config.flash_time)]

    def _gone_loop(self, now: float, arg: object) -> list[Output]:
        return [FarEndDisconnected("loop-current")]

    def _gone_polarity(self, now: float, arg: object) -> list[Output]:
        return [FarEndDisconnected("polarity")]

    def _gone_tone(self, now: float, arg: object) -> list[Output]:
        return [FarEndDisconnected("tone")]

    def _release(self, now: float, arg: object) -> list[Output]:
        self._number = ""
        self._ringback_heard = False
        self._flash_settles_at = float("-inf")
        return [SetHook(False), Released()]

    # Every legal move of the machine: (state, input) -> (next state, handler).
    # A line input missing here is ignored; a request from above missing here raises.
    _TRANSITIONS: ClassVar[dict[tuple[FxoState, _In], tuple[FxoState, _Handler]]] = {
        # inbound
        (FxoState.IDLE, _In.POLARITY): (FxoState.PRE_RING, _pre_ring),
        (FxoState.IDLE, _In.CALLER_ID): (FxoState.PRE_RING, _pre_ring_cid),
        (FxoState.IDLE, _In.RING_START): (FxoState.ALERTING, _first_ring),
        (FxoState.PRE_RING, _In.CALLER_ID): (FxoState.PRE_RING, _pre_ring_cid),
        (FxoState.PRE_RING, _In.RING_START): (FxoState.ALERTING, _first_ring),
        (FxoState.PRE_RING, _In.PRE_RING_TIMER): (FxoState.IDLE, _pre_ring_over),
        (FxoState.ALERTING, _In.RING_STOP): (FxoState.ALERTING, _first_ring_over),
        (FxoState.ALERTING, _In.RING_SPLASH): (FxoState.PRE_RING, _splash),
        (FxoState.ALERTING, _In.CALLER_ID): (FxoState.OFFERED, _offer),
        (FxoState.ALERTING, _In.RING_START): (FxoState.OFFERED, _offer_on_second_ring),
        (FxoState.ALERTING, _In.CID_TIMER): (FxoState.OFFERED, _offer),
        (FxoState.ALERTING, _In.RING_GONE_TIMER): (FxoState.IDLE, _never_offered),
        (FxoState.OFFERED, _In.RING_START): (FxoState.OFFERED, _still_ringing),
        (FxoState.OFFERED, _In.RING_STOP): (FxoState.OFFERED, _still_ringing),
        (FxoState.OFFERED, _In.RING_GONE_TIMER): (FxoState.IDLE, _abandoned),
        (FxoState.OFFERED, _In.ANSWER): (FxoState.CONNECTED, _take),
        (FxoState.OFFERED, _In.HANGUP): (FxoState.DECLINED, _nothing),
        (FxoState.DECLINED, _In.RING_START): (FxoState.DECLINED, _still_ringing),
        (FxoState.DECLINED, _In.RING_STOP): (FxoState.DECLINED, _still_ringing),
        (FxoState.DECLINED, _In.RING_GONE_TIMER): (FxoState.IDLE, _declined_gone),
        # outbound
        (FxoState.IDLE, _In.DIAL): (FxoState.SEIZED, _seize),
        (FxoState.PRE_RING, _In.DIAL): (FxoState.SEIZED, _seize),
        (FxoState.SEIZED, _In.DIALTONE_TIMER): (FxoState.DIALLING, _send_digits),
        (FxoState.SEIZED, _In.DIAL_TONE): (FxoState.DIALLING, _send_digits),
        (FxoState.DIALLING, _In.DIGITS_SENT): (FxoState.PROCEEDING, _digits_done),
        (FxoState.PROCEEDING, _In.ANSWER_TIMER): (FxoState.CONNECTED, _answered),
        (FxoState.PROCEEDING, _In.FAR_ANSWER): (FxoState.CONNECTED, _answered),
        (FxoState.PROCEEDING, _In.RINGBACK): (FxoState.PROCEEDING, _ringback),
        (FxoState.PROCEEDING, _In.VOICE): (FxoState.PROCEEDING, _voice_proceeding),
        (FxoState.PROCEEDING, _In.SILENCE): (FxoState.PROCEEDING, _quiet),
        (FxoState.PROCEEDING, _In.GUARD_SILENCE_TIMER): (FxoState.IDLE, _guard_silence),
        (FxoState.CONNECTED, _In.VOICE): (FxoState.CONNECTED, _activity),
        (FxoState.CONNECTED, _In.RINGBACK): (FxoState.CONNECTED, _activity),
        (FxoState.CONNECTED, _In.SILENCE): (FxoState.CONNECTED, _quiet),
        (FxoState.CONNECTED, _In.SILENCE_TIMER): (FxoState.FAR_END_GONE, _gone_silence),
        (FxoState.CONNECTED, _In.GUARD_SILENCE_TIMER): (FxoState.IDLE, _guard_silence),
        # in a call
        (FxoState.CONNECTED, _In.FLASH): (FxoState.CONNECTED, _flash),
        (FxoState.FAR_END_GONE, _In.HANGUP): (FxoState.IDLE, _release),
        # a hangup with no call of ours on the line is a harmless repeat
        (FxoState.IDLE, _In.HANGUP): (FxoState.IDLE, _nothing),
        (FxoState.PRE_RING, _In.HANGUP): (FxoState.PRE_RING, _nothing),
        (FxoState.ALERTING, _In.HANGUP): (FxoState.ALERTING, _nothing),
        (FxoState.DECLINED, _In.HANGUP): (FxoState.DECLINED, _nothing),
    }
    for _state in _SEIZED_STATES:
        _TRANSITIONS[_state, _In.LOOP_DROP] = (FxoState.FAR_END_GONE, _gone_loop)
        _TRANSITIONS[_state, _In.DISCONNECT_TONE] = (FxoState.FAR_END_GONE, _gone_tone)
        _TRANSITIONS[_state, _In.HANGUP] = (FxoState.IDLE, _release)
    for _state in (*_SEIZED_STATES, FxoState.FAR_END_GONE):
        _TRANSITIONS[_state, _In.GUARD_DURATION_TIMER] = (FxoState.IDLE, _guard_duration)
    # Many exchanges give dial tone again once the far end has cleared.
    _TRANSITIONS[FxoState.CONNECTED, _In.DIAL_TONE] = (FxoState.FAR_END_GONE, _gone_tone)
    del _state

    # Only on lines that signal answer by reversing polarity (and clear by reversing back).
    _POLARITY_TRANSITIONS: ClassVar[dict[tuple[FxoState, _In], tuple[FxoState, _Handler]]] = {
        (FxoState.DIALLING, _In.POLARITY): (FxoState.DIALLING, _early_answer),
        (FxoState.PROCEEDING, _In.POLARITY): (FxoState.CONNECTED, _answered),
        (FxoState.CONNECTED, _In.POLARITY): (FxoState.FAR_END_GONE, _gone_polarity),
    }

    @classmethod
    def _build_transitions(
        cls, config: FxoConfig
    ) -> dict[tuple[FxoState, _In], tuple[FxoState, _Handler]]:
        """The table for this line: its answer signal, minus the clears it does not trust."""
        table = dict(cls._TRANSITIONS)
        if config.answer_detection is AnswerDetection.POLARITY:
            table.update(cls._POLARITY_TRANSITIONS)
            if "polarity" not in config.disconnect_by:
                del table[FxoState.CONNECTED, _In.POLARITY]
        if "loop-current" not in config.disconnect_by:
            for state in _SEIZED_STATES:
                del table[state, _In.LOOP_DROP]
        if "tone" not in config.disconnect_by:
            # Busy before the answer still means the called party is busy.
            table[FxoState.CONNECTED, _In.DISCONNECT_TONE] = (FxoState.CONNECTED, cls._activity)
            table[FxoState.CONNECTED, _In.DIAL_TONE] = (FxoState.CONNECTED, cls._activity)
        return table
