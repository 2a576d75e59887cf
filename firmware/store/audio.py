"""Audio settings: where music on hold comes from, and the paging extension.

Stored as settings keys (they are box-wide, one value each), validated here so
the web UI and the daemon refuse the same values with the same words. Whether
the box has a sound device at all is the daemon's start-up setting
(``[audio] device``), not these.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from firmware.store import sync
from firmware.store.models import ConfigError

MOH_SOURCE_KEY = "moh_source"
MOH_PLAYLIST_KEY = "moh_playlist"
PAGING_EXTENSION_KEY = "paging_extension"

MOH_SOURCES = ("files", "line-in")
DEFAULT_PAGING_EXTENSION = "*80"
MAX_TRACKS = 20
# The prompt names the prompt library accepts (uploads and shipped prompts).
_TRACK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# '#' ends dialling on the phones, so it cannot be part of a number.
_PAGING = re.compile(r"[0-9*]{2,6}")


@dataclass(frozen=True)
class AudioConfig:
    """Music-on-hold source and playlist; the paging extension ("" when paging is off)."""

    moh_source: str = "files"
    moh_playlist: tuple[str, ...] = ()
    paging_extension: str = DEFAULT_PAGING_EXTENSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "moh_source": self.moh_source,
            "moh_playlist": list(self.moh_playlist),
            "paging_extension": self.paging_extension,
        }


def validate_audio(data: Mapping[str, Any]) -> AudioConfig:
    """Check every field; ConfigError names the first one that is wrong."""
    source = data.get("moh_source", "files")
    if source not in MOH_SOURCES:
        raise ConfigError("moh_source", f"must be one of {', '.join(MOH_SOURCES)}")
    raw = data.get("moh_playlist", ())
    if isinstance(raw, str):
        raw = [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]
    if not isinstance(raw, list | tuple) or not all(isinstance(n, str) for n in raw):
        raise ConfigError("moh_playlist", "must be a list of prompt names")
    bad = [n for n in raw if not _TRACK.fullmatch(n)]
    if bad:
        raise ConfigError("moh_playlist", f"{bad[0]!r} is not a prompt name")
    if len(raw) > MAX_TRACKS:
        raise ConfigError("moh_playlist", f"holds at most {MAX_TRACKS} tracks")
    paging = data.get("paging_extension", DEFAULT_PAGING_EXTENSION)
    if not isinstance(paging, str):
        raise ConfigError("paging_extension", "must be text")
    paging = paging.strip()
    if paging and (not _PAGING.fullmatch(paging) or not any(c.isdigit() for c in paging)):
        raise ConfigError(
            "paging_extension", "must be 2 to 6 digits or '*' (such as *80), or empty for no paging"
        )
    return AudioConfig(source, tuple(raw), paging)


def get_audio(conn: sqlite3.Connection) -> AudioConfig:
    """The stored settings; defaults for keys never set. A damaged value is reported."""
    playlist = sync.get_setting(conn, MOH_PLAYLIST_KEY)
    try:
        tracks = json.loads(playlist) if playlist else []
    except ValueError:
        raise ConfigError("moh_playlist", "the stored playlist is not readable") from None
    return validate_audio({
        "moh_source": sync.get_setting(conn, MOH_SOURCE_KEY, "files"),
        "moh_playlist": tracks,
        "paging_extension": sync.get_setting(
            conn, PAGING_EXTENSION_KEY, DEFAULT_PAGING_EXTENSION
        ),
    })


def save_audio(conn: sqlite3.Connection, config: AudioConfig) -> None:
    """Store all three settings in one transaction."""
    checked = validate_audio(config.to_dict())
    with sync.transaction(conn):
        sync.set_setting(conn, MOH_SOURCE_KEY, checked.moh_source)
        sync.set_setting(conn, MOH_PLAYLIST_KEY, json.dumps(list(checked.moh_playlist)))
        sync.set_setting(conn, PAGING_EXTENSION_KEY, checked.paging_extension)


def load_audio(path: str) -> AudioConfig:
    """The audio settings on a connection of its own (the daemon runs this in a thread)."""
    conn = sync.connect(path)
    try:
        return get_audio(conn)
    finally:
        conn.close()
