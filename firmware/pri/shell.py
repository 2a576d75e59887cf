"""The asyncio shell that runs a D-channel over a Unix SOCK_SEQPACKET socket.

One packet is one LAPD frame (address + control + information, no flags, no
FCS), so the socket stands in for an HDLC controller. The shell owns all I/O and
time: it reads packets, sleeps until the next protocol deadline, writes the
frames the machines ask for, and lets the call policy act on events. It ends
when the peer closes the socket.
"""

from __future__ import annotations

import asyncio
import logging
import socket

from firmware.pri.dchannel import DChannel, Output
from firmware.pri.pcap import PcapWriter
from firmware.pri.policy import DutPolicy
from firmware.signaling.q921 import events as l2
from hal.clock import Clock

log = logging.getLogger(__name__)

MAX_PACKET = 1024  # larger than any LAPD frame, so an oversize one is seen whole


class SeqpacketShell:
    """Drives one :class:`DChannel` and its :class:`DutPolicy` over a connected socket."""

    def __init__(
        self,
        sock: socket.socket,
        dchannel: DChannel,
        policy: DutPolicy,
        clock: Clock,
        trace: PcapWriter | None = None,
    ) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._dch = dchannel
        self._policy = policy
        self._clock = clock
        self._trace = trace
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask :meth:`run` to return (a signal handler calls this)."""
        self._stopping.set()

    async def run(self) -> int:
        """Run until the peer closes the socket; returns the process exit status."""
        loop = asyncio.get_running_loop()
        await self._process(self._dch.start(self._clock.now()))
        while not self._stopping.is_set():
            deadline = _earliest(self._dch.next_deadline(), self._policy.next_deadline())
            timeout = None if deadline is None else max(0.0, deadline - self._clock.now())
            receive = asyncio.ensure_future(loop.sock_recv(self._sock, MAX_PACKET))
            stop = asyncio.ensure_future(self._stopping.wait())
            done, _ = await asyncio.wait(
                {receive, stop}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            for task in (receive, stop):
                if task not in done:
                    task.cancel()
            now = self._clock.now()
            if receive in done:
                try:
                    data = receive.result()
                except OSError as exc:
                    log.info("D-channel socket closed: %s", exc)
                    return 0
                if not data:
                    log.info("the peer closed the D-channel socket")
                    return 0
                self._record(data, sent=False)
                await self._process(self._guarded_receive(data, now))
            await self._process(self._dch.handle_timer(now) + self._policy.handle_timer(now))
        return 0

    def _guarded_receive(self, data: bytes, now: float) -> list[Output]:
        try:
            return self._dch.receive_frame(data, now)
        except Exception:  # a line must never take the box down; the trace keeps the frame
            log.exception("frame %s could not be handled and was dropped", data.hex())
            return []

    async def _process(self, outputs: list[Output]) -> None:
        loop = asyncio.get_running_loop()
        while outputs:
            events: list[Output] = []
            for output in outputs:
                if isinstance(output, l2.TransmitFrame):
                    self._record(output.frame, sent=True)
                    try:
                        await loop.sock_sendall(self._sock, output.frame)
                    except OSError as exc:
                        log.info("cannot send on the D-channel socket: %s", exc)
                        self._stopping.set()
                        return
                else:
                    log.debug("event %s", output)
                    events.append(output)
            outputs = self._policy.react(events, self._clock.now())

    def _record(self, frame: bytes, *, sent: bool) -> None:
        if self._trace is not None:
            self._trace.write(frame, sent=sent, wall_time=self._clock.wall())
            self._trace.flush()


def _earliest(*deadlines: float | None) -> float | None:
    return min((d for d in deadlines if d is not None), default=None)
