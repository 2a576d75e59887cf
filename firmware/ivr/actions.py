"""What an IVR session asks its host (the call layer) to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Play:
    """Play the named prompt to the caller; report its end with ``tag``."""

    prompt: str
    tag: str


@dataclass(frozen=True)
class StopPlayout:
    """Stop the prompt being played (the caller pressed a key)."""


@dataclass(frozen=True)
class StartTimer:
    """Wake the session after ``seconds`` with ``tag`` (replaces any running timer)."""

    seconds: float
    tag: str


@dataclass(frozen=True)
class CancelTimer:
    """Stop the session's timer."""


@dataclass(frozen=True)
class Enqueue:
    """Hand the caller to an ACD queue; the session ends."""

    queue: str


@dataclass(frozen=True)
class Hangup:
    """Clear the call; the session ends."""

    reason: str


IvrAction = Play | StopPlayout | StartTimer | CancelTimer | Enqueue | Hangup
