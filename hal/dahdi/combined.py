"""A DAHDI card with analog ports and E1 spans, as the sim card offers them.

The daemon sees one :class:`~hal.interface.Card` that is also a
:class:`~hal.span.SpanCard`: the analog ports first (FXO, then FXS, as
:class:`~hal.dahdi.card.DahdiCard` orders them), then 30 audio rows per span in
span order (``span1/b1`` .. ``span1/b31``, time slot 16 skipped). A B-channel is a
plain DAHDI channel (``bchan``: clear mode) moved in 160-sample blocks like an
analog port; the D-channel, span status and span set-up changes are
:class:`~hal.dahdi.span_card.DahdiSpanCard`'s.

DAHDI tells every channel of a span about the span's alarms (ALARM / NOALARM
events, which refuse the channel's read with ELAST until read). The card then
reads the span's status and reports a :class:`~hal.span.SpanAlarmChanged`, so
the call layer learns of a red alarm within a tick, as on the sim card.
"""

from __future__ import annotations

import contextlib
import logging
import select
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from hal import g711
from hal.clock import Clock
from hal.dahdi import constants as c
from hal.dahdi.card import TICK_TIMEOUT_MS, ChannelSetup, DahdiCard
from hal.dahdi.channel import (
    CHANNEL_DEVICE,
    DEFAULT_ECHO_TAPS,
    ChannelGone,
    DahdiChannel,
    DahdiError,
    EventPending,
)
from hal.dahdi.span import CTL_DEVICE
from hal.dahdi.span_card import Applier, DahdiSpanCard
from hal.dahdi.structs import Signalling
from hal.dahdi.system_conf import BoxLines, E1Span, SystemConfError
from hal.interface import (
    FRAME_SAMPLES,
    Card,
    HalError,
    HalEvent,
    Law,
    PortKind,
)
from hal.span import (
    BChannelInfo,
    SpanAlarm,
    SpanAlarmChanged,
    SpanCard,
    SpanDescription,
    SpanError,
    SpanStatus,
)

log = logging.getLogger(__name__)

# What system.conf makes of a bearer channel: ``bchan`` (clear, ISDN PRI) or ``cas`` (R2).
_BEARER_SIGNALLING = (Signalling.CLEAR, Signalling.CAS)

# Reads and writes DAHDI may refuse with ELAST before the events in front are read.
_ELAST_RETRIES = 4

# Span alarm events: the card reads the span's status when one arrives.
_SPAN_ALARM_EVENTS = (c.DAHDI_EVENT_ALARM, c.DAHDI_EVENT_NOALARM)

T = TypeVar("T")


def refuse_changes(box: BoxLines) -> None:
    """The applier of a box whose system.conf is kept by hand: span set-ups cannot change."""
    raise SystemConfError(
        "system.conf is not written by the box (card.system_conf is empty): "
        "change the span line in /etc/dahdi/system.conf and run dahdi_cfg"
    )


@dataclass
class _BChannel:
    info: BChannelInfo
    channel: DahdiChannel
    down: bool = False


class DahdiE1Card(Card, SpanCard):
    """The analog ports and E1 spans of ``box`` (what DAHDI was set up with) as one card.

    ``box`` must be what DAHDI runs now: the daemon applies system.conf before it
    opens the card, off the media thread. ``apply`` writes and applies a changed
    span set-up later (see :meth:`DahdiSpanCard.configure_span`). Opening fails
    with :class:`~hal.dahdi.channel.DahdiError` naming the channel when one is
    missing or not what system.conf says; nothing stays open then.
    """

    def __init__(
        self,
        clock: Clock,
        box: BoxLines,
        *,
        law: Law = Law.ALAW,
        device: str = CHANNEL_DEVICE,
        ctl_device: str = CTL_DEVICE,
        apply: Applier | None = None,
    ) -> None:
        if not isinstance(law, Law):
            raise DahdiError(f"law must be a hal.interface.Law, got {law!r}")
        if not box.analog and not box.spans:
            raise DahdiError("a card needs at least one analog port or one span")
        self._analog: DahdiCard | None = None
        self._bchannels: list[_BChannel] = []
        self._spans: DahdiSpanCard | None = None
        try:
            if box.analog:
                setups = [ChannelSetup(p.channel, p.echo_canceller) for p in box.analog]
                self._analog = DahdiCard(clock, setups, law=law, device=device)
            first = len(self._analog.ports) if self._analog is not None else 0
            self._spans = DahdiSpanCard(
                box, first_index=first, ctl_device=ctl_device, channel_device=device,
                apply=apply,
            )
            for span in sorted(box.spans, key=lambda s: s.span):
                self._open_bearers(span, law, device)
        except (HalError, SystemConfError) as exc:
            self.close()
            if isinstance(exc, SystemConfError):
                raise DahdiError(str(exc)) from None
            raise
        analog_ports = list(self._analog.ports) if self._analog is not None else []
        super().__init__(analog_ports + list(self._spans.ports), law, clock)
        self._first_b = len(analog_ports)
        self._silence = g711.SILENCE[law]
        self._rx = np.full((len(self.ports), FRAME_SAMPLES), self._silence, dtype=np.uint8)
        self._poller = select.poll()
        for b in self._bchannels:
            self._poller.register(b.channel.fd, select.POLLIN | select.POLLPRI)
        # Spans whose status must be read; every span once at start, to report an alarm
        # that was standing before the card was opened.
        self._check: set[int] = {s.number for s in self._spans.spans}
        self._alarms: dict[int, frozenset[SpanAlarm]] = {n: frozenset() for n in self._check}
        self.counters: Counter[str] = Counter()

    def _open_bearers(self, span: E1Span, law: Law, device: str) -> None:
        assert self._spans is not None
        ports = self._spans.b_channels(span.span)
        for info, channo in zip(ports, span.bearer_channels, strict=True):
            assert isinstance(info, BChannelInfo)
            channel = DahdiChannel(channo, device)
            try:
                params = channel.get_params()
                if params.signalling not in _BEARER_SIGNALLING:
                    raise DahdiError(
                        f"channel {channo} ({info.name}) is {params.signalling.value}, not a "
                        "B-channel: check /etc/dahdi/system.conf"
                    )
                channel.set_blocksize(FRAME_SAMPLES)
                channel.set_law(law)
                channel.set_echo_canceller(DEFAULT_ECHO_TAPS if span.echo_canceller else 0)
            except HalError:
                channel.close()
                raise
            self._bchannels.append(_BChannel(info, channel))

    def __str__(self) -> str:
        parts = [str(self._analog)] if self._analog is not None else []
        parts.append(str(self._spans))
        return f"DahdiE1Card({'; '.join(parts)})"

    # -- diagnostics ----------------------------------------------------------------------

    def channel_of(self, port: int) -> int:
        """The DAHDI channel number behind port index ``port``."""
        if self._analog is not None and 0 <= port < self._first_b:
            return self._analog.channel_of(port)
        return self._bchannel(port).channel.channo

    def dchannel_counters(self, span: int) -> Counter[str]:
        """Frames in and out of a span's D-channel and every frame lost."""
        return self._span_card.dchannel_counters(span)

    # -- the tick ---------------------------------------------------------------------------

    def wait_tick(self) -> float:
        """Wait for a block on the B-channels (all channels share DAHDI's timing source)."""
        if not self._bchannels and self._analog is not None:
            return self._analog.wait_tick()
        self._poller.poll(TICK_TIMEOUT_MS)
        return self.clock.now()

    def read_frames(self) -> np.ndarray:
        if self._analog is not None:
            self._rx[: self._first_b] = self._analog.read_frames()
        for b in self._bchannels:
            row = b.info.index
            if b.down:
                self._rx[row] = self._silence
                continue
            block = self._retry(b, lambda ch: ch.read(FRAME_SAMPLES))
            if not block:
                self.counters["rx underruns"] += 1
                continue
            audio = np.frombuffer(block[:FRAME_SAMPLES], dtype=np.uint8)
            self._rx[row, : audio.size] = audio
            self._rx[row, audio.size :] = self._silence
        return self._rx.copy()

    def write_frames(self, frames: np.ndarray) -> None:
        arr = np.asarray(frames)
        expected = (len(self.ports), FRAME_SAMPLES)
        if arr.shape != expected or arr.dtype != np.uint8:
            raise HalError(f"frames must be uint8 of shape {expected}, got {arr.dtype} {arr.shape}")
        if self._analog is not None:
            self._analog.write_frames(np.ascontiguousarray(arr[: self._first_b]))
        for b in self._bchannels:
            if b.down:
                continue
            block = arr[b.info.index].tobytes()
            if self._retry(b, lambda ch, data=block: ch.write(data)) is False:
                self.counters["tx overruns"] += 1

    def poll_events(self) -> list[HalEvent]:
        # Span alarms travel with the line events, as the sim card reports them.
        events: list[Any] = list(self._analog.poll_events()) if self._analog is not None else []
        for number in sorted(self._check):
            change = self._span_alarm_change(number)
            if change is not None:
                events.append(change)
        self._check.clear()
        return events

    def _retry(self, b: _BChannel, action: Callable[[DahdiChannel], T]) -> T | None:
        for _ in range(_ELAST_RETRIES):
            try:
                return action(b.channel)
            except EventPending:
                self._drain(b)
            except ChannelGone:
                self._gone(b)
                return None
            except DahdiError as exc:
                self.counters["b-channel errors"] += 1
                log.warning("%s: %s", b.info.name, exc)
                return None
        return None

    def _drain(self, b: _BChannel) -> None:
        for _ in range(c.DAHDI_MAX_EVENTSIZE):
            try:
                code = b.channel.get_event()
            except ChannelGone:
                self._gone(b)
                return
            except DahdiError as exc:
                self.counters["b-channel errors"] += 1
                log.warning("%s: %s", b.info.name, exc)
                return
            if code == c.DAHDI_EVENT_NONE:
                return
            if code in _SPAN_ALARM_EVENTS:
                self._check.add(b.info.span)
            elif code == c.DAHDI_EVENT_REMOVED:
                self._gone(b)
                return
            else:
                self.counters["b-channel events"] += 1

    def _gone(self, b: _BChannel) -> None:
        if b.down:
            return
        b.down = True
        log.error("%s (DAHDI channel %d): card removed", b.info.name, b.channel.channo)
        with contextlib.suppress(KeyError, ValueError, HalError):
            self._poller.unregister(b.channel.fd)
        b.channel.close()
        self._rx[b.info.index] = self._silence
        self.counters["b-channels gone"] += 1

    def _span_alarm_change(self, number: int) -> SpanAlarmChanged | None:
        try:
            alarms = self._span_card.span_status(number).alarms
        except SpanError as exc:
            self.counters["span status errors"] += 1
            log.warning("span%d: %s", number, exc)
            return None
        if alarms == self._alarms.get(number, frozenset()):
            return None
        self._alarms[number] = alarms
        return SpanAlarmChanged(number, alarms, self.clock.now())

    # -- analog controls --------------------------------------------------------------------

    def _analog_card(self, port: int, kind: PortKind) -> DahdiCard:
        self._port(port, kind)
        assert self._analog is not None  # an analog port exists, so its card does
        return self._analog

    def set_hook(self, port: int, offhook: bool) -> None:
        self._analog_card(port, PortKind.FXO).set_hook(port, offhook)

    def flash(self, port: int, seconds: float = 0.1) -> None:
        self._analog_card(port, PortKind.FXO).flash(port, seconds)

    def start_ring(self, port: int, cadence: Sequence[float]) -> None:
        self._analog_card(port, PortKind.FXS).start_ring(port, cadence)

    def stop_ring(self, port: int) -> None:
        self._analog_card(port, PortKind.FXS).stop_ring(port)

    # -- SpanCard -------------------------------------------------------------------------

    @property
    def _span_card(self) -> DahdiSpanCard:
        assert self._spans is not None
        return self._spans

    @property
    def spans(self) -> Sequence[SpanDescription]:
        return self._span_card.spans

    def configure_span(self, description: SpanDescription) -> None:
        self._span_card.configure_span(description)

    def span_status(self, span: int) -> SpanStatus:
        return self._span_card.span_status(span)

    def read_dchannel(self, span: int) -> list[bytes]:
        return self._span_card.read_dchannel(span)

    def write_dchannel(self, span: int, frame: bytes) -> None:
        self._span_card.write_dchannel(span, frame)

    def _bchannel(self, port: int) -> _BChannel:
        if isinstance(port, bool) or not isinstance(port, int) or not (
            0 <= port - self._first_b < len(self._bchannels)
        ):
            raise HalError(f"no port with index {port!r}")
        return self._bchannels[port - self._first_b]

    def close(self) -> None:
        for b in self._bchannels:
            b.channel.close()
        if self._spans is not None:
            self._spans.close()
        if self._analog is not None:
            self._analog.close()
