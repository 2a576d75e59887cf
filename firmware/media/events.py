"""What the media engine reports to the layers above, one small immutable class each.

``at`` is the time of the tick that found or finished the thing, read from the same
clock as the HAL events, except :class:`DigitDetected` whose ``at`` is when the tone
began.
"""

from __future__ import annotations

from dataclasses import dataclass

# The line listeners define their own events; they are media events too.
from firmware.media.amd import AmdDecision, BeepDetected
from firmware.media.fsk import CallerId
from firmware.media.progress import CallProgressDetected
from firmware.media.tone_learning import ToneLearned, ToneLearningFailed


@dataclass(frozen=True)
class DigitDetected:
    """A DTMF digit began on ``channel`` at time ``at`` (reported once it is confirmed)."""

    channel: int
    digit: str
    at: float


@dataclass(frozen=True)
class PromptFinished:
    """The last sample of the prompt ``tag`` went out on ``channel``.

    Not sent when the prompt was stopped or replaced: whoever did that knows.
    """

    channel: int
    tag: str
    at: float


@dataclass(frozen=True)
class DigitsSent:
    """The digits queued by ``send_dtmf`` on ``channel`` have all been sent."""

    channel: int
    at: float


@dataclass(frozen=True)
class CallerIdReceived:
    """A caller ID message with a good checksum arrived on ``channel``."""

    channel: int
    caller_id: CallerId
    at: float


@dataclass(frozen=True)
class CallerIdSent:
    """The on-hook caller ID queued by ``send_caller_id`` on ``channel`` has all been sent.

    Ringing may follow now. Not sent when the playout was stopped or replaced.
    """

    channel: int
    at: float


@dataclass(frozen=True)
class OffhookCallerIdFinished:
    """The call-waiting caller ID handshake on ``channel`` is over.

    ``acknowledged`` is True when the phone answered the CAS in time and the caller
    ID was then sent in full; False when it did not answer, and nothing was sent.
    Either way the channel's bridge audio has resumed. Not sent when the handshake
    was stopped or replaced by another playout or a reset.
    """

    channel: int
    acknowledged: bool
    at: float


@dataclass(frozen=True)
class RecordingFinished:
    """The recording ``key`` of ``channel`` is complete on disk: ``seconds`` of audio at ``path``.

    ``path`` is None when the file could not be written; ``error`` then says why.
    ``channel`` lets the layers above route it like every other media event.
    """

    key: str
    path: str | None
    seconds: float
    channel: int
    error: str | None = None


MediaEvent = (
    DigitDetected
    | CallProgressDetected
    | AmdDecision
    | BeepDetected
    | ToneLearned
    | ToneLearningFailed
    | PromptFinished
    | DigitsSent
    | CallerIdReceived
    | CallerIdSent
    | OffhookCallerIdFinished
    | RecordingFinished
)
