"""One DAHDI channel opened through ``/dev/dahdi/channel``: its ioctls, reads and writes.

Each method is one DAHDI request with its argument packed as the driver reads it
(int-pointer requests get 4 bytes, never a bare int). OS errors become
:class:`DahdiError` with a plain sentence; a vanished card (ENODEV/ENXIO) becomes
:class:`ChannelGone` so the card can mark the one port down and go on.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import fcntl
import os

from hal.dahdi import constants as c
from hal.dahdi import structs
from hal.dahdi.structs import ChannelParams
from hal.interface import HalError, Law

CHANNEL_DEVICE = "/dev/dahdi/channel"

# 8 taps per millisecond: 128 taps cancel 16 ms of echo tail, chan_dahdi's default,
# enough for the short local loop of an analog line.
DEFAULT_ECHO_TAPS = 128

_LAW = {Law.ALAW: c.DAHDI_LAW_ALAW, Law.ULAW: c.DAHDI_LAW_MULAW}
_GONE = (errno.ENODEV, errno.ENXIO)


class DahdiError(HalError):
    """A DAHDI request failed; ``errno`` is the OS error number, if any."""

    def __init__(self, message: str, errno_: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno_


class ChannelGone(DahdiError):
    """The channel's hardware went away (card pulled or driver unloaded)."""


class EventPending(DahdiError):
    """DAHDI refused a read or write because an event waits: read it with get_event()."""


class HookCommand(enum.Enum):
    """The DAHDI_HOOK commands: what the port does with its loop or ringer."""

    ONHOOK = c.DAHDI_ONHOOK
    OFFHOOK = c.DAHDI_OFFHOOK
    WINK = c.DAHDI_WINK
    FLASH = c.DAHDI_FLASH
    RING = c.DAHDI_RING
    RINGOFF = c.DAHDI_RINGOFF


# With O_NONBLOCK DAHDI starts these and answers EINPROGRESS: that is success.
_TIMED_HOOKS = (HookCommand.WINK, HookCommand.FLASH, HookCommand.RING)


class DahdiChannel:
    """A DAHDI channel, opened and selected (DAHDI_SPECIFY) in the constructor.

    Non-blocking: :meth:`read` returns None when no block is ready, and raises
    :class:`EventPending` when DAHDI holds an event in front of the audio.
    """

    def __init__(self, channo: int, device: str = CHANNEL_DEVICE) -> None:
        if isinstance(channo, bool) or not isinstance(channo, int) or channo < 1:
            raise DahdiError(f"a DAHDI channel number is a whole number >= 1, got {channo!r}")
        self.channo = channo
        self.device = device
        try:
            self._fd: int | None = os.open(device, os.O_RDWR | os.O_NONBLOCK)
        except OSError as exc:
            hint = " (is the DAHDI driver loaded?)" if exc.errno == errno.ENOENT else ""
            raise DahdiError(
                f"cannot open {device} for channel {channo}: {exc.strerror}{hint}", exc.errno
            ) from None
        try:
            self._ioctl("DAHDI_SPECIFY", c.DAHDI_SPECIFY, structs.pack_int(channo))
        except DahdiError as exc:
            self.close()
            if exc.errno in (*_GONE, errno.EINVAL):
                raise DahdiError(
                    f"there is no DAHDI channel {channo}: is its card present and the "
                    "channel in /etc/dahdi/system.conf?", exc.errno
                ) from None
            raise

    def __str__(self) -> str:
        return f"DAHDI channel {self.channo} ({self.device})"

    @property
    def fd(self) -> int:
        """The file descriptor, for poll()/select() or asyncio's add_reader."""
        if self._fd is None:
            raise DahdiError(f"{self} is closed")
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd is None

    def close(self) -> None:
        """Close the channel; a channel whose card is gone closes without complaint."""
        fd, self._fd = self._fd, None
        if fd is not None:
            # A device that is gone already has nothing left to release.
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> DahdiChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ioctls ------------------------------------------------------------------------

    def _ioctl(self, what: str, request: int, arg: bytes) -> bytes:
        try:
            return fcntl.ioctl(self.fd, request, arg)
        except OSError as exc:
            raise self._error(what, exc) from None

    def _error(self, what: str, exc: OSError) -> DahdiError:
        text = exc.strerror or os.strerror(exc.errno or 0)
        if exc.errno in _GONE:
            return ChannelGone(f"{self}: {what}: the card is gone ({text})", exc.errno)
        if exc.errno == c.ELAST:
            return EventPending(f"{self}: {what}: an event is pending", exc.errno)
        return DahdiError(f"{self}: {what} failed: {text}", exc.errno)

    def set_blocksize(self, samples: int) -> None:
        """Make each read and write carry ``samples`` samples (160 = 20 ms)."""
        self._ioctl("DAHDI_SET_BLOCKSIZE", c.DAHDI_SET_BLOCKSIZE, structs.pack_int(samples))

    def set_buffers(self, numbufs: int, bufsize: int) -> None:
        """Give the channel ``numbufs`` buffers of ``bufsize`` bytes (DAHDI_SET_BUFINFO)."""
        self._ioctl(
            "DAHDI_SET_BUFINFO", c.DAHDI_SET_BUFINFO, structs.pack_bufferinfo(numbufs, bufsize)
        )

    def set_law(self, law: Law) -> None:
        self._ioctl("DAHDI_SETLAW", c.DAHDI_SETLAW, structs.pack_int(_LAW[law]))

    def get_params(self) -> ChannelParams:
        raw = self._ioctl("DAHDI_GET_PARAMS", c.DAHDI_GET_PARAMS, bytes(c.SIZEOF_DAHDI_PARAMS))
        return structs.unpack_params(raw)

    def set_timings(self, params: ChannelParams, **timings_ms: int) -> ChannelParams:
        """Change timing fields (ms) of the channel; returns the params as now set."""
        raw = structs.params_with(params.raw, **timings_ms)
        self._ioctl("DAHDI_SET_PARAMS", c.DAHDI_SET_PARAMS, raw)
        return structs.unpack_params(raw)

    def hook(self, command: HookCommand) -> None:
        """Drive the loop or the ringer (DAHDI_HOOK)."""
        try:
            fcntl.ioctl(self.fd, c.DAHDI_HOOK, structs.pack_int(command.value))
        except OSError as exc:
            if exc.errno == errno.EINPROGRESS and command in _TIMED_HOOKS:
                return
            if exc.errno == errno.EBUSY:
                raise DahdiError(
                    f"{self}: cannot {command.name.lower()} now: the port is busy "
                    "(ringing needs the phone on-hook; a flash needs a seized line)",
                    exc.errno,
                ) from None
            if exc.errno == errno.ENODATA:
                raise DahdiError(
                    f"{self}: cannot ring: DAHDI has no tone zone loaded "
                    "(system.conf needs loadzone/defaultzone; run dahdi_cfg)",
                    exc.errno,
                ) from None
            raise self._error(f"DAHDI_HOOK {command.name}", exc) from None

    def get_event(self) -> int:
        """The oldest pending DAHDI event code, or DAHDI_EVENT_NONE."""
        raw = self._ioctl("DAHDI_GETEVENT", c.DAHDI_GETEVENT, structs.pack_int(0))
        return structs.unpack_int(raw)

    def set_gains(self, rx_table: bytes, tx_table: bytes) -> None:
        self._ioctl(
            "DAHDI_SETGAINS", c.DAHDI_SETGAINS, structs.pack_gains(rx_table, tx_table)
        )

    def set_echo_canceller(self, taps: int) -> None:
        """Turn the channel's echo canceller on with ``taps`` taps, or off with 0."""
        self._ioctl(
            "DAHDI_ECHOCANCEL_PARAMS", c.DAHDI_ECHOCANCEL_PARAMS, structs.pack_echocan(taps)
        )

    def set_cadence(self, cadence_ms: list[int]) -> None:
        self._ioctl("DAHDI_SETCADENCE", c.DAHDI_SETCADENCE, structs.pack_cadence(cadence_ms))

    # -- data --------------------------------------------------------------------------

    def read(self, size: int) -> bytes | None:
        """One block (an audio frame or an HDLC frame), or None when none is ready."""
        try:
            return os.read(self.fd, size)
        except BlockingIOError:
            return None
        except OSError as exc:
            raise self._error("read", exc) from None

    def write(self, data: bytes) -> bool:
        """Queue one block; False when DAHDI's buffers are full and it was dropped."""
        try:
            os.write(self.fd, data)
        except BlockingIOError:
            return False
        except OSError as exc:
            raise self._error("write", exc) from None
        return True
