"""Each figure's definition in one sentence, as docs/kpi.md states it and the reports' tooltips.

A test checks that every sentence here appears word for word in docs/kpi.md,
so the page and the documentation cannot drift apart.
"""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "offered": (
        "Calls that entered the queue in the period and have left it (answered, abandoned, "
        "timed out or sent elsewhere), short abandons excluded."
    ),
    "answered": "Offered calls that an agent answered.",
    "abandoned": (
        "Offered calls whose caller hung up while waiting, after the short-abandon threshold."
    ),
    "short_abandoned": (
        "Callers who hung up sooner than the short-abandon threshold; left out of every "
        "other figure."
    ),
    "timed_out": "Offered calls that waited the queue's maximum wait and were sent to its exit.",
    "exited": (
        "Offered calls turned away (queue full or nobody logged in) or moved to another queue."
    ),
    "waiting": "Calls that entered in the period and are still waiting.",
    "service_level": (
        "Answered calls that waited no longer than the queue's answer-time target T, "
        "divided by offered calls."
    ),
    "asa": "Average speed of answer: the mean wait of answered calls.",
    "aht": (
        "Average handle time: the mean of talk time (hold included) plus the agent's "
        "wrap-up, over answered calls whose conversation has ended."
    ),
    "max_wait": "Longest wait: the longest time any offered call waited.",
    "occupancy": (
        "Time agents spent on calls or in wrap-up, divided by the time they were available, "
        "ringing, on calls or in wrap-up; paused time is not counted."
    ),
    "fcr": (
        "First-call resolution: answered calls whose caller did not call the same queue again "
        "within the FCR window after the call ended, divided by the answered calls that can "
        "be judged (caller number known, call ended, window over)."
    ),
    "missed": "Times the agent's phone rang for a queue call and was not answered.",
    "talk": "Total time connected to callers, from answer to hang-up.",
    "staffed": "Time available, ringing, on calls or in wrap-up.",
    "paused": "Time paused, for any reason.",
}
