"""Everything that comes out of the Q.921 data link machine.

An :class:`Action` is a frame to put on the D-channel; an :class:`Event` is one of
the primitives of Q.921 §4 towards layer 3 (DL-ESTABLISH, DL-RELEASE, DL-DATA) or
towards management (MDL-ERROR). All are small immutable values, as h11's are.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    """Something the D-channel driver must do now."""


@dataclass(frozen=True)
class Event:
    """News for layer 3 or for the technician's trace."""


Output = Action | Event


@dataclass(frozen=True)
class TransmitFrame(Action):
    """Send ``frame`` (address + control + information, no flags, no FCS)."""

    frame: bytes


@dataclass(frozen=True)
class EstablishIndication(Event):
    """DL-ESTABLISH-INDICATION: the peer set up (or reset) multiple-frame operation."""


@dataclass(frozen=True)
class EstablishConfirm(Event):
    """DL-ESTABLISH-CONFIRM: the establishment this side asked for is complete."""


@dataclass(frozen=True)
class ReleaseIndication(Event):
    """DL-RELEASE-INDICATION: the link went down without this side asking."""


@dataclass(frozen=True)
class ReleaseConfirm(Event):
    """DL-RELEASE-CONFIRM: the release this side asked for is complete."""


@dataclass(frozen=True)
class DataIndication(Event):
    """DL-DATA-INDICATION: one layer 3 message, in order and exactly once."""

    data: bytes


@dataclass(frozen=True)
class ErrorIndication(Event):
    """MDL-ERROR-INDICATION with its code of Q.921 Table II.1 (A to O), for diagnosis."""

    code: str
    meaning: str
