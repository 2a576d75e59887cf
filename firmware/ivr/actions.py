"""What an IVR session asks its host (the call layer) to do."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    """Hand the caller to an ACD queue, served before callers of lower ``priority``."""

    queue: str
    priority: int = 0


@dataclass(frozen=True)
class Hangup:
    """Clear the call; the session ends."""

    reason: str


@dataclass(frozen=True)
class Transfer:
    """Ring an agent's extension, or an external number, and bridge the caller there.

    The host answers with ``transfer_connected`` or ``transfer_failed(reason)``;
    a refusal (busy, no answer, no outbound route) takes the node's fail branch.
    """

    kind: str  # "extension" or "external"
    number: str


@dataclass(frozen=True)
class Lookup:
    """Fetch ``url`` (GET, JSON answer) within ``timeout`` seconds; report with ``tag``.

    ``fields`` maps variable names to dotted JSON paths to copy from the answer.
    """

    url: str
    timeout: float
    fields: dict[str, str] = field(default_factory=dict)
    tag: str = ""


@dataclass(frozen=True)
class StartRecording:
    """Record what the caller says into the voicemail box ``mailbox`` under ``tag``."""

    tag: str
    mailbox: str


@dataclass(frozen=True)
class StopRecording:
    """End the recording ``tag``; the message is kept."""

    tag: str


IvrAction = (
    Play
    | StopPlayout
    | StartTimer
    | CancelTimer
    | Enqueue
    | Hangup
    | Transfer
    | Lookup
    | StartRecording
    | StopRecording
)
