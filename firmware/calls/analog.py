"""Analog loop-start ports: FXO trunks and FXS phones.

Each port owns its sans-I/O machine from :mod:`firmware.signaling.loopstart`,
feeds it the HAL's line events and the media engine's detections, carries out
the actions it asks for (hook and ring controls through the queued card
commands, tones and digits through the engine), and reports the call events to
the call layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from firmware.calls.card_commands import CardCommands
from firmware.calls.lines import CallEvents
from firmware.media import events as media_events
from firmware.media.engine import MediaEngine
from firmware.signaling.loopstart import events as sig
from firmware.signaling.loopstart.fxo import FxoConfig, FxoLine
from firmware.signaling.loopstart.fxs import FxsConfig, FxsLine, FxsState
from hal import interface as hal


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

    def _apply(self, outputs: Sequence[Any], now: float) -> None:
        index = self.info.index
        for out in outputs:
            match out:
                case sig.StartRing(cadence=cadence):
                    self._commands.start_ring(index, cadence)
                case sig.StopRing():
                    self._commands.stop_ring(index)
                case sig.PlayTone(name=name):
                    self._engine.play_tone(self.channel, name)
                case sig.StopTone():
                    self._engine.stop_playout(self.channel)
                case sig.SetHook(offhook=offhook):
                    self._commands.set_hook(index, offhook)
                case sig.SendDigits(number=number):
                    self._engine.send_dtmf(self.channel, number)
                case sig.EnableCallerId(on=on):
                    self._engine.enable_caller_id(self.channel, on)
                case sig.HookFlash(seconds=seconds):
                    self._commands.flash(index, seconds)
                case sig.Event():
                    self._event(out, now)

    def _event(self, event: sig.Event, now: float) -> None:
        raise NotImplementedError


class FxoPort(_AnalogPort):
    """An exchange line: rings and caller ID in, answer and hang-up out."""

    def __init__(
        self, info: hal.PortInfo, commands: CardCommands, engine: MediaEngine, up: CallEvents,
        config: FxoConfig | None = None,
    ) -> None:
        super().__init__(info, commands, engine, up)
        self.machine: FxoLine = FxoLine(config or FxoConfig())

    def on_hal(self, event: hal.HalEvent, now: float) -> None:
        machine = self.machine
        if isinstance(event, hal.RingStarted):
            self._apply(machine.ring_started(now), now)
        elif isinstance(event, hal.RingStopped):
            self._apply(machine.ring_stopped(now), now)
        elif isinstance(event, hal.PolarityReversed):
            self._apply(machine.polarity_reversed(now), now)
        elif isinstance(event, hal.LoopCurrentDrop):
            self._apply(machine.loop_current_drop(now), now)

    def on_media(self, event: media_events.MediaEvent, now: float) -> None:
        if isinstance(event, media_events.DigitDetected):
            self._up.trunk_digit(self, event.digit, now)
        elif isinstance(event, media_events.CallerIdReceived):
            cid = event.caller_id
            self._apply(self.machine.caller_id(cid.number, cid.name, cid.datetime, now), now)
        elif isinstance(event, media_events.DigitsSent):
            self._apply(self.machine.digits_sent(now), now)

    def answer(self, now: float) -> None:
        self._apply(self.machine.answer(now), now)

    def hangup(self, now: float) -> None:
        self._apply(self.machine.hangup(now), now)

    def _event(self, event: sig.Event, now: float) -> None:
        match event:
            case sig.IncomingCall(caller_number=number, caller_name=name):
                self._up.trunk_offered(self, number, name, now)
            case sig.Connected():
                self._up.trunk_connected(self, now)
            case sig.FarEndDisconnected() | sig.RingingStopped():
                self._up.trunk_gone(self, now)
            case sig.Released():
                self._engine.reset(self.channel)


class FxsPort(_AnalogPort):
    """A phone: hook and digits in, ringing, tones and release out."""

    def __init__(
        self, info: hal.PortInfo, commands: CardCommands, engine: MediaEngine, up: CallEvents,
        config: FxsConfig | None = None,
    ) -> None:
        super().__init__(info, commands, engine, up)
        self.machine: FxsLine = FxsLine(config or FxsConfig())
        self.agent: str | None = None
        self.offhook = False

    @property
    def can_ring(self) -> bool:
        return (
            self.call_id is None and not self.offhook and not self.alarm
            and self.machine.state is FxsState.IDLE
        )

    def on_hal(self, event: hal.HalEvent, now: float) -> None:
        if isinstance(event, hal.HookChanged):
            self.offhook = event.offhook
            self._apply(self.machine.hook(event.offhook, now), now)

    def on_media(self, event: media_events.MediaEvent, now: float) -> None:
        if isinstance(event, media_events.DigitDetected):
            self._apply(self.machine.digit(event.digit, now), now)

    def ring(self, now: float) -> None:
        self._apply(self.machine.ring(now), now)

    def stop_ring(self, now: float) -> None:
        self._apply(self.machine.stop_ring(now), now)

    def connect(self, now: float) -> None:
        self._apply(self.machine.connect(now), now)

    def release(self, now: float) -> None:
        self._apply(self.machine.release(now), now)

    def _event(self, event: sig.Event, now: float) -> None:
        match event:
            case sig.Answered():
                self._up.phone_answered(self, now)
            case sig.HungUp():
                self._up.phone_hung_up(self, now)
            case sig.OffHook():
                self._up.phone_lifted(self, now)
            case sig.Digits():
                # Internal dialling comes with the dial plan; until then the
                # number is unobtainable.
                self.release(now)
            case sig.DialTimeout() | sig.Flash():
                pass  # congestion plays until hang-up; flash has no use yet


AnalogPort = FxoPort | FxsPort
