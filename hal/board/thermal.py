"""Board temperature from a sysfs thermal zone (millidegrees Celsius in a text file)."""

from __future__ import annotations

from pathlib import Path

from hal.board.description import BoardError

DEFAULT_ZONE = "/sys/class/thermal/thermal_zone0/temp"


class BoardTemperature:
    """Reads one thermal zone; ``read()`` gives degrees Celsius."""

    def __init__(self, path: str = DEFAULT_ZONE) -> None:
        self.path = Path(path)

    def __str__(self) -> str:
        return f"temperature ({self.path})"

    def read(self) -> float:
        try:
            text = self.path.read_text().strip()
        except OSError as exc:
            raise BoardError(
                f"cannot read the temperature from {self.path}: {exc.strerror}"
            ) from None
        try:
            return int(text) / 1000.0
        except ValueError:
            raise BoardError(
                f"{self.path} holds {text!r}, not a temperature in millidegrees"
            ) from None


class SimTemperature:
    """The sim board's sensor: reads whatever a test or the demo set."""

    def __init__(self, celsius: float = 45.0) -> None:
        self.celsius = celsius

    def __str__(self) -> str:
        return "temperature (sim)"

    def read(self) -> float:
        return self.celsius
