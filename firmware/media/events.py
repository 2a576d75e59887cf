"""What the media engine reports to the layers above, one small immutable class each.

``at`` is the time of the tick that found or finished the thing, read from the same
clock as the HAL events, except :class:`DigitDetected` whose ``at`` is when the tone
began.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.media.fsk import CallerId


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


MediaEvent = DigitDetected | PromptFinished | DigitsSent | CallerIdReceived
