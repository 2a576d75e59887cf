"""``centrala pri-dut``: our PRI user side over a socket, for interoperability tests.

The test harness (the network side) listens on a Unix SOCK_SEQPACKET socket
whose absolute path is in ``PRI_SOCKET``; this program connects to it, brings
up Q.921 and handles calls as the flags say:

``--answer-incoming``
    answer every incoming call with CONNECT on the offered channel, keep it until
    the network's DISCONNECT, and answer that with RELEASE (otherwise incoming
    calls are refused with cause #21);
``--call NUMBER --hangup-after SECONDS``
    once the link is up, place one speech call (A-law) to NUMBER, acknowledge
    its CONNECT, and clear it with DISCONNECT cause #16 SECONDS after the answer;
``--pcap FILE``
    write every frame, both ways, to FILE (link type 177, LINUX_LAPD).

Unknown flags are ignored with a warning. The program exits 0 when the peer
closes the socket.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
import time

from firmware.pri.dchannel import DChannel
from firmware.pri.pcap import PcapWriter
from firmware.pri.policy import DutOptions, DutPolicy
from firmware.pri.shell import SeqpacketShell
from firmware.signaling.q921 import Side
from hal.clock import MonotonicClock

log = logging.getLogger("centrala.pri-dut")

CONNECT_PATIENCE = 5.0  # seconds to wait for the harness to start listening


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="centrala pri-dut",
        description="Run the box's ISDN PRI user side over the SOCK_SEQPACKET socket "
        "named by PRI_SOCKET.",
    )
    parser.add_argument("--answer-incoming", action="store_true", help="answer every incoming call")
    parser.add_argument("--call", metavar="NUMBER", help="place one call to NUMBER")
    parser.add_argument(
        "--hangup-after",
        metavar="SECONDS",
        type=float,
        default=5.0,
        help="clear the placed call this long after it is answered",
    )
    parser.add_argument("--pcap", metavar="FILE", help="write a trace of every frame")
    return parser


def _connect(path: str) -> socket.socket:
    """Connect to the harness, waiting a little for it to listen."""
    deadline = time.monotonic() + CONNECT_PATIENCE
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sock.connect(path)
            return sock
        except OSError as exc:
            sock.close()
            if exc.errno not in (errno.ENOENT, errno.ECONNREFUSED) or (
                time.monotonic() >= deadline
            ):
                raise
        time.sleep(0.1)


def pri_dut_main(argv: list[str]) -> int:
    """Entry point of ``centrala pri-dut``; returns the exit status."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s pri-dut %(levelname)s %(message)s",
    )
    args, unknown = _parser().parse_known_args(argv)
    for flag in unknown:
        log.warning("ignoring unknown argument %r", flag)
    if args.hangup_after < 0:
        log.error("--hangup-after must not be negative")
        return 2
    path = os.environ.get("PRI_SOCKET", "")
    if not path:
        log.error("PRI_SOCKET must name the D-channel socket")
        return 2
    try:
        sock = _connect(path)
    except OSError as exc:
        log.error("cannot connect to %s: %s", path, exc.strerror or exc)
        return 1
    options = DutOptions(args.answer_incoming, args.call, args.hangup_after)
    with contextlib.ExitStack() as stack:
        stack.callback(sock.close)
        trace = None
        if args.pcap:
            stream = stack.enter_context(open(args.pcap, "wb"))  # noqa: SIM115
            trace = PcapWriter(stream, network=False)
        return asyncio.run(_serve(sock, options, trace))


async def _serve(sock: socket.socket, options: DutOptions, trace: PcapWriter | None) -> int:
    dchannel = DChannel(Side.USER)
    shell = SeqpacketShell(sock, dchannel, DutPolicy(dchannel, options), MonotonicClock(), trace)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, shell.stop)
    return await shell.run()


if __name__ == "__main__":
    sys.exit(pri_dut_main(sys.argv[1:]))
