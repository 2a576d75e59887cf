"""Hours and days in the box's time zone: midnight, summer time, labels."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from firmware.kpi.buckets import (
    BucketSize,
    bucket_label,
    bucket_start,
    bucket_starts,
    days_window,
    local_date,
)
from firmware.kpi.queues import KpiError

WARSAW = ZoneInfo("Europe/Warsaw")


def at(year, month, day, hour=0, minute=0, second=0, fold=0):
    return datetime(year, month, day, hour, minute, second, tzinfo=WARSAW, fold=fold).timestamp()


def test_a_call_just_before_local_midnight_belongs_to_that_day_not_the_utc_one():
    late = at(2026, 1, 1, 23, 59, 59)  # 22:59:59 UTC
    assert bucket_start(late, BucketSize.DAY, WARSAW) == at(2026, 1, 1)
    assert bucket_start(late, BucketSize.HOUR, WARSAW) == at(2026, 1, 1, 23)
    after = at(2026, 1, 2, 0, 0, 0)
    assert bucket_start(after, BucketSize.DAY, WARSAW) == at(2026, 1, 2)
    assert local_date(late, WARSAW) == date(2026, 1, 1)


def test_a_day_window_runs_from_local_midnight_to_the_next():
    assert days_window(date(2026, 1, 1), date(2026, 1, 2), WARSAW) == (
        at(2026, 1, 1), at(2026, 1, 3)
    )


def test_the_spring_change_day_has_23_hours_and_no_2_oclock():
    start, end = days_window(date(2026, 3, 29), date(2026, 3, 29), WARSAW)
    hours = bucket_starts(start, end, BucketSize.HOUR, WARSAW)
    assert len(hours) == 23
    labels = [bucket_label(h, BucketSize.HOUR, WARSAW) for h in hours]
    assert "2026-03-29 01:00" in labels and "2026-03-29 03:00" in labels
    assert "2026-03-29 02:00" not in labels
    assert end - start == 23 * 3600


def test_the_autumn_change_day_has_25_hours_and_the_repeated_hour_is_its_own_row():
    start, end = days_window(date(2026, 10, 25), date(2026, 10, 25), WARSAW)
    hours = bucket_starts(start, end, BucketSize.HOUR, WARSAW)
    assert len(hours) == 25
    labels = [bucket_label(h, BucketSize.HOUR, WARSAW) for h in hours]
    assert labels[2:4] == ["2026-10-25 02:00", "2026-10-25 02:00 (repeated)"]
    second = at(2026, 10, 25, 2, 30, fold=1)
    assert bucket_start(second, BucketSize.HOUR, WARSAW) == hours[3]


def test_days_across_both_changes_each_start_at_local_midnight():
    start, end = days_window(date(2026, 3, 28), date(2026, 10, 26), WARSAW)
    days = bucket_starts(start, end, BucketSize.DAY, WARSAW)
    assert len(days) == (date(2026, 10, 26) - date(2026, 3, 28)).days + 1
    assert all(datetime.fromtimestamp(d, WARSAW).hour == 0 for d in days)
    assert bucket_label(days[-1], BucketSize.DAY, WARSAW) == "2026-10-26"


def test_a_window_that_ends_mid_hour_still_lists_that_hour():
    hours = bucket_starts(at(2026, 1, 1, 9, 30), at(2026, 1, 1, 11, 5), BucketSize.HOUR, WARSAW)
    assert hours == [at(2026, 1, 1, 9), at(2026, 1, 1, 10), at(2026, 1, 1, 11)]


def test_last_day_before_first_is_refused():
    with pytest.raises(KpiError, match="before the first day"):
        days_window(date(2026, 1, 2), date(2026, 1, 1), WARSAW)
