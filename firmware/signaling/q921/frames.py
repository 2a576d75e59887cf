"""LAPD frames as bytes on the D-channel: address, control and information fields.

Frames here carry no flags and no FCS (the HDLC controller adds and checks
those), so the octet counts of Q.921 §5.8.4 shrink by two: a frame with a
sequence number needs 4 octets, one without needs 3. Only modulo-128 operation
(two-octet control field for I and S frames) exists in LAPD (Q.921 §3.5).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from firmware.signaling.q921.errors import RemoteProtocolError

MODULUS = 128
MAX_FRAME = 264  # 2 address + 2 control + N201 (260) information octets


class Side(enum.Enum):
    """Which end of the interface a machine plays: it decides the C/R bit (Q.921 §3.3.2)."""

    USER = "user"  # TE: the box facing an operator
    NETWORK = "network"  # NT: the box acting as the network for a PBX behind it

    @property
    def peer(self) -> Side:
        return Side.NETWORK if self is Side.USER else Side.USER


class FrameKind(enum.Enum):
    """The frame types of Q.921 Table 5 (modulo 128), plus one for undefined control fields."""

    I = "I"  # noqa: E741 - the name of the frame in the recommendation
    RR = "RR"
    RNR = "RNR"
    REJ = "REJ"
    SABME = "SABME"
    DM = "DM"
    UI = "UI"
    DISC = "DISC"
    UA = "UA"
    FRMR = "FRMR"
    XID = "XID"
    UNDEFINED = "undefined"


# Q.921 Table 5: the S-frame first control octet and the U-frame octet with P/F cleared.
_S_CODES = {0x01: FrameKind.RR, 0x05: FrameKind.RNR, 0x09: FrameKind.REJ}
_U_CODES = {
    0x6F: FrameKind.SABME,
    0x0F: FrameKind.DM,
    0x03: FrameKind.UI,
    0x43: FrameKind.DISC,
    0x63: FrameKind.UA,
    0x87: FrameKind.FRMR,
    0xAF: FrameKind.XID,
}
_S_OCTET = {kind: code for code, kind in _S_CODES.items()}
_U_OCTET = {kind: code for code, kind in _U_CODES.items()}
_PF_U = 0x10

SUPERVISORY = frozenset({FrameKind.RR, FrameKind.RNR, FrameKind.REJ})
# Frames that are commands by definition and those that are responses (Q.921 Table 5).
COMMANDS = frozenset({FrameKind.I, FrameKind.SABME, FrameKind.DISC, FrameKind.UI})
RESPONSES = frozenset({FrameKind.UA, FrameKind.DM, FrameKind.FRMR})


def command_cr(side: Side) -> int:
    """The C/R bit that ``side`` puts in its commands (Q.921 Table 1)."""
    return 1 if side is Side.NETWORK else 0


def response_cr(side: Side) -> int:
    """The C/R bit that ``side`` puts in its responses (Q.921 Table 1)."""
    return 0 if side is Side.NETWORK else 1


@dataclass(frozen=True)
class Frame:
    """One LAPD frame, decoded. ``cr`` is the C/R bit as carried on the line."""

    kind: FrameKind
    sapi: int = 0
    tei: int = 0
    cr: int = 0
    pf: bool = False
    ns: int | None = None
    nr: int | None = None
    info: bytes = b""

    def is_command_from(self, side: Side) -> bool:
        """True when this frame, sent by ``side``, is a command rather than a response."""
        return self.cr == command_cr(side)


def encode(frame: Frame) -> bytes:
    """The octets of ``frame``: address, control, information (no flags, no FCS)."""
    if not (0 <= frame.sapi < 64 and 0 <= frame.tei < 128 and frame.cr in (0, 1)):
        raise ValueError(f"address out of range: SAPI {frame.sapi}, TEI {frame.tei}")
    address = bytes(((frame.sapi << 2) | (frame.cr << 1), (frame.tei << 1) | 1))
    pf = int(frame.pf)
    if frame.kind is FrameKind.I:
        if frame.ns is None or frame.nr is None:
            raise ValueError("an I frame needs N(S) and N(R)")
        control = bytes((frame.ns << 1, (frame.nr << 1) | pf))
    elif frame.kind in SUPERVISORY:
        if frame.nr is None:
            raise ValueError(f"an {frame.kind.value} frame needs N(R)")
        control = bytes((_S_OCTET[frame.kind], (frame.nr << 1) | pf))
    elif frame.kind in _U_OCTET:
        control = bytes((_U_OCTET[frame.kind] | (_PF_U if pf else 0),))
    else:
        raise ValueError(f"cannot encode a frame of kind {frame.kind.value}")
    return address + control + frame.info


def decode(data: bytes) -> Frame:
    """Decode one frame; raise :class:`RemoteProtocolError` for an invalid frame.

    Invalid means Q.921 §5.8.4: too short, or an address field that is not two
    octets. An undefined control field is not invalid (it is a frame rejection
    condition of §5.8.5), so it decodes to :attr:`FrameKind.UNDEFINED`.
    """
    if len(data) < 3:
        raise RemoteProtocolError(f"a frame of {len(data)} octets is shorter than 3")
    a0, a1 = data[0], data[1]
    if a0 & 0x01:
        raise RemoteProtocolError("the address field has one octet (EA bit set in octet 1)")
    if not a1 & 0x01:
        raise RemoteProtocolError("the address field is longer than two octets")
    sapi, cr, tei = a0 >> 2, (a0 >> 1) & 1, a1 >> 1
    c0 = data[2]
    if not c0 & 0x01 or c0 & 0x03 == 0x01:
        if len(data) < 4:
            raise RemoteProtocolError("an I or S frame of 3 octets has no N(R) octet")
        c1 = data[3]
        nr, pf = c1 >> 1, bool(c1 & 1)
        if not c0 & 0x01:
            return Frame(FrameKind.I, sapi, tei, cr, pf, c0 >> 1, nr, bytes(data[4:]))
        kind = _S_CODES.get(c0, FrameKind.UNDEFINED)
        return Frame(kind, sapi, tei, cr, pf, None, nr, bytes(data[4:]))
    kind = _U_CODES.get(c0 & ~_PF_U, FrameKind.UNDEFINED)
    return Frame(kind, sapi, tei, cr, bool(c0 & _PF_U), None, None, bytes(data[3:]))
