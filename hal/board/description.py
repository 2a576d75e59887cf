"""Board description files: which GPIO line is which LED, button and relay, per board model.

One TOML file per board model (``hal/board/models/<model>.toml``)::

    model = "centrala-b4"

    [leds]
    status = { chip = "/dev/gpiochip0", line = "LED_STATUS" }   # a line name or offset

    [leds.ports]
    fxo1 = { chip = "/dev/gpiochip0", line = 5 }

    [button]
    reset = { chip = "/dev/gpiochip0", line = 17, active_low = true }

    [relay]
    bypass = { chip = "/dev/gpiochip0", line = 22 }

    [watchdog]
    device = "/dev/watchdog"            # omit the table on a board without one

    [thermal]
    path = "/sys/class/thermal/thermal_zone0/temp"

Every error names the file and the key, so a wrong board file is fixed in a minute.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).resolve().parent / "models"


class BoardError(Exception):
    """The board cannot be brought up as its description says (a plain sentence)."""


@dataclass(frozen=True)
class GpioLine:
    """One GPIO line: its chip device and its offset or name, and whether low means on."""

    chip: str
    line: int | str
    active_low: bool = False

    def __str__(self) -> str:
        return f"{self.chip} line {self.line!r}"


@dataclass(frozen=True)
class BoardDescription:
    """What a board model has, as read from its file (``source``)."""

    model: str
    source: Path
    status_led: GpioLine
    port_leds: tuple[tuple[str, GpioLine], ...]
    reset_button: GpioLine
    bypass_relay: GpioLine
    watchdog_device: str | None
    temperature_path: str | None


def model_file(model: str) -> Path:
    """The bundled description of ``model``."""
    path = MODELS_DIR / f"{model}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in MODELS_DIR.glob("*.toml"))) or "none"
        raise BoardError(f"no board file for model {model!r}; known models: {known}")
    return path


def load_board_file(path: str | Path) -> BoardDescription:
    """Read and check a board description file."""
    source = Path(path)
    try:
        data = tomllib.loads(source.read_text())
    except OSError as exc:
        raise BoardError(f"{source}: cannot read the board file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BoardError(f"{source}: not valid TOML: {exc}") from None
    reader = _Reader(source, data)
    leds = reader.table("leds")
    ports = reader.table("leds.ports", required=False)
    return BoardDescription(
        model=reader.text("model"),
        source=source,
        status_led=reader.line("leds.status", leds.get("status")),
        port_leds=tuple(
            (name, reader.line(f"leds.ports.{name}", value)) for name, value in ports.items()
        ),
        reset_button=reader.line("button.reset", reader.table("button").get("reset")),
        bypass_relay=reader.line("relay.bypass", reader.table("relay").get("bypass")),
        watchdog_device=reader.optional_text("watchdog", "device"),
        temperature_path=reader.optional_text("thermal", "path"),
    )


class _Reader:
    def __init__(self, source: Path, data: dict[str, Any]) -> None:
        self.source = source
        self.data = data

    def fail(self, key: str, message: str) -> BoardError:
        return BoardError(f"{self.source}: {key}: {message}")

    def table(self, dotted: str, required: bool = True) -> dict[str, Any]:
        node: Any = self.data
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None and not required:
            return {}
        if not isinstance(node, dict):
            raise self.fail(dotted, "missing table" if node is None else "must be a table")
        return node

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value

    def optional_text(self, table: str, key: str) -> str | None:
        node = self.data.get(table)
        if node is None:
            return None
        if not isinstance(node, dict) or not isinstance(node.get(key), str) or not node[key]:
            raise self.fail(f"{table}.{key}", "must be a non-empty string (or leave out the table)")
        return str(node[key])

    def line(self, key: str, value: Any) -> GpioLine:
        if value is None:
            raise self.fail(key, "missing")
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table like { chip = \"/dev/gpiochip0\", line = 5 }")
        unknown = set(value) - {"chip", "line", "active_low"}
        if unknown:
            raise self.fail(key, f"unknown field(s) {', '.join(sorted(unknown))}")
        chip, line = value.get("chip"), value.get("line")
        active_low = value.get("active_low", False)
        if not isinstance(chip, str) or not chip:
            raise self.fail(key, "chip must be a GPIO chip device such as /dev/gpiochip0")
        if isinstance(line, bool) or not (
            (isinstance(line, int) and line >= 0) or (isinstance(line, str) and line)
        ):
            raise self.fail(key, f"line must be an offset >= 0 or a line name, got {line!r}")
        if not isinstance(active_low, bool):
            raise self.fail(key, "active_low must be true or false")
        return GpioLine(chip, line, active_low)
