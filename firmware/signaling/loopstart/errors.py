"""The errors of the loop-start machines.

A line that misbehaves never raises: odd hook, ring or polarity events are
ignored, because a bad line must not take the daemon down. Only the layer above
can make a machine raise, by asking for something the state does not allow.
"""

from __future__ import annotations


class LoopStartError(Exception):
    """Base of every error raised by the loop-start machines."""


class LocalProtocolError(LoopStartError):
    """The layer above asked for something illegal in the line's current state.

    The machine is left exactly as it was, so the caller may pick another line
    or try again later.
    """


class ConfigError(LoopStartError, ValueError):
    """A loop-start timing value that cannot work (negative, or limits crossed)."""
