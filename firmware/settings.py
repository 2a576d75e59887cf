"""The daemon's start-up settings (``centrala run --config FILE``), read from TOML.

These are the few facts the box needs before it can open its database: where
its data lives, where the control socket is, which card backend to drive. All
call-center configuration lives in the store, edited in the web UI.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from hal.audio.interface import AudioError
from hal.audio.opening import AudioSettings
from hal.dahdi import system_conf
from hal.dahdi.system_conf import DChannelMode, E1Span, Framing, LineCode, SystemConfError
from hal.interface import Law, PortKind


class SettingsError(ValueError):
    """A start-up setting is missing or wrong; the message names the key."""


@dataclass(frozen=True)
class CardSettings:
    backend: str = "sim"
    fxs: int = 4
    fxo: int = 2
    law: Law = Law.ALAW
    # DAHDI: which channel numbers are exchange lines and which are phones (as the card's
    # modules are fitted), the tone zone of the lines, and where system.conf is written
    # ("" leaves an existing system.conf alone).
    fxo_channels: tuple[int, ...] = ()
    fxs_channels: tuple[int, ...] = ()
    zone: str = "PL"
    system_conf: str = "/etc/dahdi/system.conf"
    # DAHDI: the E1 spans of the card, as fitted (span number, channel of time slot 1) and as
    # the line needs them at start. The span's role (user or network side) and later line
    # changes are call-center configuration, kept in the store.
    spans: tuple[E1Span, ...] = ()


@dataclass(frozen=True)
class DaemonSettings:
    data_dir: Path = Path("var")
    control_socket: Path | None = None
    card: CardSettings = field(default_factory=CardSettings)
    # "none": no board to drive (a PC); "sim": the in-memory twin; else a model name
    # bundled with the firmware, or the path of a board file.
    board: str = "none"
    # The sound device for line-in music on hold and paging. Built in code (tests,
    # tools) a box has none; the settings file's default is ALSA's "default".
    audio: AudioSettings = field(default_factory=AudioSettings)

    @property
    def database(self) -> Path:
        return self.data_dir / "centrala.db"

    @property
    def socket_path(self) -> Path:
        return self.control_socket or self.data_dir / "control.sock"


_BACKENDS = ("sim", "dahdi")


def parse_settings(raw: dict[str, Any], base: Path) -> DaemonSettings:
    """Check every key and value; relative paths are taken from ``base``."""
    _only(raw, {"box", "card", "audio"}, "")
    audio_table = _table(raw, "audio")
    _only(audio_table, {"device"}, "audio.")
    try:
        audio = AudioSettings(_str(audio_table, "device", "default", "audio."))
    except AudioError as exc:
        raise SettingsError(str(exc)) from None
    box = _table(raw, "box")
    card = _table(raw, "card")
    _only(box, {"data_dir", "control_socket", "board"}, "box.")
    _only(
        card,
        {"backend", "fxs", "fxo", "law", "fxo_channels", "fxs_channels", "zone", "system_conf",
         "spans"},
        "card.",
    )
    data_dir = base / _str(box, "data_dir", "var", "box.")
    socket = box.get("control_socket")
    if socket is not None:
        socket = base / _str(box, "control_socket", "", "box.")
    backend = _str(card, "backend", "sim", "card.")
    if backend not in _BACKENDS:
        raise SettingsError(f"card.backend: {backend!r} is not one of {', '.join(_BACKENDS)}")
    if backend == "dahdi" and not (
        card.get("fxo_channels") or card.get("fxs_channels") or card.get("spans")
    ):
        raise SettingsError(
            "card.fxo_channels: a DAHDI card needs fxo_channels, fxs_channels or spans"
        )
    law_name = _str(card, "law", "alaw", "card.")
    try:
        law = Law(law_name)
    except ValueError:
        raise SettingsError(f"card.law: {law_name!r} is not 'alaw' or 'ulaw'") from None
    fxo_channels = _channels(card, "fxo_channels")
    fxs_channels = _channels(card, "fxs_channels")
    zone = _str(card, "zone", "PL", "card.")
    spans = _spans(card)
    if spans:
        if backend != "dahdi":
            raise SettingsError("card.spans: E1 spans are set here for the dahdi backend only")
        analog = [system_conf.AnalogPort(ch, PortKind.FXO, n)
                  for n, ch in enumerate(fxo_channels, start=1)]
        analog += [system_conf.AnalogPort(ch, PortKind.FXS, n)
                   for n, ch in enumerate(fxs_channels, start=1)]
        try:
            system_conf.validate(
                system_conf.BoxLines(country=zone, analog=tuple(analog), spans=spans)
            )
        except SystemConfError as exc:
            raise SettingsError(f"card.spans: {exc}") from None
    return DaemonSettings(
        data_dir=data_dir,
        control_socket=socket,
        board=_str(box, "board", "none", "box."),
        audio=audio,
        card=CardSettings(
            backend=backend,
            fxs=_count(card, "fxs", 4),
            fxo=_count(card, "fxo", 2),
            law=law,
            fxo_channels=fxo_channels,
            fxs_channels=fxs_channels,
            zone=zone,
            system_conf=str(card.get("system_conf", "/etc/dahdi/system.conf")),
            spans=spans,
        ),
    )


def load_settings(path: str | Path) -> DaemonSettings:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    return parse_settings(raw, path.parent)


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise SettingsError(f"{key}: must be a table")
    return value


def _only(table: dict[str, Any], allowed: set[str], prefix: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SettingsError(
            f"{prefix}{unknown[0]}: unknown setting (known: {', '.join(sorted(allowed))})"
        )


def _str(table: dict[str, Any], key: str, default: str, prefix: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise SettingsError(f"{prefix}{key}: must be a non-empty string")
    return value


def _channels(table: dict[str, Any], key: str) -> tuple[int, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1024 for v in value
    ):
        raise SettingsError(f"card.{key}: must be a list of DAHDI channel numbers (1 to 1024)")
    return tuple(value)


_SPAN_KEYS = {
    "span", "first_channel", "timing", "line_build_out", "framing", "coding", "crc4", "dchannel",
    "echo_canceller",
}


def _spans(card: dict[str, Any]) -> tuple[E1Span, ...]:
    """``[[card.spans]]`` tables: each E1 span's number and the channel of its time slot 1."""
    raw = card.get("spans", [])
    if not isinstance(raw, list):
        raise SettingsError("card.spans: must be a list of tables ([[card.spans]])")
    spans: list[E1Span] = []
    for i, table in enumerate(raw):
        prefix = f"card.spans[{i}]."
        if not isinstance(table, dict):
            raise SettingsError(f"card.spans[{i}]: must be a table with span and first_channel")
        _only(table, _SPAN_KEYS, prefix)
        for key in ("span", "first_channel"):
            if key not in table:
                raise SettingsError(f"{prefix}{key}: missing (a span needs span and first_channel)")
        number = _whole(table, "span", 1, 1, 256, prefix)
        spans.append(E1Span(
            span=number,
            first_channel=_whole(table, "first_channel", 1, 1, 1024, prefix),
            # The store's default clock priority of a span never set up is its number.
            timing=_whole(table, "timing", number, 0, 99, prefix),
            line_build_out=_whole(table, "line_build_out", 0, 0, 7, prefix),
            framing=_choice(table, "framing", Framing.CCS, prefix),
            coding=_choice(table, "coding", LineCode.HDB3, prefix),
            crc4=_bool(table, "crc4", True, prefix),
            dchannel=_choice(table, "dchannel", DChannelMode.HARDHDLC, prefix),
            echo_canceller=_bool(table, "echo_canceller", True, prefix),
        ))
    return tuple(spans)


def _whole(table: dict[str, Any], key: str, default: int, low: int, high: int, prefix: str) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SettingsError(f"{prefix}{key}: must be a whole number from {low} to {high}")
    return value


def _bool(table: dict[str, Any], key: str, default: bool, prefix: str) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise SettingsError(f"{prefix}{key}: must be true or false")
    return value


E = TypeVar("E", Framing, LineCode, DChannelMode)


def _choice(table: dict[str, Any], key: str, default: E, prefix: str) -> E:
    value = table.get(key, default.value)
    kind = type(default)
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in kind)
        raise SettingsError(f"{prefix}{key}: {value!r} is not one of {choices}") from None


def _count(table: dict[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 64:
        raise SettingsError(f"card.{key}: must be a whole number from 0 to 64")
    return value
