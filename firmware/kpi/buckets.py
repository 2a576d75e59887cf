"""Hours and days of the box's own time zone, as report buckets.

A manager reads "Monday 9:00-10:00" in the box's local time, so buckets are
local hours and days, not UTC ones: a day of a daylight-saving change has 23
or 25 hour buckets, and the hour repeated in autumn is two buckets, the
second labelled as such. ``tz`` None means the system's local time zone.
A pass belongs to the bucket in which it entered the queue.
"""

from __future__ import annotations

import enum
import math
from datetime import date, datetime, timedelta, tzinfo

from firmware.kpi.queues import KpiError

# A day lasts 23 to 25 hours; 36 hours after a midnight is always within the next day.
_INTO_NEXT_DAY = 36 * 3600.0
_MOST_BUCKETS = 100_000


class BucketSize(enum.StrEnum):
    """How long one row of a report over time is."""

    HOUR = "hour"
    DAY = "day"


def bucket_start(time: float, size: BucketSize, tz: tzinfo | None) -> float:
    """The start (Unix seconds) of the local hour or day that ``time`` falls in."""
    _check_time(time)
    local = datetime.fromtimestamp(time, tz)
    if size is BucketSize.HOUR:
        # fold is kept, so the repeated autumn hour stays the second one.
        return local.replace(minute=0, second=0, microsecond=0).timestamp()
    return local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0).timestamp()


def next_bucket(start: float, size: BucketSize, tz: tzinfo | None) -> float:
    """The start of the bucket after the one starting at ``start``."""
    if size is BucketSize.HOUR:
        return bucket_start(start + 3600.0, size, tz)
    return bucket_start(start + _INTO_NEXT_DAY, size, tz)


def bucket_starts(start: float, end: float, size: BucketSize, tz: tzinfo | None) -> list[float]:
    """Every bucket that overlaps [start, end), in order; the first may begin before ``start``."""
    _check_time(start)
    _check_time(end)
    if end <= start:
        return []
    starts = [bucket_start(start, size, tz)]
    while True:
        following = next_bucket(starts[-1], size, tz)
        if following >= end:
            return starts
        if len(starts) >= _MOST_BUCKETS:
            raise KpiError(f"a report has at most {_MOST_BUCKETS} rows")
        starts.append(following)


def bucket_label(start: float, size: BucketSize, tz: tzinfo | None) -> str:
    """The bucket as a manager reads it: "2026-03-29" or "2026-03-29 09:00"."""
    local = datetime.fromtimestamp(start, tz)
    if size is BucketSize.DAY:
        return local.strftime("%Y-%m-%d")
    label = local.strftime("%Y-%m-%d %H:%M")
    return f"{label} (repeated)" if local.fold else label


def days_window(first: date, last: date, tz: tzinfo | None) -> tuple[float, float]:
    """[start, end) in Unix seconds from local midnight of ``first`` to the midnight after ``last``.

    Raises KpiError when ``last`` is before ``first``.
    """
    if last < first:
        raise KpiError(f"the last day {last} is before the first day {first}")
    start = datetime(first.year, first.month, first.day, tzinfo=tz).timestamp()
    after = last + timedelta(days=1)
    end = datetime(after.year, after.month, after.day, tzinfo=tz).timestamp()
    return start, end


def local_date(time: float, tz: tzinfo | None) -> date:
    """The local calendar day of ``time``."""
    _check_time(time)
    return datetime.fromtimestamp(time, tz).date()


def _check_time(time: float) -> None:
    if isinstance(time, bool) or not isinstance(time, int | float) or not math.isfinite(time):
        raise KpiError(f"a time must be a finite number of seconds, not {time!r}")
