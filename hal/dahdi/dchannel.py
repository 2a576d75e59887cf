"""The D-channel of an ISDN PRI span: whole LAPD frames over a DAHDI HDLC channel.

DAHDI (or the card's HDLC controller, for ``hardhdlc``) does the flags, bit
stuffing and the 2-octet FCS (ISO/IEC 13239 CRC-16). Each read returns one frame
followed by its FCS, already checked; each write is one frame followed by two
octets that DAHDI or the card overwrites with the FCS. A frame that fails its
FCS or is aborted never reaches us: DAHDI drops it and queues a BADFCS or ABORT
event, which this class counts. One read or write here is one LAPD frame for
``firmware.signaling`` (address + control + information, no flags, no FCS).
"""

from __future__ import annotations

from collections import Counter

from hal.dahdi import constants as c
from hal.dahdi.channel import CHANNEL_DEVICE, DahdiChannel, DahdiError, EventPending
from hal.dahdi.structs import Signalling

FCS_OCTETS = 2

# Q.921 §5.9.3: N201 = 260 information octets, plus 4 of address and control.
MAX_LAPD_FRAME = 264

# As chan_dahdi opens a PRI D-channel: 32 buffers of 1024 bytes, so a window of
# k = 7 frames in each direction never waits on the driver.
HDLC_BUFFERS = 32
HDLC_BUFSIZE = 1024

# Q.921 §5.8.1: a frame shorter than 3 octets (address + control) is invalid.
_MIN_FRAME = 3

_HDLC_SIGNALLING = (Signalling.HARDHDLC, Signalling.HDLC)
_MAX_EVENTS = c.DAHDI_MAX_EVENTSIZE


class DChannel:
    """A hardhdlc (or software HDLC with FCS) channel carrying one span's D-channel.

    ``counters`` holds frames in and out and every frame lost: ``bad fcs``,
    ``aborted``, ``overrun``, ``too short``, ``tx full``. ``alarm`` is True while
    the span under the channel is in alarm (the link layer will time out anyway).
    """

    def __init__(self, channo: int, device: str = CHANNEL_DEVICE) -> None:
        self._chan = DahdiChannel(channo, device)
        try:
            params = self._chan.get_params()
            if params.signalling not in _HDLC_SIGNALLING:
                raise DahdiError(
                    f"channel {channo} is {params.signalling.value}, not a D-channel: "
                    "system.conf needs 'hardhdlc' (or 'dchan') for it"
                )
            self._chan.set_buffers(HDLC_BUFFERS, HDLC_BUFSIZE)
        except DahdiError:
            self._chan.close()
            raise
        self.channo = channo
        self.counters: Counter[str] = Counter()
        self.alarm = False

    def __str__(self) -> str:
        return f"D-channel on DAHDI channel {self.channo}"

    @property
    def fd(self) -> int:
        """For asyncio's ``add_reader``: readable when a frame (or an event) waits."""
        return self._chan.fd

    def read_frame(self) -> bytes | None:
        """The next good frame without its FCS, or None when none waits.

        Raises :class:`~hal.dahdi.channel.ChannelGone` when the card is gone.
        """
        # Bounded: each pass consumes a buffer or the events in front of one.
        for _ in range(HDLC_BUFFERS + _MAX_EVENTS):
            try:
                block = self._chan.read(HDLC_BUFSIZE)
            except EventPending:
                self._drain_events()
                continue
            if block is None:
                return None
            if len(block) < _MIN_FRAME + FCS_OCTETS:
                self.counters["too short"] += 1
                continue
            self.counters["frames in"] += 1
            return block[:-FCS_OCTETS]
        return None

    def read_frames(self) -> list[bytes]:
        """Every good frame waiting now, oldest first."""
        frames: list[bytes] = []
        while (frame := self.read_frame()) is not None:
            frames.append(frame)
        return frames

    def write_frame(self, frame: bytes) -> bool:
        """Send one LAPD frame; False when the driver's buffers are full and it was dropped."""
        if not isinstance(frame, bytes | bytearray) or not _MIN_FRAME <= len(frame) <= (
            MAX_LAPD_FRAME
        ):
            size = len(frame) if isinstance(frame, bytes | bytearray) else type(frame).__name__
            raise DahdiError(
                f"a LAPD frame is {_MIN_FRAME} to {MAX_LAPD_FRAME} octets, got {size}"
            )
        block = bytes(frame) + bytes(FCS_OCTETS)
        for _ in range(_MAX_EVENTS):
            try:
                sent = self._chan.write(block)
            except EventPending:
                self._drain_events()
                continue
            self.counters["frames out" if sent else "tx full"] += 1
            return sent
        raise DahdiError(f"{self}: events keep arriving; the frame was not sent")

    def _drain_events(self) -> None:
        for _ in range(_MAX_EVENTS):
            code = self._chan.get_event()
            if code == c.DAHDI_EVENT_NONE:
                return
            if code == c.DAHDI_EVENT_BADFCS:
                self.counters["bad fcs"] += 1
            elif code == c.DAHDI_EVENT_ABORT:
                self.counters["aborted"] += 1
            elif code == c.DAHDI_EVENT_OVERRUN:
                self.counters["overrun"] += 1
            elif code == c.DAHDI_EVENT_ALARM:
                self.alarm = True
            elif code == c.DAHDI_EVENT_NOALARM:
                self.alarm = False
            else:
                self.counters["other events"] += 1

    def close(self) -> None:
        self._chan.close()

    def __enter__(self) -> DChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
