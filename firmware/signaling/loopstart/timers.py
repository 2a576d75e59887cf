"""Named deadlines for a sans-I/O machine, without threads.

In the manner of aioquic, the machine only answers "when do you next need me?"
and is told when that time has come; the shell does the sleeping. Keeping the
deadlines here lets both machines fire them in the same, predictable order.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=enum.Enum)


class TimerSet(Generic[K]):
    """At most one deadline per timer name; the earliest fires first."""

    def __init__(self) -> None:
        self._deadlines: dict[K, float] = {}

    def arm(self, name: K, deadline: float) -> None:
        """Set (or move) the deadline of ``name``."""
        self._deadlines[name] = deadline

    def cancel(self, name: K) -> None:
        """Forget ``name``; cancelling a timer that is not armed is harmless."""
        self._deadlines.pop(name, None)

    def keep_only(self, names: Iterable[K]) -> None:
        """Drop every timer not in ``names``: a new state cancels the old state's timers."""
        keep = set(names)
        for name in [n for n in self._deadlines if n not in keep]:
            del self._deadlines[name]

    def is_armed(self, name: K) -> bool:
        return name in self._deadlines

    def next_deadline(self) -> float | None:
        return min(self._deadlines.values(), default=None)

    def pop_due(self, now: float) -> tuple[K, float] | None:
        """Remove and return the earliest timer due at ``now``, with its deadline."""
        if not self._deadlines:
            return None
        name = min(self._deadlines, key=self._deadlines.__getitem__)
        deadline = self._deadlines[name]
        if deadline > now:
            return None
        del self._deadlines[name]
        return name, deadline
