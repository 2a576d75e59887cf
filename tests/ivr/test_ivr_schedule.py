"""Schedules evaluated at wall-clock times: weekdays, holidays, and Warsaw's clock changes."""

import datetime

import pytest

from firmware.ivr.schedule import ScheduleClock
from firmware.store.models import ConfigError, validate_schedule

UTC = datetime.UTC


def at(*args: int) -> float:
    """A UTC wall time, as the box's clock gives it."""
    return datetime.datetime(*args, tzinfo=UTC).timestamp()


OFFICE = ScheduleClock(validate_schedule({
    "name": "office",
    "timezone": "Europe/Warsaw",
    "hours": {d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")}
    | {"sat": "09:00-12:00, 13:00-14:00"},
    "holidays": "2026-04-06 Easter Monday\n12-25 Christmas",
}))


def test_open_within_the_hours_of_the_weekday():
    assert OFFICE.is_open(at(2026, 1, 7, 10, 0))  # Wednesday 11:00 in Warsaw
    assert not OFFICE.is_open(at(2026, 1, 7, 15, 0))  # 16:00: closing time is exclusive
    assert not OFFICE.is_open(at(2026, 1, 11, 10, 0))  # Sunday


def test_saturday_lunch_break_is_closed():
    assert OFFICE.is_open(at(2026, 1, 10, 10, 59))  # 11:59 local
    assert not OFFICE.is_open(at(2026, 1, 10, 11, 30))  # 12:30 local
    assert OFFICE.is_open(at(2026, 1, 10, 12, 0))  # 13:00 local


def test_dated_and_yearly_holidays_close_the_whole_day():
    easter_monday_10 = at(2026, 4, 6, 8, 0)
    state = OFFICE.state(easter_monday_10)
    assert not state.open and state.holiday == "Easter Monday"
    for year in (2026, 2027):
        christmas = at(year, 12, 25, 10, 0)
        assert OFFICE.holiday(christmas) == "Christmas" and not OFFICE.is_open(christmas)
    assert OFFICE.holiday(at(2026, 12, 24, 10, 0)) is None


@pytest.mark.parametrize(
    ("wall", "is_open"),
    [
        # Friday before spring forward: Warsaw is UTC+1.
        (at(2026, 3, 27, 6, 59), False),  # 07:59 CET
        (at(2026, 3, 27, 7, 0), True),  # 08:00 CET
        (at(2026, 3, 27, 14, 59), True),  # 15:59 CET
        # Monday after: UTC+2, so 08:00 local is 06:00 UTC.
        (at(2026, 3, 30, 5, 59), False),  # 07:59 CEST
        (at(2026, 3, 30, 6, 0), True),  # 08:00 CEST
        (at(2026, 3, 30, 13, 59), True),  # 15:59 CEST
        (at(2026, 3, 30, 14, 0), False),  # 16:00 CEST
        # Back to winter time on 25 October 2026.
        (at(2026, 10, 23, 6, 0), True),  # Friday 08:00 CEST
        (at(2026, 10, 26, 6, 0), False),  # Monday 07:00 CET
        (at(2026, 10, 26, 7, 0), True),  # Monday 08:00 CET
    ],
)
def test_hours_follow_local_time_across_clock_changes(wall: float, is_open: bool):
    assert OFFICE.is_open(wall) is is_open


def test_the_skipped_and_repeated_hours_of_the_clock_changes():
    night = ScheduleClock(validate_schedule({
        "name": "night", "timezone": "Europe/Warsaw", "hours": {"sun": "02:00-03:00"},
    }))
    # 29 March 2026: 02:00-03:00 does not exist locally, so the window never opens.
    assert not any(night.is_open(at(2026, 3, 29, 0, m)) for m in range(0, 60, 5))
    assert not night.is_open(at(2026, 3, 29, 1, 0))
    # 25 October 2026: 02:00-03:00 happens twice (CEST, then CET): open both times.
    assert night.is_open(at(2026, 10, 25, 0, 30)) and night.is_open(at(2026, 10, 25, 1, 30))
    assert not night.is_open(at(2026, 10, 25, 2, 0))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"timezone": "Europe/Warsaw"}, "name"),
        ({"name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "x", "timezone": "UTC", "hours": {"mon": "16:00-08:00"}}, "hours.mon"),
        ({"name": "x", "timezone": "UTC", "hours": {"mon": "8-16"}}, "hours.mon"),
        ({"name": "x", "timezone": "UTC", "hours": {"mon": "08:00-12:00,11:00-13:00"}},
         "hours.mon"),
        ({"name": "x", "timezone": "UTC", "hours": {"monday": "08:00-12:00"}}, "hours.monday"),
        ({"name": "x", "timezone": "UTC", "holidays": "2026-02-30 Nope"}, "holidays[0].date"),
        ({"name": "x", "timezone": "UTC", "holidays": [{"date": "12-24"}]}, "holidays[0].name"),
        ({"name": "x", "timezone": "UTC", "holidays": "12-24 A\n12-24 B"}, "holidays[1].date"),
    ],
)
def test_bad_schedules_are_refused_with_the_field(data: dict, field: str):
    with pytest.raises(ConfigError) as caught:
        validate_schedule(data)
    assert caught.value.field == field
