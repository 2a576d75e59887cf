"""The flow editor's test mode: a flow walked on the real :class:`IvrSession`, no call needed.

The technician types keys ("1", "#", or "." to stay silent until the node
times out) and says how the outside world behaves (schedules open or closed,
HTTP lookups answering or failing, transfers answered or not); the walk
reports every node entered and every prompt that would play, in order, so
what the browser shows is what a caller would get.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from firmware.ivr import actions as act
from firmware.ivr.lookup import LookupResult
from firmware.ivr.schedule import FixedSchedule, ScheduleView
from firmware.ivr.session import IvrSession

SILENCE = "."
KEYS = "0123456789*#"
MAX_STEPS = 500  # a walk longer than this is cut short (a flow that loops through menus)


class WalkError(ValueError):
    """The test input cannot be used (an unknown key), in a plain sentence."""


@dataclass(frozen=True)
class WalkWorld:
    """How the outside world answers during a test walk."""

    caller_number: str = ""
    schedules_open: bool = True
    holiday: str | None = None
    lookup_ok: bool = True
    lookup_values: Mapping[str, str] = field(default_factory=dict)
    transfer_answered: bool = True


@dataclass(frozen=True)
class _WallClock:
    wall_time: float

    def now(self) -> float:
        return 0.0

    def wall(self) -> float:
        return self.wall_time


def walk_flow(
    definition: Mapping[str, Any],
    keys: str,
    world: WalkWorld,
    schedule_names: list[str],
    wall: float,
) -> dict[str, Any]:
    """Walk a validated flow with ``keys``; returns {"steps", "node", "finished", "waiting", …}."""
    for key in keys:
        if key not in KEYS and key != SILENCE and not key.isspace():
            raise WalkError(f"{key!r} is not a telephone key; use 0-9, * and #, or . to wait")
    schedules: dict[str, ScheduleView] = {
        name: FixedSchedule(world.schedules_open, world.holiday) for name in schedule_names
    }
    session = IvrSession(
        definition, caller_number=world.caller_number or None, schedules=schedules,
        clock=_WallClock(wall), flow_name="test",
    )
    steps: list[dict[str, str]] = []
    playing: deque[str] = deque()
    timer: list[str | None] = [None]
    seen = 0
    typed = deque(k for k in keys if not k.isspace())

    def record_path() -> None:
        nonlocal seen
        for node_id in session.path[seen:]:
            kind = definition["nodes"][node_id]["type"]
            steps.append({"kind": "node", "node": node_id, "text": f"{node_id} ({kind})"})
        seen = len(session.path)

    def run(actions: list[act.IvrAction]) -> None:
        record_path()
        for action in actions:
            match action:
                case act.Play(prompt=prompt, tag=tag):
                    steps.append({"kind": "play", "text": prompt})
                    playing.append(tag)
                case act.StartTimer(tag=tag):
                    timer[0] = tag
                case act.CancelTimer():
                    timer[0] = None
                case act.Lookup(url=url):
                    steps.append({"kind": "lookup", "text": f"GET {url}"})
                    result = (
                        LookupResult(True, dict(world.lookup_values))
                        if world.lookup_ok
                        else LookupResult(False, problem="simulated failure")
                    )
                    run(session.lookup_finished(action.tag, result))
                case act.Transfer(kind=kind, number=number):
                    steps.append({"kind": "transfer", "text": f"transfer to {kind} {number}"})
                    if world.transfer_answered:
                        run(session.transfer_connected())
                    else:
                        run(session.transfer_failed("not answered (simulated)"))
                case act.StartRecording(mailbox=mailbox):
                    steps.append({"kind": "record", "text": f"recording for mailbox {mailbox}"})
                case act.StopRecording():
                    steps.append({"kind": "record", "text": "recording ended, message kept"})
                case act.Enqueue(queue=queue, priority=priority):
                    steps.append({"kind": "end", "text": f"queue {queue} (priority {priority})"})
                case act.Hangup(reason=reason):
                    steps.append({"kind": "end", "text": f"hang up ({reason})"})
                case act.StopPlayout():
                    playing.clear()

    run(session.start())
    for _ in range(MAX_STEPS):
        if session.finished:
            break
        if playing:
            run(session.prompt_finished(playing.popleft()))
        elif typed:
            key = typed.popleft()
            if key == SILENCE:
                steps.append({"kind": "key", "text": "(silence)"})
                tag = timer[0]
                timer[0] = None
                if tag is not None:
                    run(session.timer_expired(tag))
            else:
                steps.append({"kind": "key", "text": key})
                run(session.digit(key))
        else:
            break
    for note in session.notes:
        steps.append({"kind": "note", "text": note})
    if session.finished:
        waiting = ""
    elif timer[0] is not None:
        waiting = "waiting for the caller's keys (type . to let it time out)"
    else:
        waiting = "waiting"
    return {
        "steps": steps,
        "node": session.node_id,
        "finished": session.finished,
        "waiting": waiting,
        "variables": dict(session.variables),
    }
