"""The ACD at run time: waiting callers, ringing agents, and the queue log.

The ACD decides; the call layer acts. It reaches phones only through the
:class:`AgentLine` protocol, so the same decision code runs on the real box and
in a simulator with no audio at all.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from firmware.acd.agents import AgentRuntime, AgentState
from firmware.acd.strategies import RoundRobinMemory, choose
from firmware.calls.timers import TimerHandle, Timers
from firmware.store.models import Agent, Queue, QueueLogEntry


class AgentLine(Protocol):
    """What the ACD needs from the call layer."""

    def ring_agent(self, agent: AgentRuntime, call_id: str) -> bool:
        """Start ringing the agent's phone for ``call_id``; False if it cannot ring now."""
        ...

    def cancel_agent_ring(self, agent: AgentRuntime, call_id: str) -> None:
        """Stop ringing the agent's phone."""
        ...

    def connect_agent(self, agent: AgentRuntime, call_id: str) -> None:
        """Bridge the agent who answered with the waiting caller."""
        ...

    def queue_exit(self, call_id: str, reason: str) -> None:
        """The caller leaves the queue without an agent (``reason``: "timeout")."""
        ...


@dataclass
class QueueEntry:
    """A caller waiting in a queue."""

    call_id: str
    queue: str
    entered: float
    caller_number: str | None
    position: int
    ringing: set[str] = field(default_factory=set)
    tried: set[str] = field(default_factory=set)
    not_before: float = 0.0
    ring_timer: TimerHandle | None = None
    exit_timer: TimerHandle | None = None


@dataclass
class Connection:
    """A caller connected to an agent, kept until either side hangs up."""

    call_id: str
    queue: str
    agent: str
    entered: float
    answered: float


class Acd:
    """Queues and agents of the box, and every routing decision between them."""

    def __init__(
        self,
        timers: Timers,
        line: AgentLine,
        log: Callable[[QueueLogEntry], None],
        publish: Callable[[dict], None],
        wall: Callable[[], float],
        rng: random.Random | None = None,
    ) -> None:
        self._timers = timers
        self._line = line
        self._log = log
        self._publish = publish
        self._wall = wall
        self._rng = rng or random.Random()
        self._memory = RoundRobinMemory()
        self.queues: dict[str, Queue] = {}
        self.agents: dict[str, AgentRuntime] = {}
        self.waiting: dict[str, list[QueueEntry]] = {}
        self.connections: dict[str, Connection] = {}
        self._entries: dict[str, QueueEntry] = {}

    # -- configuration -------------------------------------------------
    def configure(self, agents: Sequence[Agent], queues: Sequence[Queue], now: float) -> None:
        """Apply a (re)loaded configuration without touching calls in progress.

        An agent who is ringing or on a call keeps that state; removed agents
        finish their call and are then forgotten.
        """
        known = {}
        for agent in agents:
            runtime = self.agents.get(agent.name)
            wanted = AgentState.AVAILABLE if agent.logged_in else AgentState.LOGGED_OUT
            if runtime is None:
                runtime = AgentRuntime(agent.name, agent.extension, agent.port, wanted, now, now)
            else:
                runtime.extension, runtime.port = agent.extension, agent.port
                if runtime.state in (AgentState.AVAILABLE, AgentState.LOGGED_OUT):
                    if runtime.state is AgentState.LOGGED_OUT and wanted is AgentState.AVAILABLE:
                        runtime.idle_since = now
                    runtime.set_state(wanted, now)
            known[agent.name] = runtime
        for name, runtime in self.agents.items():
            if name not in known and runtime.state in (AgentState.RINGING, AgentState.ON_CALL):
                known[name] = runtime
        self.agents = known
        self.queues = {q.name: q for q in queues}
        for name in self.queues:
            self.waiting.setdefault(name, [])
        self.dispatch(now)

    # -- callers -------------------------------------------------------
    def enqueue(self, call_id: str, queue: str, now: float, caller_number: str | None) -> None:
        if queue not in self.queues:
            raise KeyError(f"no queue named {queue!r}")
        line = self.waiting.setdefault(queue, [])
        entry = QueueEntry(call_id, queue, now, caller_number, len(line) + 1)
        line.append(entry)
        self._entries[call_id] = entry
        config = self.queues[queue]
        entry.exit_timer = self._timers.call_at(
            now + config.max_wait, lambda t, e=entry: self._max_wait_reached(e, t)
        )
        self._queue_log(call_id, queue, None, "enter", caller_number or "")
        self._publish({"type": "call-queued", "call_id": call_id, "queue": queue})
        self.dispatch(now)

    def caller_hung_up(self, call_id: str, now: float) -> None:
        """The caller left: an abandon while waiting, or the end of a connected call."""
        entry = self._entries.pop(call_id, None)
        if entry is not None:
            self._remove_entry(entry, now)
            waited = now - entry.entered
            self._queue_log(
                call_id, entry.queue, None, "abandon", f"{entry.position}|{waited:.1f}"
            )
            self.dispatch(now)
            return
        connection = self.connections.pop(call_id, None)
        if connection is not None:
            self._complete(connection, now, "caller")

    def agent_answered(self, agent_name: str, call_id: str, now: float) -> None:
        entry = self._entries.get(call_id)
        agent = self.agents.get(agent_name)
        if entry is None or agent is None or agent_name not in entry.ringing:
            return
        entry.ringing.discard(agent_name)
        del self._entries[call_id]
        self._remove_entry(entry, now)
        agent.set_state(AgentState.ON_CALL, now)
        agent.calls_taken += 1
        self._memory.rang(entry.queue, agent_name)
        held = now - entry.entered
        self.connections[call_id] = Connection(call_id, entry.queue, agent_name, entry.entered, now)
        self._queue_log(call_id, entry.queue, agent_name, "answer", f"{held:.1f}")
        self._publish_agent(agent)
        self._line.connect_agent(agent, call_id)
        self.dispatch(now)

    def agent_hung_up(self, agent_name: str, now: float) -> str | None:
        """The agent ended the call; returns the call id so the caller can be cleared."""
        for call_id, connection in list(self.connections.items()):
            if connection.agent == agent_name:
                del self.connections[call_id]
                self._complete(connection, now, "agent")
                return call_id
        return None

    def agent_ring_failed(self, agent_name: str, call_id: str, now: float) -> None:
        """The agent's phone could not be rung or stopped ringing on its own."""
        entry = self._entries.get(call_id)
        if entry is not None and agent_name in entry.ringing:
            self._stop_ringing(entry, agent_name, now, "ring-no-answer")
            self._after_no_answer(entry, now)

    # -- decisions -----------------------------------------------------
    def dispatch(self, now: float) -> None:
        """Offer waiting callers, in queue order, to the free agents their strategy picks.

        Every waiting caller is considered, not just the head one: while the
        first caller's agent is still picking up, the next caller can already
        ring another free agent (otherwise one slow answer holds up the queue).
        """
        for queue_name, line in self.waiting.items():
            config = self.queues.get(queue_name)
            if config is None or not line:
                continue
            free = [
                self.agents[m]
                for m in config.members
                if m in self.agents and self.agents[m].available
            ]
            for entry in list(line):
                if not free:
                    break
                if entry.ringing or entry.not_before > now:
                    continue
                self._offer(entry, config, free, now)

    def _offer(
        self, entry: QueueEntry, config: Queue, free: list[AgentRuntime], now: float
    ) -> None:
        """Ring agents from ``free`` for ``entry``; those tried are removed from ``free``."""
        # A phone that cannot ring now (off-hook, alarm) is passed over for this
        # attempt, and the strategy asked again among the rest.
        while free and not entry.ringing:
            picks = choose(
                config.strategy, entry.queue, config.members, free, entry.tried,
                self._memory, self._rng,
            )
            for agent in picks:
                free.remove(agent)
                if not self._line.ring_agent(agent, entry.call_id):
                    continue
                agent.set_state(AgentState.RINGING, now)
                entry.ringing.add(agent.name)
                entry.tried.add(agent.name)
                self._queue_log(entry.call_id, entry.queue, agent.name, "ring", "")
                self._publish_agent(agent)
        if entry.ringing:
            entry.ring_timer = self._timers.call_at(
                now + config.ring_timeout, lambda t, e=entry: self._ring_timeout(e, t)
            )
        if len(entry.tried) >= len([m for m in config.members if m in self.agents]):
            entry.tried.clear()  # every member had a turn: start a new round

    def _ring_timeout(self, entry: QueueEntry, now: float) -> None:
        if self._entries.get(entry.call_id) is not entry:
            return
        for name in list(entry.ringing):
            self._stop_ringing(entry, name, now, "ring-no-answer")
        self._after_no_answer(entry, now)

    def _after_no_answer(self, entry: QueueEntry, now: float) -> None:
        if entry.ringing:
            return
        if entry.ring_timer is not None:
            entry.ring_timer.cancel()
        config = self.queues.get(entry.queue)
        delay = config.retry_delay if config else 0.0
        entry.not_before = now + delay
        self._timers.call_at(entry.not_before, self.dispatch)
        self.dispatch(now)

    def _stop_ringing(self, entry: QueueEntry, agent_name: str, now: float, event: str) -> None:
        entry.ringing.discard(agent_name)
        agent = self.agents.get(agent_name)
        if agent is None:
            return
        self._line.cancel_agent_ring(agent, entry.call_id)
        if agent.state is AgentState.RINGING:
            agent.set_state(AgentState.AVAILABLE, now)
        if event:
            self._queue_log(entry.call_id, entry.queue, agent_name, event, "")
        self._publish_agent(agent)

    def _max_wait_reached(self, entry: QueueEntry, now: float) -> None:
        if self._entries.get(entry.call_id) is not entry:
            return
        del self._entries[entry.call_id]
        self._remove_entry(entry, now)
        waited = f"{now - entry.entered:.1f}"
        self._queue_log(entry.call_id, entry.queue, None, "exit-timeout", waited)
        self._line.queue_exit(entry.call_id, "timeout")
        self.dispatch(now)

    def _remove_entry(self, entry: QueueEntry, now: float) -> None:
        for name in list(entry.ringing):
            self._stop_ringing(entry, name, now, "")
        for timer in (entry.ring_timer, entry.exit_timer):
            if timer is not None:
                timer.cancel()
        line = self.waiting.get(entry.queue, [])
        if entry in line:
            line.remove(entry)

    def _complete(self, connection: Connection, now: float, by: str) -> None:
        held = connection.answered - connection.entered
        talked = now - connection.answered
        self._queue_log(
            connection.call_id, connection.queue, connection.agent, "complete",
            f"{held:.1f}|{talked:.1f}|{by}",
        )
        agent = self.agents.get(connection.agent)
        if agent is not None and agent.state is AgentState.ON_CALL:
            agent.idle_since = now
            agent.set_state(AgentState.AVAILABLE, now)
            self._publish_agent(agent)
        self.dispatch(now)

    # -- views ---------------------------------------------------------
    def queue_of(self, call_id: str) -> str | None:
        entry = self._entries.get(call_id)
        if entry is not None:
            return entry.queue
        connection = self.connections.get(call_id)
        return connection.queue if connection else None

    def agent_of(self, call_id: str) -> str | None:
        connection = self.connections.get(call_id)
        return connection.agent if connection else None

    def queue_status(self, now: float) -> list[dict]:
        result = []
        for name, config in self.queues.items():
            line = self.waiting.get(name, [])
            members = [self.agents[m] for m in config.members if m in self.agents]
            result.append({
                "name": name,
                "waiting": len(line),
                "longest_wait": round(max((now - e.entered for e in line), default=0.0), 1),
                "agents_logged_in": sum(a.state is not AgentState.LOGGED_OUT for a in members),
                "agents_available": sum(a.available for a in members),
            })
        return result

    def agent_status(self, now: float) -> list[dict]:
        return [
            {
                "name": a.name, "extension": a.extension, "port": a.port,
                "state": a.state.value, "since": round(now - a.since, 1),
                "calls_taken": a.calls_taken,
            }
            for a in self.agents.values()
        ]

    def _publish_agent(self, agent: AgentRuntime) -> None:
        self._publish({"type": "agent-state", "agent": agent.name, "state": agent.state.value})

    def _queue_log(
        self, call_id: str, queue: str, agent: str | None, event: str, data: str
    ) -> None:
        self._log(QueueLogEntry(self._wall(), call_id, queue, agent, event, data or None))
