"""A stand-in for the DAHDI driver behind mocked os.open/os.read/os.write/fcntl.ioctl.

It answers as dahdi-base.c does (ELAST while an event waits, EAGAIN when no block
is ready, ENODEV once a card is pulled) and records every call with its exact
bytes, so tests can assert the requests the backend makes.
"""

from __future__ import annotations

import errno
import struct
from collections import defaultdict, deque
from dataclasses import dataclass, field

from pytest_mock import MockerFixture

from hal.dahdi import constants as c

# Request numbers as dahdi/user.h 2.11 defines them (checked against the header by
# test_dahdi_constants): written out here so a wrong generated constant fails too.
SPECIFY = 0x4004DA26
SET_BLOCKSIZE = 0x4004DA01
SETLAW = 0x4004DA27
GET_PARAMS = 0xC088DA05
SET_PARAMS = 0x4088DA05
HOOK = 0x4004DA07
GETEVENT = 0x8004DA08
SETGAINS = 0x4204DA10
ECHOCANCEL_PARAMS = 0x4008DA21
SETCADENCE = 0x4040DA2A
SPANSTAT = 0xC13ADA0A
SET_BUFINFO = 0x4018DA1B

FXSKS = 0x2004  # an FXO port: faces the exchange
FXOKS = 0x1020  # an FXS port: drives a phone
HARDHDLC = 0x80080


def i32(*values: int) -> bytes:
    return struct.pack(f"={len(values)}i", *values)


@dataclass
class Call:
    what: str
    chan: int | None
    request: int | None = None
    data: bytes = b""


@dataclass
class FakeDahdi:
    """Channels by number, each with a signalling type, like a configured driver."""

    sigtypes: dict[int, int]
    calls: list[Call] = field(default_factory=list)
    events: dict[int, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    rx: dict[int, deque[bytes]] = field(default_factory=lambda: defaultdict(deque))
    gone: set[int] = field(default_factory=set)
    alarms: dict[int, int] = field(default_factory=dict)
    hook_errors: dict[int, int] = field(default_factory=dict)
    spans: dict[int, bytes] = field(default_factory=dict)
    fd_chan: dict[int, int | None] = field(default_factory=dict)
    closed: list[int] = field(default_factory=list)
    _next_fd: int = 40

    def install(self, mocker: MockerFixture) -> None:
        mocker.patch("os.open", side_effect=self.open)
        mocker.patch("os.read", side_effect=self.read)
        mocker.patch("os.write", side_effect=self.write)
        mocker.patch("os.close", side_effect=self.close)
        mocker.patch("fcntl.ioctl", side_effect=self.ioctl)

    # -- what tests read back ----------------------------------------------------------

    def ioctls(self, chan: int | None = None) -> list[tuple[int, bytes]]:
        return [
            (k.request or 0, k.data)
            for k in self.calls
            if k.what == "ioctl" and (chan is None or k.chan == chan)
        ]

    def writes(self, chan: int) -> list[bytes]:
        return [k.data for k in self.calls if k.what == "write" and k.chan == chan]

    def forget(self) -> None:
        self.calls.clear()

    # -- the driver --------------------------------------------------------------------

    def params_bytes(self, chan: int) -> bytes:
        buf = bytearray(c.SIZEOF_DAHDI_PARAMS)
        off = c.OFFSETS_DAHDI_PARAMS
        struct.pack_into("=i", buf, off["channo"], chan)
        struct.pack_into("=i", buf, off["spanno"], 1)
        struct.pack_into("=i", buf, off["chanpos"], chan)
        struct.pack_into("=i", buf, off["sigtype"], self.sigtypes[chan])
        struct.pack_into("=i", buf, off["curlaw"], 2)
        struct.pack_into("=i", buf, off["flashtime"], 750)
        struct.pack_into("=i", buf, off["rxflashtime"], 1250)
        struct.pack_into("=I", buf, off["chan_alarms"], self.alarms.get(chan, 0))
        name = f"WCTDM/0/{chan - 1}".encode()
        buf[off["name"] : off["name"] + len(name)] = name
        return bytes(buf)

    def open(self, path: str, flags: int, mode: int = 0o777) -> int:
        fd = self._next_fd
        self._next_fd += 1
        self.fd_chan[fd] = None
        self.calls.append(Call("open", None, flags, path.encode()))
        return fd

    def close(self, fd: int) -> None:
        self.closed.append(fd)

    def ioctl(self, fd: int, request: int, arg: bytes, mutate: bool = True) -> bytes:
        chan = self.fd_chan[fd]
        data = bytes(arg)
        self.calls.append(Call("ioctl", chan, request, data))
        if request == SPECIFY:
            wanted = struct.unpack("=i", data)[0]
            if wanted not in self.sigtypes:
                raise OSError(errno.ENXIO, "No such device or address")
            self.fd_chan[fd] = wanted
            return data
        if request == SPANSTAT:
            spanno = struct.unpack_from("=i", data)[0]
            if spanno not in self.spans:
                raise OSError(errno.EINVAL, "Invalid argument")
            return self.spans[spanno]
        assert chan is not None, "ioctl before DAHDI_SPECIFY"
        if chan in self.gone:
            if request == GETEVENT:
                return i32(c.DAHDI_EVENT_REMOVED)
            raise OSError(errno.ENODEV, "No such device")
        if request == GET_PARAMS:
            return self.params_bytes(chan)
        if request == GETEVENT:
            queue = self.events[chan]
            return i32(queue.popleft() if queue else 0)
        if request == HOOK and chan in self.hook_errors:
            code = self.hook_errors[chan]
            raise OSError(code, "hook error")
        return data

    def read(self, fd: int, size: int) -> bytes:
        chan = self.fd_chan[fd]
        self.calls.append(Call("read", chan, size))
        if chan in self.gone:
            raise OSError(errno.ENODEV, "No such device")
        if self.events[chan]:
            raise OSError(c.ELAST, "event pending")
        if not self.rx[chan]:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return self.rx[chan].popleft()[:size]

    def write(self, fd: int, data: bytes) -> int:
        chan = self.fd_chan[fd]
        if chan in self.gone:
            raise OSError(errno.ENODEV, "No such device")
        if self.events[chan]:
            raise OSError(c.ELAST, "event pending")
        self.calls.append(Call("write", chan, None, bytes(data)))
        return len(data)
