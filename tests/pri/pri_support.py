"""Shared pieces of the PRI tests: a fake D-channel cable between two machines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from firmware.pri.dchannel import DChannel, Output
from firmware.signaling.q921 import Side
from firmware.signaling.q921.events import TransmitFrame
from hal.clock import ManualClock


def frames(outputs: list) -> list[bytes]:
    return [o.frame for o in outputs if isinstance(o, TransmitFrame)]


def events(outputs: list) -> list:
    return [o for o in outputs if not isinstance(o, TransmitFrame)]


@dataclass
class Cable:
    """Our TE and our NT joined back to back; frames cross instantly, time is manual.

    ``drop`` may discard frames in flight, to test recovery from a lossy line.
    """

    te: DChannel = field(default_factory=lambda: DChannel(Side.USER))
    nt: DChannel = field(default_factory=lambda: DChannel(Side.NETWORK))
    clock: ManualClock = field(default_factory=ManualClock)
    drop: Callable[[DChannel, bytes], bool] = lambda sender, frame: False
    te_events: list[Output] = field(default_factory=list)
    nt_events: list[Output] = field(default_factory=list)
    carried: int = 0

    def deliver(self, sender: DChannel, outputs: list[Output]) -> None:
        """Carry ``sender``'s frames to the other side until both are quiet."""
        pending = [(sender, o) for o in outputs]
        while pending:
            who, output = pending.pop(0)
            if isinstance(output, TransmitFrame):
                if self.drop(who, output.frame):
                    continue
                self.carried += 1
                peer = self.nt if who is self.te else self.te
                pending += [(peer, o) for o in peer.receive_frame(output.frame, self.clock.now())]
            elif who is self.te:
                self.te_events.append(output)
            else:
                self.nt_events.append(output)

    def start(self) -> None:
        self.deliver(self.te, self.te.start(self.clock.now()))
        self.deliver(self.nt, self.nt.start(self.clock.now()))

    def run_for(self, seconds: float) -> None:
        """Advance the clock, firing every deadline on both sides on the way."""
        end = self.clock.now() + seconds
        while True:
            deadlines = [d for d in (self.te.next_deadline(), self.nt.next_deadline()) if d]
            nxt = min(deadlines, default=None)
            if nxt is None or nxt > end:
                break
            self.clock.advance(max(0.0, nxt - self.clock.now()))
            for side in (self.te, self.nt):
                self.deliver(side, side.handle_timer(self.clock.now()))
        self.clock.advance(end - self.clock.now())

    def of(self, kind: type, side: str = "both") -> list:
        pool = {"te": self.te_events, "nt": self.nt_events}.get(side)
        pool = pool if pool is not None else self.te_events + self.nt_events
        return [e for e in pool if isinstance(e, kind)]
