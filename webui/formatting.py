"""How times and durations read on every page: local wall time and m:ss."""

from __future__ import annotations

import math
from datetime import datetime

from flask import Flask

MISSING = "–"


def local_time(epoch: float | None) -> str:
    """Unix seconds as the box's local date and time; a dash when there is none."""
    if epoch is None:
        return MISSING
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def minutes_seconds(seconds: float | None) -> str:
    """A duration as m:ss (minutes keep counting past an hour, as a call center reads them)."""
    if seconds is None or not math.isfinite(seconds):
        return MISSING
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def register_filters(app: Flask) -> None:
    """Make the formats available to templates as ``|local_time`` and ``|mss``."""
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(minutes_seconds, "mss")
