"""E1 spans of a DAHDI card behind :class:`hal.span.SpanCard`, so the call layer cannot tell
them from simulated ones.

This is an adapter over the pieces that speak to DAHDI: :class:`SpanStatusReader`
(``DAHDI_SPANSTAT`` on the control device) for alarms and counters, one
:class:`~hal.dahdi.dchannel.DChannel` (the HDLC channel of time slot 16) per CCS
span for the D-channel frames, and :mod:`hal.dahdi.system_conf` to change a span's
line settings, since DAHDI takes those only from ``system.conf`` through
``dahdi_cfg``. B-channel audio is not here: it belongs to the card's audio path.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence

from hal.dahdi import system_conf
from hal.dahdi.alarms import SpanAlarm as DahdiAlarm
from hal.dahdi.channel import CHANNEL_DEVICE, ChannelGone, DahdiError
from hal.dahdi.dchannel import DChannel
from hal.dahdi.span import CTL_DEVICE, SpanStatusReader
from hal.dahdi.span import SpanError as DahdiSpanError
from hal.dahdi.span import SpanStatus as DahdiSpanStatus
from hal.dahdi.system_conf import BoxLines, E1Span, SystemConfError
from hal.interface import PortInfo
from hal.span import (
    B_TIMESLOTS,
    BChannelInfo,
    Framing,
    LineCode,
    SpanAlarm,
    SpanCard,
    SpanCounters,
    SpanDescription,
    SpanError,
    SpanStatus,
    b_channel_ports,
    check_dframe,
)

log = logging.getLogger(__name__)

# DAHDI's alarm words to the HAL's four E1 defects (ITU-T G.775). A loss of
# multiframe, and a red alarm the driver gives no reason for, are still a loss of
# frame alignment: every red alarm implies it, while LOS is claimed only when the
# driver says so. Loopback, "recovering" and "not open" are states of the span,
# not defects of the line, and are not alarms here.
_ALARMS: dict[DahdiAlarm, SpanAlarm] = {
    DahdiAlarm.LOS: SpanAlarm.LOS,
    DahdiAlarm.LOF: SpanAlarm.LOF,
    DahdiAlarm.LOMF: SpanAlarm.LOF,
    DahdiAlarm.RED: SpanAlarm.LOF,
    DahdiAlarm.AIS: SpanAlarm.AIS,
    DahdiAlarm.RAI: SpanAlarm.RAI,
}

Applier = Callable[[BoxLines], object]
DChannelOpener = Callable[[int], DChannel]


def description_of(span: E1Span) -> SpanDescription:
    """The HAL's view of a span as system.conf describes it."""
    return SpanDescription(
        number=span.span,
        framing=Framing(span.framing.value),
        crc4=span.crc4,
        line_code=LineCode(span.coding.value),
        clock_priority=span.timing,
        line_build_out=span.line_build_out,
    )


def hal_status(status: DahdiSpanStatus, description: SpanDescription | None) -> SpanStatus:
    """A DAHDI_SPANSTAT reading as the HAL's :class:`SpanStatus`.

    DAHDI keeps no count of controlled slips, so ``slips`` is None (shown as "not
    counted"), never a made-up zero.
    """
    return SpanStatus(
        number=status.spanno,
        alarms=frozenset(_ALARMS[a] for a in status.alarms if a in _ALARMS),
        counters=SpanCounters(
            bpv=status.bipolar_violations, crc_errors=status.crc4_errors, slips=None
        ),
        clock_source=status.sync_source == status.spanno,
        description=description,
    )


class DahdiSpanCard(SpanCard):
    """The E1 spans of one box's DAHDI cards, as ``box`` (what system.conf was written
    from) describes them.

    ``box`` must be what DAHDI runs now (the daemon applies it before it opens
    the card): only a changed span set-up is written and applied again.
    ``first_index`` is the frame row of the first B-channel, after the card's
    analog ports. Called from the media thread only, like the rest of the card.
    """

    def __init__(
        self,
        box: BoxLines,
        *,
        first_index: int = 0,
        ctl_device: str = CTL_DEVICE,
        channel_device: str = CHANNEL_DEVICE,
        apply: Applier | None = None,
        open_dchannel: DChannelOpener | None = None,
    ) -> None:
        system_conf.validate(box)
        self._box = box
        self._apply: Applier = apply or functools.partial(
            system_conf.apply, path=system_conf.SYSTEM_CONF
        )
        self._open_dchannel: DChannelOpener = open_dchannel or functools.partial(
            DChannel, device=channel_device
        )
        self._reader = SpanStatusReader(ctl_device)
        self._dchannels: dict[int, DChannel | None] = {}
        # Counts of D-channels closed since (framing changed, hardware gone), kept so
        # the technician's counters never go backwards.
        self._history: dict[int, Counter[str]] = {}
        self.ports: list[PortInfo] = []
        index = first_index
        for span in sorted(box.spans, key=lambda s: s.span):
            self.ports += b_channel_ports(span.span, index)
            index += len(B_TIMESLOTS)
            self._history[span.span] = Counter()
        try:
            for span in box.spans:
                self._dchannels[span.span] = self._open(span)
        except DahdiError:
            self.close()
            raise

    def __str__(self) -> str:
        names = ", ".join(f"span{s.span}" for s in sorted(self._box.spans, key=lambda s: s.span))
        return f"DAHDI E1 spans ({names or 'none'})"

    # -- SpanCard ---------------------------------------------------------------------------

    @property
    def spans(self) -> Sequence[SpanDescription]:
        return [description_of(s) for s in sorted(self._box.spans, key=lambda s: s.span)]

    def configure_span(self, description: SpanDescription) -> None:
        """Write and apply system.conf with the span's new line settings.

        ``dahdi_cfg`` checks the new file before it replaces the old one, so a
        refused set-up changes nothing and raises :class:`SpanError`. The span's
        D-channel is closed while its framing changes (DAHDI will not change the
        use of an open channel) and opened again when the span is CCS.
        """
        current = self._e1span(description.number)
        if description_of(current) == description:
            return
        wanted = dataclasses.replace(
            current,
            timing=description.clock_priority,
            line_build_out=description.line_build_out,
            framing=system_conf.Framing(description.framing.value),
            coding=system_conf.LineCode(description.line_code.value),
            crc4=description.crc4,
        )
        box = dataclasses.replace(
            self._box,
            spans=tuple(wanted if s.span == current.span else s for s in self._box.spans),
        )
        reopen = wanted.framing is not current.framing
        if reopen:
            self._close_dchannel(current.span)
        try:
            self._apply(box)
        except SystemConfError as exc:
            if reopen:
                self._dchannels[current.span] = self._open(current)
            raise SpanError(f"span{current.span} was not set up: {exc}") from None
        self._box = box
        if reopen:
            self._dchannels[current.span] = self._open(wanted)

    def span_status(self, span: int) -> SpanStatus:
        e1 = self._e1span(span)
        try:
            status = self._reader.read(span)
        except DahdiSpanError as exc:
            raise SpanError(f"span{span}: the status cannot be read: {exc}") from None
        return hal_status(status, description_of(e1))

    def read_dchannel(self, span: int) -> list[bytes]:
        """The frames waiting; none on a CAS span or once the channel's hardware is gone."""
        self._e1span(span)
        dchannel = self._dchannels.get(span)
        if dchannel is None:
            return []
        try:
            return dchannel.read_frames()
        except ChannelGone:
            self._gone(span)
            return []
        except DahdiError as exc:
            raise SpanError(f"span{span}: the D-channel cannot be read: {exc}") from None

    def write_dchannel(self, span: int, frame: bytes) -> None:
        """Send one frame; a frame the driver has no room for is counted and dropped.

        LAPD sends it again when its T200 runs out (Q.921 §5.6), as it would for a
        frame lost on the line.
        """
        frame = check_dframe(frame)
        e1 = self._e1span(span)
        if e1.framing is not system_conf.Framing.CCS:
            raise SpanError(f"span{span} is CAS: it has no D-channel to send on")
        dchannel = self._dchannels.get(span)
        if dchannel is None:
            self._history[span]["channel gone"] += 1
            return
        try:
            dchannel.write_frame(frame)
        except ChannelGone:
            self._gone(span)
            self._history[span]["channel gone"] += 1
        except DahdiError as exc:
            raise SpanError(f"span{span}: the D-channel cannot be written: {exc}") from None

    # -- beyond the contract ------------------------------------------------------------------

    def dchannel_counters(self, span: int) -> Counter[str]:
        """Frames in and out, and every frame lost (bad FCS, aborted, overrun, tx full…)."""
        self._e1span(span)
        dchannel = self._dchannels.get(span)
        counters = Counter(self._history[span])
        if dchannel is not None:
            counters.update(dchannel.counters)
        return counters

    def b_channel(self, span: int, timeslot: int) -> BChannelInfo:
        """The port of ``timeslot`` on ``span`` (1..31 without 16)."""
        for port in self.b_channels(span):
            if isinstance(port, BChannelInfo) and port.timeslot == timeslot:
                return port
        raise SpanError(f"span{span} has no B-channel in time slot {timeslot}")

    def close(self) -> None:
        for span in list(self._dchannels):
            self._close_dchannel(span)
        self._reader.close()

    def __enter__(self) -> DahdiSpanCard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inside -----------------------------------------------------------------------------

    def _e1span(self, number: int) -> E1Span:
        for span in self._box.spans:
            if span.span == number:
                return span
        known = ", ".join(f"span{s.span}" for s in self._box.spans) or "none"
        raise SpanError(f"there is no span{number} on this card; its spans: {known}")

    def _open(self, span: E1Span) -> DChannel | None:
        if span.framing is not system_conf.Framing.CCS:
            return None
        return self._open_dchannel(span.signalling_channel)

    def _close_dchannel(self, span: int) -> None:
        dchannel = self._dchannels.get(span)
        self._dchannels[span] = None
        if dchannel is not None:
            self._history[span].update(dchannel.counters)
            dchannel.close()

    def _gone(self, span: int) -> None:
        log.warning("span%s: %s is gone; the span stays down until the card is back",
                    span, self._dchannels.get(span))
        self._close_dchannel(span)
