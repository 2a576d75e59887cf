"""The DAHDI line card: analog ports of a real card behind the HAL contract.

Each port is one DAHDI channel opened through ``/dev/dahdi/channel``. What a
channel is comes from ``system.conf`` and is read back with DAHDI_GET_PARAMS:
an ``fxsks`` channel faces an exchange (our FXO port), an ``fxoks`` channel
drives a phone (our FXS port). Ports are ordered as on the sim card, FXO first,
then FXS, each in channel order, so ``fxo1`` names the same socket on both.

Audio moves in 160-sample blocks (20 ms, DAHDI_SET_BLOCKSIZE) without blocking;
the tick is paced by the channels becoming readable. DAHDI refuses a read or
write with ELAST while an event waits: the card then reads the events first.
A channel whose hardware vanishes (ENODEV/ENXIO) puts its port down with an
``AlarmChanged("card removed")``; the other ports go on.
"""

from __future__ import annotations

import contextlib
import logging
import math
import select
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from hal import g711
from hal.clock import Clock
from hal.dahdi import constants as c
from hal.dahdi.alarms import analog_alarm_words
from hal.dahdi.channel import (
    CHANNEL_DEVICE,
    DEFAULT_ECHO_TAPS,
    ChannelGone,
    DahdiChannel,
    DahdiError,
    EventPending,
    HookCommand,
)
from hal.dahdi.gains import gain_table
from hal.dahdi.structs import ChannelParams, Signalling
from hal.interface import (
    FRAME_SAMPLES,
    FRAME_SECONDS,
    AlarmChanged,
    Card,
    HalError,
    HalEvent,
    HookChanged,
    Law,
    LoopCurrentDrop,
    PolarityReversed,
    PortInfo,
    PortKind,
    RingStarted,
    RingStopped,
)

log = logging.getLogger(__name__)

CARD_REMOVED = "card removed"

# The longest hook flash the card will make; longer breaks are hang-ups (as SimCard).
MAX_FLASH_SECONDS = 2.0

# DAHDI times hook flashes of FXS ports itself (rxflashtime, 1250 ms by default) and
# then reports a flash or a late on-hook. The HAL reports raw hook changes and leaves
# flash timing to signaling, so the card sets rxflashtime to 10 ms: on-hook is
# reported 10 ms after it happens, and breaks under 10 ms are swallowed as bounces.
RAW_HOOK_RXFLASH_MS = 10

# How long wait_tick waits for the hardware before ticking anyway: a stalled card
# must not freeze the box (the media health check sees the late ticks).
TICK_TIMEOUT_MS = 2 * round(FRAME_SECONDS * 1000)

# Events one channel may hold: draining stops there.
_MAX_EVENTS_PER_DRAIN = c.DAHDI_MAX_EVENTSIZE

_ELAST_RETRIES = 4

_EVENT_NAMES = {
    value: name.removeprefix("DAHDI_EVENT_").lower()
    for name, value in vars(c).items()
    if name.startswith("DAHDI_EVENT_")
}

T = TypeVar("T")


@dataclass(frozen=True)
class ChannelSetup:
    """How one DAHDI channel is used: its number, echo canceller, gains in dB."""

    channel: int
    echo_canceller: bool = True
    rx_gain_db: float = 0.0
    tx_gain_db: float = 0.0


@dataclass
class _Port:
    info: PortInfo
    channel: DahdiChannel
    params: ChannelParams
    down: str | None = None


class DahdiCard(Card):
    """Analog DAHDI channels as one :class:`~hal.interface.Card`.

    ``channels`` are DAHDI channel numbers (or :class:`ChannelSetup` for echo
    canceller and gains). Opening fails with :class:`DahdiError` naming the
    channel when one is missing or is not an analog port.
    """

    def __init__(
        self,
        clock: Clock,
        channels: Sequence[int | ChannelSetup],
        *,
        law: Law = Law.ALAW,
        device: str = CHANNEL_DEVICE,
    ) -> None:
        if not isinstance(law, Law):
            raise DahdiError(f"law must be a hal.interface.Law, got {law!r}")
        setups = [ch if isinstance(ch, ChannelSetup) else ChannelSetup(ch) for ch in channels]
        if not setups:
            raise DahdiError("a card needs at least one channel")
        numbers = [s.channel for s in setups]
        if len(set(numbers)) != len(numbers):
            raise DahdiError(f"a channel is listed twice: {numbers}")
        opened: list[tuple[ChannelSetup, DahdiChannel, ChannelParams]] = []
        try:
            for setup in setups:
                channel, params = self._open(setup, law, device)
                opened.append((setup, channel, params))
        except HalError:
            for _, channel, _ in opened:
                channel.close()
            raise
        fxo = [o for o in opened if o[2].signalling is Signalling.FXO_PORT]
        fxs = [o for o in opened if o[2].signalling is Signalling.FXS_PORT]
        ports: list[_Port] = []
        for kind, group in ((PortKind.FXO, fxo), (PortKind.FXS, fxs)):
            for number, (_, channel, params) in enumerate(group, start=1):
                ports.append(_Port(PortInfo(len(ports), kind, number), channel, params))
        super().__init__([p.info for p in ports], law, clock)
        self._ports = ports
        self._silence = g711.SILENCE[law]
        self._rx = np.full((len(ports), FRAME_SAMPLES), self._silence, dtype=np.uint8)
        self._events: list[HalEvent] = []
        self._poller = select.poll()
        for port in ports:
            self._poller.register(port.channel.fd, select.POLLIN | select.POLLPRI)
        self.counters: Counter[str] = Counter()

    def _open(
        self, setup: ChannelSetup, law: Law, device: str
    ) -> tuple[DahdiChannel, ChannelParams]:
        channel = DahdiChannel(setup.channel, device)
        try:
            params = channel.get_params()
            if params.signalling.port_kind is None:
                raise DahdiError(
                    f"channel {setup.channel} is {params.signalling.value}, not an analog "
                    "port: check /etc/dahdi/system.conf"
                )
            channel.set_blocksize(FRAME_SAMPLES)
            channel.set_law(law)
            if params.signalling is Signalling.FXS_PORT:
                params = channel.set_timings(params, rxflashtime=RAW_HOOK_RXFLASH_MS)
            channel.set_echo_canceller(DEFAULT_ECHO_TAPS if setup.echo_canceller else 0)
            channel.set_gains(
                gain_table(setup.rx_gain_db, law), gain_table(setup.tx_gain_db, law)
            )
        except (HalError, ValueError) as exc:
            channel.close()
            if isinstance(exc, HalError):
                raise
            raise DahdiError(f"channel {setup.channel}: {exc}") from None
        return channel, params

    def __str__(self) -> str:
        chans = ", ".join(f"{p.info.name}=chan{p.channel.channo}" for p in self._ports)
        return f"DahdiCard({chans}, {self.law.value})"

    # -- state for diagnostics -----------------------------------------------------------

    def channel_of(self, port: int) -> int:
        """The DAHDI channel number behind port index ``port``."""
        return self._get(port).channel.channo

    def down_reason(self, port: int) -> str | None:
        """Why a port is down (e.g. "card removed"), or None while it works."""
        return self._get(port).down

    def params(self, port: int) -> ChannelParams:
        """The channel parameters DAHDI reported when the port was opened."""
        return self._get(port).params

    # -- the tick ------------------------------------------------------------------------

    def wait_tick(self) -> float:
        """Wait until a channel has a block (or an event) ready, then return the time."""
        self._poller.poll(TICK_TIMEOUT_MS)
        return self.clock.now()

    def read_frames(self) -> np.ndarray:
        for port in self._ports:
            if port.down is not None:
                self._rx[port.info.index] = self._silence
                continue
            block = self._read_block(port)
            if block is None:
                self.counters["rx underruns"] += 1
                continue
            row = np.frombuffer(block[:FRAME_SAMPLES], dtype=np.uint8)
            self._rx[port.info.index, : row.size] = row
            self._rx[port.info.index, row.size :] = self._silence
        return self._rx.copy()

    def _read_block(self, port: _Port) -> bytes | None:
        for _ in range(_ELAST_RETRIES):
            try:
                block = port.channel.read(FRAME_SAMPLES)
            except EventPending:
                self._drain(port)
                continue
            except ChannelGone:
                self._port_gone(port)
                return None
            except DahdiError as exc:
                self.counters["read errors"] += 1
                log.warning("%s: %s", port.info.name, exc)
                return None
            return block or None
        return None

    def write_frames(self, frames: np.ndarray) -> None:
        arr = np.asarray(frames)
        expected = (len(self.ports), FRAME_SAMPLES)
        if arr.shape != expected or arr.dtype != np.uint8:
            raise HalError(f"frames must be uint8 of shape {expected}, got {arr.dtype} {arr.shape}")
        for port in self._ports:
            if port.down is None:
                self._write_block(port, arr[port.info.index].tobytes())

    def _write_block(self, port: _Port, block: bytes) -> None:
        for _ in range(_ELAST_RETRIES):
            try:
                if not port.channel.write(block):
                    self.counters["tx overruns"] += 1
                return
            except EventPending:
                self._drain(port)
            except ChannelGone:
                self._port_gone(port)
                return
            except DahdiError as exc:
                self.counters["write errors"] += 1
                log.warning("%s: %s", port.info.name, exc)
                return

    def poll_events(self) -> list[HalEvent]:
        for port in self._ports:
            if port.down is None:
                self._drain(port)
        events, self._events = self._events, []
        return events

    # -- events --------------------------------------------------------------------------

    def _drain(self, port: _Port) -> None:
        for _ in range(_MAX_EVENTS_PER_DRAIN):
            try:
                code = port.channel.get_event()
            except ChannelGone:
                self._port_gone(port)
                return
            except DahdiError as exc:
                self.counters["event errors"] += 1
                log.warning("%s: %s", port.info.name, exc)
                return
            if code == c.DAHDI_EVENT_NONE:
                return
            self._on_event(port, code)

    def _on_event(self, port: _Port, code: int) -> None:
        now = self.clock.now()
        index = port.info.index
        fxo = port.info.kind is PortKind.FXO
        if code == c.DAHDI_EVENT_REMOVED:
            self._port_gone(port)
        elif code == c.DAHDI_EVENT_ALARM:
            self._on_alarm(port, now)
        elif code == c.DAHDI_EVENT_NOALARM:
            self._events.append(AlarmChanged(index, None, now))
        elif fxo and code == c.DAHDI_EVENT_RINGBEGIN:
            self._events.append(RingStarted(index, now))
        elif fxo and code == c.DAHDI_EVENT_RINGOFFHOOK:
            # FXS signalling: DAHDI reports the end of a ring burst (after its 50 ms
            # ring trailer) as RINGOFFHOOK, as chan_dahdi reads it.
            self._events.append(RingStopped(index, now))
        elif fxo and code == c.DAHDI_EVENT_ONHOOK:
            # Kewlstart: the exchange opened the loop under our seized line.
            self._events.append(LoopCurrentDrop(index, now))
        elif fxo and code == c.DAHDI_EVENT_POLARITY:
            self._events.append(PolarityReversed(index, now))
        elif not fxo and code == c.DAHDI_EVENT_RINGOFFHOOK:
            self._events.append(HookChanged(index, True, now))
        elif not fxo and code == c.DAHDI_EVENT_ONHOOK:
            self._events.append(HookChanged(index, False, now))
        else:
            # Ringer on/off, hook complete, dial complete, bits changed, echo canceller
            # disabled by a fax tone, buffer over/underruns: no HAL event carries them.
            self.counters[f"event {_event_name(code)}"] += 1

    def _on_alarm(self, port: _Port, now: float) -> None:
        try:
            params = port.channel.get_params()
        except ChannelGone:
            self._port_gone(port)
            return
        except DahdiError as exc:
            words: str | None = f"alarm (its kind could not be read: {exc})"
        else:
            port.params = params
            words = analog_alarm_words(params.chan_alarms, port.info.kind is PortKind.FXO)
            words = words or "alarm"
        self._events.append(AlarmChanged(port.info.index, words, now))

    def _port_gone(self, port: _Port) -> None:
        if port.down is not None:
            return
        port.down = CARD_REMOVED
        log.error("%s (DAHDI channel %d): card removed", port.info.name, port.channel.channo)
        # A channel never registered or already closed has nothing to undo.
        with contextlib.suppress(KeyError, ValueError, HalError):
            self._poller.unregister(port.channel.fd)
        port.channel.close()
        self._rx[port.info.index] = self._silence
        self._events.append(AlarmChanged(port.info.index, CARD_REMOVED, self.clock.now()))

    # -- controls ------------------------------------------------------------------------

    def _get(self, port: int) -> _Port:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < len(self._ports):
            raise HalError(f"no port with index {port!r}")
        return self._ports[port]

    def hook(self, port: int, command: HookCommand) -> None:
        """Any DAHDI_HOOK command on a port (wink and the rest beyond the HAL's controls)."""
        p = self._get(port)
        if p.down is not None:
            raise HalError(f"{p.info.name} is down: {p.down}")
        try:
            p.channel.hook(command)
        except ChannelGone:
            self._port_gone(p)
            raise HalError(f"{p.info.name} is down: {CARD_REMOVED}") from None

    def set_hook(self, port: int, offhook: bool) -> None:
        self._port(port, PortKind.FXO)
        self.hook(port, HookCommand.OFFHOOK if offhook else HookCommand.ONHOOK)

    def flash(self, port: int, seconds: float = 0.1) -> None:
        self._port(port, PortKind.FXO)
        if not (isinstance(seconds, int | float) and math.isfinite(seconds)
                and 0 < seconds <= MAX_FLASH_SECONDS):
            raise HalError(
                f"a hook flash lasts more than 0 and at most {MAX_FLASH_SECONDS} s, got {seconds}"
            )
        p = self._get(port)
        ms = max(1, round(seconds * 1000))
        if p.down is None and p.params.flashtime_ms != ms:
            # DAHDI_HOOK FLASH breaks the loop for the channel's flashtime.
            p.params = self._control(p, lambda: p.channel.set_timings(p.params, flashtime=ms))
        self.hook(port, HookCommand.FLASH)

    def start_ring(self, port: int, cadence: Sequence[float]) -> None:
        info = self._port(port, PortKind.FXS)
        values = tuple(cadence)
        if (not values or len(values) % 2 or len(values) > c.DAHDI_MAX_CADENCE
                or not all(isinstance(v, int | float) and math.isfinite(v) and v > 0
                           for v in values)):
            raise HalError(
                f"{info.name}: a ring cadence is 1 to {c.DAHDI_MAX_CADENCE // 2} on/off pairs "
                f"of positive seconds, got {values!r}"
            )
        p = self._get(port)
        cadence_ms = [max(1, round(v * 1000)) for v in values]
        if p.down is None:
            self._control(p, lambda: p.channel.set_cadence(cadence_ms))
        self.hook(port, HookCommand.RING)

    def stop_ring(self, port: int) -> None:
        self._port(port, PortKind.FXS)
        self.hook(port, HookCommand.RINGOFF)

    def set_gains(self, port: int, rx_db: float, tx_db: float) -> None:
        """Receive and transmit gain of a port, in dB (applied by DAHDI's tables)."""
        p = self._get(port)
        try:
            rx, tx = gain_table(rx_db, self.law), gain_table(tx_db, self.law)
        except ValueError as exc:
            raise HalError(f"{p.info.name}: {exc}") from None
        self._control(p, lambda: p.channel.set_gains(rx, tx))

    def set_echo_canceller(self, port: int, enabled: bool, taps: int = DEFAULT_ECHO_TAPS) -> None:
        """Turn a port's echo canceller on (``taps``: 8 per ms of echo tail) or off."""
        p = self._get(port)
        if enabled and taps not in (32, 64, 128, 256, 512, 1024):
            raise HalError(f"{p.info.name}: echo canceller taps are 32…1024 (powers of 2)")
        self._control(p, lambda: p.channel.set_echo_canceller(taps if enabled else 0))

    def _control(self, p: _Port, action: Callable[[], T]) -> T:
        if p.down is not None:
            raise HalError(f"{p.info.name} is down: {p.down}")
        try:
            return action()
        except ChannelGone:
            self._port_gone(p)
            raise HalError(f"{p.info.name} is down: {CARD_REMOVED}") from None

    def close(self) -> None:
        for port in self._ports:
            port.channel.close()


def _event_name(code: int) -> str:
    flags = code & ~0xFFFF
    if flags:
        return f"{_EVENT_NAMES.get(flags, 'digit')} {chr(code & 0xFF)!r}"
    return _EVENT_NAMES.get(code, str(code))
