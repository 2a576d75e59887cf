"""The console on a real serial port, through pyserial.

A port string chooses the backend as pyserial does (``/dev/ttyS0``, or a URL
such as ``socket://``); the loop only moves bytes between the port and the
sans-I/O shell.
"""

from __future__ import annotations

import threading

import serial

from firmware.console.commands import CommandContext
from firmware.console.shell import ConsoleShell
from hal.clock import Clock


def serve(
    port: str, context: CommandContext, clock: Clock, stop: threading.Event,
    baudrate: int = 115200,
) -> None:
    """Run console sessions on ``port`` until ``stop`` is set."""
    with serial.serial_for_url(port, baudrate=baudrate, timeout=0.2) as link:
        shell = ConsoleShell(context)
        link.write(shell.start(clock.now()))
        while not stop.is_set():
            data = link.read(256)
            if data:
                link.write(shell.feed(data, clock.now()))
