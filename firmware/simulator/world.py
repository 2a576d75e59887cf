"""The simulated world around the real ACD: callers who arrive and give up, agents who talk.

The ACD here is the box's own :class:`firmware.acd.service.Acd`, unchanged,
with its timers, wrap-up, skills, priorities and overflow; this module plays
the call layer behind the :class:`firmware.acd.service.AgentLine` protocol,
and the callers and agents behind that. Time is virtual: the run jumps from
one timer to the next, so a day of traffic takes seconds.

What the world models, and how:

- arrivals: a Poisson process per inbound stream (the number of calls in the
  run is Poisson, their times uniform over it), each call with its handle
  time and patience drawn when it arrives;
- a caller whose patience runs out before an answer hangs up (an abandon);
- a rung agent answers at once, or after the agent's answer delay; a delay
  longer than the queue's ring timeout means the ring times out, as it would;
- after the conversation the agent hangs up; the ACD itself keeps them in
  the queue's wrap-up, as on the box;
- each stream's callers carry its priority into the ACD;
- the ACD's estimated wait is read for every caller as they enter, and
  compared with the wait they then had until an agent answered: the
  absolute errors, per queue, are ``ewt_errors`` (callers who abandon or are
  turned away have no actual wait to compare with and are left out).

Arrivals stop at the scenario's duration; the run goes on until every caller
has left, for at most :data:`DRAIN_LIMIT` more seconds, so calls late in the
run are measured like the others.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from firmware.acd.agents import AgentRuntime
from firmware.acd.service import Acd
from firmware.calls.timers import TimerHandle, Timers
from firmware.simulator.distributions import SampleStream
from firmware.simulator.scenario import InboundStream, Scenario
from firmware.store.models import Agent, AgentStateEntry, QueueLogEntry

DRAIN_LIMIT = 86400.0

# Each kind of draw has its own numpy stream, keyed under the scenario's seed,
# so adding a queue or an agent group leaves every other stream's draws alone.
_ARRIVALS = 1
_ANSWERS = 2
_ROUTING = 3


@dataclass(frozen=True)
class SimulationResult:
    """What a run produced: the ACD's queue log and what the KPIs need beside it.

    ``unfinished`` counts callers still in the queue or connected when the
    drain limit stopped the run (zero in any scenario that makes sense).
    ``states`` is the ACD's agent state log; ``ewt_errors`` the absolute
    errors of the wait estimates, in seconds, per queue the callers entered.
    """

    scenario: Scenario
    log: tuple[QueueLogEntry, ...]
    calls: int
    staffed_seconds: float
    finished_at: float
    unfinished: int
    states: tuple[AgentStateEntry, ...] = ()
    ewt_errors: Mapping[str, tuple[float, ...]] = field(default_factory=dict)


@dataclass
class _Call:
    call_id: str
    queue: str
    handle: float
    arrived: float = 0.0
    patience_timer: TimerHandle | None = None
    estimate: float | None = None


@dataclass
class _Arrivals:
    """One stream's pre-drawn calls: times, handle times and patience (inf: never leave)."""

    number: int
    stream: InboundStream
    times: np.ndarray
    handle: np.ndarray
    patience: np.ndarray
    index: int


class SimulatedWorld:
    """Callers and agents for one run of a scenario; :meth:`run` it once."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.now = 0.0
        self.log: list[QueueLogEntry] = []
        self.states: list[AgentStateEntry] = []
        self._timers = Timers()
        routing_seed = np.random.SeedSequence(scenario.seed, spawn_key=(_ROUTING,))
        self.acd = Acd(
            self._timers, self, self._record, _ignore, lambda: self.now,
            random.Random(int(routing_seed.generate_state(1)[0])),
        )
        self._calls: dict[str, _Call] = {}
        self._answering: dict[tuple[str, str], TimerHandle] = {}
        self._ewt_errors: dict[str, list[float]] = {spec.name: [] for spec in scenario.queues}
        self._answer_delay: dict[str, SampleStream] = {}
        for index, spec in enumerate(scenario.agents):
            if spec.answer is not None:
                key = np.random.SeedSequence(scenario.seed, spawn_key=(_ANSWERS, index))
                self._answer_delay[spec.name] = SampleStream(
                    spec.answer, np.random.default_rng(key)
                )
        self._arrivals = [
            self._draw_arrivals(index, stream) for index, stream in enumerate(scenario.inbound)
        ]
        self._ran = False

    # -- the run -------------------------------------------------------
    def run(self) -> SimulationResult:
        """Play the scenario to its end and return the queue log."""
        if self._ran:
            raise RuntimeError("a simulated world runs once; build a new one")
        self._ran = True
        agents = [
            Agent(
                None, spec.name, str(1000 + i), f"fxs{i + 1}", True,
                tuple(sorted(spec.skills.items())),
            )
            for i, spec in enumerate(self.scenario.agents)
        ]
        self.acd.configure(agents, [spec.queue for spec in self.scenario.queues], self.now)
        for arrivals in self._arrivals:
            self._schedule_next(arrivals)
        horizon = self.scenario.duration + DRAIN_LIMIT
        while True:
            due = self._timers.next_deadline()
            if due is None or due > horizon:
                break
            self.now = max(self.now, due)
            self._timers.run_due(self.now)
        return SimulationResult(
            scenario=self.scenario,
            log=tuple(self.log),
            calls=sum(len(a.times) for a in self._arrivals),
            staffed_seconds=len(self.scenario.agents) * self.scenario.duration,
            finished_at=self.now,
            unfinished=len(self._calls),
            states=tuple(self.states),
            ewt_errors={name: tuple(errors) for name, errors in self._ewt_errors.items()},
        )

    def _record(self, record: QueueLogEntry | AgentStateEntry) -> None:
        if isinstance(record, AgentStateEntry):
            self.states.append(record)
        else:
            self.log.append(record)

    def _draw_arrivals(self, index: int, stream: InboundStream) -> _Arrivals:
        key = np.random.SeedSequence(self.scenario.seed, spawn_key=(_ARRIVALS, index))
        rng = np.random.default_rng(key)
        duration = self.scenario.duration
        count = int(rng.poisson(stream.calls_per_hour / 3600.0 * duration))
        times = np.sort(rng.uniform(0.0, duration, count))
        handle = stream.handle.sample(rng, count)
        if stream.patience is None:
            patience = np.full(count, np.inf)
        else:
            patience = stream.patience.sample(rng, count)
        return _Arrivals(index, stream, times, handle, patience, 0)

    def _schedule_next(self, arrivals: _Arrivals) -> None:
        if arrivals.index < len(arrivals.times):
            when = float(arrivals.times[arrivals.index])
            self._timers.call_at(when, lambda now, a=arrivals: self._arrive(a, now))

    def _arrive(self, arrivals: _Arrivals, now: float) -> None:
        k = arrivals.index
        arrivals.index += 1
        call_id = f"in{arrivals.number}-{k + 1}"
        call = _Call(call_id, arrivals.stream.queue, float(arrivals.handle[k]), now)
        patience = float(arrivals.patience[k])
        if np.isfinite(patience):
            call.patience_timer = self._timers.call_at(
                now + patience, lambda t, c=call.call_id: self._give_up(c, t)
            )
        self._calls[call.call_id] = call
        self._schedule_next(arrivals)
        self.acd.enqueue(call.call_id, call.queue, now, None, arrivals.stream.priority)
        estimate = self.acd.position_and_wait(call.call_id, now)
        if estimate is not None:
            call.estimate = estimate.ewt

    def _give_up(self, call_id: str, now: float) -> None:
        if self._calls.pop(call_id, None) is not None:
            self.acd.caller_hung_up(call_id, now)

    def _answer(self, agent: str, call_id: str, now: float) -> None:
        self._answering.pop((agent, call_id), None)
        self.acd.agent_answered(agent, call_id, now)

    def _conversation_over(self, agent: str, call_id: str, now: float) -> None:
        self._calls.pop(call_id)
        self.acd.agent_hung_up(agent, now)

    # -- AgentLine -------------------------------------------------------
    def ring_agent(self, agent: AgentRuntime, call_id: str) -> bool:
        """Ring an agent's phone; it always rings (the ACD keeps agents in wrap-up away)."""
        stream = self._answer_delay.get(agent.name)
        delay = stream.draw() if stream is not None else 0.0
        # Even an agent who answers at once answers from a timer: the ACD is
        # still in its dispatch loop and must finish it before hearing of it.
        self._answering[(agent.name, call_id)] = self._timers.call_at(
            self.now + delay, lambda t, a=agent.name, c=call_id: self._answer(a, c, t)
        )
        return True

    def cancel_agent_ring(self, agent: AgentRuntime, call_id: str) -> None:
        """The ring stopped (answered elsewhere, timed out, caller gone): no answer comes."""
        handle = self._answering.pop((agent.name, call_id), None)
        if handle is not None:
            handle.cancel()

    def connect_agent(self, agent: AgentRuntime, call_id: str) -> None:
        """The caller stops waiting and talks for the handle time drawn on arrival."""
        call = self._calls[call_id]
        if call.patience_timer is not None:
            call.patience_timer.cancel()
        if call.estimate is not None:
            self._ewt_errors[call.queue].append(abs(call.estimate - (self.now - call.arrived)))
        self._timers.call_at(
            self.now + call.handle,
            lambda t, a=agent.name, c=call_id: self._conversation_over(a, c, t),
        )

    def queue_exit(self, call_id: str, reason: str, destination: str | None) -> None:
        """The queue sent the caller away (max wait, full, empty): the caller is gone."""
        call = self._calls.pop(call_id, None)
        if call is not None and call.patience_timer is not None:
            call.patience_timer.cancel()


def simulate(scenario: Scenario) -> SimulationResult:
    """Run ``scenario`` once; the same scenario (and seed) always gives the same log."""
    return SimulatedWorld(scenario).run()


def _ignore(event: dict) -> None:
    """The ACD's live events have no listener in a simulation."""
