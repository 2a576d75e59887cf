"""The reset button: debounce from edge timestamps, short press and 10 s hold."""

from __future__ import annotations

from hal.board import ButtonAction, Health, StatusPattern, sim_board
from hal.board.button import ButtonPhase, ResetButton
from hal.board.gpio import Edge

HEALTHY = Health(True, True, True)


def test_short_press_asks_to_show_the_ip() -> None:
    button = ResetButton()
    assert button.feed([Edge(True, 1.0)], 1.01) == []
    assert button.feed([], 1.2) == []
    assert button.feed([Edge(False, 1.3)], 1.4) == [ButtonAction.SHOW_IP]


def test_contact_bounce_is_one_press() -> None:
    button = ResetButton(debounce=0.03)
    bounces = [Edge(True, 1.000), Edge(False, 1.002), Edge(True, 1.004), Edge(False, 1.007),
               Edge(True, 1.009)]
    assert button.feed(bounces, 1.02) == []
    assert button.feed([], 1.05) == []
    assert button.phase(1.05) is ButtonPhase.PRESSED
    release = [Edge(False, 1.5), Edge(True, 1.501), Edge(False, 1.503)]
    assert button.feed(release, 1.6) == [ButtonAction.SHOW_IP]
    assert button.feed([], 3.0) == []


def test_a_glitch_shorter_than_the_debounce_is_ignored() -> None:
    button = ResetButton(debounce=0.03)
    assert button.feed([Edge(True, 1.0), Edge(False, 1.01)], 2.0) == []
    assert button.phase(2.0) is ButtonPhase.RELEASED


def test_holding_ten_seconds_asks_for_factory_reset_once() -> None:
    button = ResetButton()
    button.feed([Edge(True, 5.0)], 5.1)
    assert button.feed([], 9.0) == []
    assert button.phase(9.0) is ButtonPhase.ARMED
    assert button.feed([], 14.99) == []
    assert button.feed([], 15.0) == [ButtonAction.FACTORY_RESET]
    assert button.feed([], 16.0) == []
    assert button.feed([Edge(False, 17.0)], 17.1) == []


def test_letting_go_between_short_and_hold_cancels() -> None:
    button = ResetButton()
    button.feed([Edge(True, 0.0)], 0.1)
    assert button.feed([Edge(False, 5.0)], 5.1) == []


def test_board_led_confirms_show_ip_and_factory_reset() -> None:
    board, gpio, _ = sim_board()
    pin = gpio.inputs["button.reset"]
    board.status_led.set(StatusPattern.OFF, 0.0)
    pin.set(True, 1.0)
    board.tick(1.05, HEALTHY)
    pin.set(False, 1.4)
    assert board.tick(1.45, HEALTHY) == [ButtonAction.SHOW_IP]
    led = gpio.outputs["leds.status"]
    assert led.active is True  # SHOW_IP blinking starts lit
    board.tick(1.62, HEALTHY)
    assert led.active is False
    board.tick(5.0, HEALTHY)
    assert led.active is False  # overlay over, status OFF again
    pin.set(True, 10.0)
    board.tick(10.1, HEALTHY)
    board.tick(13.0, HEALTHY)  # armed: fast blink
    history = len(led.history)
    board.tick(13.05, HEALTHY)
    assert len(led.history) == history + 1
    assert board.tick(20.0, HEALTHY) == [ButtonAction.FACTORY_RESET]
    assert [board.tick(t, HEALTHY) for t in (21.0, 24.9)] == [[], []]
    assert led.active is True
