"""Status and port LED patterns as timed on/off sequences on the injected clock."""

from __future__ import annotations

import pytest

from hal.board import StatusPattern, sim_board
from hal.board.description import GpioLine
from hal.board.gpio import SimOutput
from hal.board.led import BlinkingLed, LedError, Pattern, PortPattern

LINE = GpioLine("sim-gpiochip0", "LED_STATUS")


def levels(led: BlinkingLed, times: list[float]) -> list[bool]:
    return [led.tick(t) for t in times]


def test_booting_blinks_half_a_second_on_half_off() -> None:
    pin = SimOutput(LINE)
    led = BlinkingLed(pin, "status")
    led.show(StatusPattern.BOOTING.value, 10.0)
    assert levels(led, [10.0, 10.49, 10.5, 10.99, 11.0, 11.6]) == [
        True, True, False, False, True, False
    ]
    assert pin.history == [False, True, False, True, False]


def test_line_alarm_is_a_double_blink_per_two_seconds() -> None:
    led = BlinkingLed(SimOutput(LINE), "status")
    led.show(StatusPattern.LINE_ALARM.value, 0.0)
    samples = [i * 0.1 for i in range(20)]
    lit = [t for t, on in zip(samples, levels(led, samples), strict=True) if on]
    assert lit == pytest.approx([0.0, 0.1, 0.4, 0.5])
    assert led.tick(2.05) is True


def test_running_is_lit_with_a_heartbeat_gap() -> None:
    led = BlinkingLed(SimOutput(LINE), "status")
    led.show(StatusPattern.RUNNING.value, 0.0)
    assert levels(led, [0.0, 2.8, 2.95, 3.0, 5.95]) == [True, True, False, True, False]


def test_updating_and_fault_differ_from_each_other() -> None:
    times = [i * 0.05 for i in range(40)]
    seen = {}
    for pattern in (StatusPattern.UPDATING, StatusPattern.FAULT, StatusPattern.BOOTING):
        led = BlinkingLed(SimOutput(LINE), "status")
        led.show(pattern.value, 0.0)
        seen[pattern] = tuple(levels(led, times))
    assert len(set(seen.values())) == 3


def test_showing_the_same_pattern_again_keeps_its_phase() -> None:
    led = BlinkingLed(SimOutput(LINE), "status")
    led.show(StatusPattern.BOOTING.value, 0.0)
    led.show(StatusPattern.BOOTING.value, 0.7)
    assert led.tick(0.7) is False


def test_an_overlay_ends_and_the_status_comes_back() -> None:
    led = BlinkingLed(SimOutput(LINE), "status")
    led.show(StatusPattern.OFF.value, 0.0)
    led.overlay(StatusPattern.FACTORY_RESET.value, 1.0, 5.0)
    assert levels(led, [1.0, 5.9, 6.0]) == [True, True, False]


def test_port_leds_show_idle_ringing_in_use() -> None:
    board, gpio, _ = sim_board()
    board.port_leds.set("fxs1", PortPattern.RINGING, 0.0)
    board.port_leds.set("fxo1", PortPattern.IN_USE, 0.0)
    board.port_leds.set("no-such-port", PortPattern.IN_USE, 0.0)
    board.port_leds.tick(0.3)
    assert gpio.outputs["leds.ports.fxs1"].active is False
    assert gpio.outputs["leds.ports.fxo1"].active is True
    assert gpio.outputs["leds.ports.fxs2"].active is False
    board.port_leds.tick(0.55)
    assert gpio.outputs["leds.ports.fxs1"].active is True


def test_a_pattern_with_a_zero_step_is_refused() -> None:
    with pytest.raises(LedError):
        Pattern((0.5, 0.0))
