"""Agent runtime state, one state per agent across all queues.

An agent is in exactly one state at a time whichever queue rang them, so
"busy in sales" is also "busy for support", and a wrap-up after a sales call
keeps support from ringing too. Every change is stamped with the clock, and
the ACD logs it, so state durations are exact.

Two things are kept apart: what the agent *asked for* (``logged_in`` and
``pause_reason``: their presence) and what they are *doing* (``state``).
Ringing, a call and its wrap-up are work that runs to its end; when it ends
the agent's state becomes what their presence says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from firmware.store.models import AgentState

__all__ = ["BUSY_STATES", "WORKING_STATES", "AgentRuntime", "AgentState"]

# States that are work in progress: presence changes wait for them to end.
BUSY_STATES = frozenset({AgentState.ON_CALL, AgentState.WRAPUP})
# States of an agent who takes calls now or in a moment (for wait estimates).
WORKING_STATES = frozenset(
    {AgentState.AVAILABLE, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAPUP}
)


@dataclass
class AgentRuntime:
    """One agent as the ACD sees them.

    ``idle_since`` is when the agent last became free (after a call's wrap-up,
    a pause, or a login): longest-idle routing picks the smallest.
    ``unanswered`` counts rings in a row that timed out, for auto-pause.
    ``call_id`` is the call ringing the agent's phone or connected to it.
    """

    name: str
    extension: str
    port: str
    state: AgentState
    since: float
    idle_since: float
    calls_taken: int = 0
    history: list[tuple[float, AgentState]] = field(default_factory=list)
    skills: Mapping[str, int] = field(default_factory=dict)
    logged_in: bool = True
    pause_reason: str | None = None
    unanswered: int = 0
    call_id: str | None = None

    def set_state(self, state: AgentState, now: float) -> None:
        if state is self.state:
            return
        self.state = state
        self.since = now
        self.history.append((now, state))
        del self.history[:-100]  # keep the recent changes; the state log keeps the rest

    @property
    def available(self) -> bool:
        return self.state is AgentState.AVAILABLE

    @property
    def presence(self) -> AgentState:
        """The state the agent's own wishes give when no work is in progress."""
        if not self.logged_in:
            return AgentState.LOGGED_OUT
        if self.pause_reason is not None:
            return AgentState.PAUSED
        return AgentState.AVAILABLE

    def level(self, skill: str) -> int:
        """Proficiency in ``skill`` (0 when the agent lacks it)."""
        return self.skills.get(skill, 0)
