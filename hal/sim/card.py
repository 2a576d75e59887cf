"""The simulated line card: FXO ports facing a simulated exchange, FXS ports with phones.

A first-class backend of :class:`hal.interface.Card`: the daemon drives it exactly
as it drives a DAHDI card, and tests and the demo act as the people and the network
on the other side through :attr:`SimCard.phones` and :attr:`SimCard.pstn`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from hal import g711
from hal.clock import Clock, ManualClock
from hal.interface import (
    FRAME_SAMPLES,
    FRAME_SECONDS,
    AlarmChanged,
    Card,
    HalError,
    HalEvent,
    Law,
    PortInfo,
    PortKind,
)
from hal.sim import signals
from hal.sim.phone import SimPhone
from hal.sim.pstn import SimPstn
from hal.sim.world import SimError, SimWorld

# The longest hook flash the card will make; longer breaks are hang-ups, not flashes.
MAX_FLASH_SECONDS = 2.0


class SimCard(Card):
    """A simulated analog card: ``fxo`` exchange lines then ``fxs`` phone ports.

    Ports are ordered FXO first (fxo1, fxo2, …) then FXS (fxs1, …). Time is the
    injected clock's: with a :class:`~hal.clock.ManualClock` every
    :meth:`wait_tick` moves it 20 ms and returns at once, so tests run faster than
    real time; with any other clock it paces like hardware.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        fxs: int = 4,
        fxo: int = 2,
        law: Law = Law.ALAW,
        country: str = "PL",
    ) -> None:
        for what, count in (("fxs", fxs), ("fxo", fxo)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise SimError(f"{what} must be a whole number of ports >= 0, got {count!r}")
        if fxs + fxo == 0:
            raise SimError("a card needs at least one port")
        if not isinstance(law, Law):
            raise SimError(f"law must be a hal.interface.Law, got {law!r}")
        try:
            self.tones = signals.country_tones(country)
        except signals.SignalError as exc:
            raise SimError(str(exc)) from None
        ports = [PortInfo(i, PortKind.FXO, i + 1) for i in range(fxo)] + [
            PortInfo(fxo + j, PortKind.FXS, j + 1) for j in range(fxs)
        ]
        super().__init__(ports, law, clock)
        self.world = SimWorld(clock)
        self.world.bind(self._catch_up)
        self.phones: dict[str, SimPhone] = {
            p.name: SimPhone(p, self.world) for p in ports if p.kind is PortKind.FXS
        }
        self.pstn = SimPstn(self.world, [p for p in ports if p.kind is PortKind.FXO], self.tones)
        self._n_fxo = fxo
        self._rx = np.full((len(ports), FRAME_SAMPLES), g711.SILENCE[law], dtype=np.uint8)
        self._alarms: dict[int, str] = {}
        self._tick = 0

    def __str__(self) -> str:
        return (
            f"SimCard({self._n_fxo} FXO, {len(self.phones)} FXS, "
            f"{self.law.value}, {self.tones.country})"
        )

    # -- the tick ----------------------------------------------------------------------

    def wait_tick(self) -> float:
        """Advance a ManualClock by 20 ms; otherwise sleep to the next 20 ms boundary."""
        if isinstance(self.clock, ManualClock):
            return self.clock.advance(FRAME_SECONDS)
        # Boundaries are counted from the card's start time, so pacing never drifts;
        # a late caller skips the boundaries it missed rather than bursting through them.
        due = math.floor((self.clock.now() - self.world.t0) / FRAME_SECONDS) + 1
        self._tick = max(self._tick + 1, due)
        target = self.world.t0 + self._tick * FRAME_SECONDS
        while (remaining := target - self.clock.now()) > 0:
            time.sleep(remaining)
        return self.clock.now()

    def read_frames(self) -> np.ndarray:
        self._catch_up()
        return self._rx.copy()

    def write_frames(self, frames: np.ndarray) -> None:
        arr = np.asarray(frames)
        expected = (len(self.ports), FRAME_SAMPLES)
        if arr.shape != expected or arr.dtype != np.uint8:
            raise HalError(f"frames must be uint8 of shape {expected}, got {arr.dtype} {arr.shape}")
        self._catch_up()
        linear = g711.decode(arr, self.law)
        self.pstn.hear(linear[: self._n_fxo])
        for phone in self.phones.values():
            phone.hear(linear[phone.port.index])

    def poll_events(self) -> list[HalEvent]:
        self._catch_up()
        return self.world.drain()

    # -- controls ----------------------------------------------------------------------

    def set_hook(self, port: int, offhook: bool) -> None:
        info = self._port(port, PortKind.FXO)
        self._catch_up()
        self.pstn.box_hook(info.name, bool(offhook))

    def flash(self, port: int, seconds: float = 0.1) -> None:
        info = self._port(port, PortKind.FXO)
        if not (math.isfinite(seconds) and 0 < seconds <= MAX_FLASH_SECONDS):
            raise HalError(
                f"a hook flash lasts more than 0 and at most {MAX_FLASH_SECONDS} s, got {seconds}"
            )
        self._catch_up()
        if not self.pstn.seized(info.name):
            raise HalError(f"{info.name} is on-hook; a flash needs a seized line")
        self.pstn.box_flash(info.name)

    def start_ring(self, port: int, cadence: Sequence[float]) -> None:
        info = self._port(port, PortKind.FXS)
        self._catch_up()
        self.phones[info.name].start_ring(cadence)

    def stop_ring(self, port: int) -> None:
        info = self._port(port, PortKind.FXS)
        self._catch_up()
        self.phones[info.name].stop_ring()

    def set_alarm(self, port_name: str, alarm: str | None) -> None:
        """Raise ``alarm`` (plain words, e.g. "no battery") on a port, or clear it with None.

        An FXO line in alarm is dead: its call drops and it cannot ring or give dial tone.
        """
        info = self.port_by_name(port_name)
        if alarm is not None and (not isinstance(alarm, str) or not alarm.strip()):
            raise SimError(f"an alarm is a non-empty description or None, got {alarm!r}")
        self._catch_up()
        if self._alarms.get(info.index) == alarm:
            return
        if alarm is None:
            del self._alarms[info.index]
        else:
            self._alarms[info.index] = alarm
        self.world.emit(AlarmChanged(info.index, alarm, self.clock.now()))
        if info.kind is PortKind.FXO:
            self.pstn.set_alarm(info.name, alarm)

    def alarm(self, port_name: str) -> str | None:
        """The alarm standing on a port, if any."""
        return self._alarms.get(self.port_by_name(port_name).index)

    # -- the simulated world -----------------------------------------------------------

    def _catch_up(self) -> None:
        """Produce every 20 ms frame that has ended by the clock's time, in order."""
        elapsed = (self.clock.now() - self.world.t0) / FRAME_SECONDS
        due = math.floor(elapsed + 1e-6) * FRAME_SAMPLES
        while self.world.position < due:
            self._step()

    def _step(self) -> None:
        start = self.world.position
        rx = np.empty((len(self.ports), FRAME_SAMPLES), dtype=np.int16)
        rx[: self._n_fxo] = self.pstn.render(start, FRAME_SAMPLES)
        for phone in self.phones.values():
            rx[phone.port.index] = phone.render(start, FRAME_SAMPLES)
        self.world.position = start + FRAME_SAMPLES
        self._rx = g711.encode(rx, self.law)
