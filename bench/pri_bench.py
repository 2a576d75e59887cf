"""PRI signalling benchmark: our user side against our network side, in memory.

Prints the time to set up and clear 30 calls (one full E1) through Q.921 and
Q.931 on both sides, and how many Q.931 messages the endpoints handle per CPU
second. Run: ``python bench/pri_bench.py [rounds]``.
"""

from __future__ import annotations

import statistics
import sys
import time

from firmware.pri.dchannel import DChannel, Output
from firmware.signaling.q921 import Side
from firmware.signaling.q921.events import TransmitFrame
from firmware.signaling.q931 import SetupRequest
from firmware.signaling.q931.events import CallDisconnecting, IncomingCall
from firmware.signaling.q931.ies import PartyNumber

CALLS = 30


class Pair:
    """A TE and an NT joined back to back; frames cross at once, time does not move."""

    def __init__(self) -> None:
        self.te = DChannel(Side.USER)
        self.nt = DChannel(Side.NETWORK)
        self.events: list[tuple[DChannel, Output]] = []
        self.deliver(self.te, self.te.start(0.0))

    def deliver(self, sender: DChannel, outputs: list[Output]) -> None:
        pending = [(sender, o) for o in outputs]
        while pending:
            who, output = pending.pop(0)
            if isinstance(output, TransmitFrame):
                peer = self.nt if who is self.te else self.te
                pending += [(peer, o) for o in peer.receive_frame(output.frame, 0.0)]
            else:
                self.events.append((who, output))

    def take(self, side: DChannel, kind: type) -> list:
        found = [e for who, e in self.events if who is side and isinstance(e, kind)]
        self.events = [(w, e) for w, e in self.events if not (w is side and isinstance(e, kind))]
        return found


def thirty_calls(pair: Pair) -> None:
    """30 calls from the network, answered, then cleared by the network."""
    te, nt = pair.te, pair.nt
    refs = []
    for n in range(CALLS):
        ref, out = nt.calls.setup(SetupRequest(PartyNumber(str(100 + n))), 0.0)
        refs.append(ref)
        pair.deliver(nt, nt.submit(out, 0.0))
    for call in pair.take(te, IncomingCall):
        pair.deliver(te, te.submit(te.calls.connect(call.ref, 0.0), 0.0))
    for ref in refs:
        pair.deliver(nt, nt.submit(nt.calls.disconnect(ref, 0.0), 0.0))
    for event in pair.take(te, CallDisconnecting):
        pair.deliver(te, te.submit(te.calls.release(event.ref, 0.0), 0.0))
    if te.calls.calls or nt.calls.calls:
        raise RuntimeError("calls left over: the benchmark is not measuring what it says")
    pair.events.clear()


def main(argv: list[str]) -> int:
    rounds = int(argv[0]) if argv else 200
    pair = Pair()
    thirty_calls(pair)  # warm up
    wall: list[float] = []
    messages_before = pair.te.calls.messages_handled + pair.nt.calls.messages_handled
    cpu_start = time.process_time()
    for _ in range(rounds):
        start = time.perf_counter()
        thirty_calls(pair)
        wall.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu_start
    messages = pair.te.calls.messages_handled + pair.nt.calls.messages_handled - messages_before
    print(f"30 calls set up and cleared (TE against NT, Q.921 + Q.931 both sides), {rounds} rounds")
    print(f"  median {statistics.median(wall) * 1000:.2f} ms, best {min(wall) * 1000:.2f} ms")
    print(f"Q.931 messages handled: {messages} in {cpu:.3f} CPU s")
    print(f"  {messages / cpu:,.0f} messages per CPU-second (both endpoints, with Q.921)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
