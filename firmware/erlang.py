"""Erlang C: the textbook staffing figures, beside the simulator's.

Erlang C models a queue with Poisson arrivals, exponential handle times, N
identical agents, first come first served, and callers who never give up
(M/M/N). A manager knows it from every staffing calculator, so the capacity
page shows it next to the simulation, which needs none of those assumptions.

``load`` is the offered traffic in erlangs: calls per second times the mean
handle time in seconds (:func:`offered_load`). Everything is computed through
the Erlang B recursion B(0) = 1, B(n) = A*B(n-1) / (n + A*B(n-1)), whose terms
stay within [0, 1], so thousands of agents give exact figures where the
factorial formula overflows.
"""

from __future__ import annotations

import math

_MOST_AGENTS = 1_000_000


class ErlangError(ValueError):
    """Figures asked for with a traffic or staffing that means nothing (negative load)."""


def offered_load(calls_per_hour: float, aht_seconds: float) -> float:
    """Traffic in erlangs: the average number of calls in progress if none waited."""
    _check_positive(calls_per_hour, "calls per hour")
    _check_positive(aht_seconds, "the handle time")
    return calls_per_hour / 3600.0 * aht_seconds


def erlang_b(agents: int, load: float) -> float:
    """Probability that a caller finds all ``agents`` busy when nobody can wait (blocking)."""
    _check_agents(agents)
    _check_load(load)
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """Probability that a caller has to wait: C = N*B / (N - A*(1 - B)).

    With as much traffic as agents or more (A >= N) the queue grows without
    end and every caller waits: 1.0.
    """
    _check_agents(agents)
    _check_load(load)
    if load >= agents:
        return 1.0
    return _c_from_b(agents, load, erlang_b(agents, load))


def service_level(agents: int, load: float, aht_seconds: float, target_seconds: float) -> float:
    """Fraction of callers answered within ``target_seconds``.

    SL = 1 - C * exp(-(N - A) * T / AHT); 0.0 when A >= N.
    """
    _check_positive(aht_seconds, "the handle time")
    _check_target(target_seconds)
    wait_probability = erlang_c(agents, load)
    if load >= agents:
        return 0.0
    return _service_level(agents, load, wait_probability, aht_seconds, target_seconds)


def average_speed_of_answer(agents: int, load: float, aht_seconds: float) -> float:
    """Mean wait over all callers, in seconds: ASA = C * AHT / (N - A); inf when A >= N."""
    _check_positive(aht_seconds, "the handle time")
    wait_probability = erlang_c(agents, load)
    if load >= agents:
        return math.inf
    return wait_probability * aht_seconds / (agents - load)


def agents_needed(
    load: float, aht_seconds: float, target_seconds: float, target_level: float
) -> int:
    """The fewest agents whose service level reaches ``target_level`` (a fraction below 1).

    One pass of the Erlang B recursion: each extra agent costs one step, so
    a center of a thousand agents is answered in a thousand steps.
    """
    _check_load(load)
    _check_positive(aht_seconds, "the handle time")
    _check_target(target_seconds)
    if isinstance(target_level, bool) or not 0 < target_level < 1:
        raise ErlangError(f"the target service level must be a fraction above 0 and below 1, "
                          f"not {target_level!r}")
    if load == 0:
        return 1
    blocking = 1.0
    for n in range(1, _MOST_AGENTS + 1):
        blocking = load * blocking / (n + load * blocking)
        if n <= load:
            continue
        level = _service_level(n, load, _c_from_b(n, load, blocking), aht_seconds, target_seconds)
        if level >= target_level:
            return n
    raise ErlangError(f"a load of {load:g} erlangs needs more than {_MOST_AGENTS} agents")


def _c_from_b(agents: int, load: float, blocking: float) -> float:
    return agents * blocking / (agents - load * (1.0 - blocking))


def _service_level(
    agents: int, load: float, wait_probability: float, aht: float, target: float
) -> float:
    return 1.0 - wait_probability * math.exp(-(agents - load) * target / aht)


def _check_agents(agents: int) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int) or not 1 <= agents <= _MOST_AGENTS:
        raise ErlangError(f"agents must be a whole number from 1 to {_MOST_AGENTS}, not {agents!r}")


def _check_load(load: float) -> None:
    if isinstance(load, bool) or not isinstance(load, int | float):
        raise ErlangError(f"the load must be a number of erlangs, not {load!r}")
    if not math.isfinite(load) or load < 0:
        raise ErlangError(f"the load must be zero or more erlangs, not {load!r}")


def _check_positive(value: float, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ErlangError(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ErlangError(f"{what} must be above zero, not {value!r}")


def _check_target(target_seconds: float) -> None:
    if isinstance(target_seconds, bool) or not isinstance(target_seconds, int | float):
        raise ErlangError(f"the answer-time target must be a number, not {target_seconds!r}")
    if not math.isfinite(target_seconds) or target_seconds < 0:
        raise ErlangError(f"the answer-time target must be zero or more seconds, "
                          f"not {target_seconds!r}")
