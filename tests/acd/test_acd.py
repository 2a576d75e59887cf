"""The ACD's decisions, driven through a fake call layer on an injected clock."""

import random

import pytest

from firmware.acd.agents import AgentState
from firmware.acd.service import Acd, AcdError
from firmware.calls.timers import Timers
from firmware.store.models import Agent, AgentStateEntry, Queue


class FakeLine:
    def __init__(self) -> None:
        self.rung: list[tuple[str, str]] = []
        self.cancelled: list[tuple[str, str]] = []
        self.connected: list[tuple[str, str]] = []
        self.exits: list[tuple[str, str]] = []
        self.refuse: set[str] = set()
        self.destinations: list[str | None] = []

    def ring_agent(self, agent, call_id):
        if agent.name in self.refuse:
            return False
        self.rung.append((agent.name, call_id))
        return True

    def cancel_agent_ring(self, agent, call_id):
        self.cancelled.append((agent.name, call_id))

    def connect_agent(self, agent, call_id):
        self.connected.append((agent.name, call_id))

    def queue_exit(self, call_id, reason, destination):
        self.exits.append((call_id, reason))
        self.destinations.append(destination)


class World:
    def __init__(self, strategy="longest-idle", agents=("a1", "a2", "a3"), ring_timeout=15.0,
                 retry_delay=2.0, max_wait=600.0):
        self.now = 0.0
        self.timers = Timers()
        self.line = FakeLine()
        self.log = []
        self.states = []
        self.acd = Acd(self.timers, self.line, self.record, lambda e: None,
                       lambda: 1000.0 + self.now, random.Random(1))
        self.acd.configure(
            [Agent(None, n, f"10{i}", f"fxs{i + 1}", True) for i, n in enumerate(agents)],
            [Queue(None, "sales", strategy, ring_timeout, retry_delay, max_wait, tuple(agents))],
            self.now,
        )

    def record(self, entry):
        (self.states if isinstance(entry, AgentStateEntry) else self.log).append(entry)

    def advance(self, seconds):
        end = self.now + seconds
        while True:
            due = self.timers.next_deadline()
            if due is None or due > end:
                break
            self.now = max(self.now, due)
            self.timers.run_due(self.now)
        self.now = end

    def events(self, call_id=None):
        return [(e.event.value, e.agent) for e in self.log if call_id in (None, e.call_id)]


def test_longest_idle_agent_rings_first():
    w = World()
    w.acd.agents["a1"].idle_since = 50.0
    w.acd.agents["a2"].idle_since = 10.0
    w.acd.agents["a3"].idle_since = 30.0
    w.acd.enqueue("c1", "sales", w.now, "600100200")
    assert w.line.rung == [("a2", "c1")]
    assert w.acd.agents["a2"].state is AgentState.RINGING


def test_answer_connects_and_logs_hold_time():
    w = World()
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(4.0)
    w.acd.agent_answered("a1", "c1", w.now)
    assert w.line.connected == [("a1", "c1")]
    assert w.events("c1") == [("enter", None), ("ring", "a1"), ("answer", "a1")]
    assert w.log[-1].data == "4.0"
    w.advance(30.0)
    w.acd.caller_hung_up("c1", w.now)
    assert w.log[-1].event.value == "complete" and w.log[-1].data == "4.0|30.0|caller"
    assert w.acd.agents["a1"].state is AgentState.AVAILABLE
    assert w.acd.agents["a1"].idle_since == w.now


def test_ring_timeout_moves_to_the_next_agent_after_retry_delay():
    w = World(ring_timeout=10.0, retry_delay=2.0)
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(10.0)
    assert ("ring-no-answer", "a1") in w.events("c1")
    assert w.line.rung == [("a1", "c1")]
    w.advance(2.0)
    assert w.line.rung == [("a1", "c1"), ("a2", "c1")]
    assert w.acd.agents["a1"].state is AgentState.AVAILABLE


def test_caller_who_hangs_up_while_waiting_is_an_abandon_and_rings_stop():
    w = World()
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(7.5)
    w.acd.caller_hung_up("c1", w.now)
    assert w.events("c1")[-1] == ("abandon", None)
    assert w.log[-1].data == "1|7.5"
    assert w.line.cancelled == [("a1", "c1")]
    assert w.acd.agents["a1"].state is AgentState.AVAILABLE
    assert w.acd.waiting["sales"] == []


def test_second_caller_waits_for_a_free_agent_and_gets_the_one_freed():
    w = World(agents=("a1",))
    w.acd.enqueue("c1", "sales", w.now, None)
    w.acd.agent_answered("a1", "c1", w.now)
    w.acd.enqueue("c2", "sales", w.now, None)
    assert w.line.rung == [("a1", "c1")]
    w.advance(20.0)
    assert w.acd.agent_hung_up("a1", w.now) == "c1"
    assert w.line.rung[-1] == ("a1", "c2")


def test_ring_all_rings_every_free_member_and_first_answer_wins():
    w = World(strategy="ring-all")
    w.acd.enqueue("c1", "sales", w.now, None)
    assert sorted(a for a, _ in w.line.rung) == ["a1", "a2", "a3"]
    w.acd.agent_answered("a2", "c1", w.now)
    assert sorted(a for a, _ in w.line.cancelled) == ["a1", "a3"]
    assert w.acd.agents["a1"].state is AgentState.AVAILABLE


def test_round_robin_resumes_after_the_last_agent_who_answered():
    w = World(strategy="round-robin")
    for call in ("c1", "c2"):
        w.acd.enqueue(call, "sales", w.now, None)
        agent = w.line.rung[-1][0]
        w.acd.agent_answered(agent, call, w.now)
        w.acd.agent_hung_up(agent, w.now)
    assert [a for a, _ in w.line.rung] == ["a1", "a2"]


def test_fewest_calls_prefers_the_agent_with_fewest_answered():
    w = World(strategy="fewest-calls")
    w.acd.agents["a1"].calls_taken = 4
    w.acd.agents["a2"].calls_taken = 1
    w.acd.agents["a3"].calls_taken = 2
    w.acd.enqueue("c1", "sales", w.now, None)
    assert w.line.rung == [("a2", "c1")]


def test_linear_always_starts_from_the_first_member():
    w = World(strategy="linear")
    w.acd.agents["a1"].idle_since = 99.0
    w.acd.enqueue("c1", "sales", w.now, None)
    assert w.line.rung == [("a1", "c1")]


def test_max_wait_exits_the_queue():
    w = World(max_wait=60.0, agents=("a1",))
    w.line.refuse.add("a1")
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(60.0)
    assert w.line.exits == [("c1", "timeout")]
    assert w.events("c1")[-1] == ("exit-timeout", None)


def test_phone_that_cannot_ring_is_skipped_for_a_free_colleague():
    w = World()
    w.line.refuse.add("a1")
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(2.0)
    assert w.line.rung and w.line.rung[0][0] != "a1"


def test_reload_keeps_a_call_in_progress_and_applies_logout():
    w = World()
    w.acd.enqueue("c1", "sales", w.now, None)
    w.acd.agent_answered("a1", "c1", w.now)
    w.acd.configure(
        [Agent(None, "a1", "101", "fxs1", True), Agent(None, "a2", "102", "fxs2", False)],
        [Queue(None, "sales", "longest-idle", 15, 2, 600, ("a1", "a2"))],
        w.now,
    )
    assert w.acd.agents["a1"].state is AgentState.ON_CALL
    assert w.acd.agents["a2"].state is AgentState.LOGGED_OUT
    assert "a3" not in w.acd.agents


def test_unknown_queue_is_refused():
    w = World()
    with pytest.raises(AcdError, match="no queue named 'billing'"):
        w.acd.enqueue("c1", "billing", w.now, None)


def test_next_caller_rings_a_free_agent_while_the_first_agent_picks_up():
    w = World()
    w.acd.enqueue("c1", "sales", w.now, None)
    w.acd.enqueue("c2", "sales", w.now, None)
    w.acd.enqueue("c3", "sales", w.now, None)
    assert sorted(w.line.rung) == [("a1", "c1"), ("a2", "c2"), ("a3", "c3")]


def test_callers_are_offered_in_queue_order_when_agents_are_scarce():
    w = World(agents=("a1",))
    w.acd.enqueue("c1", "sales", w.now, None)
    w.acd.enqueue("c2", "sales", w.now, None)
    assert w.line.rung == [("a1", "c1")]
