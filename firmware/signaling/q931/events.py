"""Everything that comes out of the Q.931 endpoint.

A :class:`SendMessage` action carries a message for the data link (DL-DATA-REQUEST);
the events tell the calls layer what happened to a call, named by its
:class:`CallRef`. All are small immutable values, in the manner of h11.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.signaling.q931.ies import BearerCapability, PartyNumber, RestartClass


@dataclass(frozen=True, order=True)
class CallRef:
    """Names one call on the interface.

    ``ours`` is True when this side allocated the call reference value (it sent
    the SETUP); the same value may be in use by the peer for another call.
    """

    value: int
    ours: bool

    def __str__(self) -> str:
        return f"{'out' if self.ours else 'in'}-{self.value}"


@dataclass(frozen=True)
class Action:
    """Something the data link must do now."""


@dataclass(frozen=True)
class Event:
    """News for the calls layer."""


Output = Action | Event


@dataclass(frozen=True)
class SendMessage(Action):
    """Hand ``data`` (one Q.931 message) to the data link."""

    data: bytes


@dataclass(frozen=True)
class IncomingCall(Event):
    """A SETUP arrived; ``channel`` is the B-channel reserved for it.

    ``complete`` is False when more digits may follow (no sending complete): the
    layer above may ask for them with ``setup_acknowledge``.
    """

    ref: CallRef
    channel: int
    called: PartyNumber | None
    calling: PartyNumber | None
    bearer: BearerCapability
    complete: bool
    display: str | None = None


@dataclass(frozen=True)
class MoreDigits(Event):
    """Overlap receiving: ``digits`` arrived; ``complete`` when the number is finished.

    ``complete`` is also True, with no digits, when T302 ran out: the layer above
    must now decide with what it has.
    """

    ref: CallRef
    digits: str
    complete: bool


@dataclass(frozen=True)
class SetupAcknowledged(Event):
    """Overlap sending: the peer wants the rest of the number (``information``)."""

    ref: CallRef
    channel: int | None


@dataclass(frozen=True)
class CallProceeding(Event):
    ref: CallRef
    channel: int | None


@dataclass(frozen=True)
class CallAlerting(Event):
    """The called party is being alerted (ringing)."""

    ref: CallRef
    channel: int | None


@dataclass(frozen=True)
class CallProgress(Event):
    """A progress indicator arrived, e.g. in-band tones or announcements are now audible."""

    ref: CallRef
    description: int


@dataclass(frozen=True)
class CallConnected(Event):
    """The call this side placed was answered: audio flows on ``channel``."""

    ref: CallRef
    channel: int | None
    connected: PartyNumber | None


@dataclass(frozen=True)
class CallActive(Event):
    """The answer this side gave was acknowledged (CONNECT ACKNOWLEDGE)."""

    ref: CallRef


@dataclass(frozen=True)
class InformationReceived(Event):
    """An INFORMATION message outside overlap receiving: keypad digits or a display."""

    ref: CallRef
    digits: str
    display: str | None


@dataclass(frozen=True)
class CallDisconnecting(Event):
    """The peer cleared the call (DISCONNECT); the layer above answers with ``release``."""

    ref: CallRef
    cause: int


@dataclass(frozen=True)
class CallReleased(Event):
    """The call is over and its call reference and B-channel are free again."""

    ref: CallRef
    cause: int | None


@dataclass(frozen=True)
class StatusReceived(Event):
    """The peer reported its state for a call (STATUS), e.g. after an error of ours."""

    ref: CallRef | None
    cause: int | None
    state: int | None


@dataclass(frozen=True)
class ChannelsRestarted(Event):
    """The peer restarted B-channels (RESTART); calls on them were released first."""

    restart_class: RestartClass
    channels: tuple[int, ...]


@dataclass(frozen=True)
class RestartAcknowledged(Event):
    """Our RESTART was acknowledged: the channels are idle on both sides."""

    restart_class: RestartClass
    channels: tuple[int, ...]


@dataclass(frozen=True)
class RestartFailed(Event):
    """Our RESTART went unanswered (T316 ran out every time)."""

    restart_class: RestartClass
    channels: tuple[int, ...]
