"""The HAL contract: ports, line events, controls and 20 ms G.711 audio frames.

Every backend (``sim``, ``dahdi``) implements :class:`Card`. The layers above
see ports only through this module, so the daemon cannot tell a simulated card
from a real one.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hal.clock import Clock

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE


class PortKind(enum.Enum):
    """FXS ports feed phones; FXO ports face an exchange line; E1B is a B-channel of a span."""

    FXS = "fxs"
    FXO = "fxo"
    E1B = "e1b"


class Law(enum.Enum):
    """G.711 companding law of the card's audio (A-law in Europe)."""

    ALAW = "alaw"
    ULAW = "ulaw"


@dataclass(frozen=True)
class PortInfo:
    """One port of the card.

    ``index`` is the row of the port in every audio frame array; ``number`` is
    the 1-based label printed on the box per kind, so ``name`` is ``fxo1``.
    """

    index: int
    kind: PortKind
    number: int

    @property
    def name(self) -> str:
        return f"{self.kind.value}{self.number}"


@dataclass(frozen=True)
class HookChanged:
    """FXS: the phone on ``port`` went off-hook (True) or on-hook (False).

    Raw hook state; telling a hook flash from a hang-up is signaling's job.
    """

    port: int
    offhook: bool
    at: float


@dataclass(frozen=True)
class RingStarted:
    """FXO: ringing voltage appeared on the line."""

    port: int
    at: float


@dataclass(frozen=True)
class RingStopped:
    """FXO: ringing voltage went away (end of one ring burst)."""

    port: int
    at: float


@dataclass(frozen=True)
class PolarityReversed:
    """FXO: the exchange reversed the line's polarity (answer or disconnect)."""

    port: int
    at: float


@dataclass(frozen=True)
class LoopCurrentDrop:
    """FXO: the exchange opened the loop briefly, its signal that the far end hung up."""

    port: int
    at: float


@dataclass(frozen=True)
class AlarmChanged:
    """A port's alarm was raised (``alarm`` says which, in plain words) or cleared (None)."""

    port: int
    alarm: str | None
    at: float


HalEvent = (
    HookChanged | RingStarted | RingStopped | PolarityReversed | LoopCurrentDrop | AlarmChanged
)


class HalError(Exception):
    """A control the port cannot carry out (wrong kind, unknown port, device gone)."""


class Card(abc.ABC):
    """A line card: ports, their events and controls, and their audio.

    One tick of the box is::

        now = card.wait_tick()          # paced by the hardware (or the sim clock)
        rx = card.read_frames()         # (n_ports, 160) uint8 G.711 from the lines
        events = card.poll_events()     # line events since the last tick
        card.write_frames(tx)           # (n_ports, 160) uint8 G.711 to the lines
    """

    def __init__(self, ports: Sequence[PortInfo], law: Law, clock: Clock) -> None:
        self.ports: tuple[PortInfo, ...] = tuple(ports)
        self.law = law
        self.clock = clock
        self._by_name = {p.name: p for p in self.ports}

    def port_by_name(self, name: str) -> PortInfo:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name) or "none"
            raise HalError(f"unknown port {name!r}; this card has: {known}") from None

    def _port(self, index: int, kind: PortKind) -> PortInfo:
        if not 0 <= index < len(self.ports):
            raise HalError(f"no port with index {index}")
        port = self.ports[index]
        if port.kind is not kind:
            raise HalError(f"{port.name} is {port.kind.value}, not {kind.value}")
        return port

    @abc.abstractmethod
    def wait_tick(self) -> float:
        """Block until the next 20 ms frame is due and return the clock's time."""

    @abc.abstractmethod
    def read_frames(self) -> np.ndarray:
        """The last 20 ms received from every port, shape (n_ports, 160), uint8 G.711."""

    @abc.abstractmethod
    def write_frames(self, frames: np.ndarray) -> None:
        """Send 20 ms to every port, shape (n_ports, 160), uint8 G.711."""

    @abc.abstractmethod
    def poll_events(self) -> list[HalEvent]:
        """Line events since the last call, oldest first."""

    @abc.abstractmethod
    def set_hook(self, port: int, offhook: bool) -> None:
        """FXO: seize (True) or release (False) the line."""

    @abc.abstractmethod
    def flash(self, port: int, seconds: float = 0.1) -> None:
        """FXO: go on-hook for ``seconds`` and back (a hook flash)."""

    @abc.abstractmethod
    def start_ring(self, port: int, cadence: Sequence[float]) -> None:
        """FXS: ring the phone with ``cadence`` (on, off, on, off… seconds, repeating)."""

    @abc.abstractmethod
    def stop_ring(self, port: int) -> None:
        """FXS: stop ringing the phone."""

    def close(self) -> None:  # noqa: B027 - backends without resources need nothing here
        """Release the card's devices."""

    def __enter__(self) -> Card:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
