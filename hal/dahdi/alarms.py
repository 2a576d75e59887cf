"""DAHDI alarm bits in the plain words a technician reads on the console and the web UI.

E1 alarms keep their traditional colours (ITU-T G.775 defects, as DAHDI reports
them): red is our own receive side failing (LOS, LOF), yellow is the far end
telling us it receives nothing (RAI), blue is the line sending all ones (AIS)
because something upstream failed. An analog FXO port raises red when the
exchange's battery voltage disappears.
"""

from __future__ import annotations

import enum

from hal.dahdi import constants as c


class SpanAlarm(enum.Enum):
    """One alarm condition, with the plain sentence shown for it."""

    LOS = "red: loss of signal (LOS): no signal on the receive pair"
    LOF = "red: loss of frame alignment (LOF): a signal, but no E1 framing in it"
    LOMF = "red: loss of multiframe alignment: check the CRC-4 and CAS settings"
    RED = "red: the receive side is down"
    AIS = "blue: alarm indication signal (AIS): the line sends all ones, fault upstream"
    RAI = "yellow: remote alarm (RAI): the far end receives nothing from us"
    LOOPBACK = "loopback: the span is looped for a test"
    RECOVERING = "recovering: the alarm cleared and the span is settling"
    NOT_OPEN = "not open: no application has the span open"

    @property
    def colour(self) -> str | None:
        head = self.value.split(":", 1)[0]
        return head if head in ("red", "yellow", "blue") else None


def span_alarms(bits: int) -> tuple[SpanAlarm, ...]:
    """The alarms set in a DAHDI alarm word, most severe first.

    DAHDI sets RED together with the verbose LOS/LFA/LMFA bit that caused it; the
    plain RED entry is listed only when no verbose bit says why.
    """
    found: list[SpanAlarm] = []
    verbose = (
        (c.DAHDI_ALARM_LOS, SpanAlarm.LOS),
        (c.DAHDI_ALARM_LFA, SpanAlarm.LOF),
        (c.DAHDI_ALARM_LMFA, SpanAlarm.LOMF),
    )
    found += [alarm for bit, alarm in verbose if bits & bit]
    if bits & c.DAHDI_ALARM_RED and not found:
        found.append(SpanAlarm.RED)
    for bit, alarm in (
        (c.DAHDI_ALARM_BLUE, SpanAlarm.AIS),
        (c.DAHDI_ALARM_YELLOW, SpanAlarm.RAI),
        (c.DAHDI_ALARM_LOOPBACK, SpanAlarm.LOOPBACK),
        (c.DAHDI_ALARM_RECOVER, SpanAlarm.RECOVERING),
        (c.DAHDI_ALARM_NOTOPEN, SpanAlarm.NOT_OPEN),
    ):
        if bits & bit:
            found.append(alarm)
    return tuple(found)


def analog_alarm_words(bits: int, fxo: bool) -> str | None:
    """The alarm of an analog port in words, or None when it has none."""
    if not bits:
        return None
    if fxo and bits & c.DAHDI_ALARM_RED:
        return "no battery: the exchange line is unplugged or dead"
    return "; ".join(alarm.value for alarm in span_alarms(bits)) or f"alarm bits 0x{bits:x}"
