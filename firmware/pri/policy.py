"""The call handling of ``pri-dut``: what the box does with calls in an interop test.

It is a sans-I/O piece like the protocol machines: it reads the events of a
:class:`~firmware.pri.dchannel.DChannel`, makes Q.931 requests, and asks for a
deadline of its own (the hang-up of the outgoing call).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from firmware.pri.dchannel import DChannel, Output
from firmware.signaling.q921 import events as l2
from firmware.signaling.q931 import CauseValue, SetupRequest
from firmware.signaling.q931 import events as l3
from firmware.signaling.q931.ies import (
    BearerCapability,
    Layer1Protocol,
    NumberingPlan,
    PartyNumber,
    TransferCapability,
    TypeOfNumber,
)

log = logging.getLogger(__name__)

CALL_REJECTED = 21


@dataclass(frozen=True)
class DutOptions:
    """What the test harness asked for on the command line."""

    answer_incoming: bool = False
    call: str | None = None
    hangup_after: float = 5.0


class DutPolicy:
    """Answers or refuses incoming calls and places at most one outgoing call."""

    def __init__(self, dchannel: DChannel, options: DutOptions) -> None:
        self._dch = dchannel
        self._options = options
        self._placed = False
        self._hangups: dict[l3.CallRef, float] = {}

    def next_deadline(self) -> float | None:
        return min(self._hangups.values(), default=None)

    def handle_timer(self, now: float) -> list[Output]:
        """Hang up the outgoing call whose time has come (DISCONNECT, cause #16)."""
        out: list[Output] = []
        for ref, when in list(self._hangups.items()):
            if when <= now:
                del self._hangups[ref]
                if ref in self._dch.calls.calls:
                    log.info("call %s: hanging up after %.1f s", ref, self._options.hangup_after)
                    out += self._dch.submit(
                        self._dch.calls.disconnect(ref, now, CauseValue.NORMAL_CLEARING), now
                    )
        return out

    def react(self, outputs: list[Output], now: float) -> list[Output]:
        """Act on the events among ``outputs``; returns the outputs of those actions."""
        result: list[Output] = []
        for output in outputs:
            result += self._react_one(output, now)
        return result

    def _react_one(self, event: Output, now: float) -> list[Output]:
        dch = self._dch
        match event:
            case l2.EstablishConfirm() | l2.EstablishIndication():
                log.info("D-channel up")
                if self._options.call is not None and not self._placed:
                    self._placed = True
                    request = SetupRequest(
                        called=PartyNumber(
                            self._options.call, TypeOfNumber.UNKNOWN, NumberingPlan.ISDN
                        ),
                        bearer=BearerCapability(TransferCapability.SPEECH, Layer1Protocol.ALAW),
                        channel=(dch.calls.free_channels() or [None])[0],
                    )
                    ref, outs = dch.calls.setup(request, now)
                    log.info("call %s: SETUP to %s", ref, self._options.call)
                    return dch.submit(outs, now)
            case l2.ReleaseIndication():
                log.warning("D-channel down; re-establishing")
            case l3.IncomingCall(ref=ref, channel=channel, called=called):
                number = called.digits if called else ""
                if self._options.answer_incoming:
                    log.info("call %s: incoming to %r on B%d, answering", ref, number, channel)
                    return dch.submit(dch.calls.connect(ref, now), now)
                log.info("call %s: incoming to %r, refused", ref, number)
                return dch.submit(dch.calls.disconnect(ref, now, CALL_REJECTED), now)
            case l3.CallConnected(ref=ref):
                log.info("call %s: answered", ref)
                self._hangups[ref] = now + self._options.hangup_after
            case l3.CallDisconnecting(ref=ref, cause=cause):
                log.info("call %s: DISCONNECT cause %d, releasing", ref, cause)
                return dch.submit(dch.calls.release(ref, now), now)
            case l3.CallReleased(ref=ref, cause=cause):
                log.info("call %s: released (cause %s)", ref, cause)
                self._hangups.pop(ref, None)
            case l3.ChannelsRestarted(restart_class=cls, channels=channels):
                log.info("RESTART class %d %s acknowledged", cls, list(channels))
            case _:
                pass
        return []
