"""The wire format of the control socket: JSON lines.

A request is one JSON object per line, ``{"cmd": "...", "id": ..., ...args}``;
the ``id`` is optional and echoed so a client may match answers. A response is
``{"id": ..., "ok": true, "result": {...}}`` or ``{"id": ..., "ok": false,
"error": "a plain sentence"}``; a live event is ``{"event": {...}}``. One line
per message keeps the protocol usable from a shell (``socat``) and trivially
framed for the web UI and the console.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_LINE = 64 * 1024  # bytes of one request line, newline excluded

SUBSCRIBE = "subscribe"


class CommandError(Exception):
    """A command that cannot be carried out; the message goes back to the client as is."""


class RequestError(Exception):
    """A request line that is not a valid request; the client gets the message."""

    def __init__(self, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.request_id = request_id


@dataclass(frozen=True)
class Request:
    """One parsed request: the command, the id to echo, and the other keys as arguments."""

    cmd: str
    id: Any = None
    args: dict[str, Any] = field(default_factory=dict)


def parse_request(line: bytes) -> Request:
    """Read one request line (without its newline), or say in a sentence what is wrong."""
    if len(line) > MAX_LINE:
        raise RequestError(f"request line longer than {MAX_LINE} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError("request is not UTF-8 text") from None
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise RequestError(f"request is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise RequestError(f"request must be a JSON object, not {type(obj).__name__}")
    request_id = obj.pop("id", None)
    cmd = obj.pop("cmd", None)
    if cmd is None:
        raise RequestError("request has no 'cmd'", request_id)
    if not isinstance(cmd, str) or not cmd:
        raise RequestError("'cmd' must be a non-empty string", request_id)
    return Request(cmd=cmd, id=request_id, args=obj)


def encode_request(cmd: str, request_id: Any = None, /, **args: Any) -> bytes:
    """One request line, as a client sends it."""
    return _line({**args, "cmd": cmd, "id": request_id})


def encode_result(request_id: Any, result: dict[str, Any]) -> bytes:
    """The answer line of a command that succeeded."""
    return _line({"id": request_id, "ok": True, "result": result})


def encode_error(request_id: Any, message: str) -> bytes:
    """The answer line of a request that failed, with the sentence that says why."""
    return _line({"id": request_id, "ok": False, "error": message})


def encode_event(event: dict[str, Any]) -> bytes:
    """The line of one live event on a subscribed connection."""
    return _line({"event": event})


def _line(obj: dict[str, Any]) -> bytes:
    # default=str: a datetime or an enum in a result is shown, not a reason to fail the call.
    return json.dumps(obj, separators=(",", ":"), default=str).encode() + b"\n"
