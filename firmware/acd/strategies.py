"""Ring strategies: given a queue's free members, who rings next.

Each strategy orders candidates; ``ring-all`` rings every one of them at once,
the others ring the first. Members already tried for this caller in the current
round go last, so a phone that does not answer is not rung again and again
while a colleague is free.

``skills-based`` is given only agents who meet the caller's current minimum
levels (the ACD filters them); among those the best match rings first: the
highest total proficiency in the skills the queue requires, then the longest
idle, then member order.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from firmware.acd.agents import AgentRuntime
from firmware.store.models import Strategy

STRATEGIES = tuple(s.value for s in Strategy)


class RoundRobinMemory:
    """Remembers, per queue, the member rung last, so round-robin resumes after them."""

    def __init__(self) -> None:
        self._last: dict[str, str] = {}

    def order(self, queue: str, members: Sequence[str]) -> list[str]:
        last = self._last.get(queue)
        if last in members:
            start = members.index(last) + 1
            return list(members[start:]) + list(members[:start])
        return list(members)

    def rang(self, queue: str, agent: str) -> None:
        self._last[queue] = agent


def choose(
    strategy: str,
    queue: str,
    members: Sequence[str],
    free: Sequence[AgentRuntime],
    tried: set[str],
    memory: RoundRobinMemory,
    rng: random.Random,
    required: Mapping[str, int] | None = None,
) -> list[AgentRuntime]:
    """The agents to ring now for a caller of ``queue`` (empty: nobody free).

    ``required`` are the skills a skills-based queue asks for; only their
    names matter here, the levels were checked by the caller.
    """
    if not free:
        return []
    if strategy == "ring-all":
        return list(free)
    fresh = [a for a in free if a.name not in tried] or list(free)
    position = {name: i for i, name in enumerate(members)}
    if strategy == "longest-idle":
        pick = min(fresh, key=lambda a: (a.idle_since, position.get(a.name, 0)))
    elif strategy == "fewest-calls":
        pick = min(fresh, key=lambda a: (a.calls_taken, position.get(a.name, 0)))
    elif strategy == "random":
        pick = rng.choice(sorted(fresh, key=lambda a: a.name))
    elif strategy == "linear":
        pick = min(fresh, key=lambda a: position.get(a.name, 0))
    elif strategy == "round-robin":
        names = {a.name: a for a in fresh}
        pick = next(names[n] for n in memory.order(queue, members) if n in names)
    elif strategy == "skills-based":
        skills = tuple(required or ())
        pick = min(
            fresh,
            key=lambda a: (
                -sum(a.level(s) for s in skills), a.idle_since, position.get(a.name, 0)
            ),
        )
    else:
        raise ValueError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    return [pick]
