"""Erlang C figures against the closed formulas and a log-space reference."""

import math

import pytest

from firmware.erlang import (
    ErlangError,
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    offered_load,
    service_level,
)


def factorial_erlang_c(agents, load):
    """The textbook formula, exact for small centers."""
    top = load**agents / math.factorial(agents) * agents / (agents - load)
    bottom = sum(load**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


def log_space_erlang_c(agents, load):
    """The same formula in logarithms, which does not overflow for big centers."""
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(agents)]
    log_top = agents * math.log(load) - math.lgamma(agents + 1) + math.log(agents / (agents - load))
    peak = max(*logs, log_top)
    total = sum(math.exp(x - peak) for x in logs) + math.exp(log_top - peak)
    return math.exp(log_top - peak) / total


def test_two_agents_with_one_erlang_wait_a_third_of_the_time():
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)


@pytest.mark.parametrize("agents, load", [(1, 0.5), (3, 2.0), (7, 5.5), (12, 11.9), (25, 20.0)])
def test_erlang_c_matches_the_factorial_formula(agents, load):
    assert erlang_c(agents, load) == pytest.approx(factorial_erlang_c(agents, load), rel=1e-12)


def test_erlang_c_stays_exact_for_thousands_of_agents():
    # load**agents / agents! overflows a float here; the recursion does not.
    with pytest.raises(OverflowError):
        factorial_erlang_c(3000, 2950.0)
    assert erlang_c(3000, 2950.0) == pytest.approx(log_space_erlang_c(3000, 2950.0), rel=1e-9)


def test_one_agent_service_level_follows_the_exponential_wait():
    # M/M/1: P(wait > t) = rho * exp(-(1 - rho) t / AHT).
    rho, aht, target = 0.6, 100.0, 30.0
    expected = 1 - rho * math.exp(-(1 - rho) * target / aht)
    assert service_level(1, rho, aht, target) == pytest.approx(expected)


def test_asa_is_probability_of_waiting_times_aht_over_spare_agents():
    assert average_speed_of_answer(2, 1.0, 120.0) == pytest.approx(1 / 3 * 120.0 / 1.0)


def test_overloaded_center_waits_always_and_never_meets_its_target():
    assert erlang_c(5, 5.0) == 1.0
    assert service_level(5, 6.0, 180.0, 20.0) == 0.0
    assert average_speed_of_answer(5, 6.0, 180.0) == math.inf


def test_agents_needed_is_the_fewest_that_reach_the_target():
    load = offered_load(200, 180.0)  # 200 calls an hour of 3 minutes: 10 erlangs
    assert load == pytest.approx(10.0)
    needed = agents_needed(load, 180.0, 20.0, 0.8)
    assert service_level(needed, load, 180.0, 20.0) >= 0.8
    assert service_level(needed - 1, load, 180.0, 20.0) < 0.8
    assert needed == 14  # the well-known 80/20 example of staffing calculators


def test_agents_needed_for_a_big_center_stays_within_a_few_of_the_load():
    needed = agents_needed(2000.0, 240.0, 20.0, 0.9)
    assert 2000 < needed < 2100


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: erlang_c(0, 1.0), "agents"),
        (lambda: erlang_c(3, -1.0), "load"),
        (lambda: erlang_c(3, float("nan")), "load"),
        (lambda: service_level(3, 1.0, 0.0, 20.0), "handle time"),
        (lambda: service_level(3, 1.0, 180.0, -5.0), "target"),
        (lambda: agents_needed(10.0, 180.0, 20.0, 1.0), "target service level"),
        (lambda: offered_load(-5, 180.0), "calls per hour"),
    ],
)
def test_meaningless_figures_are_refused_with_a_sentence(call, message):
    with pytest.raises(ErlangError, match=message):
        call()
