"""Analog loop-start ports: FXO trunks and FXS phones.

Each port owns its sans-I/O machine from :mod:`firmware.signaling.loopstart`,
feeds it the HAL's line events and the media engine's detections, carries out
the actions it asks for (hook and ring controls through the queued card
commands, tones, caller ID and digits through the engine), and reports the call
events to the call layer. Calls a phone makes itself (extensions, outside lines,
transfers) go to its *station* handler (:mod:`firmware.calls.transfer`); calls
the box places on a line report to the *listener* given with :meth:`FxoPort.dial`.

A port also keeps what line diagnostics show: hook, ringing, polarity reversals,
alarm, the last caller ID captured and the last time the stuck-line guard acted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from firmware.calls.card_commands import CardCommands
from firmware.calls.lines import CallEvents
from firmware.media import events as media_events
from firmware.media.engine import MediaEngine, MediaError
from firmware.media.fsk import CallerId
from firmware.media.progress import CallProgressDetected
from firmware.media.tone_learning import LineToneProfile, ToneLearned, ToneLearningFailed
from firmware.media.tones import RING_CADENCES, ToneSpec, render_tone, tone_spec
from firmware.signaling.loopstart import events as sig
from firmware.signaling.loopstart.errors import LocalProtocolError
from firmware.signaling.loopstart.fxo import AnswerDetection, FxoConfig, FxoLine, FxoState
from firmware.signaling.loopstart.fxs import FxsConfig, FxsLine, FxsState
from firmware.store.analog import AnalogPortSettings, CallerIdMode, MessageWaiting
from hal import interface as hal
from hal.interface import SAMPLE_RATE

log = logging.getLogger(__name__)

# Type I caller ID as each country's exchanges send it (EN 300 659-1 §6.2: before
# the first ring, as BT SIN 227 does, or in the first pause; GR-30-CORE for the US;
# DTMF before the first ring in the Netherlands).
COUNTRY_CALLER_ID: dict[str, tuple[sig.CidStandard, bool]] = {
    "PL": ("etsi", False),
    "DE": ("etsi", False),
    "FR": ("etsi", False),
    "IT": ("etsi", False),
    "ES": ("etsi", False),
    "NL": ("dtmf", True),
    "UK": ("etsi", True),
    "US": ("bell", False),
}
_MODE_CALLER_ID: dict[CallerIdMode, tuple[sig.CidStandard, bool] | None] = {
    CallerIdMode.ETSI_BEFORE_RING: ("etsi", True),
    CallerIdMode.ETSI_AFTER_RING: ("etsi", False),
    CallerIdMode.BELL: ("bell", False),
    CallerIdMode.DTMF: ("dtmf", True),
    CallerIdMode.OFF: None,
}

# Stutter dial tone: 10 bursts of 100 ms, then steady dial tone; the off-hook
# warning (howler, BT SIN 350) sounds four loud frequencies together.
STUTTER_BURSTS = 10
STUTTER_DIAL_SECONDS = 12.0
HOWLER_FREQS = (1400.0, 2060.0, 2450.0, 2600.0)
HOWLER_SECONDS = 30.0


class StationCalls(Protocol):
    """What a phone's own calls (dialled numbers, flashes) go to."""

    def dialled(self, port: FxsPort, number: str, now: float) -> None: ...

    def flashed(self, port: FxsPort, now: float) -> None: ...

    def answered(self, port: FxsPort, now: float) -> bool: ...

    def hung_up(self, port: FxsPort, now: float) -> bool: ...


class TrunkListener(Protocol):
    """Who placed an outbound call on a line, and hears how it goes."""

    def trunk_answered(self, port: FxoPort, now: float) -> None: ...

    def trunk_gone(self, port: FxoPort, now: float, reason: str) -> None: ...


class LineTest:
    """A technician's test call on one line: seize, dial, and note how far it got.

    The outcome is kept on the port (``last_test``) and shown by line
    diagnostics; the box hangs up ``hold`` seconds after the answer, so a test
    never stays on a line.
    """

    def __init__(self, number: str, started: float, hold: float, on_done: Any) -> None:
        self.number = number
        self.started = started
        self.hold = hold
        self.answered: float | None = None
        self.ended: float | None = None
        self.outcome = "dialling"
        self._on_done = on_done

    def view(self) -> dict[str, Any]:
        return {"number": self.number, "outcome": self.outcome, "started": self.started,
                "answered": self.answered, "ended": self.ended}

    def trunk_answered(self, port: FxoPort, now: float) -> None:
        self.answered = now
        self.outcome = "answered"
        self._on_done(port, now + self.hold)

    def trunk_gone(self, port: FxoPort, now: float, reason: str) -> None:
        self.ended = now
        if self.answered is None:
            self.outcome = f"not answered ({reason})"
        else:
            self.outcome = f"answered, then cleared by the line ({reason})"
        port.hangup(now)


def fxo_config(settings: AnalogPortSettings, base: FxoConfig | None = None) -> FxoConfig:
    """The FXO machine's configuration from a port's stored settings."""
    return replace(
        base or FxoConfig(),
        answer_detection=AnswerDetection(settings.answer_detection.value),
        answer_by_polarity=settings.answer_detection.value == "polarity",
        no_polarity_answer_delay=settings.answer_delay,
        disconnect_by=frozenset(settings.disconnect_by),  # type: ignore[arg-type]
        silence_disconnect=settings.silence_disconnect,
        max_call_duration=settings.max_call_duration or None,
        max_silence=settings.max_silence or None,
    )


def fxs_config(
    settings: AnalogPortSettings, country: str, base: FxsConfig | None = None
) -> FxsConfig:
    """The FXS machine's configuration from a port's stored settings and the box's country."""
    ring_country = settings.ring_country or country
    if settings.caller_id is CallerIdMode.COUNTRY:
        cid: tuple[sig.CidStandard, bool] | None = COUNTRY_CALLER_ID.get(
            ring_country, ("etsi", False)
        )
    else:
        cid = _MODE_CALLER_ID[settings.caller_id]
    return replace(
        base or FxsConfig(),
        flash_min=settings.flash_min,
        flash_max=settings.flash_max,
        interdigit_timeout=settings.interdigit_timeout,
        ring_cadence=RING_CADENCES.get(ring_country, RING_CADENCES["PL"]),
        caller_id_standard=cid[0] if cid else None,
        caller_id_before_ring=cid[1] if cid else False,
        howler_after=settings.howler_after,
    )


class _AnalogPort:
    """What FXO and FXS ports share: the machine, its timers, alarms and commands."""

    machine: FxoLine | FxsLine

    def __init__(
        self, info: hal.PortInfo, commands: CardCommands, engine: MediaEngine, up: CallEvents
    ) -> None:
        self.info = info
        self.channel = info.index
        self.call_id: str | None = None
        self.alarm: str | None = None
        self.settings = AnalogPortSettings(info.name)
        self._commands = commands
        self._engine = engine
        self._up = up

    @property
    def state(self) -> str:
        if self.alarm:
            return "alarm"
        return str(self.machine.state.value).lower()

    def next_deadline(self) -> float | None:
        return self.machine.next_deadline()

    def on_timer(self, now: float) -> None:
        self._apply(self.machine.handle_timer(now), now)

    def on_alarm(self, alarm: str | None) -> None:
        self.alarm = alarm

    def view(self) -> dict[str, Any]:
        """The port as line diagnostics show it."""
        return {
            "name": self.info.name,
            "kind": self.info.kind.value,
            "state": self.state,
            "alarm": self.alarm,
            "call_id": self.call_id,
        }

    def _apply(self, outputs: Sequence[Any], now: float) -> None:
        index = self.info.index
        for out in outputs:
            match out:
                case sig.StartRing(cadence=cadence):
                    self._commands.start_ring(index, cadence)
                case sig.StopRing():
                    self._commands.stop_ring(index)
                case sig.PlayTone(name=name):
                    self._play_tone(name)
                case sig.StopTone():
                    self._engine.stop_playout(self.channel)
                case sig.SetHook(offhook=offhook):
                    self._commands.set_hook(index, offhook)
                    # Tones and silence matter only while the line is seized: they
                    # answer outbound calls and tell that the far end has gone.
                    self._engine.detect_progress(self.channel, offhook)
                case sig.SendDigits(number=number):
                    self._engine.send_dtmf(self.channel, number)
                case sig.EnableCallerId(on=on):
                    self._engine.enable_caller_id(self.channel, on)
                case sig.HookFlash(seconds=seconds):
                    self._commands.flash(index, seconds)
                case sig.SendCallerId() | sig.SendCallerIdOffhook():
                    self._send_caller_id(out, now)
                case sig.Event():
                    self._event(out, now)

    def _play_tone(self, name: str) -> None:
        self._engine.play_tone(self.channel, name)

    def _send_caller_id(self, action: sig.Action, now: float) -> None:
        raise NotImplementedError

    def _event(self, event: sig.Event, now: float) -> None:
        raise NotImplementedError


class FxoPort(_AnalogPort):
    """An exchange line: rings and caller ID in, answer and hang-up out; outbound calls."""

    def __init__(
        self, info: hal.PortInfo, commands: CardCommands, engine: MediaEngine, up: CallEvents,
        config: FxoConfig | None = None,
    ) -> None:
        super().__init__(info, commands, engine, up)
        self.machine: FxoLine = FxoLine(config or FxoConfig())
        self.listener: TrunkListener | None = None
        self.ring_on = False
        self.reversals = 0
        self.last_reversal: float | None = None
        self.last_caller_id: dict[str, Any] | None = None
        self.last_freed: dict[str, Any] | None = None
        self.last_disconnect: dict[str, Any] | None = None
        self.last_test: LineTest | None = None
        self.last_heard: str | None = None
        self.learned: dict[str, Any] | None = None
        self.learn_error: str | None = None
        self.on_learned: Callable[[FxoPort, LineToneProfile], None] | None = None
        self._pending: FxoConfig | None = None

    @property
    def is_free(self) -> bool:
        """Whether an outbound call may take this line now."""
        return self.call_id is None and self.listener is None and not self.alarm and (
            self.machine.is_idle
        )

    def apply_settings(self, settings: AnalogPortSettings) -> None:
        """Use ``settings`` now if the line is idle, else as soon as its call is over."""
        self.settings = settings
        profile = None
        if settings.disconnect_profile:
            profile = LineToneProfile.from_dict(json.loads(settings.disconnect_profile))
        self._engine.set_line_profile(self.channel, profile)
        config = fxo_config(settings, self.machine.config)
        if self.machine.state is FxoState.IDLE:
            self.machine = FxoLine(config)
            self._pending = None
        else:
            self._pending = config

    def on_hal(self, event: hal.HalEvent, now: float) -> None:
        machine = self.machine
        if isinstance(event, hal.RingStarted):
            self.ring_on = True
            self._apply(machine.ring_started(now), now)
        elif isinstance(event, hal.RingStopped):
            self.ring_on = False
            self._apply(machine.ring_stopped(now), now)
        elif isinstance(event, hal.PolarityReversed):
            self.reversals += 1
            self.last_reversal = now
            self._apply(machine.polarity_reversed(now), now)
        elif isinstance(event, hal.LoopCurrentDrop):
            self._apply(machine.loop_current_drop(now), now)

    def on_media(self, event: Any, now: float) -> None:
        if isinstance(event, media_events.DigitDetected):
            if self.listener is None:
                self._up.trunk_digit(self, event.digit, now)
        elif isinstance(event, media_events.CallerIdReceived):
            self._capture(event.caller_id, now)
            cid = event.caller_id
            self._apply(self.machine.caller_id(cid.number, cid.name, cid.datetime, now), now)
        elif isinstance(event, media_events.DigitsSent):
            self._apply(self.machine.digits_sent(now), now)
        elif isinstance(event, CallProgressDetected):
            self.on_progress(event.tone.value, now)
        elif isinstance(event, ToneLearned):
            self.learned = event.profile.to_dict()
            self._engine.set_line_profile(self.channel, event.profile)
            if self.on_learned is not None:
                self.on_learned(self, event.profile)
        elif isinstance(event, ToneLearningFailed):
            self.learn_error = event.reason

    def learn_disconnect_tone(self, seconds: float) -> None:
        """Measure the tone the line plays now (the technician has made the far end hang up)."""
        self.learned = None
        self.learn_error = None
        self._engine.learn_disconnect_tone(self.channel, seconds)

    def on_progress(self, kind: str, now: float) -> None:
        """What call-progress detection hears on the line (voice, silence, busy…)."""
        self.last_heard = kind
        self._apply(self.machine.heard(kind, now), now)

    def answer(self, now: float) -> None:
        self._apply(self.machine.answer(now), now)

    def hangup(self, now: float) -> None:
        self._apply(self.machine.hangup(now), now)

    def dial(self, number: str, now: float, listener: TrunkListener) -> None:
        """Seize the line and call ``number``; ``listener`` hears the answer and the end.

        Raises LocalProtocolError (and changes nothing) when the line is not free.
        """
        outputs = self.machine.dial(number, now)
        self.listener = listener
        self._apply(outputs, now)

    def flash(self, now: float) -> None:
        """Hook flash on the call in progress (the exchange's transfer or hold)."""
        self._apply(self.machine.flash(now), now)

    def view(self) -> dict[str, Any]:
        return {
            **super().view(),
            "hook": "off-hook" if self.machine.state.value in _SEIZED_VALUES else "on-hook",
            "ringing": self.ring_on,
            "polarity_reversals": self.reversals,
            "last_reversal": self.last_reversal,
            "last_caller_id": self.last_caller_id,
            "last_disconnect": self.last_disconnect,
            "last_freed": self.last_freed,
            "last_test": self.last_test.view() if self.last_test is not None else None,
        }

    def _capture(self, cid: CallerId, now: float) -> None:
        # Where in the ringing it arrived tells which ETSI placement the line uses.
        before = self.machine.state in (FxoState.IDLE, FxoState.PRE_RING)
        self.last_caller_id = {
            "number": cid.number,
            "name": cid.name,
            "datetime": cid.datetime,
            "absence_reason": cid.absence_reason,
            "position": "before-first-ring" if before else "after-first-ring",
            "at": now,
        }

    def _event(self, event: sig.Event, now: float) -> None:
        listener = self.listener
        match event:
            case sig.IncomingCall(caller_number=number, caller_name=name):
                self._up.trunk_offered(self, number, name, now)
            case sig.Connected():
                self._up.trunk_connected(self, now)
            case sig.Answered():
                if listener is not None:
                    listener.trunk_answered(self, now)
            case sig.FarEndDisconnected(reason=reason):
                self.last_disconnect = {"reason": reason, "at": now}
                log.info("%s: far end cleared (%s)", self.info.name, reason)
                self._gone(now, reason)
            case sig.RingingStopped():
                self._up.trunk_gone(self, now)
            case sig.LineFreed(reason=reason, limit=limit):
                self.last_freed = {"reason": reason, "limit": limit, "at": now}
                log.warning(
                    "%s: stuck-line guard freed the line (%s, limit %.0f s)",
                    self.info.name, reason, limit,
                )
                self._gone(now, reason)
            case sig.Released():
                self.listener = None
                self._engine.reset(self.channel)
                if self._pending is not None:
                    self.machine, self._pending = FxoLine(self._pending), None

    def _gone(self, now: float, reason: str) -> None:
        listener = self.listener
        if listener is not None:
            listener.trunk_gone(self, now, reason)
        else:
            self._up.trunk_gone(self, now)


# Q.850 causes an outbound call on a line ends with, for the router's failover:
# 16 normal clearing, 17 user busy, 34 no circuit (congestion: try the next trunk).
CAUSE_NORMAL, CAUSE_BUSY, CAUSE_CONGESTION = 16, 17, 34


class FxoTrunkMember:
    """An FXO line as a member of an outbound trunk group (routing's ``TrunkMember``).

    A line cannot present a calling number, so the route's presentation is not
    used. A line that is busy, in alarm or refuses the number gives None, and the
    group tries its next member; congestion heard before the answer ends the
    attempt with cause 34 so the router moves on too.
    """

    def __init__(self, port: FxoPort) -> None:
        self.port = port

    @property
    def name(self) -> str:
        return self.port.info.name

    def dial(self, number: str, calling: Any, now: float, leg: Any) -> FxoPort | None:
        if not self.port.is_free:
            return None
        try:
            self.port.dial(number, now, _LegListener(leg))
        except LocalProtocolError:
            return None
        return self.port


class _LegListener:
    """Tells a router's outbound leg what became of its call on a line."""

    def __init__(self, leg: Any) -> None:
        self._leg = leg
        self._answered = False

    def trunk_answered(self, port: FxoPort, now: float) -> None:
        self._answered = True
        self._leg.answered(port, now)

    def trunk_gone(self, port: FxoPort, now: float, reason: str) -> None:
        cause = CAUSE_NORMAL
        if not self._answered and reason == "tone":
            cause = CAUSE_CONGESTION if port.last_heard in ("congestion", "sit") else CAUSE_BUSY
        port.hangup(now)
        self._leg.cleared(port, cause, now)


_SEIZED_VALUES = frozenset(
    s.value for s in (
        FxoState.SEIZED, FxoState.DIALLING, FxoState.PROCEEDING, FxoState.CONNECTED,
        FxoState.FAR_END_GONE,
    )
)


class FxsPort(_AnalogPort):
    """A phone: hook and digits in, ringing, tones, caller ID and release out."""

    def __init__(
        self, info: hal.PortInfo, commands: CardCommands, engine: MediaEngine, up: CallEvents,
        config: FxsConfig | None = None,
    ) -> None:
        super().__init__(info, commands, engine, up)
        self.machine: FxsLine = FxsLine(config or FxsConfig())
        self.agent: str | None = None
        self.offhook = False
        self.ringing = False
        self.station: StationCalls | None = None
        self.last_waiting_ack: bool | None = None
        self.messages_waiting = False  # what voicemail says, whatever the phone is told
        self._pending: FxsConfig | None = None

    @property
    def can_ring(self) -> bool:
        return (
            self.call_id is None and not self.offhook and not self.alarm
            and self.machine.state is FxsState.IDLE
        )

    @property
    def message_waiting(self) -> bool:
        """Whether the phone hears stutter dial tone when lifted."""
        return self.machine.message_waiting

    def set_message_waiting(self, waiting: bool) -> None:
        """Messages wait (or not): stutter dial tone from the next lift on, unless it is off."""
        self.messages_waiting = bool(waiting)
        self.machine.message_waiting = self._stutter_on()

    def _stutter_on(self) -> bool:
        return self.messages_waiting and self.settings.message_waiting is MessageWaiting.STUTTER

    def apply_settings(self, settings: AnalogPortSettings, country: str) -> None:
        """Use ``settings`` now if the phone is idle, else when it is next idle."""
        self.settings = settings
        config = fxs_config(settings, country, self.machine.config)
        if self.machine.state is FxsState.IDLE and not self.offhook:
            self.machine = FxsLine(config, self.machine.number_complete)
            self.machine.message_waiting = self._stutter_on()
        else:
            self._pending = config

    def on_hal(self, event: hal.HalEvent, now: float) -> None:
        if isinstance(event, hal.HookChanged):
            self.offhook = event.offhook
            self._apply(self.machine.hook(event.offhook, now), now)

    def on_media(self, event: Any, now: float) -> None:
        if isinstance(event, media_events.DigitDetected):
            self._apply(self.machine.digit(event.digit, now), now)
        elif isinstance(event, media_events.CallerIdSent):
            self._apply(self.machine.caller_id_sent(now), now)
        elif isinstance(event, media_events.OffhookCallerIdFinished):
            self.last_waiting_ack = event.acknowledged

    def ring(self, now: float, caller: sig.CallerInfo | None = None) -> None:
        self.ringing = True
        self._apply(self.machine.ring(now, caller=caller), now)

    def stop_ring(self, now: float) -> None:
        self.ringing = False
        self._apply(self.machine.stop_ring(now), now)

    def connect(self, now: float) -> None:
        self._apply(self.machine.connect(now), now)

    def release(self, now: float) -> None:
        self.ringing = False
        self._apply(self.machine.release(now), now)

    def recall(self, now: float) -> None:
        """Dial tone again after a flash, to dial a transfer number."""
        self._apply(self.machine.recall(now), now)

    def call_waiting(self, now: float, caller: sig.CallerInfo) -> None:
        """Alert the user in a call to a waiting call, with type II caller ID."""
        self._apply(self.machine.call_waiting(now, caller), now)

    def view(self) -> dict[str, Any]:
        return {
            **super().view(),
            "hook": "off-hook" if self.offhook else "on-hook",
            "ringing": self.ringing and self.machine.state is FxsState.RINGING,
            "agent": self.agent,
            "messages_waiting": self.messages_waiting,
            "stutter_dial_tone": self.message_waiting,
            "last_waiting_ack": self.last_waiting_ack,
        }

    # -- tones the national tables lack ------------------------------------------------

    def _play_tone(self, name: str) -> None:
        if name == "stutter":
            self._engine.play_prompt(self.channel, self._stutter(), "stutter")
        elif name == "howler":
            self._engine.play_prompt(self.channel, self._howler(), "howler")
        else:
            self._engine.play_tone(self.channel, name)

    def _stutter(self) -> np.ndarray:
        dial = tone_spec(self._engine.country, "dial")
        bursts = render_tone(ToneSpec(dial.freqs, dial.level_dbm0, (0.1, 0.1)), SAMPLE_RATE)
        steady = render_tone(dial, SAMPLE_RATE)
        reps = int(np.ceil(STUTTER_DIAL_SECONDS * SAMPLE_RATE / steady.size))
        return np.concatenate([np.tile(bursts, STUTTER_BURSTS), np.tile(steady, reps)])

    @staticmethod
    def _howler() -> np.ndarray:
        second = render_tone(ToneSpec(HOWLER_FREQS, -12.0), SAMPLE_RATE)
        return np.tile(second, round(HOWLER_SECONDS))

    # -- caller ID to the phone ----------------------------------------------------------

    def _send_caller_id(self, action: sig.Action, now: float) -> None:
        try:
            if isinstance(action, sig.SendCallerId):
                cid = CallerId(number=action.caller.number, name=action.caller.name)
                alerting = "dt-as" if action.before_ring and action.standard == "etsi" else None
                self._engine.send_caller_id(
                    self.channel, cid, standard=action.standard, alerting=alerting
                )
            elif isinstance(action, sig.SendCallerIdOffhook):
                cid = CallerId(number=action.caller.number, name=action.caller.name)
                standard = "bell" if action.standard == "bell" else "etsi"
                self._engine.send_caller_id_offhook(self.channel, cid, standard)
        except MediaError as exc:
            # A number the phone cannot be shown is no reason not to ring it.
            log.warning("%s: caller ID not sent: %s", self.info.name, exc)
            if isinstance(action, sig.SendCallerId):
                self._apply(self.machine.caller_id_sent(now), now)

    def _event(self, event: sig.Event, now: float) -> None:
        station = self.station
        match event:
            case sig.Answered():
                self.ringing = False
                if station is None or not station.answered(self, now):
                    self._up.phone_answered(self, now)
            case sig.HungUp():
                if station is None or not station.hung_up(self, now):
                    self._up.phone_hung_up(self, now)
                if self._pending is not None:
                    self.machine = FxsLine(self._pending, self.machine.number_complete)
                    self.machine.message_waiting = self._stutter_on()
                    self._pending = None
            case sig.OffHook():
                self._up.phone_lifted(self, now)
            case sig.Digits(number=number):
                if station is not None:
                    station.dialled(self, number, now)
                else:
                    self.release(now)  # no dial plan: the number is unobtainable
            case sig.Flash():
                if station is not None:
                    station.flashed(self, now)
            case sig.DialTimeout():
                pass  # congestion plays until hang-up


AnalogPort = FxoPort | FxsPort


class DiagnosticsError(ValueError):
    """A line diagnostics request that cannot be carried out (wrong port, port busy)."""


class LineDiagnostics:
    """What the technician's line diagnostics can do to the analog ports of a running box.

    Every action checks the port first and changes nothing when it refuses, so a
    click on a busy port never disturbs its call.
    """

    TEST_CALLER = sig.CallerInfo("100", "Centrala test")

    def __init__(self, ports: Sequence[Any], timers: Any) -> None:
        self._fxs = {p.info.name: p for p in ports if isinstance(p, FxsPort)}
        self._fxo = {p.info.name: p for p in ports if isinstance(p, FxoPort)}
        self._timers = timers

    def views(self) -> list[dict[str, Any]]:
        """Every analog port's live state, FXO lines first."""
        return [p.view() for p in (*self._fxo.values(), *self._fxs.values())]

    def ring_phone(self, name: str, seconds: float, now: float) -> dict[str, Any]:
        """Ring an idle phone for ``seconds`` with a test caller ID; lifting it ends the test."""
        phone = self._fxs.get(str(name))
        if phone is None:
            raise DiagnosticsError(f"no phone port {name!r}; phones: {', '.join(self._fxs)}")
        if not (isinstance(seconds, int | float) and 1 <= seconds <= 120):
            raise DiagnosticsError("seconds must be a number from 1 to 120")
        if not phone.can_ring:
            raise DiagnosticsError(f"{phone.info.name} is {phone.state}; only an idle phone rings")
        phone.call_id = f"ring-test-{phone.info.name}"
        phone.ring(now, self.TEST_CALLER)

        def stop(t: float) -> None:
            if phone.call_id == f"ring-test-{phone.info.name}":
                phone.call_id = None
                if phone.machine.state is FxsState.RINGING:
                    phone.stop_ring(t)
                else:
                    phone.release(t)  # picked up: a test has nobody to talk to

        self._timers.call_at(now + float(seconds), stop)
        return {"port": phone.info.name, "ringing": True, "seconds": float(seconds)}

    def test_call(self, name: str, number: str, hold: float, now: float) -> dict[str, Any]:
        """Seize a free line, dial ``number``, and hang up ``hold`` seconds after the answer."""
        line = self._fxo.get(str(name))
        if line is None:
            raise DiagnosticsError(f"no line port {name!r}; lines: {', '.join(self._fxo)}")
        if not (isinstance(hold, int | float) and 1 <= hold <= 300):
            raise DiagnosticsError("hold must be a number of seconds from 1 to 300")
        if not line.is_free:
            raise DiagnosticsError(f"{line.info.name} is {line.state}; only a free line can test")

        def finish(port: FxoPort, when: float) -> None:
            def hang_up(t: float) -> None:
                if port.listener is test:
                    test.ended = t
                    port.hangup(t)

            self._timers.call_at(when, hang_up)

        test = LineTest(str(number), now, float(hold), finish)
        try:
            line.dial(str(number), now, test)
        except LocalProtocolError as exc:
            raise DiagnosticsError(str(exc)) from None
        line.last_test = test
        return {"port": line.info.name, "test": test.view()}

    def message_waiting(self, name: str, waiting: bool) -> dict[str, Any]:
        """Switch a phone's message-waiting indication (stutter dial tone) on or off."""
        phone = self._fxs.get(str(name))
        if phone is None:
            raise DiagnosticsError(f"no phone port {name!r}; phones: {', '.join(self._fxs)}")
        phone.set_message_waiting(bool(waiting))
        return {"port": phone.info.name, "messages_waiting": phone.messages_waiting,
                "stutter_dial_tone": phone.message_waiting}
