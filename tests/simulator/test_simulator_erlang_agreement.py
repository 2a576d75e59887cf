"""The simulator agrees with Erlang C where Erlang C holds.

Poisson arrivals, exponential handle times, one FIFO queue, callers who never
give up, agents who answer at once and have no wrap-up: that is the M/M/N
queue, so the simulated service level and occupancy must match the formulas.

Tolerances are about four standard deviations of a single run's estimate,
measured over ten other seeds at the same run length (service level: 0.009,
0.014, 0.012; occupancy: 0.010, 0.008, 0.005). Each is also less than half the
distance to the figure for one agent more or one fewer, so an ACD that lost
an agent, or served out of order, would fail.
"""

import pytest

from firmware.erlang import service_level
from firmware.simulator.report import simulation_kpis
from firmware.simulator.scenario import parse_scenario
from firmware.simulator.world import simulate

AHT = 60.0
TARGET = 10.0

# (agents, load in erlangs, calls to simulate, service-level tolerance, occupancy tolerance)
LOADS = [
    (2, 1.2, 8_000, 0.04, 0.04),
    (5, 3.5, 15_000, 0.06, 0.035),
    (10, 7.5, 30_000, 0.046, 0.02),
]


def mmn_scenario(agents, load, calls, seed):
    calls_per_hour = load / AHT * 3600.0
    return parse_scenario({
        "seed": seed,
        "duration": calls / calls_per_hour * 3600.0,
        "agents": [{"count": agents, "prefix": "a", "skills": {"q": 1}}],
        "queues": [{"name": "q", "strategy": "longest-idle", "service_level_seconds": TARGET,
                    "max_wait_seconds": "none"}],
        "inbound": [{"queue": "q", "calls_per_hour": calls_per_hour,
                     "handle_seconds": {"dist": "exponential", "mean": AHT},
                     "patience_seconds": "none"}],
    })


@pytest.mark.parametrize(
    "agents, load, calls, sl_tolerance, occupancy_tolerance",
    LOADS,
    ids=[f"{n}-agents-{a}-erlangs" for n, a, *_ in LOADS],
)
def test_service_level_and_occupancy_agree_with_erlang_c(
    agents, load, calls, sl_tolerance, occupancy_tolerance
):
    expected = service_level(agents, load, AHT, TARGET)
    neighbours = [service_level(n, load, AHT, TARGET) for n in (agents - 1, agents + 1)]
    assert all(sl_tolerance < abs(expected - other) / 2 for other in neighbours)

    result = simulate(mmn_scenario(agents, load, calls, seed=1))
    kpis, busy = simulation_kpis(result)
    figures = kpis["q"]
    assert figures.offered == figures.answered == result.calls
    assert figures.service_level == pytest.approx(expected, abs=sl_tolerance)
    assert busy == pytest.approx(load / agents, abs=occupancy_tolerance)
    assert figures.aht == pytest.approx(AHT, rel=0.05)
