"""The board as one object: status and port LEDs, reset button, bypass relay, watchdog,
temperature, opened from a board description file.

The daemon calls :meth:`Board.tick` a few times a second from its event loop with
the time and the health verdict, and acts on the button actions it returns
(print the IP address on the console, start a factory reset). No threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from hal.board.button import ButtonAction, ButtonPhase, ResetButton
from hal.board.description import (
    BoardDescription,
    BoardError,
    GpioLine,
    load_board_file,
    model_file,
)
from hal.board.gpio import (
    GpioBackend,
    GpioUnavailable,
    InputPin,
    OutputPin,
    PeripheryGpio,
    SimGpio,
)
from hal.board.health import Health
from hal.board.led import BlinkingLed, PortLeds, StatusLed, StatusPattern
from hal.board.relay import BypassRelay
from hal.board.thermal import BoardTemperature, SimTemperature
from hal.board.watchdog import DevWatchdog, HardwareWatchdog, SimWatchdog, WatchdogDevice

# How long the LED answers a short press, and confirms a factory reset.
SHOW_IP_SECONDS = 3.0
FACTORY_RESET_SECONDS = 5.0

# The lines the sim board's GPIO chip has (those of hal/board/models/sim.toml).
SIM_CHIPS: dict[str, set[int | str]] = {
    "sim-gpiochip0": {
        "LED_STATUS", "LED_FXO1", "LED_FXO2", "LED_FXS1", "LED_FXS2", "LED_FXS3", "LED_FXS4",
        "BTN_RESET", "RELAY_BYPASS",
    }
}


class TemperatureSensor(Protocol):
    def read(self) -> float: ...


class Board:
    """Everything on the board but the line card, opened from ``description``.

    A line that cannot be opened raises :class:`BoardError` naming the board file,
    the key and the line; whatever was opened before is closed again.
    """

    def __init__(
        self,
        description: BoardDescription,
        gpio: GpioBackend,
        *,
        watchdog: WatchdogDevice | None = None,
        temperature: TemperatureSensor | None = None,
        watchdog_interval: float = 5.0,
    ) -> None:
        self.description = description
        self._opened: list[OutputPin | InputPin] = []
        try:
            self.status_led = StatusLed(
                self._output(gpio, "leds.status", description.status_led), "status"
            )
            self.port_leds = PortLeds([
                BlinkingLed(self._output(gpio, f"leds.ports.{name}", line), name)
                for name, line in description.port_leds
            ])
            self._button_pin = self._input(gpio, "button.reset", description.reset_button)
            self.relay = BypassRelay(
                self._output(gpio, "relay.bypass", description.bypass_relay)
            )
        except BoardError:
            self._close_pins()
            raise
        self.button = ResetButton()
        self.watchdog = (
            HardwareWatchdog(watchdog, interval=watchdog_interval) if watchdog else None
        )
        self.temperature = temperature
        self.status_led.set(StatusPattern.BOOTING, 0.0)

    def __str__(self) -> str:
        return f"Board({self.description.model}, {self.description.source})"

    def _fail(self, key: str, line: GpioLine, reason: str) -> BoardError:
        return BoardError(
            f"{self.description.source}: {key}: cannot open GPIO {line}: {reason}"
        )

    def _output(self, gpio: GpioBackend, key: str, line: GpioLine) -> OutputPin:
        try:
            pin = gpio.output(line, key)
        except GpioUnavailable as exc:
            raise self._fail(key, line, str(exc)) from None
        self._opened.append(pin)
        return pin

    def _input(self, gpio: GpioBackend, key: str, line: GpioLine) -> InputPin:
        try:
            pin = gpio.input(line, key)
        except GpioUnavailable as exc:
            raise self._fail(key, line, str(exc)) from None
        self._opened.append(pin)
        return pin

    @property
    def button_fd(self) -> int | None:
        """The reset button's file descriptor, for asyncio's add_reader (None in the sim)."""
        return self._button_pin.fd

    def tick(self, now: float, health: Health) -> list[ButtonAction]:
        """One board step: button, relay, watchdog and LEDs at time ``now``."""
        actions = self.button.feed(self._button_pin.edges(), now)
        self.relay.update(health.ok, now)
        if self.watchdog is not None:
            self.watchdog.tick(now, health)
        if ButtonAction.SHOW_IP in actions:
            self.status_led.overlay(StatusPattern.SHOW_IP.value, now, SHOW_IP_SECONDS)
        if ButtonAction.FACTORY_RESET in actions:
            self.status_led.overlay(
                StatusPattern.FACTORY_RESET.value, now, FACTORY_RESET_SECONDS
            )
        elif self.button.phase(now) is ButtonPhase.ARMED:
            # Refreshed every tick while held; ends shortly after the button is let go.
            self.status_led.overlay(StatusPattern.RESET_ARMED.value, now, 0.3)
        self.status_led.tick(now)
        self.port_leds.tick(now)
        return actions

    def read_temperature(self) -> float | None:
        """Board temperature in °C, or None on a board without a sensor."""
        return self.temperature.read() if self.temperature is not None else None

    def close(self, *, disarm_watchdog: bool = True) -> None:
        """Put the relay in bypass, disarm the watchdog (planned stop) and release lines."""
        self.relay.bypass_now()
        if self.watchdog is not None:
            self.watchdog.close(disarm=disarm_watchdog)
        self._close_pins()

    def _close_pins(self) -> None:
        for pin in self._opened:
            pin.close()
        self._opened.clear()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_board(path: str | Path | None = None, *, model: str | None = None) -> Board:
    """The real board: GPIO through python-periphery, /dev/watchdog, sysfs thermal zone.

    Give the board file ``path``, or the ``model`` of a bundled one.
    """
    if path is None:
        if model is None:
            raise BoardError("open_board needs a board file path or a model name")
        path = model_file(model)
    description = load_board_file(path)
    watchdog = (
        DevWatchdog(description.watchdog_device) if description.watchdog_device else None
    )
    temperature = (
        BoardTemperature(description.temperature_path) if description.temperature_path else None
    )
    try:
        return Board(description, PeripheryGpio(), watchdog=watchdog, temperature=temperature)
    except BoardError:
        if watchdog is not None:
            # Never armed by a feed; disarm so a failed start-up does not reset the box.
            HardwareWatchdog(watchdog).close(disarm=True)
        raise


def sim_board(path: str | Path | None = None) -> tuple[Board, SimGpio, SimWatchdog]:
    """The sim board (bundled ``sim`` model unless ``path`` is given) on in-memory GPIO.

    Returns the board with its GPIO and watchdog twins, for tests and the demo to
    press the button, read LEDs and the relay, and see watchdog feeds.
    """
    description = load_board_file(path if path is not None else model_file("sim"))
    gpio = SimGpio({chip: set(lines) for chip, lines in SIM_CHIPS.items()})
    watchdog = SimWatchdog()
    board = Board(description, gpio, watchdog=watchdog, temperature=SimTemperature())
    return board, gpio, watchdog
