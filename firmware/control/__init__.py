"""The local control socket: JSON-line commands and a live event stream.

The daemon serves it (:class:`ControlServer`); the web UI and the serial console
reach the daemon through it (:class:`ControlClient`).
"""

from firmware.control.client import ControlClient, ControlError
from firmware.control.commands import CommandTable
from firmware.control.protocol import CommandError
from firmware.control.server import ControlServer, ControlServerError, EventBus

__all__ = [
    "CommandError",
    "CommandTable",
    "ControlClient",
    "ControlError",
    "ControlServer",
    "ControlServerError",
    "EventBus",
]
