"""Agent states: wrap-up across queues and transfers, pauses with reasons, auto-pause, the log."""

import pytest
from acd_world import WALL, World, agent, queue

from firmware.acd.service import AcdError
from firmware.kpi.agent_states import pause_durations, state_durations
from firmware.store.models import AgentState


def two_queues(wrapup=30.0, **sales):
    return World(
        [agent("a1", 1), agent("a2", 2)],
        [queue("sales", ["a1"], wrapup=wrapup, **sales), queue("support", ["a1", "a2"])],
    )


def test_wrapup_keeps_the_agent_from_every_queue_until_it_ends():
    w = two_queues()
    w.acd.enqueue("c1", "sales", w.now, None)
    w.answer("c1")
    w.advance(60.0)
    w.acd.agent_hung_up("a1", w.now)
    assert w.state("a1") == "wrap-up"
    w.line.refuse.add("a2")
    w.acd.enqueue("c2", "support", w.now, None)
    w.advance(29.9)
    assert ("a1", "c2") not in w.line.rung
    w.advance(0.1)
    assert w.line.rung[-1] == ("a1", "c2")
    assert ("wrapup", "a1") in w.queue_events("c1")
    assert [e.data for e in w.log if e.event.value == "wrapup"] == ["30.0"]


def test_wrapup_follows_the_agent_after_a_transfer_like_requeue():
    w = two_queues(wrapup=20.0)
    w.acd.enqueue("c1", "sales", w.now, "600100200")
    w.answer("c1")
    w.advance(40.0)
    w.line.refuse.add("a2")
    w.acd.requeue("c1", "support", w.now)
    # The call left a1 (sales wrap-up) and waits in support, where only a1 could take it.
    assert w.state("a1") == "wrap-up"
    assert w.log[-1].queue == "support" and w.log[-1].event.value == "enter"
    assert w.log[-1].data == "600100200"
    complete = next(e for e in w.log if e.event.value == "complete")
    assert complete.queue == "sales" and complete.data.endswith("|transfer")
    w.advance(19.0)
    assert w.line.rung[-1] == ("a1", "c1") and len(w.line.rung) == 1
    w.advance(1.0)
    assert w.line.rung[-1] == ("a1", "c1") and len(w.line.rung) == 2


def test_agent_finishing_wrapup_early_is_available_at_once():
    w = two_queues()
    w.acd.enqueue("c1", "sales", w.now, None)
    w.answer("c1")
    w.acd.caller_hung_up("c1", w.now)
    w.advance(5.0)
    w.acd.wrapup_done("a1", w.now)
    assert w.state("a1") == "available"
    assert [e.data for e in w.log if e.event.value == "wrapup"] == ["5.0"]


def test_pause_with_a_reason_stops_calls_and_unpause_brings_them_back():
    w = two_queues()
    w.acd.pause("a2", "lunch", w.now)
    assert w.state("a2") == "paused"
    assert w.states[-1].state is AgentState.PAUSED and w.states[-1].reason == "lunch"
    w.acd.pause("a1", "training", w.now)
    w.acd.enqueue("c1", "support", w.now, None)
    assert w.line.rung == []
    w.advance(10.0)
    w.acd.unpause("a2", w.now)
    assert w.line.rung == [("a2", "c1")]
    assert w.events[-1] == {"type": "agent-state", "agent": "a2", "state": "ringing",
                            "reason": None}


def test_unknown_pause_reason_and_unknown_agent_are_refused_and_change_nothing():
    w = two_queues()
    before = list(w.states)
    with pytest.raises(AcdError, match="'gym' is not a pause reason; use one of lunch, training"):
        w.acd.pause("a1", "gym", w.now)
    with pytest.raises(AcdError, match="no agent named 'zed'"):
        w.acd.pause("zed", "lunch", w.now)
    w.acd.logout("a1", w.now)
    with pytest.raises(AcdError, match="logged out"):
        w.acd.pause("a1", "lunch", w.now)
    assert w.state("a1") == "logged-out" and w.state("a2") == "available"
    assert w.states == [*before, w.states[-1]]  # only the logout was logged


def test_pause_during_a_call_applies_after_the_call_and_its_wrapup():
    w = two_queues(wrapup=10.0)
    w.acd.enqueue("c1", "sales", w.now, None)
    w.answer("c1")
    w.acd.pause("a1", "lunch", w.now)
    assert w.state("a1") == "on-call"
    w.acd.agent_hung_up("a1", w.now)
    assert w.state("a1") == "wrap-up"
    w.advance(10.0)
    assert w.state("a1") == "paused" and w.acd.agents["a1"].pause_reason == "lunch"


def test_pause_while_ringing_offers_the_caller_to_a_colleague_at_once():
    w = two_queues()
    w.acd.enqueue("c1", "support", w.now, None)
    assert w.line.rung == [("a1", "c1")]
    w.acd.pause("a1", "lunch", w.now)
    assert w.line.cancelled == [("a1", "c1")]
    assert w.line.rung[-1] == ("a2", "c1")
    assert w.state("a1") == "paused"


def test_agent_is_paused_after_unanswered_rings_in_a_row():
    w = World([agent("a1", 1)], [queue("sales", ["a1"], ring_timeout=10.0, retry_delay=0.0,
                                      autopause_rings=2)])
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(10.0)
    assert w.state("a1") == "ringing"  # one miss: rung again
    w.advance(10.0)
    assert w.state("a1") == "paused" and w.acd.agents["a1"].pause_reason == "no-answer"
    assert [(s.state.value, s.reason) for s in w.states[-2:]] == [
        ("ringing", None), ("paused", "no-answer"),
    ]
    assert w.acd.position_and_wait("c1", w.now).position == 1  # the caller still waits
    w.acd.unpause("a1", w.now)
    assert w.line.rung[-1] == ("a1", "c1")


def test_an_answer_resets_the_count_of_unanswered_rings():
    w = World([agent("a1", 1)], [queue("sales", ["a1"], ring_timeout=10.0, retry_delay=0.0,
                                      autopause_rings=2)])
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(10.0)
    w.answer("c1")
    w.acd.agent_hung_up("a1", w.now)
    w.acd.enqueue("c2", "sales", w.now, None)
    w.advance(10.0)
    assert w.state("a1") == "ringing"


def test_caller_abandoning_a_ringing_phone_does_not_count_against_the_agent():
    w = World([agent("a1", 1)], [queue("sales", ["a1"], autopause_rings=1)])
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(2.0)
    w.acd.caller_hung_up("c1", w.now)  # a short abandon
    assert w.state("a1") == "available" and w.acd.agents["a1"].unanswered == 0


def test_logout_during_a_call_waits_for_its_end_and_login_ends_a_pause():
    w = two_queues(wrapup=0.0)
    w.acd.enqueue("c1", "sales", w.now, None)
    w.answer("c1")
    w.acd.logout("a1", w.now)
    assert w.state("a1") == "on-call"
    w.acd.caller_hung_up("c1", w.now)
    assert w.state("a1") == "logged-out"
    w.acd.login("a1", w.now)
    w.acd.pause("a1", "lunch", w.now)
    w.acd.login("a1", w.now)
    assert w.state("a1") == "available"


def test_a_reload_keeps_pauses_and_applies_logins():
    w = two_queues()
    w.acd.pause("a1", "lunch", w.now)
    agents = [agent("a1", 1), agent("a2", 2, logged_in=False)]
    w.acd.configure(agents, [queue("support", ["a1", "a2"])], w.now, ("lunch",))
    assert w.state("a1") == "paused" and w.state("a2") == "logged-out"


def test_state_log_gives_exact_durations():
    w = two_queues(wrapup=15.0)
    w.advance(10.0)
    w.acd.enqueue("c1", "sales", w.now, None)  # a1 rings at 10
    w.advance(4.0)
    w.answer("c1")  # on call at 14
    w.advance(100.0)
    w.acd.agent_hung_up("a1", w.now)  # wrap-up 114..129
    w.advance(20.0)
    w.acd.pause("a1", "lunch", w.now)  # paused at 134
    w.advance(1800.0)
    w.acd.pause("a1", "training", w.now)  # at 1934
    w.advance(600.0)
    w.acd.logout("a1", w.now)  # at 2534
    end = WALL + 3000.0
    durations = state_durations(w.states, WALL, end)["a1"]
    assert durations == {
        AgentState.AVAILABLE: 10.0 + 5.0,
        AgentState.RINGING: 4.0,
        AgentState.ON_CALL: 100.0,
        AgentState.WRAPUP: 15.0,
        AgentState.PAUSED: 2400.0,
        AgentState.LOGGED_OUT: 466.0,
    }
    assert sum(durations.values()) == end - WALL
    assert pause_durations(w.states, WALL, end) == {"a1": {"lunch": 1800.0, "training": 600.0}}
    # A window starting mid-pause counts from the window's start.
    assert state_durations(w.states, WALL + 1000.0, WALL + 1100.0)["a1"] == {
        AgentState.PAUSED: 100.0
    }
