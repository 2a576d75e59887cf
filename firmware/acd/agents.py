"""Agent runtime state, one state per agent across all queues.

An agent is in exactly one state at a time whichever queue rang them, so
"busy in sales" is also "busy for support"; every change is stamped with the
clock so state durations are exact.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class AgentState(enum.Enum):
    LOGGED_OUT = "logged-out"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on-call"


@dataclass
class AgentRuntime:
    """One agent as the ACD sees them.

    ``idle_since`` is when the agent last became free after a call (or logged
    in): longest-idle routing picks the smallest.
    """

    name: str
    extension: str
    port: str
    state: AgentState
    since: float
    idle_since: float
    calls_taken: int = 0
    history: list[tuple[float, AgentState]] = field(default_factory=list)

    def set_state(self, state: AgentState, now: float) -> None:
        if state is self.state:
            return
        self.state = state
        self.since = now
        self.history.append((now, state))
        del self.history[:-100]  # keep the recent changes; the queue log keeps the rest

    @property
    def available(self) -> bool:
        return self.state is AgentState.AVAILABLE
