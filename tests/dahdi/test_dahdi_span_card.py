"""DAHDI spans behind the HAL's SpanCard: exact ioctls, alarms mapped, frames, set-up changes."""

from __future__ import annotations

import struct

import pytest
from dahdi_fake import (
    GET_PARAMS,
    GETEVENT,
    HARDHDLC,
    SET_BUFINFO,
    SPANSTAT,
    SPECIFY,
    FakeDahdi,
    i32,
)
from pytest_mock import MockerFixture

from hal.dahdi import constants as c
from hal.dahdi import system_conf
from hal.dahdi.span_card import DahdiSpanCard
from hal.dahdi.system_conf import BoxLines, E1Span, SystemConfError
from hal.interface import PortKind
from hal.span import Framing, LineCode, SpanAlarm, SpanCard, SpanDescription, SpanError

SABME = bytes([0x00, 0x01, 0x7F])
UA = bytes([0x00, 0x01, 0x73])
# Span 1 (channels 1-31) is ISDN PRI with its D-channel on 16; span 2 (32-62) is CAS.
BOX = BoxLines(
    country="PL",
    spans=(
        E1Span(1, first_channel=1, timing=1),
        E1Span(2, first_channel=32, timing=2, framing=system_conf.Framing.CAS, crc4=False),
    ),
)
OPEN_DCHANNEL_16 = [
    (SPECIFY, i32(16)),
    (GET_PARAMS, bytes(c.SIZEOF_DAHDI_PARAMS)),
    (SET_BUFINFO, i32(0, 0, 32, 1024, 0, 0)),
]


def spaninfo(spanno: int, alarms: int = 0, *, syncsrc: int = 0, **counts: int) -> bytes:
    """A dahdi_spaninfo as DAHDI_SPANSTAT fills it in."""
    buf = bytearray(c.SIZEOF_DAHDI_SPANINFO)
    off = c.OFFSETS_DAHDI_SPANINFO
    struct.pack_into("=i", buf, off["spanno"], spanno)
    struct.pack_into("=i", buf, off["alarms"], alarms)
    struct.pack_into("=i", buf, off["syncsrc"], syncsrc)
    for name, value in counts.items():
        struct.pack_into("=i", buf, off[name], value)
    buf[off["spantype"] : off["spantype"] + 3] = b"E1\0"
    return bytes(buf)


@pytest.fixture
def driver(mocker: MockerFixture) -> FakeDahdi:
    fake = FakeDahdi({16: HARDHDLC, 47: HARDHDLC})
    fake.install(mocker)
    return fake


@pytest.fixture
def applied() -> list[BoxLines]:
    return []


@pytest.fixture
def card(driver: FakeDahdi, applied: list[BoxLines]) -> DahdiSpanCard:
    card = DahdiSpanCard(BOX, first_index=4, apply=applied.append)
    driver.forget()
    return card


def test_opening_reads_the_control_device_and_opens_only_ccs_dchannels(driver):
    card = DahdiSpanCard(BOX, apply=lambda box: None)
    assert isinstance(card, SpanCard)
    opened = [k.data for k in driver.calls if k.what == "open"]
    assert opened == [b"/dev/dahdi/ctl", b"/dev/dahdi/channel"]
    assert driver.ioctls() == OPEN_DCHANNEL_16  # span 2 is CAS: no D-channel to open
    assert [s.name for s in card.spans] == ["span1", "span2"]
    assert card.spans[1] == SpanDescription(2, Framing.CAS, False, LineCode.HDB3, 2, 0)


def test_b_channels_are_thirty_per_span_without_time_slot_16(card):
    ports = card.b_channels(2)
    assert len(ports) == 30 and all(p.kind is PortKind.E1B for p in ports)
    assert [p.name for p in ports[14:16]] == ["span2/b15", "span2/b17"]
    assert card.b_channels(1)[0].index == 4 and ports[0].index == 34
    assert card.b_channel(1, 31).name == "span1/b31"
    with pytest.raises(SpanError, match="no B-channel in time slot 16"):
        card.b_channel(1, 16)


def test_status_asks_dahdi_spanstat_for_the_span_and_maps_red_and_yellow(card, driver):
    bits = c.DAHDI_ALARM_RED | c.DAHDI_ALARM_LOS | c.DAHDI_ALARM_YELLOW
    driver.spans[1] = spaninfo(1, bits, bpvcount=17, crc4count=3)
    status = card.span_status(1)
    assert driver.ioctls() == [(SPANSTAT, i32(1) + bytes(c.SIZEOF_DAHDI_SPANINFO - 4))]
    assert status.alarms == {SpanAlarm.LOS, SpanAlarm.RAI}
    assert status.colours == ("red", "yellow")
    assert "loss of signal" in status.summary
    assert (status.counters.bpv, status.counters.crc_errors) == (17, 3)
    assert status.counters.slips is None  # DAHDI does not count slips: not a made-up 0
    assert not status.clock_source
    assert status.description == card.spans[0]


def test_a_red_alarm_without_a_reason_is_loss_of_frame_and_loopback_is_no_alarm(card, driver):
    driver.spans[1] = spaninfo(1, c.DAHDI_ALARM_RED)
    assert card.span_status(1).alarms == {SpanAlarm.LOF}
    driver.spans[1] = spaninfo(1, c.DAHDI_ALARM_RED | c.DAHDI_ALARM_LMFA)
    assert card.span_status(1).alarms == {SpanAlarm.LOF}
    driver.spans[1] = spaninfo(1, c.DAHDI_ALARM_BLUE)
    assert card.span_status(1).alarms == {SpanAlarm.AIS}
    driver.spans[1] = spaninfo(1, c.DAHDI_ALARM_LOOPBACK | c.DAHDI_ALARM_NOTOPEN)
    status = card.span_status(1)
    assert status.ok and status.summary == "in service: no alarm"


def test_clock_source_is_the_span_dahdi_syncs_to(card, driver):
    driver.spans[2] = spaninfo(2, syncsrc=2)
    assert card.span_status(2).clock_source
    driver.spans[2] = spaninfo(2, syncsrc=1)
    assert not card.span_status(2).clock_source


def test_unknown_spans_are_clear_errors(card, driver):
    with pytest.raises(SpanError, match="no span7 on this card; its spans: span1, span2"):
        card.span_status(7)
    with pytest.raises(SpanError, match="no span7"):
        card.read_dchannel(7)
    assert driver.ioctls() == []
    with pytest.raises(SpanError, match="span2: the status cannot be read: there is no span 2"):
        card.span_status(2)  # configured, but the driver does not know it


def test_dchannel_frames_are_read_without_fcs_and_bad_ones_counted(card, driver):
    driver.events[16].extend([c.DAHDI_EVENT_BADFCS, c.DAHDI_EVENT_ABORT])
    driver.rx[16].extend([SABME + b"\x12\x34", UA + b"\x56\x78"])
    assert card.read_dchannel(1) == [SABME, UA]
    assert driver.ioctls(16) == [(GETEVENT, i32(0))] * 3
    counters = card.dchannel_counters(1)
    assert (counters["frames in"], counters["bad fcs"], counters["aborted"]) == (2, 1, 1)


def test_dchannel_frames_are_written_with_room_for_the_fcs(card, driver):
    card.write_dchannel(1, SABME)
    assert driver.writes(16) == [SABME + b"\x00\x00"]
    with pytest.raises(SpanError, match="3 to 264 octets, got 2"):
        card.write_dchannel(1, b"\x00\x01")
    assert driver.writes(16) == [SABME + b"\x00\x00"]


def test_a_cas_span_has_no_dchannel(card, driver):
    assert card.read_dchannel(2) == []
    with pytest.raises(SpanError, match="span2 is CAS"):
        card.write_dchannel(2, SABME)
    assert driver.calls == []


def test_a_vanished_dchannel_puts_its_span_down_without_raising(card, driver):
    card.write_dchannel(1, SABME)
    driver.gone.add(16)
    assert card.read_dchannel(1) == []
    card.write_dchannel(1, SABME)  # dropped and counted, as a frame lost on the line
    assert card.read_dchannel(1) == []
    counters = card.dchannel_counters(1)
    assert counters["channel gone"] == 1 and counters["frames out"] == 1
    assert len(driver.closed) == 1


def test_an_unchanged_setup_is_not_applied_again(card, applied, driver):
    card.configure_span(card.spans[0])
    assert applied == [] and driver.calls == []


def test_a_line_setting_change_rewrites_system_conf_and_keeps_the_dchannel(card, applied, driver):
    card.configure_span(SpanDescription(1, Framing.CCS, False, LineCode.HDB3, 3, 0))
    [box] = applied
    text = system_conf.render(box)
    assert "span=1,3,0,ccs,hdb3\n" in text and "hardhdlc=16" in text
    assert "span=2,2,0,cas,hdb3\n" in text  # the other span as it was
    assert card.spans[0].clock_priority == 3 and not card.spans[0].crc4
    assert driver.calls == [] and driver.closed == []
    card.write_dchannel(1, SABME)
    assert driver.writes(16) == [SABME + b"\x00\x00"]


def test_a_framing_change_closes_and_opens_the_dchannel(card, applied, driver):
    card.configure_span(SpanDescription(1, Framing.CAS, True, LineCode.HDB3, 1, 0))
    assert "cas=1-15:1101" in system_conf.render(applied[-1])
    assert len(driver.closed) == 1 and driver.ioctls() == []
    assert card.read_dchannel(1) == []
    card.configure_span(SpanDescription(2, Framing.CCS, True, LineCode.HDB3, 2, 0))
    assert driver.ioctls() == [
        (SPECIFY, i32(47)),
        (GET_PARAMS, bytes(c.SIZEOF_DAHDI_PARAMS)),
        (SET_BUFINFO, i32(0, 0, 32, 1024, 0, 0)),
    ]
    card.write_dchannel(2, UA)
    assert driver.writes(47) == [UA + b"\x00\x00"]


def test_a_setup_dahdi_cfg_refuses_changes_nothing(driver):
    def refuse(box: BoxLines) -> None:
        raise SystemConfError("dahdi_cfg failed checking system.conf: bad span line")

    card = DahdiSpanCard(BOX, apply=refuse)
    before = list(card.spans)
    with pytest.raises(SpanError, match="span1 was not set up: dahdi_cfg failed"):
        card.configure_span(SpanDescription(1, Framing.CAS, True, LineCode.HDB3, 1, 0))
    assert list(card.spans) == before
    driver.forget()
    card.write_dchannel(1, SABME)  # the D-channel was opened again
    assert driver.writes(16) == [SABME + b"\x00\x00"]


def test_closing_closes_the_dchannels_and_the_control_device(driver):
    with DahdiSpanCard(BOX, apply=lambda box: None):
        pass
    assert sorted(driver.closed) == [40, 41]
