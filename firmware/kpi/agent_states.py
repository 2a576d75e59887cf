"""Time agents spent in each state, summed from the agent state log.

Every state change is logged with its time, and a state lasts until the
agent's next entry, so the time in each state is exact: no sampling. The
state an agent was in when the window opens is their last entry before it;
an agent with no entry before the window is counted from their first entry
in it. The last state lasts until the window closes.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
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


def state_seconds_between(
    log: Iterable[AgentStateEntry], boundaries: Sequence[float]
) -> list[dict[AgentState, float]]:
    """Agent-seconds in each state, all agents summed, between each pair of ``boundaries``.

    ``boundaries`` are increasing times; the result has one entry fewer. One
    pass over the log, so an hour-by-hour month costs little more than a day.
    """
    if len(boundaries) < 2:
        return []
    if any(b >= a for a, b in zip(boundaries[1:], boundaries, strict=False)):
        raise KpiError("the boundaries of the periods must increase")
    parts: list[dict[AgentState, list[float]]] = [{} for _ in boundaries[1:]]
    start, end = boundaries[0], boundaries[-1]
    for spans in _spans(log, start, end).values():
        for entry, seconds in spans:
            span_start = max(entry.time, start)
            span_end = span_start + seconds
            index = max(0, bisect.bisect_right(boundaries, span_start) - 1)
            while index < len(parts) and boundaries[index] < span_end:
                inside = min(span_end, boundaries[index + 1]) - max(span_start, boundaries[index])
                if inside > 0:
                    parts[index].setdefault(entry.state, []).append(inside)
                index += 1
    return [{state: math.fsum(v) for state, v in part.items()} for part in parts]


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
