"""Report tables per queue, client, hour, day and agent on one log worked out by hand.

The day is 2026-01-01 in Europe/Warsaw (UTC+1). sales: T 20 s, 10 s wrap-up;
support: T 30 s, no wrap-up; calls given up within 5 s are short abandons.

- c1 (sales) entered 31 Dec 23:59:50 and is answered after midnight: not this day's.
- c2 (sales, 600111222) 09:00:00, answered 09:00:08 by a1, talks 120, wrap-up 15.
- c3 (sales) 09:30:00, gives up after 3 s: a short abandon.
- c4 (sales) 09:45:00, gives up after 40 s.
- c5 (support, 600111222) 10:15:00, a2 lets it ring, a1 answers at 10:15:30, talks 60.
- c6 (sales, 600111222) 23:59:00, answered 00:00:30 on 2 Jan by a3, talks 60, wrap-up 10.
- c7 (sales, 600111222) 2 Jan 10:00: outside the day, but a repeat call for FCR.

FCR (24 h): c2 is repeated by c6, c6 by c7; c5 has no repeat in support.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from firmware.kpi.queues import QueueTargets
from firmware.kpi.report import Grouping, ReportScope, agent_figures, call_figures
from firmware.store.models import AgentStateEntry, QueueLogEntry

WARSAW = ZoneInfo("Europe/Warsaw")


def at(day, hour, minute=0, second=0):
    return datetime(2026, 1, day, hour, minute, second, tzinfo=WARSAW).timestamp()


def dec31(hour, minute, second):
    return datetime(2025, 12, 31, hour, minute, second, tzinfo=WARSAW).timestamp()


def e(time, call, event, agent=None, queue="sales", data=None):
    return QueueLogEntry(time, call, queue, agent, event, data)


def s(time, agent, state, reason=None):
    return AgentStateEntry(time, agent, state, reason)


CALLER = "600111222"
LOG = [
    e(dec31(23, 59, 50), "c1", "enter", data="600000001"),
    e(at(1, 0, 0, 5), "c1", "answer", "a3"),
    e(at(1, 9), "c2", "enter", data=CALLER), e(at(1, 9), "c2", "ring", "a1"),
    e(at(1, 9, 0, 8), "c2", "answer", "a1"), e(at(1, 9, 2, 8), "c2", "complete", "a1"),
    e(at(1, 9, 2, 23), "c2", "wrapup", "a1", data="15"),
    e(at(1, 9, 30), "c3", "enter", data="600333444"), e(at(1, 9, 30, 3), "c3", "abandon"),
    e(at(1, 9, 45), "c4", "enter"), e(at(1, 9, 45, 40), "c4", "abandon"),
    e(at(1, 10, 15), "c5", "enter", queue="support", data=CALLER),
    e(at(1, 10, 15), "c5", "ring", "a2", queue="support"),
    e(at(1, 10, 15, 15), "c5", "ring-no-answer", "a2", queue="support"),
    e(at(1, 10, 15, 15), "c5", "ring", "a1", queue="support"),
    e(at(1, 10, 15, 30), "c5", "answer", "a1", queue="support"),
    e(at(1, 10, 16, 30), "c5", "complete", "a1", queue="support"),
    e(at(1, 23, 59), "c6", "enter", data=CALLER),
    e(at(2, 0, 0, 30), "c6", "answer", "a3"), e(at(2, 0, 1, 30), "c6", "complete", "a3"),
    e(at(2, 0, 1, 40), "c6", "wrapup", "a3", data="10"),
    e(at(2, 10), "c7", "enter", data=CALLER), e(at(2, 10, 0, 5), "c7", "answer", "a1"),
    e(at(2, 10, 1, 5), "c7", "complete", "a1"),
]
STATES = [
    s(at(1, 8), "a1", "available"),
    s(at(1, 9), "a1", "ringing"),
    s(at(1, 9, 0, 8), "a1", "on-call"),
    s(at(1, 9, 2, 8), "a1", "wrap-up"),
    s(at(1, 9, 2, 23), "a1", "available"),
    s(at(1, 10, 15, 15), "a1", "ringing"),
    s(at(1, 10, 15, 30), "a1", "on-call"),
    s(at(1, 10, 16, 30), "a1", "available"),
    s(at(1, 12), "a1", "paused", "lunch"),
    s(at(1, 12, 30), "a1", "available"),
    s(at(1, 17), "a1", "logged-out"),
]
TARGETS = {
    "sales": QueueTargets(service_level_seconds=20, wrapup_seconds=10, short_abandon_seconds=5),
    "support": QueueTargets(service_level_seconds=30, short_abandon_seconds=5),
}
SCOPE = ReportScope(
    start=at(1, 0), end=at(2, 0), known_until=at(3, 12), targets=TARGETS, tz=WARSAW,
    clients={"sales": "Acme"},
)


def rows(grouping):
    return {r.label: r for r in call_figures(LOG, STATES, SCOPE, grouping)}


def test_queue_rows_count_calls_that_entered_in_the_period():
    sales = rows(Grouping.QUEUE)["sales"]
    assert (sales.offered, sales.answered, sales.abandoned, sales.short_abandoned) == (3, 2, 1, 1)
    assert sales.service_level == pytest.approx(1 / 3)  # c2 within 20 s; c6 waited 90
    assert sales.asa == pytest.approx((8 + 90) / 2)
    assert sales.aht == pytest.approx(((120 + 15) + (60 + 10)) / 2)
    assert sales.max_wait == pytest.approx(90)
    assert sales.occupancy is None


def test_fcr_per_queue_looks_past_the_period_for_repeat_calls():
    queues = rows(Grouping.QUEUE)
    assert (queues["sales"].fcr, queues["sales"].fcr_judged) == (0.0, 2)
    assert (queues["support"].fcr, queues["support"].fcr_judged) == (1.0, 1)


def test_fcr_waits_for_the_window_to_close_before_judging():
    early = ReportScope(SCOPE.start, SCOPE.end, at(2, 9, 30), TARGETS, tz=WARSAW)
    sales = {r.label: r for r in call_figures(LOG, STATES, early, Grouping.QUEUE)}["sales"]
    # c2's window closes 2 Jan 09:02:08 (judged: repeated); c6's is still open.
    assert (sales.fcr, sales.fcr_judged) == (0.0, 1)


def test_client_rows_group_queues_and_put_queues_without_a_client_last():
    clients = call_figures(LOG, STATES, SCOPE, Grouping.CLIENT)
    assert [r.label for r in clients] == ["Acme", "(no client)"]
    assert clients[0].offered == 3 and clients[1].offered == 1


def test_a_day_mixes_queues_each_call_judged_by_its_own_queues_target():
    (day,) = call_figures(LOG, STATES, SCOPE, Grouping.DAY)
    assert day.label == "2026-01-01"
    assert (day.offered, day.answered, day.abandoned) == (4, 3, 1)
    # c2 (8 s of 20) and c5 (30 s of support's 30) are within; c6 and c4 are not.
    assert day.service_level == pytest.approx(2 / 4)
    assert day.fcr == pytest.approx(1 / 3)


def test_hour_rows_cover_every_local_hour_and_put_a_late_call_in_hour_23():
    hours = rows(Grouping.HOUR)
    assert len(hours) == 24
    nine = hours["2026-01-01 09:00"]
    assert (nine.offered, nine.answered, nine.short_abandoned) == (2, 1, 1)
    assert nine.service_level == pytest.approx(1 / 2)
    assert hours["2026-01-01 23:00"].offered == 1
    assert hours["2026-01-01 23:00"].asa == pytest.approx(90)
    assert hours["2026-01-01 03:00"].offered == 0
    assert hours["2026-01-01 03:00"].service_level is None


def test_hour_occupancy_comes_from_the_agent_state_log():
    hours = rows(Grouping.HOUR)
    # 09:00-10:00: ringing 8, on call 120, wrap-up 15, available the rest.
    assert hours["2026-01-01 09:00"].occupancy == pytest.approx(135 / 3600)
    # 12:00-13:00: paused half, available half: nothing busy, half staffed.
    assert hours["2026-01-01 12:00"].occupancy == 0.0
    assert hours["2026-01-01 07:00"].occupancy is None
    assert hours["2026-01-01 18:00"].occupancy is None


def test_day_occupancy_leaves_paused_time_out_of_staffed_time():
    (day,) = call_figures(LOG, STATES, SCOPE, Grouping.DAY)
    assert day.occupancy == pytest.approx((120 + 15 + 60) / (9 * 3600 - 1800))


def test_a_period_not_over_yet_lists_hours_only_up_to_now():
    now = at(1, 10, 30)
    live = ReportScope(SCOPE.start, SCOPE.end, now, TARGETS, tz=WARSAW)
    hours = call_figures(LOG, STATES, live, Grouping.HOUR)
    assert [h.label for h in hours][-1] == "2026-01-01 10:00"
    sales = {r.label: r for r in call_figures(LOG, STATES, live, Grouping.QUEUE)}["sales"]
    assert sales.offered == 2  # c6 has not called yet


def test_agent_rows_hold_answered_calls_missed_rings_and_state_times():
    agents = {r.agent: r for r in agent_figures(LOG, STATES, SCOPE, ["a1", "a2", "a9"])}
    assert list(agents) == ["a1", "a2", "a9", "a3"]
    a1 = agents["a1"]
    assert (a1.answered, a1.missed, a1.talk) == (2, 0, 180)
    assert a1.aht == pytest.approx(((120 + 15) + 60) / 2)
    assert a1.staffed == pytest.approx(9 * 3600 - 1800)
    assert a1.paused == pytest.approx(1800)
    assert a1.busy == pytest.approx(195)
    assert a1.occupancy == pytest.approx(195 / (9 * 3600 - 1800))
    assert (a1.fcr, a1.fcr_judged) == (0.5, 2)
    assert agents["a2"].missed == 1 and agents["a2"].answered == 0
    assert agents["a9"].occupancy is None and agents["a9"].answered == 0
    assert agents["a3"].answered == 1 and agents["a3"].staffed == 0
