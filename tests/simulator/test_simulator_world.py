"""The simulated world drives the real ACD: patience, answer delays, wrap-up, strategies."""

import copy
from collections import Counter, defaultdict

import pytest

from firmware.simulator.report import simulation_kpis, simulation_report
from firmware.simulator.scenario import parse_scenario
from firmware.simulator.world import simulate

ONE_QUEUE = {
    "seed": 3,
    "duration": "4h",
    "agents": [{"count": 1, "prefix": "a", "skills": {"sales": 5}}],
    "queues": [{"name": "sales", "max_wait_seconds": "none"}],
    "inbound": [
        {"queue": "sales", "calls_per_hour": 20,
         "handle_seconds": {"dist": "fixed", "value": 100}}
    ],
}


def scenario(**changes):
    data = copy.deepcopy(ONE_QUEUE)
    for key, value in changes.items():
        data[key] = value
    return parse_scenario(data)


def events(result, kind):
    return [e for e in result.log if e.event.value == kind]


def times_by_call(result, kind):
    return {e.call_id: e.time for e in events(result, kind)}


def test_every_arrival_enters_the_queue_and_everyone_is_served_without_patience_limits():
    result = simulate(scenario())
    assert result.calls > 50
    assert len(events(result, "enter")) == result.calls
    assert len(events(result, "complete")) == result.calls
    assert result.unfinished == 0


def test_talk_lasts_the_drawn_handle_time():
    result = simulate(scenario())
    answered = times_by_call(result, "answer")
    for done in events(result, "complete"):
        assert done.time - answered[done.call_id] == pytest.approx(100.0)


def test_caller_hangs_up_when_patience_runs_out():
    inbound = copy.deepcopy(ONE_QUEUE["inbound"])
    inbound[0].update(calls_per_hour=60, patience_seconds={"dist": "fixed", "value": 30})
    result = simulate(scenario(inbound=inbound))
    entered = times_by_call(result, "enter")
    abandons = events(result, "abandon")
    assert abandons
    for gone in abandons:
        assert gone.time - entered[gone.call_id] == pytest.approx(30.0)
    kpis, _ = simulation_kpis(result)
    assert kpis["sales"].abandoned == len(abandons)
    assert kpis["sales"].answered + kpis["sales"].abandoned == kpis["sales"].offered


def test_agent_answers_after_the_answer_delay():
    agents = [{"count": 1, "prefix": "a", "skills": {"sales": 5},
               "answer_seconds": {"dist": "fixed", "value": 4}}]
    result = simulate(scenario(agents=agents))
    rung = defaultdict(list)
    for ring in events(result, "ring"):
        rung[ring.call_id].append(ring.time)
    for answer in events(result, "answer"):
        assert answer.time - rung[answer.call_id][-1] == pytest.approx(4.0)


def test_an_agent_slower_than_the_ring_timeout_is_passed_over_for_a_quick_one():
    agents = [
        {"name": "slow", "skills": {"sales": 5}, "answer_seconds": {"dist": "fixed", "value": 30}},
        {"name": "quick", "skills": {"sales": 5}, "answer_seconds": {"dist": "fixed", "value": 1}},
    ]
    queues = [{"name": "sales", "strategy": "linear", "ring_timeout_seconds": 5,
               "retry_delay_seconds": 0}]
    result = simulate(scenario(agents=agents, queues=queues))
    assert {e.agent for e in events(result, "answer")} == {"quick"}
    assert {e.agent for e in events(result, "ring-no-answer")} == {"slow"}


def test_agent_in_wrapup_is_not_rung_until_it_ends():
    queues = [{"name": "sales", "wrapup_seconds": 30, "max_wait_seconds": "none"}]
    inbound = copy.deepcopy(ONE_QUEUE["inbound"])
    inbound[0]["calls_per_hour"] = 40  # more than one agent can take: callers wait
    result = simulate(scenario(queues=queues, inbound=inbound))
    log = [e for e in result.log if e.event.value in ("ring", "complete")]
    gaps = [b.time - a.time for a, b in zip(log, log[1:], strict=False)
            if a.event.value == "complete" and b.event.value == "ring"]
    assert gaps and min(gaps) >= 30.0 - 1e-9
    # A waiting caller is rung the moment the wrap-up ends.
    assert sum(gap == pytest.approx(30.0) for gap in gaps) > 10
    kpis, _ = simulation_kpis(result)
    assert kpis["sales"].aht == pytest.approx(130.0)


def test_caller_leaves_at_the_queue_max_wait():
    queues = [{"name": "sales", "max_wait_seconds": 60}]
    inbound = copy.deepcopy(ONE_QUEUE["inbound"])
    inbound[0]["calls_per_hour"] = 60
    result = simulate(scenario(queues=queues, inbound=inbound))
    entered = times_by_call(result, "enter")
    exits = events(result, "exit-timeout")
    assert exits
    assert all(e.time - entered[e.call_id] == pytest.approx(60.0) for e in exits)
    kpis, _ = simulation_kpis(result)
    assert kpis["sales"].max_wait == pytest.approx(60.0)
    assert kpis["sales"].timed_out == len(exits)


def test_linear_strategy_gives_the_first_member_most_calls():
    agents = [{"count": 3, "prefix": "a", "skills": {"sales": 5}}]
    queues = [{"name": "sales", "strategy": "linear"}]
    result = simulate(scenario(agents=agents, queues=queues))
    taken = Counter(e.agent for e in events(result, "answer"))
    assert taken["a1"] > taken["a2"] > taken["a3"]


def test_longest_idle_strategy_spreads_calls_evenly():
    agents = [{"count": 3, "prefix": "a", "skills": {"sales": 5}}]
    result = simulate(scenario(agents=agents, duration="24h"))
    taken = Counter(e.agent for e in events(result, "answer"))
    assert max(taken.values()) - min(taken.values()) <= 2


def test_a_queue_is_answered_only_by_agents_with_its_skill():
    agents = [
        {"count": 2, "prefix": "s", "skills": {"sales": 5}},
        {"count": 2, "prefix": "h", "skills": {"help": 5}},
    ]
    queues = [{"name": "sales"}, {"name": "help"}]
    inbound = [
        {"queue": "sales", "calls_per_hour": 30, "handle_seconds": {"dist": "fixed", "value": 60}},
        {"queue": "help", "calls_per_hour": 30, "handle_seconds": {"dist": "fixed", "value": 60}},
    ]
    result = simulate(scenario(agents=agents, queues=queues, inbound=inbound))
    by_queue = defaultdict(set)
    for answer in events(result, "answer"):
        by_queue[answer.queue].add(answer.agent)
    assert by_queue == {"sales": {"s1", "s2"}, "help": {"h1", "h2"}}


def test_callers_nobody_can_answer_are_reported_unfinished_at_the_drain_limit():
    agents = [{"count": 1, "prefix": "a", "skills": {"sales": 5},
               "answer_seconds": {"dist": "fixed", "value": 60}}]
    queues = [{"name": "sales", "ring_timeout_seconds": 120, "retry_delay_seconds": 60,
               "max_wait_seconds": "none"}]
    inbound = [{"queue": "sales", "calls_per_hour": 100,
                "handle_seconds": {"dist": "fixed", "value": 60}}]
    result = simulate(scenario(agents=agents, queues=queues, inbound=inbound, duration="2m"))
    assert result.calls > 0
    # The agent answers every call after 60 s of ringing, so all are finished: nothing left.
    assert result.unfinished == 0
    slow = [{"count": 1, "prefix": "a", "skills": {"sales": 5},
             "answer_seconds": {"dist": "fixed", "value": 200}}]
    stuck = simulate(scenario(agents=slow, queues=queues, inbound=inbound, duration="2m"))
    assert stuck.unfinished == stuck.calls > 0
    assert not events(stuck, "answer")


def test_same_seed_gives_the_same_run_and_another_seed_another():
    data = copy.deepcopy(ONE_QUEUE)
    data["inbound"][0]["handle_seconds"] = {"dist": "lognormal", "mean": 120, "sd": 60}
    data["inbound"][0]["patience_seconds"] = {"dist": "exponential", "mean": 90}
    data["queues"][0]["strategy"] = "random"
    data["agents"][0]["count"] = 3
    first = simulate(parse_scenario(data))
    again = simulate(parse_scenario(data))
    assert first.log == again.log
    assert simulation_report(first) == simulation_report(again)
    data["seed"] = 4
    other = simulate(parse_scenario(data))
    assert other.log != first.log


def test_report_has_the_issue_shape():
    report = simulation_report(simulate(scenario()))
    assert list(report) == ["queues", "agents"]
    assert list(report["queues"]["sales"]) == [
        "offered", "answered", "abandoned", "service_level", "asa", "aht", "max_wait",
        "ewt_mae",
    ]
    assert list(report["agents"]) == ["occupancy"]
    assert 0 < report["agents"]["occupancy"] < 1
