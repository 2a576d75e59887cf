"""The simulated line card: FXO ports facing a simulated exchange, FXS ports with phones,
and E1 spans with an operator's switch (or another span, cabled back to back) at the far end.

A first-class backend of :class:`hal.interface.Card` and :class:`hal.span.SpanCard`:
the daemon drives it exactly as it drives a DAHDI card, and tests and the demo act
as the people and the network on the other side through :attr:`SimCard.phones`,
:attr:`SimCard.pstn` and :attr:`SimCard.far_ends`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence

import numpy as np

from firmware.signaling.q921 import Side
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
from hal.sim.span import SimOperator, SimSpan, check_error_counts
from hal.sim.world import SimError, SimWorld
from hal.span import (
    SpanAlarm,
    SpanCard,
    SpanDescription,
    SpanStatus,
    b_channel_ports,
    check_dframe,
)

# The longest hook flash the card will make; longer breaks are hang-ups, not flashes.
MAX_FLASH_SECONDS = 2.0


class SimCard(Card, SpanCard):
    """A simulated card: ``fxo`` exchange lines, ``fxs`` phone ports, then ``spans`` E1 spans.

    Ports are ordered FXO first (fxo1, fxo2, …), then FXS (fxs1, …), then the 30
    B-channels of each span (span1/b1 … span1/b31, time slot 16 being the
    D-channel). ``spans`` is a count (default set-up) or the spans' descriptions.
    Each span starts with an operator's switch at its far end; :meth:`cable`
    joins two spans back to back instead. Time is the injected clock's: with a
    :class:`~hal.clock.ManualClock` every :meth:`wait_tick` moves it 20 ms and
    returns at once, so tests run faster than real time; with any other clock it
    paces like hardware.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        fxs: int = 4,
        fxo: int = 2,
        law: Law = Law.ALAW,
        country: str = "PL",
        spans: int | Sequence[SpanDescription] = 0,
    ) -> None:
        for what, count in (("fxs", fxs), ("fxo", fxo)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise SimError(f"{what} must be a whole number of ports >= 0, got {count!r}")
        descriptions = _span_descriptions(spans)
        if fxs + fxo + len(descriptions) == 0:
            raise SimError("a card needs at least one port")
        if not isinstance(law, Law):
            raise SimError(f"law must be a hal.interface.Law, got {law!r}")
        try:
            self.tones = signals.country_tones(country)
        except signals.SignalError as exc:
            raise SimError(str(exc)) from None
        ports: list[PortInfo] = [PortInfo(i, PortKind.FXO, i + 1) for i in range(fxo)] + [
            PortInfo(fxo + j, PortKind.FXS, j + 1) for j in range(fxs)
        ]
        span_ports = {}
        for description in descriptions:
            span_ports[description.number] = b_channel_ports(description.number, len(ports))
            ports += span_ports[description.number]
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
        self._spans: dict[int, SimSpan] = {
            d.number: SimSpan(self.world, d, span_ports[d.number], law) for d in descriptions
        }
        self._span_rows = {
            n: slice(p[0].index, p[-1].index + 1) for n, p in span_ports.items()
        }

    def __str__(self) -> str:
        spans = f", {len(self._spans)} E1" if self._spans else ""
        return (
            f"SimCard({self._n_fxo} FXO, {len(self.phones)} FXS{spans}, "
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
        for number, span in self._spans.items():
            span.hear(linear[self._span_rows[number]])

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

    # -- E1 spans ----------------------------------------------------------------------

    @property
    def spans(self) -> Sequence[SpanDescription]:
        return tuple(span.description for span in self._spans.values())

    @property
    def far_ends(self) -> dict[str, SimOperator]:
        """The operator's switch (or PBX) at the far end of each span not cabled to another."""
        return {s.name: s.operator for s in self._spans.values() if s.operator is not None}

    def sim_span(self, name: str) -> SimSpan:
        """The simulated span called ``name`` ("span1")."""
        for span in self._spans.values():
            if span.name == name:
                return span
        known = ", ".join(s.name for s in self._spans.values()) or "none"
        raise SimError(f"no span {name!r}; this card has: {known}")

    def _span(self, number: int) -> SimSpan:
        try:
            return self._spans[number]
        except (KeyError, TypeError):
            known = ", ".join(str(n) for n in self._spans) or "none"
            raise SimError(f"no span {number!r}; this card's spans: {known}") from None

    def configure_span(self, description: SpanDescription) -> None:
        span = self._span(description.number)
        self._catch_up()
        span.description = description

    def span_status(self, span: int) -> SpanStatus:
        self._catch_up()
        return self._span(span).status(clock_source=self._clock_source() == span)

    def read_dchannel(self, span: int) -> list[bytes]:
        target = self._span(span)
        self._catch_up()
        return target.box_receives()

    def write_dchannel(self, span: int, frame: bytes) -> None:
        target = self._span(span)
        check_dframe(frame)
        self._catch_up()
        target.box_sends(frame)

    def cable(self, a: str, b: str) -> None:
        """Join two spans back to back: what one sends, the other receives, a frame later.

        Their far-end switches go away; the box then plays both ends (one span
        set up as TE, the other as NT).
        """
        first, second = self.sim_span(a), self.sim_span(b)
        if first is second:
            raise SimError("a span cannot be cabled to itself")
        for span in (first, second):
            if span.peer is not None:
                raise SimError(f"{span.name} is already cabled to {span.peer.name}")
        self._catch_up()
        first.peer, second.peer = second, first
        first.operator = second.operator = None
        self._report_span_alarms()

    def attach_far_end(self, name: str, side: Side) -> SimOperator:
        """Put a new far end on span ``name``: an operator (network side) or a PBX (user side)."""
        span = self.sim_span(name)
        if span.peer is not None:
            raise SimError(f"{span.name} is cabled to {span.peer.name}; it has no far-end switch")
        self._catch_up()
        span.operator = SimOperator(self.world, span, side)
        return span.operator

    def set_span_alarms(self, name: str, alarms: Iterable[SpanAlarm]) -> None:
        """Make the line of span ``name`` show these defects (none: a healthy line).

        LOS, LOF and AIS cut what the box receives, and the far end sees RAI;
        RAI alone means the far end receives nothing from the box.
        """
        span = self.sim_span(name)
        wanted = frozenset(alarms)
        if not all(isinstance(a, SpanAlarm) for a in wanted):
            raise SimError(f"span alarms are hal.span.SpanAlarm values, got {set(wanted)!r}")
        self._catch_up()
        span.line_alarms = wanted
        self._report_span_alarms()

    def count_span_errors(
        self, name: str, *, bpv: int = 0, crc_errors: int = 0, slips: int = 0
    ) -> None:
        """Line errors as a noisy pair or a wandering clock would cause them."""
        check_error_counts(bpv=bpv, crc_errors=crc_errors, slips=slips)
        span = self.sim_span(name)
        self._catch_up()
        span.count_errors(bpv, crc_errors, slips)

    def _clock_source(self) -> int | None:
        candidates = [
            (s.description.clock_priority, n) for n, s in self._spans.items()
            if s.description.clock_priority > 0 and not s.receive_dead
        ]
        return min(candidates)[1] if candidates else None

    def _report_span_alarms(self) -> None:
        now = self.clock.now()
        for span in self._spans.values():
            change = span.alarm_change(now)
            if change is not None:
                self.world.emit(change)  # type: ignore[arg-type]

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
        at = self.world.time_at(start)
        for number, span in self._spans.items():
            span.step(at)
            rx[self._span_rows[number]] = span.render(start, FRAME_SAMPLES)
        self.world.position = start + FRAME_SAMPLES
        self._rx = g711.encode(rx, self.law)


def _span_descriptions(spans: int | Sequence[SpanDescription]) -> list[SpanDescription]:
    if isinstance(spans, bool):
        raise SimError(f"spans must be a count or span descriptions, got {spans!r}")
    if isinstance(spans, int):
        if spans < 0:
            raise SimError(f"spans must be a whole number >= 0, got {spans}")
        return [SpanDescription(n, clock_priority=n) for n in range(1, spans + 1)]
    found = list(spans)
    if not all(isinstance(d, SpanDescription) for d in found):
        raise SimError("spans must be hal.span.SpanDescription values")
    numbers = [d.number for d in found]
    if len(set(numbers)) != len(numbers):
        raise SimError(f"span numbers must differ, got {numbers}")
    return found
