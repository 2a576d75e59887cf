"""What every line technology offers the call layer, and what it reports back.

A line technology (analog loop start today; E1 PRI B-channels next) turns its
signaling machine's outputs into card and media commands and reports call
events up through :class:`CallEvents`. The call layer sees two roles only: a
*trunk* port brings callers in (answer, hang up) and a *phone* port reaches
agents (ring, connect, release), whatever the wire underneath.
"""

from __future__ import annotations

from typing import Protocol

from hal.interface import PortInfo


class CallEvents(Protocol):
    """Implemented by the call manager; called by line ports as things happen."""

    def trunk_offered(
        self, port: TrunkPort, caller_number: str | None, caller_name: str | None, now: float
    ) -> None: ...

    def trunk_connected(self, port: TrunkPort, now: float) -> None: ...

    def trunk_gone(self, port: TrunkPort, now: float) -> None: ...

    def trunk_digit(self, port: TrunkPort, digit: str, now: float) -> None: ...

    def phone_answered(self, port: PhonePort, now: float) -> None: ...

    def phone_hung_up(self, port: PhonePort, now: float) -> None: ...

    def phone_lifted(self, port: PhonePort, now: float) -> None: ...


class LinePort(Protocol):
    """State every port shows, whatever its technology."""

    info: PortInfo
    channel: int
    call_id: str | None
    alarm: str | None

    @property
    def state(self) -> str: ...

    def next_deadline(self) -> float | None: ...

    def on_timer(self, now: float) -> None: ...


class TrunkPort(LinePort, Protocol):
    """A port callers come in on."""

    def answer(self, now: float) -> None: ...

    def hangup(self, now: float) -> None: ...


class PhonePort(LinePort, Protocol):
    """A port an agent's phone hangs on."""

    agent: str | None

    @property
    def can_ring(self) -> bool: ...

    def ring(self, now: float) -> None: ...

    def stop_ring(self, now: float) -> None: ...

    def connect(self, now: float) -> None: ...

    def release(self, now: float) -> None: ...
