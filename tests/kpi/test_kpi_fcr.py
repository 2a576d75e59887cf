"""First-call resolution: the window's edges, who counts as the same caller, what is not judged."""

import pytest

from firmware.kpi.fcr import DEFAULT_FCR_WINDOW, fcr_rate, first_call_resolution
from firmware.kpi.queues import KpiError
from firmware.kpi.visits import queue_visits
from firmware.store.models import QueueLogEntry

DAY = 86400.0
LATER = 10 * DAY


def entry(time, call, event, agent=None, queue="sales", data=None):
    return QueueLogEntry(float(time), call, queue, agent, event, data)


def answered_call(call, number, entered, talk=60.0, queue="sales", wait=5.0):
    """An answered call that ends at entered + wait + talk."""
    return [
        entry(entered, call, "enter", queue=queue, data=number),
        entry(entered + wait, call, "answer", "a1", queue=queue),
        entry(entered + wait + talk, call, "complete", "a1", queue=queue),
    ]


def judge(log, window=DEFAULT_FCR_WINDOW, known_until=LATER):
    visits = queue_visits(log)
    return {(v.call_id, v.queue): j for v, j in
            zip(visits, first_call_resolution(visits, window, known_until), strict=True)}


def test_the_default_window_is_24_hours():
    assert DEFAULT_FCR_WINDOW == 24 * 3600


def test_a_caller_who_calls_the_same_queue_again_within_the_window_was_not_resolved():
    log = answered_call("c1", "600100200", 0) + answered_call("c2", "600100200", 3600)
    judged = judge(log)
    assert judged[("c1", "sales")] is False
    assert judged[("c2", "sales")] is True


def test_a_repeat_exactly_at_the_end_of_the_window_counts_and_one_just_after_does_not():
    ended = 65.0  # entered 0, answered 5, talked 60
    on_edge = answered_call("c1", "600100200", 0) + answered_call("c2", "600100200", ended + DAY)
    assert judge(on_edge)[("c1", "sales")] is False
    after = answered_call("c1", "600100200", 0) + answered_call(
        "c2", "600100200", ended + DAY + 0.001
    )
    assert judge(after)[("c1", "sales")] is True


def test_the_window_is_measured_from_the_end_of_the_conversation_not_the_entry():
    # A two-hour call: a repeat 23 h after it ended is 25 h after it began, and still counts.
    log = answered_call("c1", "600100200", 0, talk=7200) + answered_call(
        "c2", "600100200", 7205 + 23 * 3600
    )
    assert judge(log)[("c1", "sales")] is False


def test_a_configured_window_replaces_the_24_hours():
    log = answered_call("c1", "600100200", 0) + answered_call("c2", "600100200", 65 + 3 * 3600)
    assert judge(log, window=2 * 3600)[("c1", "sales")] is True
    assert judge(log, window=4 * 3600)[("c1", "sales")] is False


def test_a_call_to_another_queue_or_from_another_number_is_not_a_repeat():
    log = (
        answered_call("c1", "600100200", 0)
        + answered_call("c2", "600100200", 600, queue="support")
        + answered_call("c3", "600999999", 900)
    )
    assert judge(log)[("c1", "sales")] is True


def test_the_same_call_entering_the_queue_again_is_not_a_repeat():
    log = answered_call("c1", "600100200", 0) + answered_call("c1", "600100200", 600)
    judged = judge(log)
    assert judged[("c1", "sales")] is True


def test_a_call_that_entered_while_the_first_was_still_going_is_not_a_repeat():
    log = answered_call("c1", "600100200", 0, talk=600) + answered_call("c2", "600100200", 100)
    assert judge(log)[("c1", "sales")] is True


def test_an_abandoned_repeat_still_shows_the_caller_was_not_helped():
    log = answered_call("c1", "600100200", 0) + [
        entry(1000, "c2", "enter", data="600100200"), entry(1030, "c2", "abandon"),
    ]
    judged = judge(log)
    assert judged[("c1", "sales")] is False
    assert judged[("c2", "sales")] is None  # not answered: nothing to judge


def test_calls_that_cannot_be_judged_are_left_out():
    log = [
        # withheld number
        entry(0, "w", "enter"), entry(5, "w", "answer", "a1"), entry(65, "w", "complete", "a1"),
        # still talking
        entry(10, "t", "enter", data="600100201"), entry(15, "t", "answer", "a1"),
        # timed out
        entry(20, "x", "enter", data="600100202"), entry(80, "x", "exit-timeout"),
    ]
    assert set(judge(log).values()) == {None}


def test_a_window_still_open_when_the_log_ends_is_not_judged_until_it_closes():
    log = answered_call("c1", "600100200", 0)
    assert judge(log, known_until=65 + DAY - 1)[("c1", "sales")] is None
    assert judge(log, known_until=65 + DAY)[("c1", "sales")] is True


def test_fcr_rate_is_resolved_over_judged():
    assert fcr_rate([True, False, None, True]) == (pytest.approx(2 / 3), 3)
    assert fcr_rate([None, None]) == (None, 0)


@pytest.mark.parametrize("window", [0.0, -1.0, float("inf"), float("nan")])
def test_a_window_that_is_not_a_positive_time_is_refused(window):
    with pytest.raises(KpiError, match="FCR window"):
        first_call_resolution([], window, LATER)
