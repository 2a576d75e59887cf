"""The Q.921 data link entity of one point-to-point D-channel (SAPI 0, TEI 0).

A PRI has a fixed TEI, so the machine starts in state 4 (TEI assigned) and
moves through the states of the Q.921 Annex B SDL: 5 awaiting establishment,
6 awaiting release, 7 multiple frame established and 8 timer recovery.

Feed it the frames read from the D-channel, the requests of layer 3 and the
current time; send the :class:`~firmware.signaling.q921.events.TransmitFrame`
actions it returns and pass its events up. Ask :meth:`DataLink.next_deadline`
and call :meth:`DataLink.handle_timer` when it has passed (T200, T203).

The box's receiver is never busy (layer 3 consumes every message at once), so
this side never sends RNR; an RNR from the peer is honoured. A frame rejection
condition (Q.921 §5.8.5) is never answered with FRMR, as LAPD prescribes: the
link is re-established instead.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from firmware.signaling.loopstart.timers import TimerSet
from firmware.signaling.q921.errors import ConfigError, LocalProtocolError, RemoteProtocolError
from firmware.signaling.q921.events import (
    DataIndication,
    ErrorIndication,
    EstablishConfirm,
    EstablishIndication,
    Output,
    ReleaseConfirm,
    ReleaseIndication,
    TransmitFrame,
)
from firmware.signaling.q921.frames import (
    COMMANDS,
    MODULUS,
    RESPONSES,
    Frame,
    FrameKind,
    Side,
    command_cr,
    decode,
    encode,
    response_cr,
)

log = logging.getLogger(__name__)

# Q.921 Table II.1: the management error codes this machine reports.
MDL_ERRORS = {
    "A": "supervisory response with F=1 received unsolicited",
    "B": "DM response with F=1 received unsolicited",
    "C": "UA response with F=1 received unsolicited",
    "D": "UA response with F=0 received unsolicited",
    "E": "DM response with F=0 received: the peer asks for establishment",
    "F": "SABME received while established: the peer reset the link",
    "G": "SABME unanswered N200 times",
    "H": "DISC unanswered N200 times",
    "I": "status enquiry unanswered N200 times",
    "J": "N(R) sequence error",
    "K": "FRMR received",
    "L": "undefined control field received",
    "N": "supervisory or unnumbered frame of wrong length received",
    "O": "I frame with an information field longer than N201 received",
}


@dataclass(frozen=True)
class LinkConfig:
    """System parameters of Q.921 §5.9, with the values a PRI uses."""

    t200: float = 1.0
    t203: float = 10.0
    n200: int = 3
    n201: int = 260
    k: int = 7
    sapi: int = 0
    tei: int = 0

    def __post_init__(self) -> None:
        if not (self.t200 > 0 and self.t203 > self.t200):
            raise ConfigError(
                f"T200 ({self.t200} s) must be positive and below T203 ({self.t203} s)"
            )
        if self.n200 < 1:
            raise ConfigError(f"N200 must be at least 1, not {self.n200}")
        if not 1 <= self.n201 <= 260:
            raise ConfigError(f"N201 must be between 1 and 260 octets, not {self.n201}")
        if not 1 <= self.k <= 127:
            raise ConfigError(f"the window k must be between 1 and 127, not {self.k}")
        if not (0 <= self.sapi < 64 and 0 <= self.tei < 127):
            raise ConfigError(f"SAPI {self.sapi} / TEI {self.tei} is not a point-to-point address")


class LinkState(enum.Enum):
    """The data link states of Q.921 Annex B that a fixed-TEI link passes through."""

    TEI_ASSIGNED = 4
    AWAITING_ESTABLISHMENT = 5
    AWAITING_RELEASE = 6
    MULTIPLE_FRAME_ESTABLISHED = 7
    TIMER_RECOVERY = 8


class _In(enum.Enum):
    """Inputs of the transition table: received frames, layer 3 requests, timers."""

    I = "I frame"  # noqa: E741 - the name of the frame in the recommendation
    RR = "RR"
    RNR = "RNR"
    REJ = "REJ"
    SABME = "SABME"
    DISC = "DISC"
    UA = "UA"
    DM = "DM"
    FRMR = "FRMR"
    FRAME_ERROR = "frame rejection condition"
    ESTABLISH = "DL-ESTABLISH-REQUEST"
    RELEASE = "DL-RELEASE-REQUEST"
    DATA = "DL-DATA-REQUEST"
    T200 = "T200 expiry"
    T203 = "T203 expiry"


class _Timer(enum.Enum):
    T200 = _In.T200
    T203 = _In.T203


_FROM_ABOVE = frozenset({_In.ESTABLISH, _In.RELEASE, _In.DATA})
_FRAME_INPUT = {
    FrameKind.I: _In.I,
    FrameKind.RR: _In.RR,
    FrameKind.RNR: _In.RNR,
    FrameKind.REJ: _In.REJ,
    FrameKind.SABME: _In.SABME,
    FrameKind.DISC: _In.DISC,
    FrameKind.UA: _In.UA,
    FrameKind.DM: _In.DM,
    FrameKind.FRMR: _In.FRMR,
}
_ESTABLISHED = (LinkState.MULTIPLE_FRAME_ESTABLISHED, LinkState.TIMER_RECOVERY)

_Handler = Callable[["DataLink", float, "Frame | bytes | None"], list[Output]]


class DataLink:
    """The LAPD machine of one side of a point-to-point link (Q.921 §5, Annex B)."""

    def __init__(
        self, side: Side, config: LinkConfig | None = None, *, defer_ack: bool = False
    ) -> None:
        self.side = side
        self.config = config or LinkConfig()
        # With defer_ack, an acknowledgement owed after receive() waits for
        # flush_acknowledgement(), so that layer 3's answer can carry it in its N(R).
        self._defer_ack = defer_ack
        self._state = LinkState.TEI_ASSIGNED
        self._timers: TimerSet[_Timer] = TimerSet()
        self._vs = 0  # V(S): the N(S) of the next new I frame
        self._va = 0  # V(A): the oldest I frame not yet acknowledged
        self._vr = 0  # V(R): the N(S) expected next from the peer
        self._rc = 0  # retransmission counter
        self._peer_busy = False
        self._reject_exception = False
        self._ack_pending = False
        self._l3_initiated = False
        self._pending: deque[bytes] = deque()  # I queue: not yet sent
        self._unacked: deque[bytes] = deque()  # sent, N(S) from V(A) upwards

    @property
    def state(self) -> LinkState:
        return self._state

    @property
    def established(self) -> bool:
        """True in multiple-frame operation, when layer 3 messages flow."""
        return self._state in _ESTABLISHED

    def __repr__(self) -> str:
        return (
            f"<DataLink {self.side.value} state {self._state.value} "
            f"V(S)={self._vs} V(A)={self._va} V(R)={self._vr}>"
        )

    # --- input from the line -----------------------------------------------------------------

    def receive(self, data: bytes, now: float) -> list[Output]:
        """One frame read from the D-channel; invalid frames are dropped without a trace."""
        out = self._expire(now)
        try:
            frame = decode(data)
        except RemoteProtocolError as exc:
            log.debug("Q.921 invalid frame discarded (§5.8.4): %s", exc)
            return out
        if frame.sapi != self.config.sapi or frame.tei != self.config.tei:
            return out  # §5.8.4 f): an unsupported SAPI or an unassigned TEI
        what = self._classify(frame)
        if what is None:
            return out
        out += self._feed(what, now, frame)
        return out + self._flush(now, ack=not self._defer_ack)

    def _classify(self, frame: Frame) -> _In | None:
        is_command = frame.is_command_from(self.side.peer)
        if frame.kind is FrameKind.UNDEFINED:
            return _In.FRAME_ERROR
        if frame.kind in (FrameKind.UI, FrameKind.XID):
            return None  # no SAPI 0 procedure uses them on a point-to-point PRI
        if frame.kind in COMMANDS and not is_command:
            return None  # a command kind sent as a response: an address error
        if frame.kind in RESPONSES and is_command:
            return None
        if frame.kind is FrameKind.I:
            if len(frame.info) > self.config.n201:
                return _In.FRAME_ERROR  # §5.8.5 d)
            return _In.I
        if frame.info and frame.kind is not FrameKind.FRMR:
            return _In.FRAME_ERROR  # §5.8.5 b): S or U frame of the wrong length
        return _FRAME_INPUT[frame.kind]

    # --- requests from layer 3 ---------------------------------------------------------------

    def establish(self, now: float) -> list[Output]:
        """DL-ESTABLISH-REQUEST: bring up (or reset) multiple-frame operation."""
        return self._expire(now) + self._feed(_In.ESTABLISH, now) + self._flush(now)

    def release(self, now: float) -> list[Output]:
        """DL-RELEASE-REQUEST: end multiple-frame operation."""
        return self._expire(now) + self._feed(_In.RELEASE, now)

    def send(self, data: bytes, now: float) -> list[Output]:
        """DL-DATA-REQUEST: send one layer 3 message, acknowledged and in order.

        A message given while the link is down starts the establishment and goes
        out once the link is up.
        """
        if not data or len(data) > self.config.n201:
            raise LocalProtocolError(
                f"a layer 3 message must have 1 to {self.config.n201} octets, not {len(data)}"
            )
        return self._expire(now) + self._feed(_In.DATA, now, bytes(data)) + self._flush(now)

    # --- time ----------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or None."""
        return self._timers.next_deadline()

    def handle_timer(self, now: float) -> list[Output]:
        """Fire the timers due at ``now``; calling early or twice does nothing."""
        return self._expire(now) + self._flush(now)

    # --- the machine ---------------------------------------------------------------------------

    def _expire(self, now: float) -> list[Output]:
        out: list[Output] = []
        while (due := self._timers.pop_due(now)) is not None:
            timer, deadline = due
            out += self._feed(timer.value, deadline)
        return out

    def _feed(self, what: _In, now: float, arg: Frame | bytes | None = None) -> list[Output]:
        handler = self._TRANSITIONS.get((self._state, what))
        if handler is None:
            if what in _FROM_ABOVE:
                raise LocalProtocolError(
                    f"cannot {what.value} while the data link is in state {self._state.value}"
                )
            log.debug("Q.921 state %d: %s ignored", self._state.value, what.value)
            return []
        return handler(self, now, arg)

    def _set_state(self, state: LinkState) -> None:
        self._state = state

    # Frame builders ----------------------------------------------------------------------------

    def _tx(
        self,
        kind: FrameKind,
        *,
        command: bool,
        pf: bool,
        nr: int | None = None,
        ns: int | None = None,
        info: bytes = b"",
    ) -> TransmitFrame:
        cr = command_cr(self.side) if command else response_cr(self.side)
        frame = Frame(kind, self.config.sapi, self.config.tei, cr, pf, ns, nr, info)
        return TransmitFrame(encode(frame))

    def _mdl(self, code: str) -> ErrorIndication:
        return ErrorIndication(code, MDL_ERRORS[code])

    def _enquiry(self, now: float) -> list[Output]:
        # Q.921 Annex B "transmit enquiry": RR command with P=1, start T200.
        self._ack_pending = False
        self._timers.arm(_Timer.T200, now + self.config.t200)
        return [self._tx(FrameKind.RR, command=True, pf=True, nr=self._vr)]

    def _enquiry_response(self) -> list[Output]:
        self._ack_pending = False
        return [self._tx(FrameKind.RR, command=False, pf=True, nr=self._vr)]

    # Shared procedures of the SDL --------------------------------------------------------------

    def _clear_exceptions(self) -> None:
        self._peer_busy = False
        self._reject_exception = False
        self._ack_pending = False

    def _discard_queue(self) -> None:
        self._pending.clear()
        self._unacked.clear()

    def _establish_data_link(self, now: float) -> list[Output]:
        # Q.921 Annex B "establish data link": SABME with P=1, T200 started, T203 stopped.
        self._clear_exceptions()
        self._rc = 0
        self._timers.cancel(_Timer.T203)
        self._timers.arm(_Timer.T200, now + self.config.t200)
        self._set_state(LinkState.AWAITING_ESTABLISHMENT)
        return [self._tx(FrameKind.SABME, command=True, pf=True)]

    def _reset_variables(self) -> None:
        self._vs = self._va = self._vr = 0
        self._unacked.clear()

    def _nr_valid(self, nr: int) -> bool:
        # V(A) <= N(R) <= V(S), modulo 128 (Q.921 §5.8.2).
        return (nr - self._va) % MODULUS <= (self._vs - self._va) % MODULUS

    def _acknowledge(self, nr: int) -> None:
        for _ in range((nr - self._va) % MODULUS):
            self._unacked.popleft()
        self._va = nr

    def _retransmit_from(self, nr: int) -> None:
        # Q.921 Annex B "invoke retransmission": V(S) back to N(R), frames queued again.
        self._acknowledge(nr)
        self._pending.extendleft(reversed(self._unacked))
        self._unacked.clear()
        self._vs = self._va

    def _nr_error_recovery(self, now: float) -> list[Output]:
        self._l3_initiated = False
        return [self._mdl("J"), *self._establish_data_link(now)]

    def flush_acknowledgement(self, now: float) -> list[Output]:
        """Send the RR still owed for received I frames (used with ``defer_ack``)."""
        return self._expire(now) + self._flush(now)

    def _flush(self, now: float, *, ack: bool = True) -> list[Output]:
        """Send queued I frames the window allows, then any acknowledgement still owed."""
        out: list[Output] = []
        if self._state is LinkState.MULTIPLE_FRAME_ESTABLISHED and not self._peer_busy:
            while self._pending and (self._vs - self._va) % MODULUS < self.config.k:
                info = self._pending.popleft()
                out.append(
                    self._tx(
                        FrameKind.I, command=True, pf=False, ns=self._vs, nr=self._vr, info=info
                    )
                )
                self._unacked.append(info)
                self._vs = (self._vs + 1) % MODULUS
                self._ack_pending = False
                if not self._timers.is_armed(_Timer.T200):
                    self._timers.cancel(_Timer.T203)
                    self._timers.arm(_Timer.T200, now + self.config.t200)
        if ack and self._ack_pending and self._state in _ESTABLISHED:
            self._ack_pending = False
            out.append(self._tx(FrameKind.RR, command=False, pf=False, nr=self._vr))
        return out

    # Handlers: state 4, TEI assigned -----------------------------------------------------------

    def _s4_establish(self, now: float, arg: object) -> list[Output]:
        self._l3_initiated = True
        return self._establish_data_link(now)

    def _s4_data(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, bytes)
        self._pending.append(arg)
        return self._s4_establish(now, None)

    def _s4_release(self, now: float, arg: object) -> list[Output]:
        return [ReleaseConfirm()]

    def _accept_sabme(self, now: float, arg: object) -> list[Output]:
        # Q.921 §5.5.1.2: UA with F=P, variables reset, T203 started, state 7.
        assert isinstance(arg, Frame)
        self._clear_exceptions()
        self._reset_variables()
        self._timers.cancel(_Timer.T200)
        self._timers.arm(_Timer.T203, now + self.config.t203)
        self._set_state(LinkState.MULTIPLE_FRAME_ESTABLISHED)
        return [self._tx(FrameKind.UA, command=False, pf=arg.pf), EstablishIndication()]

    def _answer_dm(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame)
        return [self._tx(FrameKind.DM, command=False, pf=arg.pf)]

    def _answer_ua(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame)
        return [self._tx(FrameKind.UA, command=False, pf=arg.pf)]

    def _unsolicited_ua(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame)
        return [self._mdl("C" if arg.pf else "D")]

    def _s4_dm(self, now: float, arg: object) -> list[Output]:
        # Q.921 §5.5.1.1: a DM with F=0 asks this side to establish the link.
        assert isinstance(arg, Frame)
        if arg.pf:
            return []
        self._l3_initiated = True
        return self._establish_data_link(now)

    # Handlers: state 5, awaiting establishment -------------------------------------------------

    def _s5_establish(self, now: float, arg: object) -> list[Output]:
        self._l3_initiated = True
        return []

    def _s5_data(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, bytes)
        self._pending.append(arg)
        return []

    def _s5_ua(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame)
        if not arg.pf:
            return [self._mdl("D")]
        out: list[Output] = []
        if self._l3_initiated:
            out.append(EstablishConfirm())
        elif self._vs != self._va:
            self._discard_queue()
            out.append(EstablishIndication())
        self._l3_initiated = False
        self._reset_variables()
        self._timers.cancel(_Timer.T200)
        self._timers.arm(_Timer.T203, now + self.config.t203)
        self._set_state(LinkState.MULTIPLE_FRAME_ESTABLISHED)
        return out

    def _s5_dm(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame)
        if not arg.pf:
            return []
        self._discard_queue()
        self._timers.cancel(_Timer.T200)
        self._set_state(LinkState.TEI_ASSIGNED)
        return [ReleaseIndication()]

    def _s5_t200(self, now: float, arg: object) -> list[Output]:
        if self._rc >= self.config.n200:
            self._discard_queue()
            self._set_state(LinkState.TEI_ASSIGNED)
            return [self._mdl("G"), ReleaseIndication()]
        self._rc += 1
        self._timers.arm(_Timer.T200, now + self.config.t200)
        return [self._tx(FrameKind.SABME, command=True, pf=True)]

    # Handlers: state 6, awaiting release --------------------------------------------------------

    def _s6_release_done(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame)
        if not arg.pf:
            return [self._mdl("D")] if arg.kind is FrameKind.UA else []
        self._timers.cancel(_Timer.T200)
        self._set_state(LinkState.TEI_ASSIGNED)
        return [ReleaseConfirm()]

    def _s6_t200(self, now: float, arg: object) -> list[Output]:
        if self._rc >= self.config.n200:
            self._set_state(LinkState.TEI_ASSIGNED)
            return [self._mdl("H"), ReleaseConfirm()]
        self._rc += 1
        self._timers.arm(_Timer.T200, now + self.config.t200)
        return [self._tx(FrameKind.DISC, command=True, pf=True)]

    # Handlers: states 7 and 8 -------------------------------------------------------------------

    def _re_establish(self, now: float, arg: object) -> list[Output]:
        # DL-ESTABLISH-REQUEST while established: start again from a clean queue.
        self._discard_queue()
        self._l3_initiated = True
        return self._establish_data_link(now)

    def _queue(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, bytes)
        self._pending.append(arg)
        return []

    def _release_established(self, now: float, arg: object) -> list[Output]:
        self._discard_queue()
        self._rc = 0
        self._timers.cancel(_Timer.T203)
        self._timers.arm(_Timer.T200, now + self.config.t200)
        self._set_state(LinkState.AWAITING_RELEASE)
        return [self._tx(FrameKind.DISC, command=True, pf=True)]

    def _reset_by_peer(self, now: float, arg: object) -> list[Output]:
        # Q.921 §5.8.1 / Annex B: SABME while established resets the link.
        assert isinstance(arg, Frame)
        out: list[Output] = [self._tx(FrameKind.UA, command=False, pf=arg.pf), self._mdl("F")]
        self._clear_exceptions()
        if self._vs != self._va:
            self._discard_queue()
            out.append(EstablishIndication())
        self._reset_variables()
        self._timers.cancel(_Timer.T200)
        self._timers.arm(_Timer.T203, now + self.config.t203)
        self._set_state(LinkState.MULTIPLE_FRAME_ESTABLISHED)
        return out

    def _released_by_peer(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame)
        self._discard_queue()
        self._timers.cancel(_Timer.T200)
        self._timers.cancel(_Timer.T203)
        self._set_state(LinkState.TEI_ASSIGNED)
        return [self._tx(FrameKind.UA, command=False, pf=arg.pf), ReleaseIndication()]

    def _established_dm(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame)
        if arg.pf:
            return [self._mdl("B")]
        self._l3_initiated = False
        return [self._mdl("E"), *self._establish_data_link(now)]

    def _frmr(self, now: float, arg: object) -> list[Output]:
        self._l3_initiated = False
        return [self._mdl("K"), *self._establish_data_link(now)]

    def _frame_error(self, now: float, arg: object) -> list[Output]:
        # Q.921 §5.8.5: report to management and re-establish; LAPD never sends FRMR.
        assert isinstance(arg, Frame)
        if arg.kind is FrameKind.UNDEFINED:
            code = "L"
        elif arg.kind is FrameKind.I:
            code = "O"
        else:
            code = "N"
        self._l3_initiated = False
        return [self._mdl(code), *self._establish_data_link(now)]

    def _supervisory(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame) and arg.nr is not None
        out: list[Output] = []
        is_command = arg.is_command_from(self.side.peer)
        self._peer_busy = arg.kind is FrameKind.RNR
        if is_command and arg.pf:
            out += self._enquiry_response()
        elif not is_command and arg.pf and self._state is LinkState.MULTIPLE_FRAME_ESTABLISHED:
            out.append(self._mdl("A"))
        if not self._nr_valid(arg.nr):
            return out + self._nr_error_recovery(now)
        if self._state is LinkState.TIMER_RECOVERY:
            if not is_command and arg.pf:
                # Q.921 §5.6.7: the answer to our enquiry ends timer recovery.
                self._retransmit_from(arg.nr)
                self._timers.cancel(_Timer.T200)
                self._rc = 0
                self._set_state(LinkState.MULTIPLE_FRAME_ESTABLISHED)
                if self._peer_busy:
                    self._timers.arm(_Timer.T200, now + self.config.t200)
                else:
                    self._timers.arm(_Timer.T203, now + self.config.t203)
            else:
                self._acknowledge(arg.nr)
            return out
        if arg.kind is FrameKind.REJ:
            self._retransmit_from(arg.nr)
            self._timers.cancel(_Timer.T200)
            self._timers.arm(_Timer.T203, now + self.config.t203)
        elif arg.kind is FrameKind.RNR:
            self._acknowledge(arg.nr)
            self._timers.cancel(_Timer.T203)
            self._timers.arm(_Timer.T200, now + self.config.t200)
        else:
            out += self._update_ack_state7(arg.nr, now)
        return out

    def _update_ack_state7(self, nr: int, now: float) -> list[Output]:
        if nr == self._vs:
            self._acknowledge(nr)
            self._timers.cancel(_Timer.T200)
            self._timers.arm(_Timer.T203, now + self.config.t203)
        elif nr != self._va:
            self._acknowledge(nr)
            self._timers.arm(_Timer.T200, now + self.config.t200)
        return []

    def _information(self, now: float, arg: object) -> list[Output]:
        assert isinstance(arg, Frame) and arg.ns is not None and arg.nr is not None
        out: list[Output] = []
        if arg.ns == self._vr:
            # Q.921 §5.6.2: the expected frame; deliver it once, acknowledge it.
            self._vr = (self._vr + 1) % MODULUS
            self._reject_exception = False
            out.append(DataIndication(arg.info))
            if arg.pf:
                out += self._enquiry_response()
            else:
                self._ack_pending = True
        elif self._reject_exception:
            if arg.pf:
                out += self._enquiry_response()
        else:
            # Q.921 §5.7.1: N(S) sequence error, one REJ until the gap is filled.
            self._reject_exception = True
            self._ack_pending = False
            out.append(self._tx(FrameKind.REJ, command=False, pf=arg.pf, nr=self._vr))
        if not self._nr_valid(arg.nr):
            return out + self._nr_error_recovery(now)
        if self._state is LinkState.TIMER_RECOVERY or self._peer_busy:
            self._acknowledge(arg.nr)
        else:
            out += self._update_ack_state7(arg.nr, now)
        return out

    def _s7_t200(self, now: float, arg: object) -> list[Output]:
        # Q.921 §5.6.7: no acknowledgement in time: poll the peer from timer recovery.
        self._rc = 1
        self._set_state(LinkState.TIMER_RECOVERY)
        return self._enquiry(now)

    def _s7_t203(self, now: float, arg: object) -> list[Output]:
        # Q.921 §5.6.4: the link was idle for T203: check that the peer is still there.
        self._rc = 0
        self._set_state(LinkState.TIMER_RECOVERY)
        return self._enquiry(now)

    def _s8_t200(self, now: float, arg: object) -> list[Output]:
        if self._rc >= self.config.n200:
            self._l3_initiated = False
            return [self._mdl("I"), *self._establish_data_link(now)]
        self._rc += 1
        return self._enquiry(now)

    # Every legal move of the machine: (state, input) -> handler. A handler sets the
    # next state, because in Q.921 it depends on the P/F bit and on N(R). A frame or
    # timer missing here is ignored; a layer 3 request missing here raises.
    _TRANSITIONS: ClassVar[dict[tuple[LinkState, _In], _Handler]] = {
        (LinkState.TEI_ASSIGNED, _In.ESTABLISH): _s4_establish,
        (LinkState.TEI_ASSIGNED, _In.DATA): _s4_data,
        (LinkState.TEI_ASSIGNED, _In.RELEASE): _s4_release,
        (LinkState.TEI_ASSIGNED, _In.SABME): _accept_sabme,
        (LinkState.TEI_ASSIGNED, _In.DISC): _answer_dm,
        (LinkState.TEI_ASSIGNED, _In.UA): _unsolicited_ua,
        (LinkState.TEI_ASSIGNED, _In.DM): _s4_dm,
        (LinkState.AWAITING_ESTABLISHMENT, _In.ESTABLISH): _s5_establish,
        (LinkState.AWAITING_ESTABLISHMENT, _In.DATA): _s5_data,
        (LinkState.AWAITING_ESTABLISHMENT, _In.SABME): _answer_ua,  # §5.5.1.3 collision
        (LinkState.AWAITING_ESTABLISHMENT, _In.DISC): _answer_dm,
        (LinkState.AWAITING_ESTABLISHMENT, _In.UA): _s5_ua,
        (LinkState.AWAITING_ESTABLISHMENT, _In.DM): _s5_dm,
        (LinkState.AWAITING_ESTABLISHMENT, _In.T200): _s5_t200,
        (LinkState.AWAITING_RELEASE, _In.SABME): _answer_dm,
        (LinkState.AWAITING_RELEASE, _In.DISC): _answer_ua,  # §5.5.1.3 collision
        (LinkState.AWAITING_RELEASE, _In.UA): _s6_release_done,
        (LinkState.AWAITING_RELEASE, _In.DM): _s6_release_done,
        (LinkState.AWAITING_RELEASE, _In.T200): _s6_t200,
    }
    for _state in _ESTABLISHED:
        _TRANSITIONS[_state, _In.ESTABLISH] = _re_establish
        _TRANSITIONS[_state, _In.DATA] = _queue
        _TRANSITIONS[_state, _In.RELEASE] = _release_established
        _TRANSITIONS[_state, _In.SABME] = _reset_by_peer
        _TRANSITIONS[_state, _In.DISC] = _released_by_peer
        _TRANSITIONS[_state, _In.UA] = _unsolicited_ua
        _TRANSITIONS[_state, _In.DM] = _established_dm
        _TRANSITIONS[_state, _In.FRMR] = _frmr
        _TRANSITIONS[_state, _In.FRAME_ERROR] = _frame_error
        _TRANSITIONS[_state, _In.I] = _information
        _TRANSITIONS[_state, _In.RR] = _supervisory
        _TRANSITIONS[_state, _In.RNR] = _supervisory
        _TRANSITIONS[_state, _In.REJ] = _supervisory
    _TRANSITIONS[LinkState.MULTIPLE_FRAME_ESTABLISHED, _In.T200] = _s7_t200
    _TRANSITIONS[LinkState.MULTIPLE_FRAME_ESTABLISHED, _In.T203] = _s7_t203
    _TRANSITIONS[LinkState.TIMER_RECOVERY, _In.T200] = _s8_t200
    del _state
