"""The HDLC D-channel: whole frames in and out, FCS octets handled, bad frames counted."""

from __future__ import annotations

import pytest
from dahdi_fake import (
    FXSKS,
    GET_PARAMS,
    GETEVENT,
    HARDHDLC,
    SET_BUFINFO,
    SPECIFY,
    FakeDahdi,
    i32,
)
from pytest_mock import MockerFixture

from hal.dahdi import constants as c
from hal.dahdi.channel import DahdiError
from hal.dahdi.dchannel import DChannel

SABME = bytes([0x00, 0x01, 0x7F])


@pytest.fixture
def driver(mocker: MockerFixture) -> FakeDahdi:
    fake = FakeDahdi({20: HARDHDLC, 1: FXSKS})
    fake.install(mocker)
    return fake


def test_opening_the_dchannel_sets_hdlc_buffers(driver: FakeDahdi) -> None:
    DChannel(20)
    assert driver.ioctls() == [
        (SPECIFY, i32(20)),
        (GET_PARAMS, bytes(136)),
        (SET_BUFINFO, i32(0, 0, 32, 1024, 0, 0)),
    ]


def test_a_frame_is_read_without_its_fcs(driver: FakeDahdi) -> None:
    dch = DChannel(20)
    driver.rx[20].append(SABME + b"\x12\x34")
    assert dch.read_frame() == SABME
    assert dch.read_frame() is None
    assert [k.request for k in driver.calls if k.what == "read"] == [1024, 1024]
    assert dch.counters["frames in"] == 1


def test_a_frame_is_written_with_room_for_the_fcs(driver: FakeDahdi) -> None:
    dch = DChannel(20)
    assert dch.write_frame(SABME)
    assert driver.writes(20) == [SABME + b"\x00\x00"]


def test_bad_fcs_and_aborted_frames_are_dropped_and_counted(driver: FakeDahdi) -> None:
    dch = DChannel(20)
    driver.events[20].extend([c.DAHDI_EVENT_BADFCS, c.DAHDI_EVENT_ABORT])
    driver.rx[20].append(SABME + b"\xaa\xbb")
    assert dch.read_frames() == [SABME]
    assert dch.counters["bad fcs"] == 1 and dch.counters["aborted"] == 1
    assert driver.ioctls(20)[-3:] == [(GETEVENT, i32(0))] * 3


def test_a_frame_too_short_for_lapd_is_dropped(driver: FakeDahdi) -> None:
    dch = DChannel(20)
    driver.rx[20].extend([b"\x00\x01\x12\x34", SABME + b"\x00\x00"])
    assert dch.read_frames() == [SABME]
    assert dch.counters["too short"] == 1


def test_alarm_events_on_the_dchannel_are_tracked(driver: FakeDahdi) -> None:
    dch = DChannel(20)
    driver.events[20].append(c.DAHDI_EVENT_ALARM)
    assert dch.read_frame() is None and dch.alarm
    driver.events[20].append(c.DAHDI_EVENT_NOALARM)
    assert dch.write_frame(SABME) and not dch.alarm


def test_frames_of_wrong_size_are_refused(driver: FakeDahdi) -> None:
    dch = DChannel(20)
    with pytest.raises(DahdiError, match="3 to 264 octets, got 2"):
        dch.write_frame(b"\x00\x01")
    with pytest.raises(DahdiError, match="got 265"):
        dch.write_frame(bytes(265))
    assert driver.writes(20) == []


def test_an_analog_channel_is_not_a_dchannel(driver: FakeDahdi) -> None:
    with pytest.raises(DahdiError, match="not a D-channel.*hardhdlc"):
        DChannel(1)
    assert driver.closed
