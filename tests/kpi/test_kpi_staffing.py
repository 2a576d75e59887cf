"""Capacity planning: Erlang C as firmware.erlang computes it, and the simulator's head count."""

import pytest

from firmware.erlang import agents_needed, offered_load
from firmware.erlang import service_level as erlang_service_level
from firmware.kpi.staffing import (
    HourPlan,
    StaffingError,
    cached_plan,
    erlang_agents,
    plan_hour,
    simulated_service_level,
)


@pytest.mark.parametrize(("calls", "aht", "target", "level"), [
    (30, 120, 20, 0.8), (120, 180, 20, 0.8), (400, 240, 30, 0.9), (5, 300, 10, 0.5),
])
def test_the_erlang_figure_is_agents_needed_for_the_hours_load(calls, aht, target, level):
    plan = HourPlan(calls, aht, target, level)
    expected = agents_needed(offered_load(calls, aht), aht, target, level)
    assert erlang_agents(plan) == expected


def test_an_hour_without_calls_needs_nobody_and_is_not_simulated():
    quiet = HourPlan(0, 180, 20, 0.8)
    assert cached_plan(quiet) is not None
    assert plan_hour(quiet).agents == 0 and plan_hour(quiet).erlang_agents == 0


def test_the_simulated_head_count_is_the_fewest_agents_reaching_the_target():
    plan = HourPlan(30, 120, 20, 0.8, max_wait_seconds=600)
    result = plan_hour(plan)
    assert result.reached
    assert result.service_level >= 0.8
    assert simulated_service_level(plan, result.agents - 1) < 0.8
    # Erlang C and the simulation describe the same queue here: close, not equal.
    assert abs(result.agents - result.erlang_agents) <= 1
    load = offered_load(30, 120)
    assert result.erlang_service_level == pytest.approx(
        erlang_service_level(result.erlang_agents, load, 120, 20)
    )


def test_the_same_inputs_are_answered_from_the_cache():
    plan = HourPlan(12, 150, 20, 0.8, wrapup_seconds=10)
    assert cached_plan(plan) is None
    first = plan_hour(plan)
    assert cached_plan(plan) is first
    assert plan_hour(plan) is first


def test_callers_who_give_up_are_simulated():
    patient = simulated_service_level(HourPlan(60, 180, 20, 0.8), 2)
    impatient = simulated_service_level(HourPlan(60, 180, 20, 0.8, patience_seconds=30), 2)
    # With 3 erlangs on 2 agents the queue grows without end unless callers leave.
    assert patient < 0.2
    assert impatient > patient


@pytest.mark.parametrize(("fields", "field"), [
    ({"aht_seconds": 10, "wrapup_seconds": 10}, "aht_seconds"),
    ({"target_level": 1.0}, "target_level"),
    ({"calls_per_hour": -1}, "calls_per_hour"),
    ({"patience_seconds": 0}, "patience_seconds"),
])
def test_a_plan_that_cannot_be_simulated_names_its_field(fields, field):
    values = {"calls_per_hour": 30, "aht_seconds": 120, "target_seconds": 20,
              "target_level": 0.8, **fields}
    with pytest.raises(StaffingError) as caught:
        HourPlan(**values)
    assert caught.value.field == field
