"""The technician's report settings, kept as store settings keys.

Short-abandon threshold, FCR window and the time zone hours and days are
counted in. The answer-time target T and the wrap-up are per queue and live
on the queue itself (``Queue.service_level``, ``Queue.wrapup``).
"""

from __future__ import annotations

import math
import sqlite3
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from firmware.kpi.fcr import DEFAULT_FCR_WINDOW
from firmware.kpi.queues import QueueTargets
from firmware.store import sync
from firmware.store.models import ConfigError, Queue

SHORT_ABANDON_KEY = "kpi_short_abandon_seconds"
FCR_WINDOW_KEY = "kpi_fcr_window_seconds"
TIMEZONE_KEY = "kpi_timezone"

DEFAULT_SHORT_ABANDON = 5.0
_MOST_SHORT_ABANDON = 120.0
_MOST_FCR_HOURS = 30 * 24


@dataclass(frozen=True)
class KpiSettings:
    """What the figures are measured with; ``timezone`` "" means the system's local zone."""

    short_abandon_seconds: float = DEFAULT_SHORT_ABANDON
    fcr_window_seconds: float = DEFAULT_FCR_WINDOW
    timezone: str = ""

    @property
    def tz(self) -> tzinfo | None:
        """The zone hours and days are counted in; None for the system's local time."""
        return zoneinfo.ZoneInfo(self.timezone) if self.timezone else None


def load_kpi_settings(conn: sqlite3.Connection) -> KpiSettings:
    """The stored settings; a value damaged in the store falls back to its default."""
    raw = {
        "short_abandon_seconds": sync.get_setting(conn, SHORT_ABANDON_KEY),
        "fcr_window_hours": _hours_text(sync.get_setting(conn, FCR_WINDOW_KEY)),
        "timezone": sync.get_setting(conn, TIMEZONE_KEY),
    }
    defaults = KpiSettings()
    values: dict[str, Any] = {}
    for name, check in (
        ("short_abandon_seconds", _short_abandon),
        ("fcr_window_hours", _fcr_window),
        ("timezone", _timezone),
    ):
        try:
            values[name] = check(raw[name]) if raw[name] is not None else None
        except ConfigError:
            values[name] = None
    return KpiSettings(
        defaults.short_abandon_seconds
        if values["short_abandon_seconds"] is None
        else values["short_abandon_seconds"],
        defaults.fcr_window_seconds
        if values["fcr_window_hours"] is None
        else values["fcr_window_hours"],
        values["timezone"] or "",
    )


def validate_kpi_settings(raw: Mapping[str, Any]) -> KpiSettings:
    """Settings from form values (``short_abandon_seconds``, ``fcr_window_hours``, ``timezone``).

    Raises :class:`ConfigError` naming the first bad field; nothing is stored.
    """
    return KpiSettings(
        _short_abandon(raw.get("short_abandon_seconds")),
        _fcr_window(raw.get("fcr_window_hours")),
        _timezone(raw.get("timezone")),
    )


def save_kpi_settings(conn: sqlite3.Connection, raw: Mapping[str, Any]) -> KpiSettings:
    """Check and store the settings, all or none."""
    settings = validate_kpi_settings(raw)
    with sync.transaction(conn):
        sync.set_setting(conn, SHORT_ABANDON_KEY, repr(settings.short_abandon_seconds))
        sync.set_setting(conn, FCR_WINDOW_KEY, repr(settings.fcr_window_seconds))
        sync.set_setting(conn, TIMEZONE_KEY, settings.timezone)
    return settings


def queue_targets(queues: Iterable[Queue], settings: KpiSettings) -> dict[str, QueueTargets]:
    """Each queue's answer-time target and wrap-up, with the box's short-abandon threshold."""
    return {
        queue.name: QueueTargets(
            service_level_seconds=queue.service_level,
            wrapup_seconds=queue.wrapup,
            short_abandon_seconds=settings.short_abandon_seconds,
        )
        for queue in queues
    }


def _number(raw: object, field: str, low: float, high: float, what: str) -> float:
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw:
            raise ConfigError(field, "is required")
        try:
            raw = float(raw)
        except ValueError:
            raise ConfigError(field, f"must be {what}") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ConfigError(field, f"must be {what}")
    value = float(raw)
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(field, f"must be {what} from {low:g} to {high:g}")
    return value


def _short_abandon(raw: object) -> float:
    return _number(raw, "short_abandon_seconds", 0.0, _MOST_SHORT_ABANDON, "a number of seconds")


def _fcr_window(raw: object) -> float:
    hours = _number(raw, "fcr_window_hours", 0.0, _MOST_FCR_HOURS, "a number of hours")
    if hours == 0:
        raise ConfigError("fcr_window_hours", "must be longer than zero hours")
    return hours * 3600.0


def _hours_text(seconds: str | None) -> str | None:
    try:
        return None if seconds is None else repr(float(seconds) / 3600.0)
    except ValueError:
        return None


def _timezone(raw: object) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    if not isinstance(raw, str):
        raise ConfigError("timezone", "must be a time zone name such as Europe/Warsaw")
    name = raw.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", f"{name!r} is not a time zone this box knows") from None
    return name
