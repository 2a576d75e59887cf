"""Agents needed for an hour of forecast traffic: the real simulator, and Erlang C beside it.

Erlang C assumes callers who never give up, exponential handle times and an
endless stationary hour; the simulator runs the box's own ACD with the
queue's strategy, maximum wait and wrap-up, and callers who give up when
the technician says they do. The capacity page shows both.

One hour slot is simulated as a scenario of that hour's traffic held steady:
a warm-up (:data:`WARMUP`) so the hour does not begin with idle agents and
an empty queue, then :data:`MEASURED` seconds whose arrivals are measured,
on at least :data:`SEEDS` seeds, pooled; a quiet hour gets more seeds (up
to :data:`MOST_SEEDS`) until about :data:`MIN_MEASURED_CALLS` callers are
measured, since a hundred callers say little about a service level. Every
candidate head count uses the same seeds, so the callers and their handle
times are the same and only the staffing differs; the fewest agents whose
pooled service level reaches the target is found by bisection. A busy hour
is measured over fewer seconds so one run stays near
:data:`MOST_CALLS_PER_RUN` callers and a page stays quick. Results are
cached by their inputs.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

from firmware.erlang import agents_needed, offered_load
from firmware.erlang import service_level as erlang_service_level
from firmware.kpi.queues import QueueTargets, measure
from firmware.kpi.visits import queue_visits
from firmware.simulator.scenario import parse_scenario
from firmware.simulator.world import simulate
from firmware.store.models import ConfigError, Strategy

SEEDS = 3
MOST_SEEDS = 20
MIN_MEASURED_CALLS = 1000.0
WARMUP = 1800.0
MEASURED = 7200.0
MOST_CALLS_PER_RUN = 1500.0
# More than a box with four E1 spans can carry; a busier forecast is another product.
MOST_CALLS_PER_HOUR = 5000.0
_SHORTEST_MEASURED = 1800.0
_QUEUE = "plan"


class StaffingError(ConfigError):
    """A planning input that cannot be simulated, naming its field."""


@dataclass(frozen=True)
class HourPlan:
    """One hour slot's traffic and targets.

    ``aht_seconds`` is talk plus wrap-up, as the reports measure it; the
    callers talk for ``aht_seconds - wrapup_seconds`` on average
    (exponentially distributed, as Erlang C assumes). ``patience_seconds`` is
    the mean time callers wait before giving up (exponential), None if they
    never do; ``max_wait_seconds`` None means no limit.
    """

    calls_per_hour: float
    aht_seconds: float
    target_seconds: float
    target_level: float
    wrapup_seconds: float = 0.0
    patience_seconds: float | None = None
    max_wait_seconds: float | None = None
    strategy: Strategy = Strategy.LONGEST_IDLE

    def __post_init__(self) -> None:
        _check(self.calls_per_hour, "calls_per_hour", 0.0, MOST_CALLS_PER_HOUR)
        _check(self.aht_seconds, "aht_seconds", 1.0, 86400.0)
        _check(self.target_seconds, "target_seconds", 0.0, 3600.0)
        _check(self.wrapup_seconds, "wrapup_seconds", 0.0, 3600.0)
        if not 0 < self.target_level < 1:
            raise StaffingError("target_level", "must be a percentage above 0 and below 100")
        if self.aht_seconds <= self.wrapup_seconds:
            raise StaffingError("aht_seconds", "must be longer than the queue's wrap-up")
        if self.patience_seconds is not None:
            _check(self.patience_seconds, "patience_seconds", 1.0, 86400.0)
        if self.max_wait_seconds is not None:
            _check(self.max_wait_seconds, "max_wait_seconds", 1.0, 86400.0)


@dataclass(frozen=True)
class HourStaffing:
    """Agents needed for one slot: simulated and Erlang C, each with its service level.

    ``reached`` is False when even ``agents`` simulated agents stayed below
    the target (the search's ceiling); zero calls need zero agents.
    """

    agents: int
    service_level: float | None
    erlang_agents: int
    erlang_service_level: float | None
    reached: bool = True


_CACHE_SIZE = 4096
_cache: OrderedDict[HourPlan, HourStaffing] = OrderedDict()
_cache_lock = threading.Lock()


def erlang_agents(plan: HourPlan) -> int:
    """The Erlang C head count for the slot: :func:`firmware.erlang.agents_needed`."""
    if plan.calls_per_hour == 0:
        return 0
    load = offered_load(plan.calls_per_hour, plan.aht_seconds)
    return agents_needed(load, plan.aht_seconds, plan.target_seconds, plan.target_level)


def cached_plan(plan: HourPlan) -> HourStaffing | None:
    """The slot's answer if it was worked out before (or needs no simulation), else None."""
    if plan.calls_per_hour == 0:
        return HourStaffing(0, None, 0, None)
    with _cache_lock:
        return _cache.get(plan)


def plan_hour(plan: HourPlan) -> HourStaffing:
    """Both head counts for one slot (cached: the same inputs are not simulated twice)."""
    known = cached_plan(plan)
    if known is not None:
        return known
    staffing = _plan(plan)
    with _cache_lock:
        _cache[plan] = staffing
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return staffing


def _plan(plan: HourPlan) -> HourStaffing:
    if plan.calls_per_hour == 0:
        return HourStaffing(0, None, 0, None)
    erlang = erlang_agents(plan)
    load = offered_load(plan.calls_per_hour, plan.aht_seconds)
    erlang_level = erlang_service_level(erlang, load, plan.aht_seconds, plan.target_seconds)
    levels: dict[int, float] = {}

    def good(agents: int) -> bool:
        if agents not in levels:
            levels[agents] = simulated_service_level(plan, agents)
        return levels[agents] >= plan.target_level

    ceiling = max(2 * erlang, erlang + 5)
    if good(erlang):
        low, high = 0, erlang  # low fails (no agents answer nobody), high succeeds
    else:
        low, high = erlang, erlang
        while not good(high):
            low = high
            if high >= ceiling:
                return HourStaffing(high, levels[high], erlang, erlang_level, reached=False)
            high = min(ceiling, 2 * high)
    while high - low > 1:
        middle = (low + high) // 2
        if good(middle):
            high = middle
        else:
            low = middle
    return HourStaffing(high, levels[high], erlang, erlang_level)


def simulated_service_level(plan: HourPlan, agents: int) -> float:
    """The service level of ``agents`` agents on the slot's traffic, pooled over the seeds."""
    if agents < 1:
        raise StaffingError("agents", "must be at least one")
    measured = MEASURED
    expected = plan.calls_per_hour / 3600.0 * (WARMUP + MEASURED)
    if expected > MOST_CALLS_PER_RUN:
        measured = max(
            _SHORTEST_MEASURED, MOST_CALLS_PER_RUN / plan.calls_per_hour * 3600.0 - WARMUP
        )
    per_seed = plan.calls_per_hour / 3600.0 * measured
    seeds = min(MOST_SEEDS, max(SEEDS, math.ceil(MIN_MEASURED_CALLS / per_seed)))
    within = 0.0
    offered = 0
    targets = {_QUEUE: QueueTargets(plan.target_seconds, plan.wrapup_seconds, 0.0)}
    for seed in range(1, seeds + 1):
        result = simulate(parse_scenario(_scenario(plan, agents, seed, WARMUP + measured)))
        visits = [
            v for v in queue_visits(result.log) if WARMUP <= v.entered < WARMUP + measured
        ]
        kpis = measure(_QUEUE, visits, targets)
        if kpis.service_level is not None:
            within += kpis.service_level * kpis.offered
            offered += kpis.offered
    return within / offered if offered else 1.0


def _scenario(plan: HourPlan, agents: int, seed: int, duration: float) -> dict[str, object]:
    # A skills-based queue needs skills the plan does not know; every agent is
    # equal here, so the longest-idle order stands in for it.
    strategy = plan.strategy
    if strategy is Strategy.SKILLS_BASED:
        strategy = Strategy.LONGEST_IDLE
    patience: object = "none"
    if plan.patience_seconds is not None:
        patience = {"dist": "exponential", "mean": plan.patience_seconds}
    return {
        "seed": seed,
        "duration": duration,
        "agents": [{"count": agents, "prefix": "a", "skills": {_QUEUE: 5}}],
        "queues": [{
            "name": _QUEUE,
            "strategy": strategy.value,
            "service_level_seconds": max(plan.target_seconds, 1.0),
            "wrapup_seconds": plan.wrapup_seconds,
            "max_wait_seconds": "none" if plan.max_wait_seconds is None
            else plan.max_wait_seconds,
        }],
        "inbound": [{
            "queue": _QUEUE,
            "calls_per_hour": plan.calls_per_hour,
            "handle_seconds": {
                "dist": "exponential", "mean": plan.aht_seconds - plan.wrapup_seconds
            },
            "patience_seconds": patience,
        }],
    }


def _check(value: object, field: str, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StaffingError(field, "must be a number")
    if not math.isfinite(value) or not low <= value <= high:
        raise StaffingError(field, f"must be from {low:g} to {high:g}")
