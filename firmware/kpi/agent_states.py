"""Time agents spent in each state, summed from the agent state log.

Every state change is logged with its time, and a state lasts until the
agent's next entry, so the time in each state is exact: no sampling. The
state an agent was in when the window opens is their last entry before it;
an agent with no entry before the window is counted from their first entry
in it. The last state lasts until the window closes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TypeVar

from firmware.kpi.queues import KpiError
from firmware.store.models import AgentState, AgentStateEntry

_K = TypeVar("_K")


def state_durations(
    log: Iterable[AgentStateEntry], start: float, end: float
) -> dict[str, dict[AgentState, float]]:
    """Seconds each agent spent in each state within [start, end]; states never seen are absent.

    Pauses are summed per state, not per reason; use :func:`pause_durations`
    for the reasons.
    """
    return {
        agent: _sum_by(spans, lambda entry: entry.state)
        for agent, spans in _spans(log, start, end).items()
    }


def pause_durations(
    log: Iterable[AgentStateEntry], start: float, end: float
) -> dict[str, dict[str, float]]:
    """Seconds each agent spent paused within [start, end], by reason."""
    result: dict[str, dict[str, float]] = {}
    for agent, spans in _spans(log, start, end).items():
        paused = [(e, s) for e, s in spans if e.state is AgentState.PAUSED]
        if paused:
            result[agent] = _sum_by(paused, lambda entry: entry.reason or "")
    return result


def _spans(
    log: Iterable[AgentStateEntry], start: float, end: float
) -> dict[str, list[tuple[AgentStateEntry, float]]]:
    """Per agent, each entry with the seconds of it that fall inside the window."""
    if not (math.isfinite(start) and math.isfinite(end)) or end < start:
        raise KpiError(f"the window must end after it starts, not [{start}, {end}]")
    by_agent: dict[str, list[AgentStateEntry]] = {}
    for entry in sorted(log, key=lambda e: e.time):  # stable: same-time order kept
        by_agent.setdefault(entry.agent, []).append(entry)
    spans: dict[str, list[tuple[AgentStateEntry, float]]] = {}
    for agent, entries in by_agent.items():
        result = []
        for entry, following in zip(entries, [*entries[1:], None], strict=True):
            until = end if following is None else min(following.time, end)
            seconds = until - max(entry.time, start)
            if seconds > 0:
                result.append((entry, seconds))
        spans[agent] = result
    return spans


def _sum_by(
    spans: list[tuple[AgentStateEntry, float]], key: Callable[[AgentStateEntry], _K]
) -> dict[_K, float]:
    parts: dict[_K, list[float]] = {}
    for entry, seconds in spans:
        parts.setdefault(key(entry), []).append(seconds)
    return {k: math.fsum(v) for k, v in parts.items()}
