"""Calls as the box tracks them from the first ring to the CDR."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from firmware.calls.timers import TimerHandle
from firmware.ivr.session import IvrSession


class CallState(enum.Enum):
    OFFERED = "offered"
    IVR = "ivr"
    QUEUED = "queued"
    RINGING = "ringing"
    CONNECTED = "connected"
    ENDING = "ending"


@dataclass
class Call:
    """One inbound call: its line leg, and the agent leg once an agent answers."""

    id: str
    port: int
    port_name: str
    direction: str
    caller_number: str | None
    caller_name: str | None
    started: float
    started_wall: float
    state: CallState = CallState.OFFERED
    destination: str | None = None
    queue: str | None = None
    agent: str | None = None
    agent_port: int | None = None
    answered_wall: float | None = None
    ivr: IvrSession | None = None
    ivr_timer: TimerHandle | None = None
    ringing_ports: set[int] = field(default_factory=set)
    disposition: str | None = None

    def view(self, now: float) -> dict:
        """The call as the control socket and the dashboard show it."""
        return {
            "id": self.id,
            "port": self.port_name,
            "direction": self.direction,
            "caller_number": self.caller_number,
            "caller_name": self.caller_name,
            "state": self.state.value,
            "queue": self.queue,
            "agent": self.agent,
            "duration": round(now - self.started, 1),
        }
