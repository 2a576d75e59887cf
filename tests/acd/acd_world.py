"""A fake call layer and a manual clock around one Acd, for the ACD tests."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from firmware.acd.service import Acd
from firmware.calls.timers import Timers
from firmware.store.models import Agent, AgentStateEntry, Queue, QueueLogEntry, Strategy

WALL = 1000.0  # the wall clock runs this far ahead of the injected clock


class FakeLine:
    """An AgentLine that records what the ACD asked for; phones in ``refuse`` cannot ring."""

    def __init__(self) -> None:
        self.rung: list[tuple[str, str]] = []
        self.cancelled: list[tuple[str, str]] = []
        self.connected: list[tuple[str, str]] = []
        self.exits: list[tuple[str, str, str | None]] = []
        self.refuse: set[str] = set()

    def ring_agent(self, agent: Any, call_id: str) -> bool:
        if agent.name in self.refuse:
            return False
        self.rung.append((agent.name, call_id))
        return True

    def cancel_agent_ring(self, agent: Any, call_id: str) -> None:
        self.cancelled.append((agent.name, call_id))

    def connect_agent(self, agent: Any, call_id: str) -> None:
        self.connected.append((agent.name, call_id))

    def queue_exit(self, call_id: str, reason: str, destination: str | None) -> None:
        self.exits.append((call_id, reason, destination))


def queue(name: str, members: Sequence[str], **settings: Any) -> Queue:
    """A queue with the box's defaults, changed by ``settings``."""
    strategy = settings.pop("strategy", Strategy.LONGEST_IDLE)
    return Queue(
        None, name, Strategy(strategy), settings.pop("ring_timeout", 15.0),
        settings.pop("retry_delay", 2.0), settings.pop("max_wait", 600.0), tuple(members),
        **settings,
    )


def agent(name: str, index: int, logged_in: bool = True, **skills: int) -> Agent:
    return Agent(None, name, f"1{index:02d}", f"fxs{index + 1}", logged_in,
                 tuple(sorted(skills.items())))


class World:
    """One ACD with agents and queues, a fake line, and time moved by :meth:`advance`."""

    def __init__(
        self, agents: Sequence[Agent], queues: Sequence[Queue],
        pause_reasons: Sequence[str] = ("lunch", "training"),
    ) -> None:
        self.now = 0.0
        self.timers = Timers()
        self.line = FakeLine()
        self.log: list[QueueLogEntry] = []
        self.states: list[AgentStateEntry] = []
        self.events: list[dict] = []
        self.acd = Acd(self.timers, self.line, self.record, self.events.append,
                       lambda: WALL + self.now, random.Random(1))
        self.acd.configure(agents, queues, self.now, pause_reasons)

    def record(self, entry: QueueLogEntry | AgentStateEntry) -> None:
        (self.states if isinstance(entry, AgentStateEntry) else self.log).append(entry)

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        while True:
            due = self.timers.next_deadline()
            if due is None or due > end:
                break
            self.now = max(self.now, due)
            self.timers.run_due(self.now)
        self.now = end

    def state(self, name: str) -> str:
        return self.acd.agents[name].state.value

    def queue_events(self, call_id: str | None = None) -> list[tuple[str, str | None]]:
        return [(e.event.value, e.agent) for e in self.log if call_id in (None, e.call_id)]

    def answer(self, call_id: str) -> str:
        """The agent whose phone rings for ``call_id`` picks up; returns their name."""
        name = next(a for a, c in reversed(self.line.rung) if c == call_id)
        self.acd.agent_answered(name, call_id, self.now)
        return name

    def ringing_for(self, call_id: str) -> list[str]:
        entry = self.acd._entries.get(call_id)
        return sorted(entry.ringing) if entry is not None else []
