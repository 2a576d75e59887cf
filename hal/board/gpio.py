"""GPIO lines behind one small interface: python-periphery on the box, in-memory in the sim.

The board layer only writes outputs (LEDs, relay) and reads input edges with
their kernel timestamps (the reset button; debounce is ours, from timestamps,
since the character device API gives none through python-periphery).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from periphery import GPIO, GPIOError

from hal.board.description import GpioLine


class GpioUnavailable(Exception):
    """A line cannot be opened (no such chip, no such line, line busy)."""


@dataclass(frozen=True)
class Edge:
    """An input changed: ``active`` after the change, ``at`` in monotonic seconds."""

    active: bool
    at: float


class OutputPin(Protocol):
    def write(self, active: bool) -> None: ...

    def close(self) -> None: ...


class InputPin(Protocol):
    @property
    def fd(self) -> int | None: ...

    def read(self) -> bool: ...

    def edges(self) -> list[Edge]: ...

    def close(self) -> None: ...


class GpioBackend(Protocol):
    """Opens lines; raises :class:`GpioUnavailable` with the reason when it cannot."""

    def output(self, line: GpioLine, label: str) -> OutputPin: ...

    def input(self, line: GpioLine, label: str) -> InputPin: ...


# -- python-periphery -------------------------------------------------------------------


class _PeripheryOutput:
    def __init__(self, gpio: GPIO) -> None:
        self._gpio = gpio

    def write(self, active: bool) -> None:
        self._gpio.write(bool(active))

    def close(self) -> None:
        self._gpio.close()


class _PeripheryInput:
    def __init__(self, gpio: GPIO) -> None:
        self._gpio = gpio

    @property
    def fd(self) -> int | None:
        return int(self._gpio.fd)

    def read(self) -> bool:
        return bool(self._gpio.read())

    def edges(self) -> list[Edge]:
        out: list[Edge] = []
        while self._gpio.poll(0):
            event = self._gpio.read_event()
            # The kernel stamps line events with CLOCK_MONOTONIC (ns), the clock
            # MonotonicClock reads; "inverted" lines already report active as rising.
            out.append(Edge(event.edge == "rising", event.timestamp / 1e9))
        return out

    def close(self) -> None:
        self._gpio.close()


class PeripheryGpio:
    """GPIO through python-periphery's character-device driver (/dev/gpiochipN)."""

    def _open(self, line: GpioLine, label: str, direction: str, edge: str) -> GPIO:
        try:
            return GPIO(
                line.chip, line.line, direction, edge=edge, inverted=line.active_low,
                label=f"centrala-{label}",
            )
        except (GPIOError, LookupError, TypeError, ValueError) as exc:
            raise GpioUnavailable(str(exc)) from None

    def output(self, line: GpioLine, label: str) -> OutputPin:
        return _PeripheryOutput(self._open(line, label, "low", "none"))

    def input(self, line: GpioLine, label: str) -> InputPin:
        return _PeripheryInput(self._open(line, label, "in", "both"))


# -- the sim ---------------------------------------------------------------------------


@dataclass
class SimOutput:
    """An output line of the sim board: remembers its level and every change."""

    line: GpioLine
    active: bool = False
    history: list[bool] = field(default_factory=list)
    closed: bool = False

    def write(self, active: bool) -> None:
        if not self.history or self.history[-1] != bool(active):
            self.history.append(bool(active))
        self.active = bool(active)

    def close(self) -> None:
        self.closed = True


@dataclass
class SimInput:
    """An input line of the sim board: tests press it with :meth:`set`."""

    line: GpioLine
    active: bool = False
    pending: list[Edge] = field(default_factory=list)
    closed: bool = False

    @property
    def fd(self) -> int | None:
        return None

    def set(self, active: bool, at: float) -> None:
        """Change the line at time ``at``, as a person (or a bouncing contact) does."""
        self.active = bool(active)
        self.pending.append(Edge(self.active, at))

    def read(self) -> bool:
        return self.active

    def edges(self) -> list[Edge]:
        out, self.pending = self.pending, []
        return out

    def close(self) -> None:
        self.closed = True


class SimGpio:
    """In-memory GPIO chips with named lines; opening a line that is not there fails
    exactly as it does on a real chip."""

    def __init__(self, chips: dict[str, set[int | str]]) -> None:
        self.chips = chips
        self.outputs: dict[str, SimOutput] = {}
        self.inputs: dict[str, SimInput] = {}

    def _check(self, line: GpioLine) -> None:
        if line.chip not in self.chips:
            raise GpioUnavailable(f"Opening GPIO chip: no such chip {line.chip}")
        if line.line not in self.chips[line.chip]:
            raise GpioUnavailable(f"GPIO line {line.line!r} not found on {line.chip}")

    def output(self, line: GpioLine, label: str) -> OutputPin:
        self._check(line)
        pin = SimOutput(line)
        self.outputs[label] = pin
        return pin

    def input(self, line: GpioLine, label: str) -> InputPin:
        self._check(line)
        pin = SimInput(line)
        self.inputs[label] = pin
        return pin
