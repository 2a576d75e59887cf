"""The simulator's answer: KPIs per queue and agent occupancy, in the issue's JSON shape."""

from __future__ import annotations

import math
from typing import Any

from firmware.kpi.occupancy import occupancy
from firmware.kpi.queues import QueueKpis, QueueTargets, queue_kpis
from firmware.simulator.world import SimulationResult


def queue_targets(result: SimulationResult) -> dict[str, QueueTargets]:
    """Each scenario queue's service-level target, wrap-up and short-abandon threshold."""
    return {
        spec.name: QueueTargets(
            spec.service_level_seconds, spec.wrapup_seconds, spec.short_abandon_seconds
        )
        for spec in result.scenario.queues
    }


def simulation_kpis(result: SimulationResult) -> tuple[dict[str, QueueKpis], float | None]:
    """Per-queue figures of the run, and the agents' occupancy over the scenario's duration."""
    targets = queue_targets(result)
    kpis = queue_kpis(result.log, targets)
    busy = occupancy(result.log, result.staffed_seconds, 0.0, result.scenario.duration, targets)
    return kpis, busy


def ewt_mae(result: SimulationResult, queue: str) -> float | None:
    """Mean absolute error, in seconds, of the wait the ACD estimated for each answered caller.

    The estimate is the one the caller would hear on entering the queue
    (:meth:`firmware.acd.service.Acd.position_and_wait`); the actual wait is
    until an agent answered. Callers without an estimate (before the queue's
    first handled call) or without an answer are left out; None when none is left.
    """
    errors = result.ewt_errors.get(queue, ())
    return math.fsum(errors) / len(errors) if errors else None


def simulation_report(result: SimulationResult) -> dict[str, Any]:
    """``{"queues": {NAME: {offered, answered, abandoned, service_level, asa, aht,
    max_wait, ewt_mae}}, "agents": {"occupancy"}}``: times in seconds, rates as
    fractions, null where there was nothing to measure.

    The seven figures are the issue's; ``ewt_mae`` (see :func:`ewt_mae`) is
    the error of the estimated wait time that callers are told.
    """
    kpis, busy = simulation_kpis(result)
    return {
        "queues": {
            name: {
                **{key: _rounded(key, value) for key, value in figures.as_dict().items()},
                "ewt_mae": _rounded("ewt_mae", ewt_mae(result, name)),
            }
            for name, figures in kpis.items()
        },
        "agents": {"occupancy": _rounded("occupancy", busy)},
    }


def _rounded(key: str, value: int | float | None) -> int | float | None:
    # Fractions to 0.01 %, seconds to the millisecond: more digits would be noise.
    if value is None or isinstance(value, int):
        return value
    return round(value, 4 if key in ("service_level", "occupancy") else 3)
