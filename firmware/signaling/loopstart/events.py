"""Everything that comes out of the FXS and FXO machines.

Outputs are of two kinds, told apart by their base class so the shell can route
them without a table of names: an :class:`Action` is something the port must
do (ring, play a tone, go off-hook), and an :class:`Event` is news for the calls
layer (a phone went off-hook, a call is arriving). All are small immutable
values, in the manner of h11's events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# "stutter" is interrupted dial tone (a message is waiting) and "howler" the
# off-hook warning; the port makes both, as national tone tables lack them.
ToneName = Literal["dial", "busy", "congestion", "ringback", "stutter", "howler"]
CidStandard = Literal["etsi", "bell", "dtmf"]
DisconnectReason = Literal["loop-current", "polarity", "tone", "silence"]
DISCONNECT_METHODS: frozenset[DisconnectReason] = frozenset(
    {"loop-current", "polarity", "tone", "silence"}
)
# What call-progress detection reports hearing on a line (busy, congestion and a
# line's learned "disconnect" tone all mean the far end is gone).
Heard = Literal["voice", "silence", "dial", "ringback", "busy", "congestion", "sit", "disconnect"]
HEARD_KINDS: frozenset[str] = frozenset(
    {"voice", "silence", "dial", "ringback", "busy", "congestion", "sit", "disconnect"}
)
GuardReason = Literal["max-duration", "max-silence"]

DTMF_DIGITS = frozenset("0123456789*#ABCD")


@dataclass(frozen=True)
class Action:
    """Something the port (HAL or media) must do now."""


@dataclass(frozen=True)
class Event:
    """Something the calls layer must hear about."""


Output = Action | Event


# --- Actions of an FXS port ---------------------------------------------------------------


@dataclass(frozen=True)
class StartRing(Action):
    """Ring the phone with ``cadence`` (on, off, on, off... seconds, repeating)."""

    cadence: tuple[float, ...]


@dataclass(frozen=True)
class StopRing(Action):
    """Stop ringing the phone."""


@dataclass(frozen=True)
class PlayTone(Action):
    """Play a call-progress tone to the phone until :class:`StopTone` or another tone."""

    name: ToneName


@dataclass(frozen=True)
class StopTone(Action):
    """Stop the call-progress tone on the port."""


@dataclass(frozen=True)
class CallerInfo:
    """Who is calling, as a phone's display shows it; either field may be missing."""

    number: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class SendCallerId(Action):
    """Send on-hook (type I) caller ID to the phone; the media layer reports when it is sent.

    ``before_ring`` is the EN 300 659-1 §6.2.1 placement: alerting signal, then the
    data, then the first ring.
    """

    caller: CallerInfo
    standard: CidStandard
    before_ring: bool


@dataclass(frozen=True)
class SendCallerIdOffhook(Action):
    """Alert a phone in a call to a waiting call (CAS) and send type II caller ID if it acks."""

    caller: CallerInfo
    standard: CidStandard


# --- Actions of an FXO port ---------------------------------------------------------------


@dataclass(frozen=True)
class SetHook(Action):
    """Seize the exchange line (True) or release it (False)."""

    offhook: bool


@dataclass(frozen=True)
class SendDigits(Action):
    """Send ``number`` as DTMF; the media layer answers with ``digits_sent`` when done."""

    number: str


@dataclass(frozen=True)
class EnableCallerId(Action):
    """Run (True) or stop (False) the on-hook caller ID receiver on the port."""

    on: bool


@dataclass(frozen=True)
class HookFlash(Action):
    """Go on-hook for ``seconds`` and back, the exchange's signal for a transfer or hold."""

    seconds: float


# --- Events of an FXS port ----------------------------------------------------------------


@dataclass(frozen=True)
class OffHook(Event):
    """The idle phone was lifted: an origination; the phone now hears dial tone."""


@dataclass(frozen=True)
class Digits(Event):
    """The phone finished dialling ``number`` (``#`` or the interdigit timeout ended it)."""

    number: str


@dataclass(frozen=True)
class DialTimeout(Event):
    """The phone was lifted but nothing was dialled in time; it now hears congestion.

    The port stays busy until :class:`HungUp`.
    """


@dataclass(frozen=True)
class Flash(Event):
    """The user flashed the hook during a call (a request to hold or transfer)."""


@dataclass(frozen=True)
class HungUp(Event):
    """The phone went back on-hook for good; the port is free."""


# --- Events of both ports -----------------------------------------------------------------


@dataclass(frozen=True)
class Answered(Event):
    """FXS: the ringing phone was picked up. FXO: the called party of an outbound call answered."""


# --- Events of an FXO port ----------------------------------------------------------------


@dataclass(frozen=True)
class IncomingCall(Event):
    """The exchange is offering a call; caller ID fields are None when none was received."""

    caller_number: str | None
    caller_name: str | None
    datetime: str | None


@dataclass(frozen=True)
class RingingStopped(Event):
    """The caller gave up before the call was answered; the line is idle again."""


@dataclass(frozen=True)
class Connected(Event):
    """The offered inbound call was answered: audio flows."""


@dataclass(frozen=True)
class FarEndDisconnected(Event):
    """The exchange signalled that the far end hung up; the line is still seized.

    The calls layer answers with ``hangup``.
    """

    reason: DisconnectReason


@dataclass(frozen=True)
class Released(Event):
    """The line is back on-hook and idle after a hang-up from this side."""


@dataclass(frozen=True)
class LineFreed(Event):
    """The stuck-line guard released a line that held a call too long or too quietly.

    The machine has already put the line on-hook (``Released`` follows); the calls
    layer ends whatever call used it and logs ``reason`` and ``limit`` (seconds).
    """

    reason: GuardReason
    limit: float
