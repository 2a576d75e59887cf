"""The call states of Q.931 §2.1 (user side) and §2.2 (network side), with their codes.

The code is what a STATUS message reports in its call state element, so it is
part of the protocol, not a detail of this implementation.
"""

from __future__ import annotations

import enum

from firmware.signaling.q921.frames import Side


class CallState(enum.Enum):
    """One call's state; ``U`` states belong to the user side, ``N`` to the network side."""

    U0 = ("U", 0, "null")
    U1 = ("U", 1, "call initiated")
    U2 = ("U", 2, "overlap sending")
    U3 = ("U", 3, "outgoing call proceeding")
    U4 = ("U", 4, "call delivered")
    U6 = ("U", 6, "call present")
    U7 = ("U", 7, "call received")
    U8 = ("U", 8, "connect request")
    U9 = ("U", 9, "incoming call proceeding")
    U10 = ("U", 10, "active")
    U11 = ("U", 11, "disconnect request")
    U12 = ("U", 12, "disconnect indication")
    U19 = ("U", 19, "release request")
    U25 = ("U", 25, "overlap receiving")
    N0 = ("N", 0, "null")
    N1 = ("N", 1, "call initiated")
    N2 = ("N", 2, "overlap sending")
    N3 = ("N", 3, "outgoing call proceeding")
    N4 = ("N", 4, "call delivered")
    N6 = ("N", 6, "call present")
    N7 = ("N", 7, "call received")
    N9 = ("N", 9, "incoming call proceeding")
    N10 = ("N", 10, "active")
    N11 = ("N", 11, "disconnect request")
    N12 = ("N", 12, "disconnect indication")
    N19 = ("N", 19, "release request")
    N25 = ("N", 25, "overlap receiving")

    @property
    def code(self) -> int:
        """The value carried in the call state information element."""
        return self.value[1]

    @property
    def description(self) -> str:
        return self.value[2]

    def __str__(self) -> str:
        return f"{self.value[0]}{self.value[1]} {self.value[2]}"


def null_state(side: Side) -> CallState:
    return CallState.U0 if side is Side.USER else CallState.N0


# Global call reference states (Q.931 §2.4): the restart procedure.
REST_0 = 0  # null
REST_1 = 61  # restart request: RESTART sent, waiting for the acknowledgement
REST_2 = 62  # restart: RESTART received, being processed
