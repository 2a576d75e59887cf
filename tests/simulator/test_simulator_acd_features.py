"""The simulator runs the ACD's skills, widening, priorities, overflow and wait estimates."""

from collections import Counter

import pytest

from firmware.simulator.errors import ScenarioError
from firmware.simulator.report import simulation_kpis, simulation_report
from firmware.simulator.scenario import parse_scenario
from firmware.simulator.world import simulate

FIXED_60 = {"dist": "fixed", "value": 60}


def test_skills_based_queue_prefers_the_most_proficient_free_agent():
    result = simulate(parse_scenario({
        "seed": 2, "duration": "4h",
        "agents": [{"name": "expert", "skills": {"sales": 9}},
                   {"name": "junior", "skills": {"sales": 2}}],
        "queues": [{"name": "sales", "strategy": "skills-based"}],
        "inbound": [{"queue": "sales", "calls_per_hour": 20, "handle_seconds": FIXED_60}],
    }))
    taken = Counter(e.agent for e in result.log if e.event.value == "answer")
    assert taken["expert"] > taken["junior"] > 0
    # The junior is rung only while the expert is on a call.
    expert_busy, start = [], None
    for e in result.log:
        if e.agent == "expert" and e.event.value == "answer":
            start = e.time
        elif e.agent == "expert" and e.event.value == "complete":
            expert_busy.append((start, e.time))
    junior_rings = [e.time for e in result.log if e.agent == "junior" and e.event.value == "ring"]
    assert all(any(a <= t <= b for a, b in expert_busy) for t in junior_rings)


def test_widening_lets_a_less_skilled_agent_answer_after_the_wait():
    scenario = {
        "seed": 4, "duration": "2h",
        "agents": [{"name": "junior", "skills": {"billing": 3}}],
        "queues": [{"name": "billing", "strategy": "skills-based", "skills": {"billing": 7},
                    "skill_widen_seconds": 20, "skill_widen_step": 2, "max_wait_seconds": "none"}],
        "inbound": [{"queue": "billing", "calls_per_hour": 10, "handle_seconds": FIXED_60}],
    }
    result = simulate(parse_scenario(scenario))
    kpis, _ = simulation_kpis(result)
    # Level 7 drops to 5 after 20 s and to 3 after 40 s: nobody is answered sooner.
    waits = [float(e.data) for e in result.log if e.event.value == "answer"]
    assert waits and min(waits) >= 40.0
    assert kpis["billing"].answered == result.calls


def test_high_priority_callers_wait_less():
    result = simulate(parse_scenario({
        "seed": 5, "duration": "8h",
        "agents": [{"count": 3, "prefix": "a", "skills": {"line": 5}}],
        "queues": [{"name": "line", "max_wait_seconds": "none"}],
        "inbound": [
            {"queue": "line", "calls_per_hour": 40, "priority": 5,
             "handle_seconds": {"dist": "exponential", "mean": 120}},
            {"queue": "line", "calls_per_hour": 40,
             "handle_seconds": {"dist": "exponential", "mean": 120}},
        ],
    }))
    entered = {e.call_id: e.time for e in result.log if e.event.value == "enter"}
    waits: dict[str, list[float]] = {"in0": [], "in1": []}
    for e in result.log:
        if e.event.value == "answer":
            waits[e.call_id.split("-")[0]].append(e.time - entered[e.call_id])
    vip, other = (sum(w) / len(w) for w in (waits["in0"], waits["in1"]))
    assert vip < other / 3


def test_overflow_agents_take_the_callers_the_first_group_cannot():
    result = simulate(parse_scenario({
        "seed": 6, "duration": "4h",
        "agents": [{"name": "s1", "skills": {"sales": 5}},
                   {"name": "h1", "skills": {"help": 5}}],
        "queues": [{"name": "sales", "overflow_queue": "help", "overflow_after_seconds": 10,
                    "max_wait_seconds": "none"},
                   {"name": "help"}],
        "inbound": [{"queue": "sales", "calls_per_hour": 50, "handle_seconds": FIXED_60}],
    }))
    answers = Counter(e.agent for e in result.log if e.event.value == "answer")
    assert answers["h1"] > 0 and answers["s1"] > answers["h1"]
    assert {e.queue for e in result.log} == {"sales"}


def test_wait_estimate_error_is_reported_and_beats_guessing_no_wait():
    result = simulate(parse_scenario({
        "seed": 8, "duration": "8h",
        "agents": [{"count": 4, "prefix": "a", "skills": {"q": 1}}],
        "queues": [{"name": "q", "max_wait_seconds": "none"}],
        "inbound": [{"queue": "q", "calls_per_hour": 110,
                     "handle_seconds": {"dist": "exponential", "mean": 120}}],
    }))
    figures = simulation_report(result)["queues"]["q"]
    assert len(result.ewt_errors["q"]) > 500
    assert 0 < figures["ewt_mae"] < figures["asa"]


def test_agent_states_of_the_run_are_logged():
    result = simulate(parse_scenario({
        "seed": 1, "duration": "1h",
        "agents": [{"count": 2, "prefix": "a", "skills": {"q": 1}}],
        "queues": [{"name": "q", "wrapup_seconds": 10}],
        "inbound": [{"queue": "q", "calls_per_hour": 30, "handle_seconds": FIXED_60}],
    }))
    kinds = Counter(s.state.value for s in result.states)
    assert kinds["wrap-up"] == sum(e.event.value == "wrapup" for e in result.log) > 0


@pytest.mark.parametrize("change, field", [
    ({"queues": [{"name": "q", "skills": {"q": 3}}]}, "queues[0].skills"),
    ({"queues": [{"name": "q", "strategy": "skills-based", "skills": {"q": 11}}]},
     "queues[0].skills.q"),
    ({"queues": [{"name": "q", "strategy": "skills-based", "skills": {"welsh": 1}}]},
     "queues[0].skills"),
    ({"queues": [{"name": "q", "overflow_queue": "nowhere"}]}, "queues[0].overflow_queue"),
    ({"queues": [{"name": "q", "max_length": "ten"}]}, "queues[0].max_length"),
    ({"inbound": [{"queue": "q", "calls_per_hour": 5, "handle_seconds": FIXED_60,
                   "priority": 12}]}, "inbound[0].priority"),
    ({"agents": [{"name": "a", "skills": {"qq": 2}}]}, "agents[0].skills.qq"),
])
def test_bad_acd_fields_are_refused_with_their_path(change, field):
    data = {
        "duration": "1h",
        "agents": [{"name": "a", "skills": {"q": 2}}],
        "queues": [{"name": "q"}],
        "inbound": [{"queue": "q", "calls_per_hour": 5, "handle_seconds": FIXED_60}],
        **change,
    }
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert caught.value.field == field
