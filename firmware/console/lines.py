"""Line editing for a dumb serial terminal: echo, backspace, Ctrl-C, Ctrl-D.

Bytes from the terminal go in; what to echo and the finished lines come out.
Passwords are read with echo off. No I/O here, so every key is testable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LINE = 512
CTRL_C = 0x03
CTRL_D = 0x04
BACKSPACES = (0x08, 0x7F)


@dataclass
class LineEditor:
    """Collects one line at a time from terminal bytes."""

    echo: bool = True
    _buffer: bytearray = field(default_factory=bytearray)
    _last_cr: bool = False

    def feed(self, data: bytes) -> tuple[bytes, list[str | None]]:
        """Returns the bytes to echo and the completed lines (None: Ctrl-D, end of session)."""
        out = bytearray()
        lines: list[str | None] = []
        for byte in data:
            if byte == 0x0A and self._last_cr:  # CR LF counts once
                self._last_cr = False
                continue
            self._last_cr = byte == 0x0D
            if byte in (0x0D, 0x0A):
                out += b"\r\n"
                lines.append(self._buffer.decode("utf-8", errors="replace"))
                self._buffer.clear()
            elif byte in BACKSPACES:
                if self._buffer:
                    self._buffer.pop()
                    if self.echo:
                        out += b"\b \b"
            elif byte == CTRL_C:
                self._buffer.clear()
                out += b"^C\r\n"
                lines.append("")
            elif byte == CTRL_D and not self._buffer:
                lines.append(None)
            elif byte >= 0x20 and len(self._buffer) < MAX_LINE:
                self._buffer.append(byte)
                if self.echo:
                    out.append(byte)
        return bytes(out), lines
