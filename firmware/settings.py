"""The daemon's start-up settings (``centrala run --config FILE``), read from TOML.

These are the few facts the box needs before it can open its database: where
its data lives, where the control socket is, which card backend to drive. All
call-center configuration lives in the store, edited in the web UI.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hal.audio.interface import AudioError
from hal.audio.opening import AudioSettings
from hal.interface import Law


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
        {"backend", "fxs", "fxo", "law", "fxo_channels", "fxs_channels", "zone", "system_conf"},
        "card.",
    )
    data_dir = base / _str(box, "data_dir", "var", "box.")
    socket = box.get("control_socket")
    if socket is not None:
        socket = base / _str(box, "control_socket", "", "box.")
    backend = _str(card, "backend", "sim", "card.")
    if backend not in _BACKENDS:
        raise SettingsError(f"card.backend: {backend!r} is not one of {', '.join(_BACKENDS)}")
    if backend == "dahdi" and not (card.get("fxo_channels") or card.get("fxs_channels")):
        raise SettingsError("card.fxo_channels: a DAHDI card needs fxo_channels or fxs_channels")
    law_name = _str(card, "law", "alaw", "card.")
    try:
        law = Law(law_name)
    except ValueError:
        raise SettingsError(f"card.law: {law_name!r} is not 'alaw' or 'ulaw'") from None
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
            fxo_channels=_channels(card, "fxo_channels"),
            fxs_channels=_channels(card, "fxs_channels"),
            zone=_str(card, "zone", "PL", "card."),
            system_conf=str(card.get("system_conf", "/etc/dahdi/system.conf")),
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


def _count(table: dict[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 64:
        raise SettingsError(f"card.{key}: must be a whole number from 0 to 64")
    return value
