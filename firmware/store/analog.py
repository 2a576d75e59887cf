"""Per-port analog line settings: how each FXS phone is rung and each FXO line supervised.

A port with no row behaves by the box's country and the defaults below, so a box
nobody configured still rings its phones with the national cadence and frees a
stuck line. A technician changes one port at a time from the diagnostics page;
the validator names the field of any bad value, as every validator of the store
does. The dial plan's outside-line prefix is a box-wide setting kept here too.

The learned disconnect tone of a line is stored as the JSON of the detector's
profile (``LineToneProfile.to_dict``); the store keeps it as text and never
interprets it, so the store does not depend on the media layer.
"""

from __future__ import annotations

import enum
import json
import math
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from firmware.store import sync
from firmware.store.models import ConfigError

_PORT = re.compile(r"(fxs|fxo)[1-9][0-9]{0,2}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_PREFIX = re.compile(r"[0-9]{1,2}")

OUTSIDE_PREFIX_KEY = "outside_prefix"
DEFAULT_OUTSIDE_PREFIX = "0"

DISCONNECT_METHODS = ("loop-current", "polarity", "tone", "silence")


class CallerIdMode(enum.StrEnum):
    """How an FXS port sends caller ID to its phone; COUNTRY picks the national habit."""

    COUNTRY = "country"
    ETSI_BEFORE_RING = "etsi-before-ring"  # EN 300 659-1 §6.2.1, as BT SIN 227
    ETSI_AFTER_RING = "etsi-after-ring"  # EN 300 659-1 §6.2.2, most of Europe
    BELL = "bell"  # GR-30-CORE: Bell 202 after the first ring
    DTMF = "dtmf"  # DTMF caller ID before the first ring (some Nordic exchanges)
    OFF = "off"


class MessageWaiting(enum.StrEnum):
    """How a phone is told a message is waiting."""

    STUTTER = "stutter"  # interrupted dial tone when lifted
    OFF = "off"


class AnswerDetectionSetting(enum.StrEnum):
    """How the box knows an outbound call on an FXO line was answered."""

    POLARITY = "polarity"
    PROGRESS = "progress"
    DELAY = "delay"


@dataclass(frozen=True)
class AnalogPortSettings:
    """Everything that can differ between two analog ports of one box.

    FXS fields apply to phone ports, FXO fields to exchange lines; a port keeps
    both so that a row survives a card change. ``ring_country`` None rings with
    the box's country. ``max_call_duration`` and ``max_silence`` of 0 switch that
    half of the stuck-line guard off. ``disconnect_profile`` is the JSON text of
    the line's learned disconnect tone, or None.
    """

    port: str
    # FXS: the phone
    ring_country: str | None = None
    caller_id: CallerIdMode = CallerIdMode.COUNTRY
    call_waiting: bool = True
    flash_min: float = 0.08
    flash_max: float = 0.6
    interdigit_timeout: float = 4.0
    message_waiting: MessageWaiting = MessageWaiting.STUTTER
    howler_after: float = 60.0
    # FXO: the exchange line
    answer_detection: AnswerDetectionSetting = AnswerDetectionSetting.POLARITY
    answer_delay: float = 0.0
    disconnect_by: tuple[str, ...] = DISCONNECT_METHODS
    silence_disconnect: float = 60.0
    max_call_duration: float = 4 * 3600.0
    max_silence: float = 600.0
    disconnect_profile: str | None = None

    @property
    def kind(self) -> str:
        return self.port[:3]

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON values (the control socket and the web UI show these)."""
        return {
            "port": self.port,
            "ring_country": self.ring_country,
            "caller_id": self.caller_id.value,
            "call_waiting": self.call_waiting,
            "flash_min": self.flash_min,
            "flash_max": self.flash_max,
            "interdigit_timeout": self.interdigit_timeout,
            "message_waiting": self.message_waiting.value,
            "howler_after": self.howler_after,
            "answer_detection": self.answer_detection.value,
            "answer_delay": self.answer_delay,
            "disconnect_by": list(self.disconnect_by),
            "silence_disconnect": self.silence_disconnect,
            "max_call_duration": self.max_call_duration,
            "max_silence": self.max_silence,
            "disconnect_profile": self.disconnect_profile,
        }


def _number(raw: object, field: str, low: float, high: float, default: float) -> float:
    """A finite number within [low, high]; ``default`` when absent or empty (a blank form field)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    problem = f"must be a number from {low:g} to {high:g}"
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ConfigError(field, problem)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(field, problem) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(field, problem)
    return value


def _flag(raw: object, field: str, default: bool) -> bool:
    """Yes or no, as forms (a checkbox sends "on"), JSON and the console spell it."""
    if raw is None:
        return default
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ConfigError(field, "must be yes or no")


_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n", ""})


def _choice(kind: type[enum.StrEnum], raw: object, field: str, default: Any) -> Any:
    if raw is None:
        return default
    try:
        return kind(raw.strip() if isinstance(raw, str) else raw)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ConfigError(field, f"must be one of {allowed}") from None


def _methods(raw: object) -> tuple[str, ...]:
    if raw is None:
        return DISCONNECT_METHODS
    if isinstance(raw, str):
        raw = [part for part in re.split(r"[,\s]+", raw.strip()) if part]
    if not isinstance(raw, Sequence):
        raise ConfigError("disconnect_by", "must be a list of disconnect methods")
    chosen = []
    for index, item in enumerate(raw):
        if not isinstance(item, str) or item.strip() not in DISCONNECT_METHODS:
            raise ConfigError(
                f"disconnect_by[{index}]", f"must be one of {', '.join(DISCONNECT_METHODS)}"
            )
        if item.strip() not in chosen:
            chosen.append(item.strip())
    # Kept in the one canonical order, so equal settings compare equal.
    return tuple(m for m in DISCONNECT_METHODS if m in chosen)


def validate_analog_port(
    data: Mapping[str, Any], ports: Sequence[str] | None = None
) -> AnalogPortSettings:
    """Settings of one analog port from raw values; absent keys take the defaults.

    ``ports`` are the card's port names when known. Never changes anything.
    """
    raw_port = data.get("port")
    if not isinstance(raw_port, str) or not _PORT.fullmatch(raw_port.strip().lower()):
        raise ConfigError("port", "must be an analog port name such as fxs1 or fxo1")
    port = raw_port.strip().lower()
    if ports is not None and port not in ports:
        raise ConfigError("port", f"{port} is not a port of this card")
    defaults = AnalogPortSettings(port)
    raw_country = data.get("ring_country")
    ring_country: str | None = None
    if raw_country is not None and not (isinstance(raw_country, str) and not raw_country.strip()):
        if not isinstance(raw_country, str) or not _COUNTRY.fullmatch(raw_country.strip().upper()):
            raise ConfigError("ring_country", "must be a two-letter country code such as PL")
        ring_country = raw_country.strip().upper()
    flash_min = _number(data.get("flash_min"), "flash_min", 0.0, 1.0, defaults.flash_min)
    flash_max = _number(data.get("flash_max"), "flash_max", 0.05, 2.0, defaults.flash_max)
    if flash_min >= flash_max:
        raise ConfigError("flash_max", "must be longer than flash_min")
    profile = data.get("disconnect_profile")
    if profile is not None:
        if isinstance(profile, Mapping):
            profile = json.dumps(dict(profile), sort_keys=True)
        if not isinstance(profile, str):
            raise ConfigError("disconnect_profile", "must be a learned tone profile")
        profile = profile.strip() or None
        if profile is not None:
            try:
                parsed = json.loads(profile)
            except ValueError:
                raise ConfigError("disconnect_profile", "is not valid JSON") from None
            if not isinstance(parsed, dict):
                raise ConfigError("disconnect_profile", "must be a JSON object")
    return AnalogPortSettings(
        port=port,
        ring_country=ring_country,
        caller_id=_choice(CallerIdMode, data.get("caller_id"), "caller_id", defaults.caller_id),
        call_waiting=_flag(data.get("call_waiting"), "call_waiting", defaults.call_waiting),
        flash_min=flash_min,
        flash_max=flash_max,
        interdigit_timeout=_number(
            data.get("interdigit_timeout"), "interdigit_timeout", 1.0, 30.0,
            defaults.interdigit_timeout,
        ),
        message_waiting=_choice(
            MessageWaiting, data.get("message_waiting"), "message_waiting",
            defaults.message_waiting,
        ),
        howler_after=_number(
            data.get("howler_after"), "howler_after", 5.0, 600.0, defaults.howler_after
        ),
        answer_detection=_choice(
            AnswerDetectionSetting, data.get("answer_detection"), "answer_detection",
            defaults.answer_detection,
        ),
        answer_delay=_number(
            data.get("answer_delay"), "answer_delay", 0.0, 60.0, defaults.answer_delay
        ),
        disconnect_by=_methods(data.get("disconnect_by")),
        silence_disconnect=_number(
            data.get("silence_disconnect"), "silence_disconnect", 5.0, 3600.0,
            defaults.silence_disconnect,
        ),
        max_call_duration=_number(
            data.get("max_call_duration"), "max_call_duration", 0.0, 86400.0,
            defaults.max_call_duration,
        ),
        max_silence=_number(
            data.get("max_silence"), "max_silence", 0.0, 86400.0, defaults.max_silence
        ),
        disconnect_profile=profile,
    )


def validate_outside_prefix(raw: object) -> str:
    """The digits a phone dials before an outside number ("0" in most offices)."""
    if not isinstance(raw, str) or not _PREFIX.fullmatch(raw.strip()):
        raise ConfigError("outside_prefix", "must be one or two digits, such as 0 or 9")
    return raw.strip()


# --- access, shared by the web UI (sqlite3) and the daemon (through a thread) ---------------

_COLUMNS = (
    "port", "ring_country", "caller_id", "call_waiting", "flash_min", "flash_max",
    "interdigit_timeout", "message_waiting", "howler_after", "answer_detection",
    "answer_delay", "disconnect_by", "silence_disconnect", "max_call_duration",
    "max_silence", "disconnect_profile",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM analog_ports"
_UPSERT = (
    f"INSERT INTO analog_ports ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _COLUMNS)}) ON CONFLICT(port) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
)


def _params(settings: AnalogPortSettings) -> tuple[Any, ...]:
    data = settings.to_dict()
    data["call_waiting"] = int(settings.call_waiting)
    data["disconnect_by"] = ",".join(settings.disconnect_by)
    return tuple(data[c] for c in _COLUMNS)


def _from_row(row: Mapping[str, Any]) -> AnalogPortSettings:
    data = {c: row[c] for c in _COLUMNS}
    return validate_analog_port(data)


def list_analog_ports(conn: sqlite3.Connection) -> dict[str, AnalogPortSettings]:
    """Stored settings by port name; ports without a row are not in it."""
    return {s.port: s for s in map(_from_row, conn.execute(_SELECT + " ORDER BY port"))}


def get_analog_port(conn: sqlite3.Connection, port: str) -> AnalogPortSettings:
    """The settings of ``port``: its row, or the defaults when it has none."""
    row = conn.execute(_SELECT + " WHERE port = ?", (port,)).fetchone()
    return _from_row(row) if row is not None else AnalogPortSettings(port)


def save_analog_port(conn: sqlite3.Connection, settings: AnalogPortSettings) -> None:
    """Store ``settings`` for its port, replacing the earlier ones."""
    if not isinstance(settings, AnalogPortSettings):
        raise ConfigError("port", "not analog port settings")
    with sync.transaction(conn):
        conn.execute(_UPSERT, _params(settings))


def save_disconnect_profile(conn: sqlite3.Connection, port: str, profile: str | None) -> None:
    """Keep (or forget, with None) a line's learned disconnect tone, other settings unchanged."""
    with sync.transaction(conn):
        current = get_analog_port(conn, port)
        updated = validate_analog_port({**current.to_dict(), "disconnect_profile": profile})
        kept = replace(current, disconnect_profile=updated.disconnect_profile)
        conn.execute(_UPSERT, _params(kept))


def outside_prefix(conn: sqlite3.Connection) -> str:
    return sync.get_setting(conn, OUTSIDE_PREFIX_KEY) or DEFAULT_OUTSIDE_PREFIX


def load_analog(path: str) -> tuple[dict[str, AnalogPortSettings], str]:
    """Every port's stored settings and the outside prefix, on a connection of its own.

    The daemon runs this in a thread, beside its aiosqlite connection.
    """
    conn = sync.connect(path)
    try:
        return list_analog_ports(conn), outside_prefix(conn)
    finally:
        conn.close()
