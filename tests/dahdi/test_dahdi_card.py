"""DahdiCard against a mocked driver: the exact ioctls, reads and writes for each action."""

from __future__ import annotations

import errno
import os
import select

import numpy as np
import pytest
from dahdi_fake import (
    ECHOCANCEL_PARAMS,
    FXOKS,
    FXSKS,
    GET_PARAMS,
    GETEVENT,
    HARDHDLC,
    HOOK,
    SET_BLOCKSIZE,
    SET_PARAMS,
    SETCADENCE,
    SETGAINS,
    SETLAW,
    SPECIFY,
    FakeDahdi,
    i32,
)
from pytest_mock import MockerFixture

from hal import g711
from hal.clock import ManualClock
from hal.dahdi import constants as c
from hal.dahdi.card import CARD_REMOVED, ChannelSetup, DahdiCard
from hal.dahdi.channel import DahdiError, HookCommand
from hal.interface import (
    AlarmChanged,
    HalError,
    HookChanged,
    Law,
    LoopCurrentDrop,
    PolarityReversed,
    PortKind,
    RingStarted,
    RingStopped,
)

IDENTITY = bytes(range(256))
RXFLASH_OFFSET = 112
FLASHTIME_OFFSET = 100


@pytest.fixture
def driver(mocker: MockerFixture) -> FakeDahdi:
    # Channels 1-2 are FXS modules (drive phones), 3-4 FXO modules (face lines), as a
    # TDM400 with two of each.
    fake = FakeDahdi({1: FXOKS, 2: FXOKS, 3: FXSKS, 4: FXSKS})
    fake.install(mocker)
    mocker.patch.object(select, "poll", return_value=mocker.MagicMock())
    return fake


@pytest.fixture
def card(driver: FakeDahdi) -> DahdiCard:
    made = DahdiCard(ManualClock(), [1, 2, 3, 4], law=Law.ALAW)
    driver.forget()
    return made


def frame(value: int) -> bytes:
    return bytes([value]) * 160


def test_ports_follow_dahdi_signalling_with_fxo_first(card: DahdiCard) -> None:
    names = [(p.name, card.channel_of(p.index)) for p in card.ports]
    assert names == [("fxo1", 3), ("fxo2", 4), ("fxs1", 1), ("fxs2", 2)]
    assert card.ports[0].kind is PortKind.FXO and card.ports[2].kind is PortKind.FXS


def test_opening_an_fxo_port_issues_exact_ioctls(driver: FakeDahdi) -> None:
    DahdiCard(ManualClock(), [ChannelSetup(3, echo_canceller=True)], law=Law.ALAW)
    opens = [k for k in driver.calls if k.what == "open"]
    assert [(k.data, k.request) for k in opens] == [
        (b"/dev/dahdi/channel", os.O_RDWR | os.O_NONBLOCK)
    ]
    assert driver.ioctls() == [
        (SPECIFY, i32(3)),
        (GET_PARAMS, bytes(136)),
        (SET_BLOCKSIZE, i32(160)),
        (SETLAW, i32(2)),
        (ECHOCANCEL_PARAMS, i32(128, 0)),
        (SETGAINS, i32(0) + IDENTITY + IDENTITY),
    ]


def test_opening_an_fxs_port_asks_for_raw_hook_reporting(driver: FakeDahdi) -> None:
    DahdiCard(ManualClock(), [ChannelSetup(1, echo_canceller=False)], law=Law.ULAW)
    calls = driver.ioctls()
    assert calls[:3] == [(SPECIFY, i32(1)), (GET_PARAMS, bytes(136)), (SET_BLOCKSIZE, i32(160))]
    assert calls[3] == (SETLAW, i32(1))
    request, raw = calls[4]
    expected = bytearray(driver.params_bytes(1))
    expected[RXFLASH_OFFSET : RXFLASH_OFFSET + 4] = i32(10)
    assert (request, raw) == (SET_PARAMS, bytes(expected))
    assert calls[5] == (ECHOCANCEL_PARAMS, i32(0, 0))


def test_seize_release_flash_and_wink_drive_dahdi_hook(card: DahdiCard, driver: FakeDahdi) -> None:
    card.set_hook(0, True)
    card.set_hook(0, False)
    assert driver.ioctls(3) == [(HOOK, i32(1)), (HOOK, i32(0))]
    driver.forget()
    driver.hook_errors[3] = errno.EINPROGRESS  # non-blocking: the flash has started
    card.flash(0, 0.25)
    params = bytearray(driver.params_bytes(3))
    params[FLASHTIME_OFFSET : FLASHTIME_OFFSET + 4] = i32(250)
    assert driver.ioctls(3) == [(SET_PARAMS, bytes(params)), (HOOK, i32(3))]
    driver.forget()
    card.flash(0, 0.25)  # flashtime already 250 ms: no new SET_PARAMS
    card.hook(0, HookCommand.WINK)
    assert driver.ioctls(3) == [(HOOK, i32(3)), (HOOK, i32(2))]


def test_ringing_a_phone_sets_the_cadence_then_rings(card: DahdiCard, driver: FakeDahdi) -> None:
    driver.hook_errors[1] = errno.EINPROGRESS
    card.start_ring(2, (1.0, 4.0))
    del driver.hook_errors[1]
    card.stop_ring(2)
    assert driver.ioctls(1) == [
        (SETCADENCE, i32(1000, 4000, *([0] * 14))),
        (HOOK, i32(5)),
        (HOOK, i32(6)),
    ]


def test_ringing_an_off_hook_phone_is_a_clear_error(card: DahdiCard, driver: FakeDahdi) -> None:
    driver.hook_errors[1] = errno.EBUSY
    with pytest.raises(HalError, match="busy"):
        card.start_ring(2, (1.0, 4.0))


def test_controls_of_the_wrong_kind_are_refused(card: DahdiCard, driver: FakeDahdi) -> None:
    with pytest.raises(HalError, match="fxs1 is fxs, not fxo"):
        card.set_hook(2, True)
    with pytest.raises(HalError, match="cadence"):
        card.start_ring(2, (1.0,))
    with pytest.raises(HalError, match="flash"):
        card.flash(0, 5.0)
    assert driver.ioctls() == []


def test_gains_are_sent_as_dahdi_gain_tables(card: DahdiCard, driver: FakeDahdi) -> None:
    card.set_gains(0, 6.0, -6.0)
    [(request, raw)] = driver.ioctls(3)
    assert request == SETGAINS and len(raw) == 516 and raw[:4] == i32(0)
    rx = np.frombuffer(raw[4:260], dtype=np.uint8)
    tx = np.frombuffer(raw[260:516], dtype=np.uint8)
    code = g711.encode(np.array([1000], dtype=np.int16), Law.ALAW)
    louder = int(g711.decode(rx[code], Law.ALAW)[0])
    softer = int(g711.decode(tx[code], Law.ALAW)[0])
    level = int(g711.decode(code, Law.ALAW)[0])
    assert louder == pytest.approx(level * 1.995, rel=0.04)
    assert softer == pytest.approx(level / 1.995, rel=0.04)


def test_echo_canceller_on_and_off(card: DahdiCard, driver: FakeDahdi) -> None:
    card.set_echo_canceller(1, False)
    card.set_echo_canceller(1, True, taps=256)
    assert driver.ioctls(4) == [(ECHOCANCEL_PARAMS, i32(0, 0)), (ECHOCANCEL_PARAMS, i32(256, 0))]


def test_frames_are_read_and_written_per_channel(card: DahdiCard, driver: FakeDahdi) -> None:
    for chan, value in ((1, 0x11), (2, 0x22), (3, 0x33), (4, 0x44)):
        driver.rx[chan].append(frame(value))
    rx = card.read_frames()
    assert rx.shape == (4, 160) and rx.dtype == np.uint8
    assert rx[:, 0].tolist() == [0x33, 0x44, 0x11, 0x22]
    assert [k.request for k in driver.calls if k.what == "read"] == [160] * 4
    tx = np.arange(4 * 160, dtype=np.uint32).reshape(4, 160).astype(np.uint8)
    card.write_frames(tx)
    assert driver.writes(3) == [tx[0].tobytes()]
    assert driver.writes(1) == [tx[2].tobytes()]


def test_no_block_ready_gives_silence_and_counts(card: DahdiCard, driver: FakeDahdi) -> None:
    rx = card.read_frames()
    assert (rx == g711.SILENCE[Law.ALAW]).all()
    assert card.counters["rx underruns"] == 4


def test_a_pending_event_is_read_before_the_audio(card: DahdiCard, driver: FakeDahdi) -> None:
    driver.events[3].append(c.DAHDI_EVENT_RINGBEGIN)
    driver.rx[3].append(frame(0x5A))
    rx = card.read_frames()
    assert rx[0, 0] == 0x5A
    assert [k.what for k in driver.calls if k.chan == 3] == ["read", "ioctl", "ioctl", "read"]
    assert driver.ioctls(3) == [(GETEVENT, i32(0)), (GETEVENT, i32(0))]
    assert card.poll_events() == [RingStarted(0, 0.0)]


def test_fxo_line_events_map_to_hal_events(card: DahdiCard, driver: FakeDahdi) -> None:
    driver.events[3].extend([
        c.DAHDI_EVENT_RINGBEGIN, c.DAHDI_EVENT_RINGOFFHOOK, c.DAHDI_EVENT_POLARITY,
        c.DAHDI_EVENT_ONHOOK, c.DAHDI_EVENT_HOOKCOMPLETE,
    ])
    assert card.poll_events() == [
        RingStarted(0, 0.0), RingStopped(0, 0.0), PolarityReversed(0, 0.0), LoopCurrentDrop(0, 0.0)
    ]
    assert card.counters["event hookcomplete"] == 1


def test_phone_hook_events_map_to_hook_changes(card: DahdiCard, driver: FakeDahdi) -> None:
    clock = card.clock
    assert isinstance(clock, ManualClock)
    driver.events[2].append(c.DAHDI_EVENT_RINGOFFHOOK)
    clock.advance(0.5)
    first = card.poll_events()
    driver.events[2].append(c.DAHDI_EVENT_ONHOOK)
    clock.advance(0.3)
    assert first + card.poll_events() == [HookChanged(3, True, 0.5), HookChanged(3, False, 0.8)]


def test_alarm_reads_the_channel_alarm_in_words(card: DahdiCard, driver: FakeDahdi) -> None:
    driver.alarms[4] = c.DAHDI_ALARM_RED
    driver.events[4].append(c.DAHDI_EVENT_ALARM)
    [event] = card.poll_events()
    assert isinstance(event, AlarmChanged) and event.port == 1
    assert event.alarm is not None and "no battery" in event.alarm
    assert (GET_PARAMS, bytes(136)) in driver.ioctls(4)
    driver.events[4].append(c.DAHDI_EVENT_NOALARM)
    assert card.poll_events() == [AlarmChanged(1, None, 0.0)]


def test_pulled_card_marks_its_port_down_and_the_rest_work(
    card: DahdiCard, driver: FakeDahdi
) -> None:
    driver.gone.add(3)
    driver.rx[4].append(frame(0x44))
    rx = card.read_frames()
    assert rx[0, 0] == g711.SILENCE[Law.ALAW] and rx[1, 0] == 0x44
    assert card.poll_events() == [AlarmChanged(0, CARD_REMOVED, 0.0)]
    assert card.down_reason(0) == CARD_REMOVED and card.down_reason(1) is None
    driver.forget()
    card.write_frames(np.zeros((4, 160), dtype=np.uint8))
    card.read_frames()
    assert not [k for k in driver.calls if k.chan == 3]
    assert len(driver.writes(4)) == 1
    with pytest.raises(HalError, match="fxo1 is down: card removed"):
        card.set_hook(0, True)
    card.set_hook(1, True)
    assert driver.ioctls(4)[-1] == (HOOK, i32(1))


def test_removed_event_or_failed_ioctl_also_marks_down(card: DahdiCard, driver: FakeDahdi) -> None:
    driver.events[1].append(c.DAHDI_EVENT_REMOVED)
    assert card.poll_events() == [AlarmChanged(2, CARD_REMOVED, 0.0)]
    driver.gone.add(2)
    with pytest.raises(HalError, match="fxs2 is down"):
        card.stop_ring(3)
    assert card.poll_events() == [AlarmChanged(3, CARD_REMOVED, 0.0)]


def test_wait_tick_polls_every_channel_for_audio_or_events(
    mocker: MockerFixture, driver: FakeDahdi
) -> None:
    clock = ManualClock(start=12.5)
    made = DahdiCard(clock, [1, 3])
    poller = select.poll.return_value  # type: ignore[attr-defined]
    fds = [call.args for call in poller.register.call_args_list]
    assert fds == [(41, select.POLLIN | select.POLLPRI), (40, select.POLLIN | select.POLLPRI)]
    assert made.wait_tick() == 12.5
    poller.poll.assert_called_once_with(40)


def test_a_channel_that_is_not_analog_is_refused(driver: FakeDahdi) -> None:
    driver.sigtypes[5] = HARDHDLC
    with pytest.raises(DahdiError, match="channel 5 is hardware HDLC.*system.conf"):
        DahdiCard(ManualClock(), [3, 5])
    assert sorted(driver.closed) == [40, 41]


def test_a_missing_channel_is_a_clear_error(driver: FakeDahdi) -> None:
    with pytest.raises(DahdiError, match="there is no DAHDI channel 9"):
        DahdiCard(ManualClock(), [9])


def test_missing_driver_is_a_clear_error(mocker: MockerFixture) -> None:
    mocker.patch("os.open", side_effect=FileNotFoundError(errno.ENOENT, "No such file"))
    with pytest.raises(DahdiError, match="DAHDI driver loaded"):
        DahdiCard(ManualClock(), [1])


def test_ringing_without_a_tone_zone_says_what_is_missing(
    card: DahdiCard, driver: FakeDahdi
) -> None:
    driver.hook_errors[2] = errno.ENODATA
    with pytest.raises(HalError, match="no tone zone loaded"):
        card.start_ring(3, (1.0, 4.0))
