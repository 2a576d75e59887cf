"""A D-channel trace in pcap format, link type 177 (LINUX_LAPD), that Wireshark reads.

Each record starts with the 16-octet header of a Linux LAPD capture: packet
type (0 received, 4 sent), ARPHRD_LAPD, address length, an address whose first
octet says whether the capturing side is the network, and ETH_P_LAPD. The LAPD
frame follows without flags or FCS, exactly as on the D-channel socket.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

LINKTYPE_LINUX_LAPD = 177
_PACKET_HOST = 0
_PACKET_OUTGOING = 4
_ARPHRD_LAPD = 8445
_ETH_P_LAPD = 0x0030
_SNAPLEN = 65535


class PcapWriter:
    """Appends frames to a pcap stream; ``network`` tells which side the box plays."""

    def __init__(self, stream: BinaryIO, *, network: bool) -> None:
        self._stream = stream
        self._network = network
        stream.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, _SNAPLEN, LINKTYPE_LINUX_LAPD))

    def write(self, frame: bytes, *, sent: bool, wall_time: float) -> None:
        """Record one frame; ``wall_time`` is seconds since the epoch (Clock.wall())."""
        header = struct.pack(
            ">HHH8sH",
            _PACKET_OUTGOING if sent else _PACKET_HOST,
            _ARPHRD_LAPD,
            1,
            bytes((1 if self._network else 0,)) + bytes(7),
            _ETH_P_LAPD,
        )
        seconds = int(wall_time)
        micros = int(round((wall_time - seconds) * 1_000_000)) % 1_000_000
        length = len(header) + len(frame)
        self._stream.write(struct.pack("<IIII", seconds, micros, length, length))
        self._stream.write(header + frame)

    def flush(self) -> None:
        self._stream.flush()
