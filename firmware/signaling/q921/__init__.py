"""Q.921 (LAPD): the data link of an ISDN D-channel, as a sans-I/O machine."""

from firmware.signaling.q921.errors import (
    ConfigError,
    LocalProtocolError,
    Q921Error,
    RemoteProtocolError,
)
from firmware.signaling.q921.frames import Frame, FrameKind, Side, decode, encode
from firmware.signaling.q921.link import DataLink, LinkConfig, LinkState

__all__ = [
    "ConfigError",
    "DataLink",
    "Frame",
    "FrameKind",
    "LinkConfig",
    "LinkState",
    "LocalProtocolError",
    "Q921Error",
    "RemoteProtocolError",
    "Side",
    "decode",
    "encode",
]
