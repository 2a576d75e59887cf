"""E1/T1 span status from DAHDI_SPANSTAT: alarms in plain words, error counters, line setup.

The status is read through the DAHDI control device, span by span, and kept as
DAHDI counts it (counters run since the driver loaded, or since a technician
reset them). DAHDI keeps no controlled-slip counter in ``dahdi_spaninfo``: slips
are not reported here rather than reported as a made-up zero.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from dataclasses import dataclass

from hal.dahdi import constants as c
from hal.dahdi import structs
from hal.dahdi.alarms import SpanAlarm, span_alarms
from hal.dahdi.channel import DahdiError

CTL_DEVICE = "/dev/dahdi/ctl"


class SpanError(DahdiError):
    """A span's status could not be read (no such span, driver not loaded)."""


@dataclass(frozen=True)
class SpanStatus:
    """One span as DAHDI_SPANSTAT reports it."""

    spanno: int
    name: str
    description: str
    span_type: str
    alarms: tuple[SpanAlarm, ...]
    alarm_bits: int
    bipolar_violations: int
    crc4_errors: int
    ebit_errors: int
    fas_errors: int
    framing_errors: int
    coding_violations: int
    bit_errors: int
    errored_seconds: int
    irq_misses: int
    sync_source: int
    configured_channels: int
    total_channels: int
    line_build_out: str
    framing: str
    coding: str
    crc4: bool
    rx_level: int

    @property
    def ok(self) -> bool:
        """True when the span is up with no alarm."""
        return not self.alarms

    @property
    def colours(self) -> tuple[str, ...]:
        """The alarm colours standing ("red", "yellow", "blue"), most severe first."""
        seen: list[str] = []
        for alarm in self.alarms:
            if alarm.colour and alarm.colour not in seen:
                seen.append(alarm.colour)
        return tuple(seen)

    @property
    def summary(self) -> str:
        """One line for the console: "OK" or the alarms in words."""
        return "OK" if self.ok else "; ".join(alarm.value for alarm in self.alarms)

    @property
    def timing(self) -> str:
        """Where the span takes its clock from, in words."""
        if self.sync_source == 0:
            return "free run (internal clock)"
        if self.sync_source == self.spanno:
            return "recovered from this span's line"
        return f"recovered from span {self.sync_source}"


def status_from_info(info: structs.SpanInfo) -> SpanStatus:
    """Turn the raw ``dahdi_spaninfo`` into a :class:`SpanStatus`."""
    lc = info.lineconfig
    e1 = info.spantype.upper().startswith("E1") or bool(lc & (c.DAHDI_CONFIG_CCS
                                                              | c.DAHDI_CONFIG_HDB3
                                                              | c.DAHDI_CONFIG_CRC4))
    if e1:
        framing = "ccs" if lc & c.DAHDI_CONFIG_CCS else "cas"
        coding = "hdb3" if lc & c.DAHDI_CONFIG_HDB3 else "ami"
    else:
        framing = "esf" if lc & c.DAHDI_CONFIG_ESF else "d4" if lc & c.DAHDI_CONFIG_D4 else ""
        coding = "b8zs" if lc & c.DAHDI_CONFIG_B8ZS else "ami" if lc & c.DAHDI_CONFIG_AMI else ""
    return SpanStatus(
        spanno=info.spanno,
        name=info.name,
        description=info.desc,
        span_type=info.spantype,
        alarms=span_alarms(info.alarms),
        alarm_bits=info.alarms,
        bipolar_violations=info.bpvcount,
        crc4_errors=info.crc4count,
        ebit_errors=info.ebitcount,
        fas_errors=info.fascount,
        framing_errors=info.fecount,
        coding_violations=info.cvcount,
        bit_errors=info.becount,
        errored_seconds=info.errsec,
        irq_misses=info.irqmisses,
        sync_source=info.syncsrc,
        configured_channels=info.numchans,
        total_channels=info.totalchans,
        line_build_out=info.lboname,
        framing=framing,
        coding=coding,
        crc4=bool(lc & c.DAHDI_CONFIG_CRC4),
        rx_level=info.rxlevel,
    )


class SpanStatusReader:
    """The DAHDI control device, opened once, answering DAHDI_SPANSTAT per span."""

    def __init__(self, device: str = CTL_DEVICE) -> None:
        self.device = device
        try:
            self._fd: int | None = os.open(device, os.O_RDWR)
        except OSError as exc:
            hint = " (is the DAHDI driver loaded?)" if exc.errno == errno.ENOENT else ""
            raise SpanError(f"cannot open {device}: {exc.strerror}{hint}", exc.errno) from None

    def __str__(self) -> str:
        return f"DAHDI span status ({self.device})"

    def read(self, spanno: int) -> SpanStatus:
        """The status of span ``spanno`` (1-based, as in system.conf)."""
        if isinstance(spanno, bool) or not isinstance(spanno, int) or spanno < 1:
            raise SpanError(f"a span number is a whole number >= 1, got {spanno!r}")
        if self._fd is None:
            raise SpanError(f"{self} is closed")
        try:
            raw = fcntl.ioctl(self._fd, c.DAHDI_SPANSTAT, structs.pack_spaninfo_request(spanno))
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                raise SpanError(f"there is no span {spanno}", exc.errno) from None
            raise SpanError(
                f"DAHDI_SPANSTAT for span {spanno} failed: {exc.strerror}", exc.errno
            ) from None
        return status_from_info(structs.unpack_spaninfo(raw))

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> SpanStatusReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
