"""Routing: skills and widening, priority, overflow, limits and exits, wait estimates, the index."""

import random

import pytest
from acd_world import World, agent, queue

from firmware.acd.service import AcdError
from firmware.kpi.queues import QueueTargets, queue_kpis
from firmware.store.models import AgentState


def busy(w, call_id, queue_name):
    """``call_id`` joins ``queue_name`` and is answered by whoever rings."""
    w.acd.enqueue(call_id, queue_name, w.now, None)
    return w.answer(call_id)


def test_skills_based_rings_the_best_match_first():
    agents = [agent("a1", 1, sales=3), agent("a2", 2, sales=9, polish=2),
              agent("a3", 3, sales=6, polish=8)]
    w = World(agents, [queue("sales", [], strategy="skills-based",
                             skills=(("polish", 1), ("sales", 1)))])
    w.acd.enqueue("c1", "sales", w.now, None)
    # a1 lacks polish altogether; a3 (6 + 8) beats a2 (9 + 2).
    assert w.line.rung == [("a3", "c1")]
    assert w.acd._eligible["sales"] == ["a2", "a3"]


def test_skills_minimum_widens_after_the_configured_wait():
    agents = [agent("a1", 1, sales=5), agent("a2", 2, sales=2)]
    w = World(agents, [queue("sales", [], strategy="skills-based", skills=(("sales", 8),),
                             skill_widen_after=30.0, skill_widen_step=3)])
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(29.0)
    assert w.line.rung == []  # nobody has sales 8
    w.advance(1.0)
    assert w.line.rung == [("a1", "c1")]  # now sales 5 will do
    w.acd.caller_hung_up("c1", w.now)
    w.acd.enqueue("c2", "sales", w.now, None)
    w.line.refuse.add("a1")
    w.advance(60.0)  # two steps: 8 - 6 = 2
    assert w.line.rung[-1] == ("a2", "c2")


def test_higher_priority_is_served_first_and_the_priority_list_raises_it():
    w = World([agent("a1", 1)], [queue("sales", ["a1"], priority_callers=(("600100200", 7),))])
    busy(w, "c0", "sales")
    w.acd.enqueue("c1", "sales", w.now, "500000001")
    w.advance(1.0)
    w.acd.enqueue("c2", "sales", w.now, "500000002", priority=3)
    w.advance(1.0)
    w.acd.enqueue("c3", "sales", w.now, "600100200")
    assert [e.call_id for e in w.acd.waiting["sales"]] == ["c3", "c2", "c1"]
    assert w.acd.position_and_wait("c1", w.now).position == 3
    for expected in ("c3", "c2", "c1"):
        w.acd.agent_hung_up("a1", w.now)
        assert w.line.rung[-1] == ("a1", expected)
        w.answer(expected)


def test_priority_out_of_range_is_refused_and_changes_nothing():
    w = World([agent("a1", 1)], [queue("sales", ["a1"])])
    for bad in (10, -1, True, "5"):
        with pytest.raises(AcdError, match="priority must be a whole number from 0 to 9"):
            w.acd.enqueue("c1", "sales", w.now, None, priority=bad)
    assert w.log == [] and w.line.rung == []


def overflow_world(**sales):
    w = World([agent("a1", 1), agent("a2", 2)],
              [queue("sales", ["a1"], overflow_queue="support", **sales),
               queue("support", ["a2"])])
    busy(w, "c0", "sales")
    return w


def test_overflow_after_n_seconds_offers_the_caller_to_the_second_group():
    w = overflow_world(overflow_after=30.0)
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(29.9)
    assert ("a2", "c1") not in w.line.rung
    w.advance(0.1)
    assert w.line.rung[-1] == ("a2", "c1")
    w.answer("c1")
    assert w.queue_events("c1") == [
        ("enter", None), ("overflow", None), ("ring", "a2"), ("answer", "a2"),
    ]
    assert {e.queue for e in w.log if e.call_id == "c1"} == {"sales"}


def test_overflow_when_the_predicted_wait_exceeds_the_service_level_target():
    w = overflow_world(overflow_predicted=True, service_level=20.0)
    w.advance(100.0)
    w.acd.agent_hung_up("a1", w.now)  # the queue has handled one call of 100 s
    busy(w, "c1", "sales")
    w.acd.enqueue("c2", "sales", w.now, None)  # predicted: 100 s > 20 s
    assert w.line.rung[-1] == ("a2", "c2")
    assert ("overflow", None) in w.queue_events("c2")


def test_predicted_overflow_waits_while_the_prediction_is_within_target():
    w = overflow_world(overflow_predicted=True, service_level=20.0)
    w.advance(10.0)
    w.acd.agent_hung_up("a1", w.now)  # handle time 10 s
    busy(w, "c1", "sales")
    w.acd.enqueue("c2", "sales", w.now, None)  # predicted 10 s: no overflow yet
    assert ("a2", "c2") not in w.line.rung
    w.advance(20.0)  # waited the whole target: the prediction now exceeds it
    assert w.line.rung[-1] == ("a2", "c2")


def test_full_queue_sends_the_caller_to_the_exit_destination():
    w = World([agent("a1", 1), agent("a2", 2)],
              [queue("sales", ["a1"], max_length=1, exit_destination="queue:support"),
               queue("support", ["a2"]),
               queue("help", ["a1"], max_length=1, exit_destination="ivr:main")])
    busy(w, "c0", "sales")
    w.acd.enqueue("c1", "sales", w.now, None)
    w.line.refuse.add("a2")
    w.acd.enqueue("c2", "sales", w.now, None)
    assert [(e.event.value, e.queue) for e in w.log if e.call_id == "c2"] == [
        ("enter", "sales"), ("exit-full", "sales"), ("enter", "support"),
    ]
    w.acd.enqueue("c3", "help", w.now, None)
    w.acd.enqueue("c4", "help", w.now, None)
    assert w.line.exits == [("c4", "full", "ivr:main")]


def test_join_empty_refuses_callers_while_nobody_is_logged_in():
    w = World([agent("a1", 1, logged_in=False)], [queue("sales", ["a1"], join_empty=False)])
    w.acd.enqueue("c1", "sales", w.now, None)
    assert w.line.exits == [("c1", "empty", None)]
    assert w.queue_events("c1") == [("enter", None), ("exit-empty", None)]
    w.acd.login("a1", w.now)
    w.acd.enqueue("c2", "sales", w.now, None)
    assert w.line.rung == [("a1", "c2")]


def test_callers_may_join_an_empty_queue_by_default_and_wait_for_a_login():
    w = World([agent("a1", 1, logged_in=False)], [queue("sales", ["a1"])])
    w.acd.enqueue("c1", "sales", w.now, None)
    assert w.line.exits == []
    w.acd.login("a1", w.now)
    assert w.line.rung == [("a1", "c1")]


def test_leave_empty_sends_waiting_callers_away_when_the_last_agent_logs_out():
    w = World([agent("a1", 1)], [queue("sales", ["a1"], leave_empty=True)])
    w.acd.pause("a1", "lunch", w.now)
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(12.0)
    assert w.line.exits == []  # paused is still logged in
    w.acd.logout("a1", w.now)
    assert w.line.exits == [("c1", "empty", None)]
    assert w.log[-1].event.value == "exit-empty" and w.log[-1].data == "12.0"
    assert w.acd.waiting["sales"] == []


def test_max_wait_exit_goes_to_the_exit_destination_queue():
    w = World([agent("a1", 1), agent("a2", 2)],
              [queue("sales", ["a1"], max_wait=60.0, exit_destination="queue:support"),
               queue("support", ["a2"])])
    w.line.refuse.add("a1")
    w.line.refuse.add("a2")
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(60.0)
    assert w.acd.queue_of("c1") == "support" and w.line.exits == []


def test_estimated_wait_counts_places_ahead_over_agents_working():
    w = World([agent("a1", 1), agent("a2", 2)], [queue("sales", ["a1", "a2"])])
    assert w.acd.queue_status(w.now)[0]["ewt"] is None  # no handle time known yet
    busy(w, "c0", "sales")
    w.advance(100.0)
    w.acd.agent_hung_up("a1", w.now)  # one call of 100 s
    busy(w, "c1", "sales")
    busy(w, "c2", "sales")
    for call in ("c3", "c4", "c5"):
        w.acd.enqueue(call, "sales", w.now, None)
    estimates = [w.acd.position_and_wait(c, w.now) for c in ("c3", "c4", "c5")]
    assert [(e.position, e.waiting, e.ewt) for e in estimates] == [
        (1, 3, 50.0), (2, 3, 100.0), (3, 3, 150.0),
    ]
    assert w.acd.position_and_wait("c1", w.now) is None  # connected, not waiting
    w.acd.pause("a2", "lunch", w.now)  # a2 still on a call: still working
    assert w.acd.position_and_wait("c3", w.now).ewt == 50.0


def test_a_short_abandon_is_logged_with_its_wait_and_left_out_of_the_figures():
    w = World([agent("a1", 1)], [queue("sales", ["a1"])])
    busy(w, "c0", "sales")
    w.acd.enqueue("c1", "sales", w.now, None)
    w.advance(3.0)
    w.acd.caller_hung_up("c1", w.now)
    w.acd.enqueue("c2", "sales", w.now, None)
    w.advance(30.0)
    w.acd.caller_hung_up("c2", w.now)
    assert [e.data for e in w.log if e.event.value == "abandon"] == ["1|3.0", "1|30.0"]
    figures = queue_kpis(w.log, {"sales": QueueTargets(short_abandon_seconds=5.0)})["sales"]
    assert (figures.offered, figures.abandoned, figures.short_abandoned) == (2, 1, 1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_free_agent_index_always_matches_the_agents_states(seed):
    rng = random.Random(seed)
    names = [f"a{i}" for i in range(12)]
    queues = [queue(f"q{j}", rng.sample(names, 5), wrapup=rng.choice([0.0, 5.0]),
                    strategy=rng.choice(["longest-idle", "ring-all", "linear"]))
              for j in range(4)]
    w = World([agent(n, i) for i, n in enumerate(names)], queues)
    calls = 0
    for _ in range(600):
        w.advance(rng.expovariate(1.0))
        action = rng.random()
        if action < 0.4:
            calls += 1
            w.acd.enqueue(f"c{calls}", f"q{rng.randrange(4)}", w.now, None)
        elif action < 0.6:
            ringing = [(e.call_id, a) for line in w.acd.waiting.values() for e in line
                       for a in sorted(e.ringing)]
            if ringing:
                call_id, name = rng.choice(ringing)
                w.acd.agent_answered(name, call_id, w.now)
        elif action < 0.75 and w.acd.connections:
            w.acd.caller_hung_up(rng.choice(sorted(w.acd.connections)), w.now)
        elif action < 0.85:
            name = rng.choice(names)
            if w.acd.agents[name].logged_in:
                w.acd.pause(name, "lunch", w.now)
        elif action < 0.95:
            w.acd.unpause(rng.choice(names), w.now)
        else:
            name = rng.choice(names)
            (w.acd.logout if rng.random() < 0.5 else w.acd.login)(name, w.now)
        for q, members in w.acd._eligible.items():
            expected = {n for n in members if w.acd.agents[n].state is AgentState.AVAILABLE}
            assert w.acd._free[q] == expected
