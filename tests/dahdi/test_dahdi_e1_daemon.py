"""The daemon on a DAHDI card with an E1 span: analog ports, 30 B-channels and the D-channel."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest
from dahdi_fake import (
    FXOKS,
    FXSKS,
    GETEVENT,
    HARDHDLC,
    SET_BLOCKSIZE,
    SET_BUFINFO,
    SETLAW,
    SPANSTAT,
    SPECIFY,
    FakeDahdi,
    i32,
)
from pytest_mock import MockerFixture
from test_dahdi_span_card import spaninfo

from firmware.box import Box, open_card
from firmware.settings import SettingsError, parse_settings
from hal.clock import ManualClock
from hal.dahdi import constants as c
from hal.dahdi.combined import DahdiE1Card
from hal.interface import FRAME_SECONDS, PortKind
from hal.span import SpanAlarm, SpanAlarmChanged, SpanCard

CLEAR = 0x80  # DAHDI_SIG_CLEAR: a bchan channel
# Channel 1 an exchange line, 2 a phone; span 1 on channels 3-33, its D-channel on 18.
DCHAN = 18
BCHANS = [ch for ch in range(3, 34) if ch != DCHAN]
# Q.921 §3.3.3: SAPI 0, C/R 0 (a command from the user side), TEI 0; SABME with P = 1.
SABME = bytes([0x00, 0x01, 0x7F])
# The network side's answer: C/R 0 is a response from the network, F = 1.
UA = bytes([0x00, 0x01, 0x73])
FCS = b"\x00\x00"


@pytest.fixture
def driver(mocker: MockerFixture) -> FakeDahdi:
    assert c.DAHDI_SIG_CLEAR == CLEAR
    fake = FakeDahdi({1: FXSKS, 2: FXOKS, DCHAN: HARDHDLC, **dict.fromkeys(BCHANS, CLEAR)},
                     _next_fd=10_000)
    real_open, real_close = os.open, os.close
    fake.install(mocker)
    # Files other than DAHDI's devices (system.conf, the database) open as usual.
    mocker.patch("os.open", side_effect=lambda path, flags, mode=0o777: (
        fake.open(path, flags, mode) if str(path).startswith("/dev/dahdi/")
        else real_open(path, flags, mode)))
    mocker.patch("os.close", side_effect=lambda fd: (
        fake.close(fd) if fd in fake.fd_chan else real_close(fd)))
    fake.spans[1] = spaninfo(1)
    return fake


@pytest.fixture
def dahdi_cfg(mocker: MockerFixture) -> list[list[str]]:
    ran: list[list[str]] = []
    mocker.patch(
        "hal.dahdi.system_conf.subprocess.run",
        side_effect=lambda args, **kw: ran.append(args) or mocker.MagicMock(
            returncode=0, stdout="", stderr=""
        ),
    )
    return ran


def settings_for(tmp_path: Path, **span: object):
    return parse_settings(
        {
            "box": {"data_dir": "var"},
            "card": {
                "backend": "dahdi", "fxo_channels": [1], "fxs_channels": [2],
                "system_conf": str(tmp_path / "system.conf"),
                "spans": [{"span": 1, "first_channel": 3, **span}],
            },
        },
        tmp_path,
    )


def specified(driver: FakeDahdi) -> list[int]:
    return [int.from_bytes(data, "little") for request, data in driver.ioctls() if
            request == SPECIFY]


def test_e1_span_settings_write_system_conf_and_open_analog_b_and_d_channels(
    tmp_path, driver, dahdi_cfg
):
    card = open_card(settings_for(tmp_path), ManualClock())
    assert isinstance(card, DahdiE1Card) and isinstance(card, SpanCard)
    text = (tmp_path / "system.conf").read_text().splitlines()
    for line in ("fxsks=1", "fxoks=2", "span=1,1,0,ccs,hdb3,crc4", "bchan=3-17,19-33",
                 "hardhdlc=18"):
        assert line in text, line
    assert [args[1] for args in dahdi_cfg] == ["-t", "-c"]
    # Analog ports, then the span's D-channel, then its 30 B-channels in time-slot order.
    assert specified(driver) == [1, 2, DCHAN, *BCHANS]
    names = [p.name for p in card.ports]
    assert names[:2] == ["fxo1", "fxs1"] and len(names) == 32
    assert names[2:17] == [f"span1/b{ts}" for ts in range(1, 16)]
    assert names[17:] == [f"span1/b{ts}" for ts in range(17, 32)]
    assert {p.kind for p in card.ports[2:]} == {PortKind.E1B}
    assert card.channel_of(card.port_by_name("span1/b17").index) == 19
    b1 = driver.ioctls(3)
    assert (SET_BLOCKSIZE, i32(160)) in b1 and (SETLAW, i32(c.DAHDI_LAW_ALAW)) in b1
    assert driver.ioctls(DCHAN)[-1] == (SET_BUFINFO, i32(0, 0, 32, 1024, 0, 0))
    card.close()
    assert len(driver.closed) == 2 + 1 + 30 + 1  # analog, D, B, and the control device


def test_b_channel_audio_moves_row_for_row_and_a_missing_bchan_is_refused(
    tmp_path, driver, dahdi_cfg
):
    card = open_card(settings_for(tmp_path), ManualClock())
    row = card.port_by_name("span1/b31").index
    driver.rx[33].append(bytes([0x55]) * 160)
    rx = card.read_frames()
    assert rx.shape == (32, 160) and (rx[row] == 0x55).all()
    assert (rx[card.port_by_name("span1/b1").index] == 0xD5).all()  # A-law silence
    tx = np.full((32, 160), 0xD5, dtype=np.uint8)
    tx[card.port_by_name("span1/b17").index] = 0x2A
    driver.forget()
    card.write_frames(tx)
    assert driver.writes(19) == [bytes([0x2A]) * 160]
    assert driver.writes(3) == [bytes([0xD5]) * 160]
    card.close()

    driver.sigtypes[20] = FXOKS  # system.conf made channel 20 something else
    with pytest.raises(Exception, match="channel 20 .*span1/b18.* not a B-channel"):
        open_card(settings_for(tmp_path), ManualClock())


def test_a_span_alarm_event_on_a_b_channel_reports_the_span_alarm(tmp_path, driver, dahdi_cfg):
    clock = ManualClock()
    card = open_card(settings_for(tmp_path), clock)
    assert card.poll_events() == []  # read once at start: in service
    driver.spans[1] = spaninfo(1, c.DAHDI_ALARM_RED | c.DAHDI_ALARM_LOS)
    driver.events[3].append(c.DAHDI_EVENT_ALARM)
    card.read_frames()
    assert (GETEVENT, i32(0)) in driver.ioctls(3)
    [event] = card.poll_events()
    assert event == SpanAlarmChanged(1, frozenset({SpanAlarm.LOS}), clock.now())
    assert (SPANSTAT, i32(1) + bytes(c.SIZEOF_DAHDI_SPANINFO - 4)) in driver.ioctls()


def test_span_settings_errors_name_the_key(tmp_path):
    with pytest.raises(SettingsError, match=r"card.spans\[0\].first_channel: missing"):
        parse_settings({"card": {"backend": "dahdi", "spans": [{"span": 1}]}}, tmp_path)
    with pytest.raises(SettingsError, match=r"card.spans\[0\].framing: 'isdn' is not one of"):
        parse_settings({"card": {"backend": "dahdi", "spans": [
            {"span": 1, "first_channel": 1, "framing": "isdn"}]}}, tmp_path)
    with pytest.raises(SettingsError, match=r"card.spans\[0\].crc4: must be true or false"):
        parse_settings({"card": {"backend": "dahdi", "spans": [
            {"span": 1, "first_channel": 1, "crc4": "yes"}]}}, tmp_path)
    with pytest.raises(SettingsError, match=r"card.spans\[0\].role: unknown setting"):
        parse_settings({"card": {"backend": "dahdi", "spans": [
            {"span": 1, "first_channel": 1, "role": "te"}]}}, tmp_path)
    with pytest.raises(SettingsError, match="card.spans: span 1: channel 5 is already used"):
        parse_settings({"card": {"backend": "dahdi", "fxs_channels": [5], "spans": [
            {"span": 1, "first_channel": 1}]}}, tmp_path)
    with pytest.raises(SettingsError, match="card.spans: .* for the dahdi backend only"):
        parse_settings({"card": {"spans": [{"span": 1, "first_channel": 1}]}}, tmp_path)
    only_spans = parse_settings({"card": {"backend": "dahdi", "spans": [
        {"span": 2, "first_channel": 32, "crc4": False, "dchannel": "dchan"}]}}, tmp_path)
    [span] = only_spans.card.spans
    assert (span.timing, span.crc4, span.signalling_channel) == (2, False, 47)


async def box_on_the_span(tmp_path: Path, driver: FakeDahdi) -> dict:
    clock = ManualClock()
    settings = settings_for(tmp_path)
    card = open_card(settings, clock)
    # The hardware paces the ticks: here the manual clock stands in for DAHDI's timer.
    card.wait_tick = lambda: clock.advance(FRAME_SECONDS)  # type: ignore[method-assign]
    box = Box(settings, clock, card)
    await box.start(threaded=False)
    try:
        assert box.manager is not None
        span = box.manager.pri.spans[1]
        driver.forget()
        await box.run_for(0.2)
        sent = driver.writes(DCHAN)
        driver.rx[DCHAN].append(UA + FCS)
        await box.run_for(0.2)
        return {"sent": sent, "ports": len(span.ports), "link_up": span.link_up,
                "errors": box.runner.errors}
    finally:
        await box.stop()


def test_the_call_layer_brings_up_the_dchannel_through_the_hardhdlc_channel(
    tmp_path, driver, dahdi_cfg
):
    result = asyncio.run(box_on_the_span(tmp_path, driver))
    assert result["ports"] == 30
    # The user side asks for multiple-frame operation; DAHDI gets room for the FCS.
    assert result["sent"][0] == SABME + FCS
    assert result["link_up"] and result["errors"] == 0
