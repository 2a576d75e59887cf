"""The blocking client of the control socket, for the web UI and the console.

Flask request handlers and the serial console are synchronous, so this client
is too: a plain socket, one connection per request, a timeout on every wait so
a stuck daemon shows up as a clear error on a page instead of a hung worker.
"""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Iterator
from typing import Any

from firmware.control.protocol import SUBSCRIBE, encode_request

MAX_RESPONSE = 16 * 1024 * 1024  # bytes of one answer line; a bigger one is a broken daemon
_RECV_CHUNK = 64 * 1024


class ControlError(Exception):
    """The daemon refused the command (its message), or could not be reached."""


class ControlClient:
    """Talks to the daemon at ``path``, waiting at most ``timeout`` seconds for each answer."""

    def __init__(self, path: str, timeout: float = 2.0) -> None:
        self.path = path
        self.timeout = timeout
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"<ControlClient {self.path}>"

    def request(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Run ``cmd`` in the daemon and return its result."""
        if "id" in args:
            raise ControlError("'id' is set by the client; pass the command's own arguments only")
        with self._connect() as sock:
            lines = _LineReader(sock, self)
            return self._exchange(sock, lines, cmd, args)

    def events(self) -> Iterator[dict[str, Any]]:
        """Subscribe and yield live events until the daemon closes the stream.

        Waiting between events has no timeout (a quiet box sends nothing); close
        the generator to leave. A ``{"type": "lost", "count": n}`` event says n
        events were dropped because this reader fell behind.
        """
        with self._connect() as sock:
            lines = _LineReader(sock, self)
            self._exchange(sock, lines, SUBSCRIBE, {})
            sock.settimeout(None)
            while (line := lines.next(eof_ok=True)) is not None:
                message = _decode(line)
                event = message.get("event")
                if isinstance(event, dict):
                    yield event

    def _exchange(
        self, sock: socket.socket, lines: _LineReader, cmd: str, args: dict[str, Any]
    ) -> dict[str, Any]:
        request_id = next(self._ids)
        try:
            sock.sendall(encode_request(cmd, request_id, **args))
        except OSError as exc:
            raise ControlError(f"cannot send to the daemon: {exc.strerror or exc}") from None
        while True:
            line = lines.next(eof_ok=False)
            assert line is not None
            answer = _decode(line)
            if "ok" not in answer or answer.get("id") != request_id:
                continue  # an event, or the answer to someone else's request
            if answer["ok"] is True:
                result = answer.get("result")
                return result if isinstance(result, dict) else {}
            raise ControlError(str(answer.get("error") or "the daemon refused the command"))

    def _connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            raise ControlError("daemon not running") from None
        except TimeoutError:
            sock.close()
            raise ControlError(f"daemon did not accept within {self.timeout} s") from None
        except OSError as exc:
            sock.close()
            raise ControlError(
                f"cannot reach the daemon at {self.path}: {exc.strerror or exc}"
            ) from None
        return sock


class _LineReader:
    """Reads newline-ended lines from a socket, turning socket trouble into ControlError."""

    def __init__(self, sock: socket.socket, client: ControlClient) -> None:
        self._sock = sock
        self._client = client
        self._buf = bytearray()

    def next(self, eof_ok: bool) -> bytes | None:
        while (end := self._buf.find(b"\n")) < 0:
            if len(self._buf) > MAX_RESPONSE:
                raise ControlError("the daemon sent an answer too long to read")
            try:
                chunk = self._sock.recv(_RECV_CHUNK)
            except TimeoutError:
                raise ControlError(
                    f"daemon did not answer within {self._client.timeout} s"
                ) from None
            except OSError as exc:
                raise ControlError(f"lost the daemon: {exc.strerror or exc}") from None
            if not chunk:
                if eof_ok:
                    return None
                raise ControlError("daemon closed the connection before answering")
            self._buf += chunk
        line = bytes(self._buf[:end])
        del self._buf[: end + 1]
        return line


def _decode(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError:
        raise ControlError("the daemon sent an unreadable answer") from None
    if not isinstance(message, dict):
        raise ControlError("the daemon sent an unreadable answer")
    return message
