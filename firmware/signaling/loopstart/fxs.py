"""The box's FXS port: a loop-start line facing an analog phone.

The phone only tells us its hook state; everything else (a hook flash, a
hang-up, the end of dialling) is read from how long things last. This machine
does that reading, so the calls layer hears ``OffHook``, ``Digits``, ``Flash``
and ``HungUp`` instead of raw hook edges and DTMF.

Hook timing (the register recall, or "flash", of analog exchanges):

* on-hook shorter than ``flash_min``: a glitch (a bounce of the switch hook), ignored;
* on-hook of at least ``flash_min`` and less than ``flash_max``, then off-hook: a flash;
* on-hook of ``flash_max`` or longer: a hang-up, reported when ``flash_max`` expires.

Dialling ends on ``#`` (not part of the number), after ``interdigit_timeout`` of
silence, when ``max_digits`` were dialled, or as soon as the dial plan's
``number_complete`` predicate says the number can be nothing else. A phone lifted
and left without a digit for ``first_digit_timeout`` hears congestion, and one
still off-hook ``howler_after`` seconds after busy or congestion began hears the
off-hook warning (howler), as on a public exchange.

Ringing may carry caller ID (type I, EN 300 659-1 §6.2 / GR-30-CORE): in the
pause after the first ring, ``cid_delay`` after it ends, or before the first ring
(the ring then starts when the media layer reports the data sent, or after
``cid_ring_fallback`` at the latest). A phone in a call can be alerted to a
waiting call with type II caller ID (:meth:`FxsLine.call_waiting`). After a
flash in a call, :meth:`FxsLine.recall` gives the user dial tone again to dial a
transfer number; a flash at that dial tone, or while the consulted phone rings,
is reported so the held call can be taken back.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from firmware.signaling.loopstart.errors import ConfigError, LocalProtocolError
from firmware.signaling.loopstart.events import (
    DTMF_DIGITS,
    Answered,
    CallerInfo,
    CidStandard,
    DialTimeout,
    Digits,
    Flash,
    HungUp,
    OffHook,
    Output,
    PlayTone,
    SendCallerId,
    SendCallerIdOffhook,
    StartRing,
    StopRing,
    StopTone,
    ToneName,
)
from firmware.signaling.loopstart.machine import TableMachine
from firmware.signaling.loopstart.timers import TimerSet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FxsConfig:
    """Timings of an FXS port, in seconds."""

    flash_min: float = 0.08
    flash_max: float = 0.6
    interdigit_timeout: float = 4.0
    first_digit_timeout: float = 10.0
    ring_cadence: tuple[float, ...] = (1.0, 4.0)
    max_digits: int = 32
    caller_id_standard: CidStandard | None = None
    caller_id_before_ring: bool = False
    cid_delay: float = 0.5  # EN 300 659-1 §6.2.2: data at least 500 ms after the first ring
    cid_ring_fallback: float = 3.0
    howler_after: float | None = None

    def __post_init__(self) -> None:
        if self.caller_id_standard not in (None, "etsi", "bell", "dtmf"):
            raise ConfigError(
                f"caller_id_standard must be etsi, bell, dtmf or None, "
                f"not {self.caller_id_standard!r}"
            )
        if self.caller_id_before_ring and self.caller_id_standard == "bell":
            raise ConfigError("Bell 202 caller ID is sent after the first ring, not before it")
        if not (self.cid_delay > 0 and self.cid_ring_fallback > 0):
            raise ConfigError("cid_delay and cid_ring_fallback must be positive")
        if self.howler_after is not None and not self.howler_after > 0:
            raise ConfigError(f"howler_after must be positive or None, not {self.howler_after}")
        if not 0 <= self.flash_min < self.flash_max:
            raise ConfigError(
                f"flash_min ({self.flash_min}) must be at least 0 and below "
                f"flash_max ({self.flash_max})"
            )
        if self.interdigit_timeout <= 0 or self.first_digit_timeout <= 0:
            raise ConfigError("interdigit_timeout and first_digit_timeout must be positive")
        if self.max_digits < 1:
            raise ConfigError(f"max_digits must be at least 1, not {self.max_digits}")
        check_cadence(self.ring_cadence)


def check_cadence(cadence: tuple[float, ...]) -> None:
    """Refuse a cadence a ring generator cannot play: empty, or a zero/negative period."""
    if not cadence or any(not period > 0 for period in cadence):
        raise ConfigError(f"a ring cadence needs positive periods in seconds, not {cadence!r}")


class FxsState(enum.Enum):
    """Where the phone and its call are."""

    IDLE = "idle"  # on-hook, nothing happening
    DIALTONE = "dialtone"  # lifted, hearing dial tone, no digit yet
    DIALLING = "dialling"  # some digits dialled, more may come
    PROCEEDING = "proceeding"  # number reported, waiting for the calls layer to connect
    RINGING = "ringing"  # the box rings the phone
    CONNECTED = "connected"  # in a call
    RELEASED = "released"  # off-hook with busy or congestion tone, waiting for on-hook


class _In(enum.Enum):
    """Inputs of the transition table: line inputs, requests from above, and timers."""

    HOOK_OFF = "off-hook"
    HOOK_ON = "on-hook"
    FLASH = "hook flash"
    DIGIT = "digit"
    END_OF_DIAL = "end of dialling"
    RING = "ring"
    STOP_RING = "stop ringing"
    CONNECT = "connect"
    RELEASE = "release"
    RECALL = "recall dial tone"
    CALL_WAITING = "alert to a waiting call"
    CID_SENT = "caller id sent"
    HANGUP_TIMER = "hang-up timer"
    FIRST_DIGIT_TIMER = "first-digit timer"
    INTERDIGIT_TIMER = "interdigit timer"
    CID_TIMER = "caller id timer"
    RING_FALLBACK_TIMER = "ring fallback timer"
    HOWLER_TIMER = "howler timer"


class _Timer(enum.Enum):
    HANGUP = _In.HANGUP_TIMER
    FIRST_DIGIT = _In.FIRST_DIGIT_TIMER
    INTERDIGIT = _In.INTERDIGIT_TIMER
    CID = _In.CID_TIMER
    RING_FALLBACK = _In.RING_FALLBACK_TIMER
    HOWLER = _In.HOWLER_TIMER


# Inputs that come from the layer above: illegal ones raise; all others are ignored.
_FROM_ABOVE = frozenset(
    {_In.RING, _In.STOP_RING, _In.CONNECT, _In.RELEASE, _In.RECALL, _In.CALL_WAITING}
)

_OFFHOOK_STATES = (
    FxsState.DIALTONE,
    FxsState.DIALLING,
    FxsState.PROCEEDING,
    FxsState.CONNECTED,
    FxsState.RELEASED,
)

# The timers that survive in each state; entering a state cancels all others.
_STATE_TIMERS: dict[FxsState, frozenset[_Timer]] = {
    FxsState.IDLE: frozenset(),
    FxsState.RINGING: frozenset({_Timer.CID, _Timer.RING_FALLBACK}),
    FxsState.DIALTONE: frozenset({_Timer.HANGUP, _Timer.FIRST_DIGIT}),
    FxsState.DIALLING: frozenset({_Timer.HANGUP, _Timer.INTERDIGIT}),
    FxsState.PROCEEDING: frozenset({_Timer.HANGUP}),
    FxsState.CONNECTED: frozenset({_Timer.HANGUP}),
    FxsState.RELEASED: frozenset({_Timer.HANGUP, _Timer.HOWLER}),
}

_Handler = Callable[["FxsLine", float, object], list[Output]]


class FxsLine(TableMachine):
    """The loop-start machine of one FXS port.

    Feed it the phone's raw hook edges and detected digits, and the calls layer's
    requests; apply the :class:`~firmware.signaling.loopstart.events.Action` it
    returns to the port and pass the ``Event`` ones up. Ask :meth:`next_deadline`
    and call :meth:`handle_timer` when it has passed; every input also fires the
    timers already due, so a late timer call cannot reorder what happened.
    """

    NAME = "FXS"
    FROM_ABOVE = _FROM_ABOVE
    STATE_TIMERS = _STATE_TIMERS
    REFUSAL = "cannot {what} an FXS line that is {state}"

    def __init__(
        self,
        config: FxsConfig | None = None,
        number_complete: Callable[[str], bool] | None = None,
    ) -> None:
        self.config = config or FxsConfig()
        self.number_complete = number_complete
        self.message_waiting = False  # lifted, the phone hears stutter dial tone
        self._state = FxsState.IDLE
        self._timers: TimerSet[_Timer] = TimerSet()
        self._onhook_since: float | None = None  # the phone is on-hook, maybe only flashing
        self._digits = ""
        self._tone: ToneName | None = None
        self._recalled = False  # collecting a transfer number with a call on hold
        self._pending_ring: tuple[float, ...] | None = None  # rings once caller ID is out
        self._transitions = self._TRANSITIONS
        self._caller: CallerInfo | None = None
        self._cid_playing = False

    @property
    def state(self) -> FxsState:
        return self._state

    @property
    def tone(self) -> ToneName | None:
        """The call-progress tone the port should be playing now, if any."""
        return self._tone

    def __repr__(self) -> str:
        return f"<FxsLine {self._state.value}>"

    # --- inputs from the line -------------------------------------------------------------

    def hook(self, offhook: bool, now: float) -> list[Output]:
        """The raw hook state reported by the HAL."""
        out = self._expire(now)
        if offhook:
            if self._onhook_since is None:
                return out + self._feed(_In.HOOK_OFF, now)
            held = now - self._onhook_since
            self._onhook_since = None
            self._timers.cancel(_Timer.HANGUP)
            if held < self.config.flash_min:
                return out  # a bounce of the switch hook: the call never noticed
            # held < flash_max here: otherwise _expire has just hung up.
            return out + self._feed(_In.FLASH, now)
        if self._state in _OFFHOOK_STATES and self._onhook_since is None:
            return out + self._feed(_In.HOOK_ON, now)
        return out

    def digit(self, d: str, now: float) -> list[Output]:
        """A DTMF digit heard from the phone by the media layer."""
        if d not in DTMF_DIGITS:
            raise LocalProtocolError(f"{d!r} is not a DTMF digit")
        out = self._expire(now)
        if self._onhook_since is not None:
            return out  # a phone on its hook cannot dial: whatever was heard is noise
        if d == "#" and self._state is FxsState.DIALLING:
            return out + self._feed(_In.END_OF_DIAL, now)
        if d == "#" and self._state is FxsState.DIALTONE:
            return out  # nothing dialled yet: '#' alone is not a number
        return out + self._feed(_In.DIGIT, now, d)

    # --- requests from the calls layer ----------------------------------------------------

    @property
    def recalled(self) -> bool:
        """Whether the user is dialling (or consulting) with a call held by a flash."""
        return self._recalled

    def ring(
        self,
        now: float,
        cadence: tuple[float, ...] | None = None,
        caller: CallerInfo | None = None,
    ) -> list[Output]:
        """Alert the idle phone, with caller ID when the port sends it and ``caller`` is known.

        Ringing again with another cadence is allowed (caller ID is sent once).
        """
        if cadence is not None:
            try:
                check_cadence(tuple(cadence))
            except ConfigError as exc:
                raise LocalProtocolError(str(exc)) from None
        out = self._expire(now)
        arg = (tuple(cadence or self.config.ring_cadence), caller)
        return out + self._feed(_In.RING, now, arg)

    def caller_id_sent(self, now: float) -> list[Output]:
        """The media layer finished sending :class:`SendCallerId`."""
        return self._expire(now) + self._feed(_In.CID_SENT, now)

    def recall(self, now: float) -> list[Output]:
        """After a flash in a call: give dial tone so the user can dial a transfer number.

        The call stays held by the layer above; :meth:`connect` returns to it.
        """
        return self._expire(now) + self._feed(_In.RECALL, now)

    def call_waiting(self, now: float, caller: CallerInfo) -> list[Output]:
        """Tell the user in a call that another call waits (CAS, then type II caller ID)."""
        return self._expire(now) + self._feed(_In.CALL_WAITING, now, caller)

    def stop_ring(self, now: float) -> list[Output]:
        """Stop alerting; harmless if the phone was answered or the ring already stopped."""
        return self._expire(now) + self._feed(_In.STOP_RING, now)

    def connect(self, now: float) -> list[Output]:
        """The call this phone originated or answered is through: stop any tone."""
        return self._expire(now) + self._feed(_In.CONNECT, now)

    def release(self, now: float) -> list[Output]:
        """The far end is gone: stop ringing, or give busy tone to a lifted phone."""
        return self._expire(now) + self._feed(_In.RELEASE, now)

    def _play(self, name: ToneName) -> list[Output]:
        self._tone = name
        return [PlayTone(name)]

    def _silence(self) -> list[Output]:
        if self._tone is None:
            return []
        self._tone = None
        return [StopTone()]

    # Handlers run after the state has moved to the target in the table.

    def _nothing(self, now: float, arg: object) -> list[Output]:
        return []

    def _dial_tone(self) -> ToneName:
        return "stutter" if self.message_waiting and not self._recalled else "dial"

    def _originate(self, now: float, arg: object) -> list[Output]:
        self._digits = ""
        self._recalled = False
        self._timers.arm(_Timer.FIRST_DIGIT, now + self.config.first_digit_timeout)
        return [*self._play(self._dial_tone()), OffHook()]

    def _recall(self, now: float, arg: object) -> list[Output]:
        self._digits = ""
        self._recalled = True
        self._timers.arm(_Timer.FIRST_DIGIT, now + self.config.first_digit_timeout)
        return self._play("dial")

    def _answer(self, now: float, arg: object) -> list[Output]:
        out: list[Output] = []
        if self._pending_ring is None:
            out.append(StopRing())
        if self._cid_playing:
            out.append(StopTone())  # the rest of the caller ID would be noise in the ear
        self._end_ringing()
        return [*out, Answered()]

    def _end_ringing(self) -> None:
        self._pending_ring = None
        self._caller = None
        self._cid_playing = False

    def _start_ring(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, tuple)
        cadence, caller = arg
        standard = self.config.caller_id_standard
        if self._pending_ring is not None:
            self._pending_ring = cadence  # still sending caller ID: ring with this later
            return []
        first_call = self._caller is None and not self._timers.is_armed(_Timer.CID)
        if caller is None or standard is None or not first_call:
            return [StartRing(cadence)]
        self._caller = caller
        if self.config.caller_id_before_ring:
            self._pending_ring = cadence
            self._cid_playing = True
            self._timers.arm(_Timer.RING_FALLBACK, now + self.config.cid_ring_fallback)
            return [SendCallerId(caller, standard, before_ring=True)]
        self._timers.arm(_Timer.CID, now + cadence[0] + self.config.cid_delay)
        return [StartRing(cadence)]

    def _send_cid(self, now: float, arg: object) -> list[Output]:
        standard = self.config.caller_id_standard
        if self._caller is None or standard is None:
            return []
        self._cid_playing = True
        return [SendCallerId(self._caller, standard, before_ring=False)]

    def _cid_done(self, now: float, arg: object) -> list[Output]:
        self._cid_playing = False
        self._timers.cancel(_Timer.RING_FALLBACK)
        cadence, self._pending_ring = self._pending_ring, None
        return [StartRing(cadence)] if cadence is not None else []

    def _stop_ring(self, now: float, arg: object) -> list[Output]:
        out: list[Output] = [StopTone()] if self._cid_playing else []
        if self._pending_ring is None:
            out.append(StopRing())
        self._end_ringing()
        return out

    def _waiting(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, CallerInfo)
        return [SendCallerIdOffhook(arg, self.config.caller_id_standard or "etsi")]

    def _flash_recalled(self, now: float, arg: object) -> list[Output]:
        # While a call is held, a flash asks for it back; otherwise nothing happens.
        return [Flash()] if self._recalled else []

    def _first_digit(self, now: float, arg: object) -> list[Output]:
        out = self._silence()
        return out + self._next_digit(now, arg)

    def _next_digit(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, str)
        self._digits += arg
        if len(self._digits) >= self.config.max_digits:
            return self._feed(_In.END_OF_DIAL, now)
        complete = self.number_complete
        if complete is not None and complete(self._digits):
            return self._feed(_In.END_OF_DIAL, now)
        self._timers.arm(_Timer.INTERDIGIT, now + self.config.interdigit_timeout)
        return []

    def _dial_complete(self, now: float, arg: object) -> list[Output]:
        number, self._digits = self._digits, ""
        return [Digits(number)]

    def _dial_timeout(self, now: float, arg: object) -> list[Output]:
        self._arm_howler(now)
        return [*self._play("congestion"), DialTimeout()]

    def _arm_howler(self, now: float) -> None:
        if self.config.howler_after is not None:
            self._timers.arm(_Timer.HOWLER, now + self.config.howler_after)

    def _howl(self, now: float, arg: object) -> list[Output]:
        return self._play("howler")

    def _redial(self, now: float, arg: object) -> list[Output]:
        # A flash while dialling starts the number again, as on a public exchange.
        self._digits = ""
        self._timers.arm(_Timer.FIRST_DIGIT, now + self.config.first_digit_timeout)
        return self._play(self._dial_tone())

    def _flash(self, now: float, arg: object) -> list[Output]:
        return [Flash()]

    def _start_onhook(self, now: float, arg: object) -> list[Output]:
        self._onhook_since = now
        self._timers.arm(_Timer.HANGUP, now + self.config.flash_max)
        return []

    def _hang_up(self, now: float, arg: object) -> list[Output]:
        self._onhook_since = None
        self._digits = ""
        self._recalled = False
        return [*self._silence(), HungUp()]

    def _through(self, now: float, arg: object) -> list[Output]:
        self._digits = ""
        self._recalled = False
        return self._silence()

    def _busy(self, now: float, arg: object) -> list[Output]:
        self._digits = ""
        self._arm_howler(now)
        return self._play("busy")

    # Every legal move of the machine: (state, input) -> (next state, handler).
    # A line input missing here is ignored; a request from above missing here raises.
    _TRANSITIONS: ClassVar[dict[tuple[FxsState, _In], tuple[FxsState, _Handler]]] = {
        (FxsState.IDLE, _In.HOOK_OFF): (FxsState.DIALTONE, _originate),
        (FxsState.IDLE, _In.RING): (FxsState.RINGING, _start_ring),
        (FxsState.IDLE, _In.STOP_RING): (FxsState.IDLE, _nothing),
        (FxsState.IDLE, _In.RELEASE): (FxsState.IDLE, _nothing),
        (FxsState.RINGING, _In.HOOK_OFF): (FxsState.CONNECTED, _answer),
        (FxsState.RINGING, _In.RING): (FxsState.RINGING, _start_ring),
        (FxsState.RINGING, _In.STOP_RING): (FxsState.IDLE, _stop_ring),
        (FxsState.RINGING, _In.RELEASE): (FxsState.IDLE, _stop_ring),
        (FxsState.RINGING, _In.CID_TIMER): (FxsState.RINGING, _send_cid),
        (FxsState.RINGING, _In.CID_SENT): (FxsState.RINGING, _cid_done),
        (FxsState.RINGING, _In.RING_FALLBACK_TIMER): (FxsState.RINGING, _cid_done),
        (FxsState.DIALTONE, _In.DIGIT): (FxsState.DIALLING, _first_digit),
        (FxsState.DIALTONE, _In.FIRST_DIGIT_TIMER): (FxsState.RELEASED, _dial_timeout),
        (FxsState.DIALTONE, _In.FLASH): (FxsState.DIALTONE, _flash_recalled),
        (FxsState.PROCEEDING, _In.FLASH): (FxsState.PROCEEDING, _flash_recalled),
        (FxsState.RELEASED, _In.FLASH): (FxsState.RELEASED, _flash_recalled),
        (FxsState.RELEASED, _In.HOWLER_TIMER): (FxsState.RELEASED, _howl),
        (FxsState.CONNECTED, _In.RECALL): (FxsState.DIALTONE, _recall),
        (FxsState.CONNECTED, _In.CALL_WAITING): (FxsState.CONNECTED, _waiting),
        (FxsState.DIALLING, _In.DIGIT): (FxsState.DIALLING, _next_digit),
        (FxsState.DIALLING, _In.END_OF_DIAL): (FxsState.PROCEEDING, _dial_complete),
        (FxsState.DIALLING, _In.INTERDIGIT_TIMER): (FxsState.PROCEEDING, _dial_complete),
        (FxsState.DIALLING, _In.FLASH): (FxsState.DIALTONE, _redial),
        (FxsState.CONNECTED, _In.FLASH): (FxsState.CONNECTED, _flash),
        (FxsState.RELEASED, _In.RELEASE): (FxsState.RELEASED, _nothing),
    }
    for _state in _OFFHOOK_STATES:
        _TRANSITIONS[_state, _In.HOOK_ON] = (_state, _start_onhook)
        _TRANSITIONS[_state, _In.HANGUP_TIMER] = (FxsState.IDLE, _hang_up)
        _TRANSITIONS[_state, _In.STOP_RING] = (_state, _nothing)
        # A phone hearing busy after a failed transfer may still get its held call back.
        _TRANSITIONS[_state, _In.CONNECT] = (FxsState.CONNECTED, _through)
        if _state is not FxsState.RELEASED:
            _TRANSITIONS[_state, _In.RELEASE] = (FxsState.RELEASED, _busy)
    del _state
