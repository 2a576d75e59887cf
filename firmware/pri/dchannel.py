"""One PRI D-channel: the Q.921 data link and the Q.931 endpoint joined, still sans-I/O.

Frames read from the D-channel and the current time go in; frames to send and
call events come out. Requests go straight to :attr:`DChannel.calls` (the
:class:`~firmware.signaling.q931.Q931Endpoint`), and what they return is passed to
:meth:`DChannel.submit`, which hands the messages to the data link::

    ref, outs = dch.calls.setup(request, now)
    for output in dch.submit(outs, now): ...

The data link is kept up as an operator's switch expects of a PRI: it is
established at :meth:`DChannel.start` and re-established whenever it drops.
"""

from __future__ import annotations

from firmware.signaling.q921 import DataLink, LinkConfig, LinkState, Side
from firmware.signaling.q921 import events as l2
from firmware.signaling.q931 import Q931Config, Q931Endpoint
from firmware.signaling.q931 import events as l3

Output = l2.Output | l3.Output


class DChannel:
    """Q.921 below Q.931 on one primary rate interface, user or network side."""

    def __init__(
        self,
        side: Side,
        link_config: LinkConfig | None = None,
        q931_config: Q931Config | None = None,
    ) -> None:
        self.side = side
        self.link = DataLink(side, link_config, defer_ack=True)
        self.calls = Q931Endpoint(side, q931_config)
        self._keep_up = False

    @property
    def link_up(self) -> bool:
        return self.link.established

    def start(self, now: float) -> list[Output]:
        """Bring the data link up (unless the peer already did) and keep it up from now on."""
        self._keep_up = True
        if self.link.state is not LinkState.TEI_ASSIGNED:
            return []
        return self._from_link(self.link.establish(now), now)

    def stop(self, now: float) -> list[Output]:
        """Take the data link down (DISC) and stop re-establishing it."""
        self._keep_up = False
        if not self.link.established:
            return []
        return self._from_link(self.link.release(now), now)

    def receive_frame(self, frame: bytes, now: float) -> list[Output]:
        """One frame read from the D-channel (address + control + information)."""
        out = self._from_link(self.link.receive(frame, now), now)
        return out + self._from_link(self.link.flush_acknowledgement(now), now)

    def submit(self, outputs: list[l3.Output], now: float) -> list[Output]:
        """Route what the Q.931 endpoint returned: messages to the link, events out."""
        result: list[Output] = []
        for output in outputs:
            if isinstance(output, l3.SendMessage):
                result += self._from_link(self.link.send(output.data, now), now)
            else:
                result.append(output)
        return result

    def next_deadline(self) -> float | None:
        deadlines = [d for d in (self.link.next_deadline(), self.calls.next_deadline()) if d]
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> list[Output]:
        out = self._from_link(self.link.handle_timer(now), now)
        return out + self.submit(self.calls.handle_timer(now), now)

    def _from_link(self, outputs: list[l2.Output], now: float) -> list[Output]:
        result: list[Output] = []
        for output in outputs:
            if isinstance(output, l2.DataIndication):
                result += self.submit(self.calls.receive(output.data, now), now)
                continue
            result.append(output)
            if isinstance(output, l2.EstablishIndication | l2.EstablishConfirm):
                result += self.submit(self.calls.link_established(now), now)
            elif isinstance(output, l2.ReleaseIndication):
                result += self.submit(self.calls.link_released(now), now)
                if self._keep_up:
                    result += self._from_link(self.link.establish(now), now)
        return result
