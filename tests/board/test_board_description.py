"""Board description files: missing lines and bad keys are clear start-up errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_mock import MockerFixture

from hal.board import BoardError, load_board_file, open_board, sim_board
from hal.board.description import GpioLine, model_file
from hal.board.thermal import BoardTemperature

SIM = model_file("sim").read_text()


def test_the_bundled_sim_board_file_loads() -> None:
    desc = load_board_file(model_file("sim"))
    assert desc.model == "sim"
    assert desc.reset_button == GpioLine("sim-gpiochip0", "BTN_RESET", active_low=True)
    assert [name for name, _ in desc.port_leds][:2] == ["fxo1", "fxo2"]
    assert desc.watchdog_device is None


def test_a_missing_gpio_line_names_the_file_the_key_and_the_line(tmp_path: Path) -> None:
    board_file = tmp_path / "custom.toml"
    board_file.write_text(SIM.replace('"RELAY_BYPASS"', '"RELAY_TYPO"'))
    with pytest.raises(BoardError) as error:
        sim_board(board_file)
    message = str(error.value)
    assert str(board_file) in message and "relay.bypass" in message and "RELAY_TYPO" in message


def test_lines_opened_before_a_failure_are_released(tmp_path: Path) -> None:
    board_file = tmp_path / "custom.toml"
    board_file.write_text(SIM.replace('"BTN_RESET"', "99"))
    with pytest.raises(BoardError, match="button.reset.*99"):
        sim_board(board_file)


def test_periphery_errors_become_board_errors(tmp_path: Path, mocker: MockerFixture) -> None:
    board_file = tmp_path / "real.toml"
    board_file.write_text(SIM.replace("sim-gpiochip0", "/dev/gpiochip0"))
    gpio = mocker.patch(
        "hal.board.gpio.GPIO",
        side_effect=LookupError('Opening GPIO line: GPIO line "LED_STATUS" not found by name.'),
    )
    with pytest.raises(BoardError, match=r"real.toml: leds.status: .*LED_STATUS.*not found"):
        open_board(board_file)
    assert gpio.call_args.args == ("/dev/gpiochip0", "LED_STATUS", "low")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('line = "LED_STATUS"', "line = -1"), "leds.status: line must be an offset"),
        (("[relay]", "[relais]"), "relay: missing table"),
        (('model = "sim"', "model = 3"), "model: must be a non-empty string"),
        (("active_low = true", 'active_low = "yes"'), "button.reset: active_low"),
        (("[leds]", "[leds\n"), "not valid TOML"),
    ],
)
def test_bad_board_files_name_the_key(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    board_file = tmp_path / "bad.toml"
    board_file.write_text(SIM.replace(*edit, 1))
    with pytest.raises(BoardError, match=message):
        load_board_file(board_file)


def test_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(BoardError, match="known models: sim"):
        model_file("nope")


def test_temperature_reads_a_thermal_zone(tmp_path: Path) -> None:
    zone = tmp_path / "temp"
    zone.write_text("48250\n")
    assert BoardTemperature(str(zone)).read() == 48.25
    zone.write_text("hot\n")
    with pytest.raises(BoardError, match="millidegrees"):
        BoardTemperature(str(zone)).read()
    with pytest.raises(BoardError, match="cannot read"):
        BoardTemperature(str(tmp_path / "none")).read()
