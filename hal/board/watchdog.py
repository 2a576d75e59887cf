"""The hardware watchdog (``/dev/watchdog``), fed only while the daemon is healthy.

Opening the device starts the timer; each write restarts it; if the box stops
feeding it, the board resets. Feeding is gated on :class:`~hal.board.health.Health`:
a daemon whose media tick stalled is not kept alive just because its process
still runs. Closing writes the magic character ``V`` first (Linux watchdog API,
"magic close"), so a deliberate stop disarms it while a crash does not.

On a systemd box only one owner may hold ``/dev/watchdog``: either this class or
PID 1 (``RuntimeWatchdogSec=``) with the daemon notifying systemd instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass, field
from typing import Protocol

from hal.board.description import BoardError
from hal.board.health import Health

# Any byte other than "V" restarts the timer without arming the magic close.
FEED = b"\0"
MAGIC_CLOSE = b"V"


class WatchdogDevice(Protocol):
    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class DevWatchdog:
    """The kernel's watchdog device through os.open/os.write."""

    def __init__(self, path: str = "/dev/watchdog") -> None:
        self.path = path
        try:
            self._fd: int | None = os.open(path, os.O_WRONLY)
        except OSError as exc:
            hint = " (another process, maybe systemd, holds it)" if exc.errno == errno.EBUSY else ""
            raise BoardError(f"cannot open the watchdog {path}: {exc.strerror}{hint}") from None

    def write(self, data: bytes) -> None:
        if self._fd is None:
            raise BoardError(f"the watchdog {self.path} is closed")
        try:
            os.write(self._fd, data)
        except OSError as exc:
            raise BoardError(f"writing the watchdog {self.path}: {exc.strerror}") from None

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            # Closing a device that is already gone leaves nothing to release.
            with contextlib.suppress(OSError):
                os.close(fd)


@dataclass
class SimWatchdog:
    """The sim board's watchdog: records what was written to it."""

    feeds: list[bytes] = field(default_factory=list)
    closed: bool = False

    def write(self, data: bytes) -> None:
        self.feeds.append(bytes(data))

    def close(self) -> None:
        self.closed = True


class HardwareWatchdog:
    """Feeds a watchdog device every ``interval`` seconds while health is ok."""

    def __init__(self, device: WatchdogDevice, *, interval: float = 5.0) -> None:
        if interval <= 0:
            raise ValueError("the feeding interval must be > 0")
        self.device = device
        self.interval = interval
        self._fed_at: float | None = None
        self.last_health: Health | None = None
        self.skipped = 0

    def tick(self, now: float, health: Health) -> bool:
        """Feed if due and healthy; returns whether it fed now."""
        if self._fed_at is not None and now - self._fed_at < self.interval:
            return False
        self.last_health = health
        if not health.ok:
            self.skipped += 1
            return False
        self.device.write(FEED)
        self._fed_at = now
        return True

    def close(self, disarm: bool = True) -> None:
        """Stop feeding; ``disarm`` (a planned stop) writes the magic close first."""
        if disarm:
            with contextlib.suppress(BoardError):
                self.device.write(MAGIC_CLOSE)
        self.device.close()
