"""The ACD at run time: waiting callers, agents' states, and the queue and state logs.

The ACD decides; the call layer acts. It reaches phones only through the
:class:`AgentLine` protocol, so the same decision code runs on the real box and
in a simulator with no audio at all.

What a caller meets, in order: priority (a higher priority waits ahead of
everyone with a lower one, then first come first served), the queue's limits
(max length, join-empty, max wait: turned away to the exit destination), the
ring strategy among the free agents the queue may use, the widening of a
skills-based queue's minimum levels the longer the caller waits, and overflow
(the caller keeps their place and is also offered to the agents of a second
queue). What an agent goes through: ringing, a call, the queue's wrap-up, and
back to what they asked for (available, paused with a reason, logged out);
every change is logged with its time (:class:`AgentStateEntry`).

Dispatch keeps an index of free agents per queue, updated on every state
change, so a box with hundreds of agents looks only at queues that have both
a free agent and a waiting caller.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from firmware.acd.agents import BUSY_STATES, WORKING_STATES, AgentRuntime, AgentState
from firmware.acd.strategies import RoundRobinMemory, choose
from firmware.calls.timers import TimerHandle, Timers
from firmware.store.models import (
    AUTO_PAUSE_REASON,
    DEFAULT_PAUSE_REASONS,
    PRIORITY_MAX,
    Agent,
    AgentStateEntry,
    Queue,
    QueueEvent,
    QueueLogEntry,
    Strategy,
)

# Handle times (talk + wrap-up) a queue remembers for its wait estimates.
RECENT_HANDLE_TIMES = 100
# Exit destinations followed from queue to queue at most, so two queues that
# send callers to each other cannot bounce a caller for ever.
MAX_HOPS = 5

Record = QueueLogEntry | AgentStateEntry


class AcdError(ValueError):
    """A request the ACD cannot carry out (an unknown agent, queue or pause reason)."""


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

    def queue_exit(self, call_id: str, reason: str, destination: str | None) -> None:
        """The caller leaves the queue without an agent.

        ``reason``: "timeout" (max wait), "full" (max length) or "empty" (no
        agent logged in). ``destination`` is "ivr:<flow>" to run that flow, or
        None to say goodbye and hang up; a queue destination is followed by
        the ACD itself and never reaches the call layer.
        """
        ...


@dataclass(frozen=True)
class WaitEstimate:
    """Where a waiting caller stands, for announcements.

    ``ewt`` is the estimated remaining wait in seconds: None until the queue
    has handled a call (no handle time to go by) or while nobody works it.
    """

    queue: str
    position: int
    waiting: int
    ewt: float | None


@dataclass
class QueueEntry:
    """A caller waiting in a queue."""

    call_id: str
    queue: str
    entered: float
    caller_number: str | None
    position: int
    priority: int = 0
    seq: int = 0
    ringing: set[str] = field(default_factory=set)
    tried: set[str] = field(default_factory=set)
    # Which queue's pool each ringing agent was taken from (own or overflow).
    rung_for: dict[str, str] = field(default_factory=dict)
    not_before: float = 0.0
    ring_timer: TimerHandle | None = None
    exit_timer: TimerHandle | None = None
    timers: list[TimerHandle] = field(default_factory=list)
    overflow_to: str | None = None
    hops: int = 0

    @property
    def order(self) -> tuple[int, float, int]:
        """Higher priority first, then who came first."""
        return (-self.priority, self.entered, self.seq)


@dataclass
class Connection:
    """A caller connected to an agent, kept until either side hangs up."""

    call_id: str
    queue: str
    agent: str
    entered: float
    answered: float
    caller_number: str | None = None
    priority: int = 0


@dataclass
class _Wrapup:
    call_id: str
    queue: str
    started: float
    talk: float
    timer: TimerHandle


def _order(entry: QueueEntry) -> tuple[int, float, int]:
    return entry.order


def _check_priority(priority: object) -> None:
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise AcdError(f"priority must be a whole number from 0 to {PRIORITY_MAX}")
    if not 0 <= priority <= PRIORITY_MAX:
        raise AcdError(f"priority must be a whole number from 0 to {PRIORITY_MAX}")


class Acd:
    """Queues and agents of the box, and every routing decision between them.

    ``log`` receives queue log entries and agent state changes, in order;
    ``wall`` stamps them. ``now`` arguments are the injected clock's time.
    """

    def __init__(
        self,
        timers: Timers,
        line: AgentLine,
        log: Callable[[Record], None],
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
        self._seq = itertools.count()
        self.queues: dict[str, Queue] = {}
        self.agents: dict[str, AgentRuntime] = {}
        self.waiting: dict[str, list[QueueEntry]] = {}
        self.connections: dict[str, Connection] = {}
        self.pause_reasons: tuple[str, ...] = DEFAULT_PAUSE_REASONS
        self._entries: dict[str, QueueEntry] = {}
        self._overflow_in: dict[str, list[QueueEntry]] = {}
        self._eligible: dict[str, list[str]] = {}
        self._position: dict[str, dict[str, int]] = {}
        self._queues_of: dict[str, list[str]] = {}
        self._free: dict[str, set[str]] = {}
        self._priority_callers: dict[str, dict[str, int]] = {}
        self._handle_times: dict[str, deque[float]] = {}
        self._call_of_agent: dict[str, str] = {}
        self._wrapups: dict[str, _Wrapup] = {}
        self._logout_seen = False

    # -- configuration -------------------------------------------------
    def configure(
        self,
        agents: Sequence[Agent],
        queues: Sequence[Queue],
        now: float,
        pause_reasons: Sequence[str] = DEFAULT_PAUSE_REASONS,
    ) -> None:
        """Apply a (re)loaded configuration without touching calls in progress.

        An agent ringing, on a call or in wrap-up finishes it first; a logout
        or removal applies when that work ends. A pause survives a reload (it
        is not configuration); removed agents are logged out and forgotten.
        """
        self.pause_reasons = tuple(pause_reasons)
        known: dict[str, AgentRuntime] = {}
        new: list[AgentRuntime] = []
        for agent in agents:
            runtime = self.agents.get(agent.name)
            if runtime is None:
                state = AgentState.AVAILABLE if agent.logged_in else AgentState.LOGGED_OUT
                runtime = AgentRuntime(
                    agent.name, agent.extension, agent.port, state, now, now,
                    skills=dict(agent.skills), logged_in=agent.logged_in,
                )
                new.append(runtime)
            else:
                runtime.extension, runtime.port = agent.extension, agent.port
                runtime.skills = dict(agent.skills)
                runtime.logged_in = agent.logged_in
                if not agent.logged_in:
                    runtime.pause_reason = None
            known[agent.name] = runtime
        for name, runtime in self.agents.items():
            if name in known:
                continue
            runtime.logged_in = False
            runtime.pause_reason = None
            if runtime.state in BUSY_STATES or runtime.state is AgentState.RINGING:
                known[name] = runtime  # forgotten at the next reload after the work ends
            elif runtime.state is not AgentState.LOGGED_OUT:
                runtime.set_state(AgentState.LOGGED_OUT, now)
                self._log_state(runtime)
        self.agents = known
        self.queues = {q.name: q for q in queues}
        for name in self.queues:
            self.waiting.setdefault(name, [])
            self._overflow_in.setdefault(name, [])
        self._index()
        for runtime in new:
            self._log_state(runtime)
        for runtime in list(self.agents.values()):
            if runtime not in new:
                self._settle(runtime, now)
        self._logout_seen = True
        self.dispatch(now)

    def _index(self) -> None:
        """Who each queue may offer callers to, and which of them are free now."""
        self._eligible, self._position, self._free = {}, {}, {}
        self._queues_of = {name: [] for name in self.agents}
        self._priority_callers = {}
        for name, config in self.queues.items():
            if config.members:
                names = [m for m in config.members if m in self.agents]
            elif config.strategy == Strategy.SKILLS_BASED:
                names = list(self.agents)  # every agent with the skills
            else:
                names = []
            if config.strategy == Strategy.SKILLS_BASED and config.skills:
                names = [
                    n for n in names
                    if all(self.agents[n].level(s) >= 1 for s, _ in config.skills)
                ]
            self._eligible[name] = names
            self._position[name] = {n: i for i, n in enumerate(names)}
            self._free[name] = {n for n in names if self.agents[n].available}
            for agent_name in names:
                self._queues_of[agent_name].append(name)
            self._priority_callers[name] = dict(config.priority_callers)

    # -- callers -------------------------------------------------------
    def enqueue(
        self,
        call_id: str,
        queue: str,
        now: float,
        caller_number: str | None,
        priority: int = 0,
    ) -> None:
        """A caller joins ``queue``; ``priority`` 0-9 (the API's or the IVR's), higher first.

        The queue's priority callers list can only raise it. A caller the
        queue cannot take (full, nobody logged in) is logged entering and
        leaving at once and sent to the exit destination.
        """
        if queue not in self.queues:
            raise AcdError(f"no queue named {queue!r}")
        if call_id in self._entries or call_id in self.connections:
            raise AcdError(f"call {call_id} is already in a queue")
        _check_priority(priority)
        self._join(call_id, queue, now, caller_number, priority, 0)

    def requeue(self, call_id: str, queue: str, now: float, priority: int | None = None) -> None:
        """Move a call to another queue, as a transfer does.

        A connected call ends for its agent (who goes into the first queue's
        wrap-up, as for any call) and the caller waits in ``queue``; a waiting
        caller changes queue. The caller keeps their priority unless given one.
        """
        if queue not in self.queues:
            raise AcdError(f"no queue named {queue!r}")
        if priority is not None:
            _check_priority(priority)
        if call_id not in self.connections and call_id not in self._entries:
            raise AcdError(f"call {call_id} is neither waiting nor connected")
        connection = self.connections.pop(call_id, None)
        if connection is not None:
            self._complete(connection, now, "transfer")
            caller, kept = connection.caller_number, connection.priority
        else:
            entry = self._entries.pop(call_id)
            self._remove_entry(entry, now)
            self._queue_log(
                call_id, entry.queue, None, QueueEvent.TRANSFER,
                f"{queue}|{now - entry.entered:.1f}",
            )
            caller, kept = entry.caller_number, entry.priority
        self._join(call_id, queue, now, caller, kept if priority is None else priority, 0)

    def _join(
        self, call_id: str, queue: str, now: float, caller_number: str | None,
        priority: int, hops: int,
    ) -> None:
        config = self.queues[queue]
        listed = self._priority_callers.get(queue, {}).get(caller_number or "", 0)
        line = self.waiting.setdefault(queue, [])
        entry = QueueEntry(
            call_id, queue, now, caller_number, 0, max(priority, listed), next(self._seq),
            hops=hops,
        )
        self._queue_log(call_id, queue, None, QueueEvent.ENTER, caller_number or "")
        self._publish({"type": "call-queued", "call_id": call_id, "queue": queue})
        if (not config.join_empty or config.leave_empty) and not self._anyone_logged_in(queue):
            self._turn_away(entry, now, QueueEvent.EXIT_EMPTY, "empty")
            return
        if config.max_length and len(line) >= config.max_length:
            self._turn_away(entry, now, QueueEvent.EXIT_FULL, "full")
            return
        index = bisect.bisect_right(line, entry.order, key=_order)
        line.insert(index, entry)
        entry.position = index + 1
        self._entries[call_id] = entry
        if math.isfinite(config.max_wait):
            entry.exit_timer = self._timers.call_at(
                now + config.max_wait, lambda t, e=entry: self._max_wait_reached(e, t)
            )
        self._arm_widening(entry, config, now)
        if config.overflow_queue:
            self._arm_overflow(entry, config, now)
        self.dispatch(now)

    def caller_hung_up(self, call_id: str, now: float) -> None:
        """The caller left: an abandon while waiting, or the end of a connected call."""
        entry = self._entries.pop(call_id, None)
        if entry is not None:
            self._remove_entry(entry, now)
            waited = now - entry.entered
            self._queue_log(
                call_id, entry.queue, None, QueueEvent.ABANDON, f"{entry.position}|{waited:.1f}"
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
        pool = entry.rung_for.pop(agent_name, entry.queue)
        entry.ringing.discard(agent_name)
        del self._entries[call_id]
        self._remove_entry(entry, now)
        agent.unanswered = 0
        agent.call_id = call_id
        agent.calls_taken += 1
        self._set_state(agent, AgentState.ON_CALL, now)
        self._memory.rang(pool, agent_name)
        held = now - entry.entered
        self.connections[call_id] = Connection(
            call_id, entry.queue, agent_name, entry.entered, now, entry.caller_number,
            entry.priority,
        )
        self._call_of_agent[agent_name] = call_id
        self._queue_log(call_id, entry.queue, agent_name, QueueEvent.ANSWER, f"{held:.1f}")
        self._line.connect_agent(agent, call_id)
        self.dispatch(now)

    def agent_hung_up(self, agent_name: str, now: float) -> str | None:
        """The agent ended the call; returns the call id so the caller can be cleared."""
        call_id = self._call_of_agent.get(agent_name)
        connection = self.connections.pop(call_id, None) if call_id is not None else None
        if connection is None:
            return None
        self._complete(connection, now, "agent")
        return connection.call_id

    def agent_ring_failed(self, agent_name: str, call_id: str, now: float) -> None:
        """The agent's phone could not be rung or stopped ringing on its own."""
        entry = self._entries.get(call_id)
        if entry is not None and agent_name in entry.ringing:
            self._stop_ringing(entry, agent_name, now, QueueEvent.RING_NO_ANSWER)
            self._after_no_answer(entry, now)

    # -- agents' own requests --------------------------------------------
    def login(self, agent_name: str, now: float) -> AgentRuntime:
        """The agent takes calls again (a pause they were in ends too)."""
        agent = self._agent(agent_name)
        agent.logged_in = True
        agent.pause_reason = None
        agent.unanswered = 0
        self._settle(agent, now)
        self.dispatch(now)
        return agent

    def logout(self, agent_name: str, now: float) -> AgentRuntime:
        """The agent stops taking calls; a call or wrap-up in progress ends first."""
        agent = self._agent(agent_name)
        agent.logged_in = False
        agent.pause_reason = None
        self._settle(agent, now)
        self.dispatch(now)
        return agent

    def pause(self, agent_name: str, reason: str, now: float) -> AgentRuntime:
        """The agent stops taking calls for ``reason``; after their call and wrap-up if busy.

        A phone ringing for a caller stops, and the caller is offered to
        someone else at once.
        """
        agent = self._agent(agent_name)
        if reason not in self.pause_reasons and reason != AUTO_PAUSE_REASON:
            raise AcdError(
                f"{reason!r} is not a pause reason; use one of {', '.join(self.pause_reasons)}"
            )
        if not agent.logged_in:
            raise AcdError(f"agent {agent_name} is logged out; log in before pausing")
        changed = agent.pause_reason != reason
        agent.pause_reason = reason
        if agent.state is AgentState.PAUSED and changed:
            self._log_state(agent)
            self._publish_agent(agent)
        self._settle(agent, now)
        self.dispatch(now)
        return agent

    def unpause(self, agent_name: str, now: float) -> AgentRuntime:
        """The pause ends: the agent is available (once any work in progress ends)."""
        agent = self._agent(agent_name)
        agent.pause_reason = None
        agent.unanswered = 0
        self._settle(agent, now)
        self.dispatch(now)
        return agent

    def wrapup_done(self, agent_name: str, now: float) -> None:
        """The agent finished their wrap-up before its time ran out."""
        self._agent(agent_name)
        if agent_name in self._wrapups:
            self._wrapup_over(agent_name, now)

    def _agent(self, name: str) -> AgentRuntime:
        agent = self.agents.get(name)
        if agent is None:
            raise AcdError(f"no agent named {name!r}")
        return agent

    # -- decisions -----------------------------------------------------
    def dispatch(self, now: float) -> None:
        """Offer waiting callers, in queue order, to the free agents their strategy picks.

        Every waiting caller is considered, not just the head one: while the
        first caller's agent is still picking up, the next caller can already
        ring another free agent (otherwise one slow answer holds up the queue).
        Callers overflowing into a queue are considered with its own, in
        priority and arrival order.
        """
        if self._logout_seen:
            self._logout_seen = False
            self._leave_empty_queues(now)
        for name, config in self.queues.items():
            free = self._free.get(name)
            if not free:
                continue
            own = self.waiting.get(name) or []
            extra = self._overflow_in.get(name) or []
            if not own and not extra:
                continue
            line = sorted([*own, *extra], key=_order) if extra else own
            position = self._position[name]
            pool = sorted((self.agents[n] for n in free), key=lambda a: position[a.name])
            for entry in list(line):
                if not pool:
                    break
                if entry.ringing or entry.not_before > now:
                    continue
                self._offer(entry, name, config, pool, now)

    def _offer(
        self, entry: QueueEntry, pool_queue: str, config: Queue, pool: list[AgentRuntime],
        now: float,
    ) -> None:
        """Ring agents from ``pool`` for ``entry``; those tried are removed from ``pool``."""
        required: dict[str, int] | None = None
        candidates = pool
        if config.strategy == Strategy.SKILLS_BASED:
            required = self._minimums(entry, config, now)
            candidates = [
                a for a in pool if all(a.level(s) >= low for s, low in required.items())
            ]
        members = config.members or tuple(self._eligible.get(pool_queue, ()))
        # A phone that cannot ring now (off-hook, alarm) is passed over for this
        # attempt, and the strategy asked again among the rest.
        while candidates and not entry.ringing:
            picks = choose(
                config.strategy, pool_queue, members, candidates, entry.tried,
                self._memory, self._rng, required,
            )
            for agent in picks:
                candidates.remove(agent)
                if candidates is not pool:
                    pool.remove(agent)
                if not self._line.ring_agent(agent, entry.call_id):
                    continue
                agent.call_id = entry.call_id
                self._set_state(agent, AgentState.RINGING, now)
                entry.ringing.add(agent.name)
                entry.tried.add(agent.name)
                entry.rung_for[agent.name] = pool_queue
                self._queue_log(entry.call_id, entry.queue, agent.name, QueueEvent.RING, "")
        if entry.ringing:
            own = self.queues.get(entry.queue, config)
            entry.ring_timer = self._timers.call_at(
                now + own.ring_timeout, lambda t, e=entry: self._ring_timeout(e, t)
            )
        if len(entry.tried) >= self._round_size(entry):
            entry.tried.clear()  # every agent had a turn: start a new round

    def _round_size(self, entry: QueueEntry) -> int:
        size = len(self._eligible.get(entry.queue, ()))
        if entry.overflow_to is not None:
            size += len(self._eligible.get(entry.overflow_to, ()))
        return size

    def _minimums(self, entry: QueueEntry, config: Queue, now: float) -> dict[str, int]:
        """The skill levels a caller needs now: lowered step by step as the wait grows."""
        drop = 0
        if config.skill_widen_after > 0:
            # A tiny allowance so the timer set for a step sees that step.
            steps = int((now - entry.entered) / config.skill_widen_after + 1e-9)
            drop = steps * config.skill_widen_step
        return {skill: max(1, level - drop) for skill, level in config.skills}

    def _arm_widening(self, entry: QueueEntry, config: Queue, now: float) -> None:
        if config.strategy != Strategy.SKILLS_BASED or config.skill_widen_after <= 0:
            return
        if all(low <= 1 for low in self._minimums(entry, config, now).values()):
            return
        steps = int((now - entry.entered) / config.skill_widen_after + 1e-9) + 1
        when = entry.entered + steps * config.skill_widen_after
        entry.timers.append(self._timers.call_at(when, lambda t, e=entry: self._widen(e, t)))

    def _widen(self, entry: QueueEntry, now: float) -> None:
        config = self.queues.get(entry.queue)
        if self._entries.get(entry.call_id) is not entry or config is None:
            return
        self._arm_widening(entry, config, now)
        self.dispatch(now)

    def _arm_overflow(self, entry: QueueEntry, config: Queue, now: float) -> None:
        if config.overflow_after > 0:
            entry.timers.append(self._timers.call_at(
                now + config.overflow_after, lambda t, e=entry: self._overflow(e, t)
            ))
        if config.overflow_predicted:
            wait = self._estimate(entry.queue, entry.position)
            if wait is not None and wait > config.service_level:
                self._overflow(entry, now, dispatch=False)
            else:
                # Once a caller has waited the target, their predicted wait exceeds it.
                entry.timers.append(self._timers.call_at(
                    now + config.service_level, lambda t, e=entry: self._overflow(e, t)
                ))

    def _overflow(self, entry: QueueEntry, now: float, dispatch: bool = True) -> None:
        """Offer the caller also to the agents of the queue's overflow queue."""
        if self._entries.get(entry.call_id) is not entry or entry.overflow_to is not None:
            return
        config = self.queues.get(entry.queue)
        target = config.overflow_queue if config is not None else ""
        if not target or target not in self.queues:
            return
        entry.overflow_to = target
        line = self._overflow_in.setdefault(target, [])
        line.insert(bisect.bisect_right(line, entry.order, key=_order), entry)
        self._queue_log(entry.call_id, entry.queue, None, QueueEvent.OVERFLOW, target)
        if dispatch:
            self.dispatch(now)

    def _ring_timeout(self, entry: QueueEntry, now: float) -> None:
        if self._entries.get(entry.call_id) is not entry:
            return
        # In ring order (a set's order would change from run to run).
        for name in list(entry.rung_for):
            agent = self.agents.get(name)
            pool = self.queues.get(entry.rung_for.get(name, entry.queue))
            if agent is not None:
                agent.unanswered += 1
                limit = pool.autopause_rings if pool is not None else 0
                if limit and agent.unanswered >= limit and agent.logged_in:
                    # Set before the ring stops, so the agent goes straight to paused.
                    agent.pause_reason = AUTO_PAUSE_REASON
            self._stop_ringing(entry, name, now, QueueEvent.RING_NO_ANSWER)
        self._after_no_answer(entry, now)

    def _after_no_answer(self, entry: QueueEntry, now: float, delay: float | None = None) -> None:
        if entry.ringing:
            return
        if entry.ring_timer is not None:
            entry.ring_timer.cancel()
        if delay is None:
            config = self.queues.get(entry.queue)
            delay = config.retry_delay if config else 0.0
        entry.not_before = now + delay
        self._timers.call_at(entry.not_before, self.dispatch)
        self.dispatch(now)

    def _stop_ringing(
        self, entry: QueueEntry, agent_name: str, now: float, event: QueueEvent | None
    ) -> None:
        entry.ringing.discard(agent_name)
        entry.rung_for.pop(agent_name, None)
        agent = self.agents.get(agent_name)
        if agent is None:
            return
        self._line.cancel_agent_ring(agent, entry.call_id)
        if agent.state is AgentState.RINGING and agent.call_id == entry.call_id:
            self._release(agent, now, fresh_idle=False)
        if event is not None:
            self._queue_log(entry.call_id, entry.queue, agent_name, event, "")

    def _max_wait_reached(self, entry: QueueEntry, now: float) -> None:
        if self._entries.get(entry.call_id) is not entry:
            return
        del self._entries[entry.call_id]
        self._remove_entry(entry, now)
        waited = f"{now - entry.entered:.1f}"
        self._queue_log(entry.call_id, entry.queue, None, QueueEvent.EXIT_TIMEOUT, waited)
        self._exit(entry, now, "timeout")
        self.dispatch(now)

    def _turn_away(self, entry: QueueEntry, now: float, event: QueueEvent, reason: str) -> None:
        self._queue_log(entry.call_id, entry.queue, None, event, "0.0")
        self._exit(entry, now, reason)

    def _exit(self, entry: QueueEntry, now: float, reason: str) -> None:
        """Send a caller the queue could not serve to its exit destination."""
        config = self.queues.get(entry.queue)
        destination = config.exit_destination if config is not None else ""
        kind, _, target = destination.partition(":")
        if kind == "queue" and target in self.queues and entry.hops < MAX_HOPS:
            self._join(
                entry.call_id, target, now, entry.caller_number, entry.priority, entry.hops + 1
            )
            return
        self._line.queue_exit(entry.call_id, reason, destination if kind == "ivr" else None)

    def _anyone_logged_in(self, queue: str) -> bool:
        return any(
            self.agents[n].state is not AgentState.LOGGED_OUT
            for n in self._eligible.get(queue, ())
        )

    def _leave_empty_queues(self, now: float) -> None:
        """Callers of leave-empty queues whose last agent logged out go to the exit."""
        for name, config in self.queues.items():
            line = self.waiting.get(name)
            if not config.leave_empty or not line or self._anyone_logged_in(name):
                continue
            for entry in list(line):
                if self._entries.get(entry.call_id) is not entry:
                    continue
                del self._entries[entry.call_id]
                self._remove_entry(entry, now)
                self._queue_log(
                    entry.call_id, name, None, QueueEvent.EXIT_EMPTY,
                    f"{now - entry.entered:.1f}",
                )
                self._exit(entry, now, "empty")

    def _remove_entry(self, entry: QueueEntry, now: float) -> None:
        for name in list(entry.rung_for):
            self._stop_ringing(entry, name, now, None)
        for timer in (entry.ring_timer, entry.exit_timer, *entry.timers):
            if timer is not None:
                timer.cancel()
        entry.timers.clear()
        line = self.waiting.get(entry.queue, [])
        if entry in line:
            line.remove(entry)
        if entry.overflow_to is not None:
            extra = self._overflow_in.get(entry.overflow_to, [])
            if entry in extra:
                extra.remove(entry)

    def _complete(self, connection: Connection, now: float, by: str) -> None:
        self._call_of_agent.pop(connection.agent, None)
        held = connection.answered - connection.entered
        talked = now - connection.answered
        self._queue_log(
            connection.call_id, connection.queue, connection.agent, QueueEvent.COMPLETE,
            f"{held:.1f}|{talked:.1f}|{by}",
        )
        agent = self.agents.get(connection.agent)
        config = self.queues.get(connection.queue)
        wrapup = config.wrapup if config is not None else 0.0
        if (
            agent is not None and agent.state is AgentState.ON_CALL
            and agent.call_id == connection.call_id
        ):
            agent.call_id = None
            if wrapup > 0:
                self._set_state(agent, AgentState.WRAPUP, now)
                timer = self._timers.call_at(
                    now + wrapup, lambda t, a=agent.name: self._wrapup_over(a, t)
                )
                self._wrapups[agent.name] = _Wrapup(
                    connection.call_id, connection.queue, now, talked, timer
                )
            else:
                self._remember_handle(connection.queue, talked)
                self._release(agent, now, fresh_idle=True)
        else:
            self._remember_handle(connection.queue, talked)
        self.dispatch(now)

    def _wrapup_over(self, agent_name: str, now: float) -> None:
        wrapup = self._wrapups.pop(agent_name, None)
        if wrapup is None:
            return
        wrapup.timer.cancel()
        seconds = now - wrapup.started
        self._queue_log(
            wrapup.call_id, wrapup.queue, agent_name, QueueEvent.WRAPUP, f"{seconds:.1f}"
        )
        self._remember_handle(wrapup.queue, wrapup.talk + seconds)
        agent = self.agents.get(agent_name)
        if agent is not None and agent.state is AgentState.WRAPUP:
            self._release(agent, now, fresh_idle=True)
        self.dispatch(now)

    # -- agent states ----------------------------------------------------
    def _settle(self, agent: AgentRuntime, now: float) -> None:
        """Bring an agent with no work in progress to what their presence says."""
        if agent.state in BUSY_STATES:
            return  # applies when the call or wrap-up ends
        if agent.state is AgentState.RINGING:
            if agent.presence is AgentState.AVAILABLE:
                return
            entry = self._entries.get(agent.call_id or "")
            if entry is not None and agent.name in entry.ringing:
                self._stop_ringing(entry, agent.name, now, None)
                self._after_no_answer(entry, now, delay=0.0)
                return
        target = agent.presence
        if target is agent.state:
            return
        if target is AgentState.AVAILABLE:
            agent.idle_since = now
        agent.call_id = None
        self._set_state(agent, target, now)

    def _release(self, agent: AgentRuntime, now: float, fresh_idle: bool) -> None:
        """Work ended: the agent's state becomes their presence."""
        agent.call_id = None
        target = agent.presence
        if target is AgentState.AVAILABLE and fresh_idle:
            agent.idle_since = now
        self._set_state(agent, target, now)

    def _set_state(self, agent: AgentRuntime, state: AgentState, now: float) -> None:
        if state is agent.state:
            return
        was_free = agent.available
        agent.set_state(state, now)
        if was_free != agent.available:
            for queue in self._queues_of.get(agent.name, ()):
                if agent.available:
                    self._free[queue].add(agent.name)
                else:
                    self._free[queue].discard(agent.name)
        if state is AgentState.LOGGED_OUT:
            self._logout_seen = True
        self._log_state(agent)
        self._publish_agent(agent)

    def _log_state(self, agent: AgentRuntime) -> None:
        reason = agent.pause_reason if agent.state is AgentState.PAUSED else None
        self._log(AgentStateEntry(self._wall(), agent.name, agent.state, reason))

    def _remember_handle(self, queue: str, seconds: float) -> None:
        recent = self._handle_times.get(queue)
        if recent is None:
            recent = self._handle_times[queue] = deque(maxlen=RECENT_HANDLE_TIMES)
        recent.append(seconds)

    # -- estimates -----------------------------------------------------
    def _estimate(self, queue: str, position: int) -> float | None:
        """Expected remaining wait of the caller at ``position`` (1 = next).

        With N agents working the queue and a mean handle time H (talk plus
        wrap-up of its recent calls), agents free up about every H/N seconds
        (exactly so for exponential handle times). Callers ahead who are
        already ringing an agent, and free agents, serve that many places at
        once; each remaining place costs H/N. Agents shared with other queues
        count fully, so a shared agent's other work makes the estimate low.
        """
        recent = self._handle_times.get(queue)
        if not recent:
            return None
        working = free = 0
        for name in self._eligible.get(queue, ()):
            state = self.agents[name].state
            working += state in WORKING_STATES
            free += state is AgentState.AVAILABLE
        if working == 0:
            return None
        line = self.waiting.get(queue, [])
        ringing = sum(1 for e in line[:position] if e.ringing)
        places = position - ringing - free
        if places <= 0:
            return 0.0
        handle = math.fsum(recent) / len(recent)
        return places * handle / working

    def position_and_wait(self, call_id: str, now: float) -> WaitEstimate | None:
        """Position (1 = next) and estimated wait of a waiting caller; None if not waiting.

        For the call layer's periodic announcements.
        """
        entry = self._entries.get(call_id)
        if entry is None:
            return None
        line = self.waiting.get(entry.queue, [])
        position = line.index(entry) + 1
        return WaitEstimate(entry.queue, position, len(line), self._estimate(entry.queue, position))

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
        for name in self.queues:
            line = self.waiting.get(name, [])
            members = [self.agents[m] for m in self._eligible.get(name, ())]
            ewt = self._estimate(name, len(line) + 1)
            result.append({
                "name": name,
                "waiting": len(line),
                "longest_wait": round(max((now - e.entered for e in line), default=0.0), 1),
                "agents_logged_in": sum(a.state is not AgentState.LOGGED_OUT for a in members),
                "agents_available": sum(a.available for a in members),
                "agents_paused": sum(a.state is AgentState.PAUSED for a in members),
                "agents_in_wrapup": sum(a.state is AgentState.WRAPUP for a in members),
                "ewt": None if ewt is None else round(ewt, 1),
            })
        return result

    def agent_status(self, now: float) -> list[dict]:
        return [
            {
                "name": a.name, "extension": a.extension, "port": a.port,
                "state": a.state.value, "since": round(now - a.since, 1),
                "calls_taken": a.calls_taken,
                "reason": a.pause_reason if a.state is AgentState.PAUSED else None,
            }
            for a in self.agents.values()
        ]

    def _publish_agent(self, agent: AgentRuntime) -> None:
        self._publish({
            "type": "agent-state", "agent": agent.name, "state": agent.state.value,
            "reason": agent.pause_reason if agent.state is AgentState.PAUSED else None,
        })

    def _queue_log(
        self, call_id: str, queue: str, agent: str | None, event: QueueEvent | str, data: str
    ) -> None:
        self._log(QueueLogEntry(self._wall(), call_id, queue, agent, event, data or None))
