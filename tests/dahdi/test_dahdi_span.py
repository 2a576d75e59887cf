"""Span status through DAHDI_SPANSTAT: exact request bytes, alarms in words, counters."""

from __future__ import annotations

import struct

import pytest
from dahdi_fake import SPANSTAT, FakeDahdi, i32
from pytest_mock import MockerFixture

from hal.dahdi import constants as c
from hal.dahdi.alarms import SpanAlarm
from hal.dahdi.span import SpanError, SpanStatusReader


def spaninfo(spanno: int, alarms: int, **counters: int) -> bytes:
    buf = bytearray(314)
    struct.pack_into("=i", buf, 0, spanno)
    buf[4:12] = b"TE2/0/1\0"
    buf[24:49] = b"T2XXP (PCI) Card 0 Span 1"
    struct.pack_into("=i", buf, 64, alarms)
    fields = {"bpvcount": 76, "crc4count": 80, "ebitcount": 84, "fascount": 88,
              "fecount": 92, "cvcount": 96, "errsec": 108, "syncsrc": 116, "numchans": 120,
              "totalchans": 124, "lineconfig": 136}
    for name, value in counters.items():
        struct.pack_into("=i", buf, fields[name], value)
    buf[140:160] = b"0 db (CSU)/0-133 fee"
    buf[308:311] = b"E1\0"
    return bytes(buf)


@pytest.fixture
def driver(mocker: MockerFixture) -> FakeDahdi:
    fake = FakeDahdi({})
    fake.install(mocker)
    return fake


def test_spanstat_asks_for_the_span_by_number(driver: FakeDahdi) -> None:
    driver.spans[2] = spaninfo(2, 0, numchans=31, totalchans=31, syncsrc=2,
                               lineconfig=c.DAHDI_CONFIG_CCS | c.DAHDI_CONFIG_HDB3
                               | c.DAHDI_CONFIG_CRC4)
    with SpanStatusReader() as reader:
        status = reader.read(2)
    assert [(k.what, k.data) for k in driver.calls if k.what == "open"] == [
        ("open", b"/dev/dahdi/ctl")
    ]
    assert driver.ioctls() == [(SPANSTAT, i32(2) + bytes(310))]
    assert status.ok and status.summary == "OK" and status.colours == ()
    assert (status.framing, status.coding, status.crc4) == ("ccs", "hdb3", True)
    assert status.name == "TE2/0/1" and status.span_type == "E1"
    assert status.timing == "recovered from this span's line"


def test_red_and_yellow_alarms_read_in_plain_words(driver: FakeDahdi) -> None:
    bits = c.DAHDI_ALARM_RED | c.DAHDI_ALARM_LOS | c.DAHDI_ALARM_YELLOW
    driver.spans[1] = spaninfo(1, bits, bpvcount=17, crc4count=3, fascount=2, errsec=9)
    status = SpanStatusReader().read(1)
    assert status.alarms == (SpanAlarm.LOS, SpanAlarm.RAI)
    assert status.colours == ("red", "yellow")
    assert "loss of signal" in status.summary and "far end receives nothing" in status.summary
    assert (status.bipolar_violations, status.crc4_errors, status.fas_errors) == (17, 3, 2)
    assert status.errored_seconds == 9
    assert status.timing == "free run (internal clock)"


def test_blue_alarm_is_ais(driver: FakeDahdi) -> None:
    driver.spans[1] = spaninfo(1, c.DAHDI_ALARM_BLUE)
    status = SpanStatusReader().read(1)
    assert status.colours == ("blue",) and "AIS" in status.summary


def test_unknown_span_is_a_clear_error(driver: FakeDahdi) -> None:
    with pytest.raises(SpanError, match="there is no span 7"):
        SpanStatusReader().read(7)
    with pytest.raises(SpanError, match="whole number"):
        SpanStatusReader().read(0)
