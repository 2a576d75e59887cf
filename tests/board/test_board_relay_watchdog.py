"""Bypass relay and hardware watchdog follow the daemon's health."""

from __future__ import annotations

import errno
import os

import pytest
from pytest_mock import MockerFixture

from hal.board import BoardError, Health, HealthMonitor, RelayState, sim_board
from hal.board.watchdog import DevWatchdog, HardwareWatchdog

HEALTHY = Health(True, True, True)
STALLED = Health(False, True, True)


def test_relay_starts_in_bypass_and_releases_once_healthy_for_a_while() -> None:
    board, gpio, _ = sim_board()
    relay_pin = gpio.outputs["relay.bypass"]
    assert board.relay.state is RelayState.BYPASS and relay_pin.history == [False]
    board.tick(0.0, HEALTHY)
    board.tick(2.0, HEALTHY)
    assert board.relay.state is RelayState.BYPASS
    board.tick(3.0, HEALTHY)
    assert board.relay.state is RelayState.THROUGH_BOX and relay_pin.active is True


def test_relay_engages_when_unhealthy_and_releases_when_healthy_again() -> None:
    board, gpio, _ = sim_board()
    for t in (0.0, 3.0):
        board.tick(t, HEALTHY)
    board.tick(4.0, STALLED)
    assert board.relay.state is RelayState.BYPASS
    assert gpio.outputs["relay.bypass"].active is False
    board.tick(5.0, HEALTHY)
    assert board.relay.state is RelayState.BYPASS  # not before it settles
    board.tick(8.0, HEALTHY)
    assert board.relay.state is RelayState.THROUGH_BOX
    assert gpio.outputs["relay.bypass"].history == [False, True, False, True]


def test_closing_the_board_drops_to_bypass_and_disarms() -> None:
    board, gpio, watchdog = sim_board()
    board.tick(0.0, HEALTHY)
    board.tick(3.0, HEALTHY)
    board.close()
    assert gpio.outputs["relay.bypass"].active is False
    assert watchdog.feeds[-1] == b"V" and watchdog.closed
    assert all(pin.closed for pin in gpio.outputs.values())


def test_health_monitor_sees_a_stalled_media_tick() -> None:
    monitor = HealthMonitor(lambda: True, media_stall=0.5, loop_stall=2.0)
    monitor.media_ticked(10.0)
    monitor.loop_alive(10.0)
    assert monitor.check(10.3).ok
    health = monitor.check(10.8)
    assert not health.ok and health.problems == ("media tick stalled",)


def test_health_monitor_sees_an_unwritable_database() -> None:
    def probe() -> bool:
        raise OSError("read-only file system")

    monitor = HealthMonitor(probe)
    monitor.media_ticked(1.0)
    monitor.loop_alive(1.0)
    assert monitor.check(1.0).problems == ("database not writable",)


def test_watchdog_is_fed_while_healthy_and_not_when_the_media_tick_stalls(
    mocker: MockerFixture,
) -> None:
    mocker.patch("os.open", return_value=7)
    write = mocker.patch("os.write", return_value=1)
    mocker.patch("os.close")
    monitor = HealthMonitor(lambda: True, media_stall=0.5)
    dog = HardwareWatchdog(DevWatchdog("/dev/watchdog"), interval=5.0)
    os.open.assert_called_once_with("/dev/watchdog", os.O_WRONLY)  # type: ignore[attr-defined]
    feeds = []
    for second in range(0, 30):
        now = float(second)
        monitor.loop_alive(now)
        if now < 12.0:  # the media thread hangs at 12 s
            monitor.media_ticked(now)
        feeds.append(dog.tick(now, monitor.check(now)))
    fed_at = [s for s, fed in enumerate(feeds) if fed]
    assert fed_at == [0, 5, 10]
    assert write.call_args_list == [mocker.call(7, b"\0")] * 3
    assert dog.last_health is not None and dog.last_health.problems == ("media tick stalled",)


def test_watchdog_magic_close_on_a_planned_stop(mocker: MockerFixture) -> None:
    mocker.patch("os.open", return_value=7)
    write = mocker.patch("os.write", return_value=1)
    close = mocker.patch("os.close")
    dog = HardwareWatchdog(DevWatchdog())
    dog.tick(0.0, HEALTHY)
    dog.close()
    assert write.call_args_list == [mocker.call(7, b"\0"), mocker.call(7, b"V")]
    close.assert_called_once_with(7)


def test_a_watchdog_held_by_someone_else_is_a_clear_error(mocker: MockerFixture) -> None:
    mocker.patch("os.open", side_effect=OSError(errno.EBUSY, "Device or resource busy"))
    with pytest.raises(BoardError, match="systemd"):
        DevWatchdog()
