"""Each queue figure and occupancy on a small log worked out by hand."""

import pytest

from firmware.kpi.occupancy import occupancy
from firmware.kpi.queues import KpiError, QueueTargets, queue_kpis
from firmware.kpi.visits import Outcome, queue_visits
from firmware.store.models import QueueLogEntry


def entry(time, call, event, agent=None, queue="sales"):
    return QueueLogEntry(float(time), call, queue, agent, event, None)


# sales (answer within 20 s, 10 s wrap-up, abandons under 5 s are short):
#   c1 waits 8, talks 120;  c2 waits 30 (one unanswered ring), talks 60;
#   c3 abandons after 3 (short);  c4 abandons after 45;  c5 times out after 60;
#   c6 waits 10 and is still talking at 200;  c7 is still waiting.
# support (30 s target, no wrap-up): d1 waits 30, talks 60.
LOG = [
    entry(0, "c1", "enter"), entry(0, "c1", "ring", "a1"), entry(8, "c1", "answer", "a1"),
    entry(5, "d1", "enter", queue="support"),
    entry(10, "c2", "enter"), entry(10, "c2", "ring", "a2"),
    entry(20, "c3", "enter"), entry(23, "c3", "abandon"),
    entry(25, "c2", "ring-no-answer", "a2"), entry(27, "c2", "ring", "a2"),
    entry(30, "c4", "enter"),
    entry(35, "d1", "answer", "a3", queue="support"),
    entry(40, "c2", "answer", "a2"),
    entry(50, "c5", "enter"),
    entry(75, "c4", "abandon"),
    entry(95, "d1", "complete", "a3", queue="support"),
    entry(100, "c2", "complete", "a2"),
    entry(110, "c5", "exit-timeout"),
    entry(128, "c1", "complete", "a1"),
    entry(140, "c6", "enter"), entry(150, "c6", "answer", "a1"),
    entry(160, "c7", "enter"),
]
TARGETS = {
    "sales": QueueTargets(service_level_seconds=20, wrapup_seconds=10, short_abandon_seconds=5),
    "support": QueueTargets(service_level_seconds=30),
}


def test_counts_of_offered_answered_abandoned_exclude_short_abandons_and_waiting_callers():
    sales = queue_kpis(LOG, TARGETS)["sales"]
    assert (sales.offered, sales.answered, sales.abandoned, sales.timed_out) == (5, 3, 1, 1)
    assert sales.short_abandoned == 1
    assert sales.waiting == 1


def test_service_level_counts_answers_within_target_over_all_offered():
    kpis = queue_kpis(LOG, TARGETS)
    assert kpis["sales"].service_level == pytest.approx(2 / 5)  # c1 (8 s) and c6 (10 s)
    assert kpis["support"].service_level == 1.0  # 30 s is within a 30 s target


def test_asa_is_the_mean_wait_of_answered_calls():
    assert queue_kpis(LOG, TARGETS)["sales"].asa == pytest.approx((8 + 30 + 10) / 3)


def test_aht_is_talk_plus_wrapup_of_ended_calls():
    kpis = queue_kpis(LOG, TARGETS)
    assert kpis["sales"].aht == pytest.approx(((120 + 10) + (60 + 10)) / 2)
    assert kpis["support"].aht == pytest.approx(60)


def test_max_wait_is_the_longest_wait_of_any_offered_call():
    kpis = queue_kpis(LOG, TARGETS)
    assert kpis["sales"].max_wait == pytest.approx(60)  # c5, who timed out
    assert kpis["support"].max_wait == pytest.approx(30)


def test_as_dict_has_exactly_the_keys_the_reports_print():
    assert list(queue_kpis(LOG, TARGETS)["support"].as_dict()) == [
        "offered", "answered", "abandoned", "service_level", "asa", "aht", "max_wait"
    ]


def test_a_queue_nobody_called_has_no_rates_rather_than_zero_rates():
    quiet = queue_kpis(LOG, {**TARGETS, "billing": QueueTargets()})["billing"]
    assert (quiet.offered, quiet.service_level, quiet.asa, quiet.aht, quiet.max_wait) == (
        0, None, None, None, None
    )


def test_queue_missing_from_targets_is_measured_against_the_defaults():
    kpis = queue_kpis(LOG)
    assert kpis["sales"].offered == 6  # no short-abandon threshold: c3 counts
    assert kpis["sales"].service_level == pytest.approx(2 / 6)
    assert kpis["sales"].aht == pytest.approx((120 + 60) / 2)


def test_figures_do_not_depend_on_the_order_the_log_arrives_in():
    assert queue_kpis(list(reversed(LOG)), TARGETS) == queue_kpis(LOG, TARGETS)


def test_events_of_a_call_that_entered_before_the_log_began_are_ignored():
    log = [entry(3, "old", "answer", "a1"), entry(50, "old", "complete", "a1"), *LOG]
    assert queue_kpis(log, TARGETS) == queue_kpis(LOG, TARGETS)


def test_a_caller_who_enters_again_is_a_second_pass():
    log = [
        entry(0, "c1", "enter"), entry(12, "c1", "exit-timeout"),
        entry(12, "c1", "enter"), entry(15, "c1", "answer", "a1"),
    ]
    visits = queue_visits(log)
    assert [(v.outcome, v.wait) for v in visits] == [
        (Outcome.TIMED_OUT, 12.0), (Outcome.ANSWERED, 3.0)
    ]


def test_occupancy_is_handling_time_with_wrapup_over_staffed_time():
    # c1 8..138, c2 40..110, c6 150..200 (still talking), d1 35..95: 310 s of 3 x 200 s.
    assert occupancy(LOG, 600.0, 0.0, 200.0, TARGETS) == pytest.approx(310 / 600)


def test_occupancy_counts_only_the_part_of_a_call_inside_the_window():
    # From 100: c1 38 s, c2 10 s of wrap-up, c6 50 s, d1 nothing.
    assert occupancy(LOG, 300.0, 100.0, 200.0, TARGETS) == pytest.approx(98 / 300)


def test_occupancy_without_staffed_time_is_none():
    assert occupancy(LOG, 0.0, 0.0, 200.0, TARGETS) is None


def test_occupancy_refuses_a_window_that_ends_before_it_starts():
    with pytest.raises(KpiError, match="window"):
        occupancy(LOG, 600.0, 200.0, 100.0, TARGETS)


def test_targets_refuse_negative_seconds():
    with pytest.raises(KpiError, match="wrapup_seconds"):
        QueueTargets(wrapup_seconds=-1.0)
