"""The daemon's end of the control socket: commands and a live event stream.

The web UI and the console reach the running daemon only through here. The
rules that matter for an appliance: a bad request or a failing command gets an
error answer and nothing else happens; a client that stops reading loses old
events instead of slowing the daemon; the socket is group-writable (0660) so
the web UI's user can reach it and nobody else.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from firmware.control.protocol import (
    MAX_LINE,
    SUBSCRIBE,
    CommandError,
    RequestError,
    encode_error,
    encode_event,
    encode_result,
    parse_request,
)

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

SOCKET_MODE = 0o660
CLOSE_GRACE = 1.0  # seconds a client's command may take to finish when the server closes
_READ_CHUNK = 64 * 1024


class ControlServerError(Exception):
    """The control socket cannot be opened (path taken, directory missing, in use)."""


class Subscription:
    """One subscriber's bounded queue of encoded event lines.

    When the queue is full the oldest line is dropped and counted; the next read
    returns a ``lost`` notice first, so a client knows its view has a gap.
    """

    def __init__(self, maxsize: int) -> None:
        self._lines: collections.deque[bytes] = collections.deque(maxlen=maxsize)
        self._ready = asyncio.Event()
        self._lost = 0

    def offer(self, line: bytes) -> None:
        """Queue ``line`` without ever waiting."""
        if len(self._lines) == self._lines.maxlen:
            self._lost += 1  # the deque drops the oldest line on append
        self._lines.append(line)
        self._ready.set()

    async def next_line(self) -> bytes:
        """The next line for this subscriber, waiting for one if need be."""
        while not self._lines and not self._lost:
            self._ready.clear()
            await self._ready.wait()
        if self._lost:
            count, self._lost = self._lost, 0
            return encode_event({"type": "lost", "count": count})
        return self._lines.popleft()


class EventBus:
    """Fans live events out to every subscriber of the control socket."""

    def __init__(self, maxsize: int = 1000) -> None:
        if maxsize < 1:
            raise ValueError(f"an event queue needs room for at least one event, not {maxsize}")
        self._maxsize = maxsize
        self._subscribers: set[Subscription] = set()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def subscribe(self) -> Subscription:
        """A new subscriber that receives every event published from now on."""
        sub = Subscription(self._maxsize)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop feeding ``sub``; a subscriber already gone is fine."""
        self._subscribers.discard(sub)

    def publish(self, event: dict[str, Any]) -> None:
        """Send ``event`` to every subscriber; never blocks, never fails the caller.

        Call it on the event loop's thread. The event is encoded once, now, so a
        publisher that changes the dict afterwards does not change what was sent.
        """
        if not self._subscribers:
            return
        try:
            line = encode_event(event)
        except ValueError as exc:  # a circular structure: a bug of the publisher
            log.error("event not published, it cannot be encoded: %s", exc)
            return
        for sub in self._subscribers:
            sub.offer(line)


class ControlServer:
    """Serves the control socket at ``path``.

    ``handler(cmd, args)`` carries out every command but ``subscribe``, which the
    server answers itself. It returns the result dict, or raises CommandError
    with a sentence for the client; any other exception is answered as an
    internal error and logged, and the server goes on.
    """

    def __init__(self, path: str, handler: Handler, bus: EventBus) -> None:
        self.path = path
        self._handler = handler
        self._bus = bus
        self._server: asyncio.AbstractServer | None = None
        self._inode: int | None = None
        self._clients: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._closing = False

    def __repr__(self) -> str:
        return f"<ControlServer {self.path}>"

    async def start(self) -> None:
        """Listen on the socket, replacing a stale socket file left by a crash."""
        if self._server is not None:
            raise ControlServerError(f"the control socket {self.path} is already open")
        await self._remove_stale_socket()
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=self.path)
            os.chmod(self.path, SOCKET_MODE)
            self._inode = os.stat(self.path).st_ino
        except OSError as exc:
            if self._server is not None:
                self._server.close()
                self._server = None
            raise ControlServerError(
                f"cannot open the control socket {self.path}: {exc.strerror or exc}"
            ) from exc

    async def close(self) -> None:
        """Stop listening, drop every client, and remove the socket file."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        self._closing = True
        # Closing a client's socket ends its read loop; a command still running
        # gets a short grace, then is cancelled.
        for writer in self._clients.values():
            writer.close()
        clients = list(self._clients)
        if clients:
            _, stuck = await asyncio.wait(clients, timeout=CLOSE_GRACE)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*stuck, return_exceptions=True)
        await server.wait_closed()
        self._closing = False
        with contextlib.suppress(FileNotFoundError):
            if os.stat(self.path).st_ino == self._inode:
                os.unlink(self.path)

    async def _remove_stale_socket(self) -> None:
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise ControlServerError(f"{self.path} exists and is not a socket; not replacing it")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_unix_connection(self.path), 1.0)
        except (OSError, TimeoutError):
            os.unlink(self.path)  # nobody listens: a crashed daemon left it
            return
        writer.close()
        raise ControlServerError(f"another daemon is already listening on {self.path}")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients[task] = writer
        sub: Subscription | None = None
        pump: asyncio.Task[None] | None = None
        try:
            async for line in _request_lines(reader):
                if line is None:
                    writer.write(encode_error(None, f"request line longer than {MAX_LINE} bytes"))
                    await writer.drain()
                    continue
                if not line.strip():
                    continue  # a blank line from a person typing at the socket
                response, subscribe = await self._answer(line)
                writer.write(response)
                if subscribe and sub is None:
                    # Subscribed right after the answer is queued: no event can precede it.
                    sub = self._bus.subscribe()
                    pump = asyncio.create_task(_pump(sub, writer))
                await writer.drain()
        except ConnectionError:
            pass  # the client went away mid-answer; nothing to tell anyone
        except asyncio.CancelledError:
            if not self._closing:
                raise
            # close() gave up on this client: end quietly, as the stream transport
            # logs a cancelled connection task as an error.
        finally:
            if pump is not None:
                pump.cancel()
            if sub is not None:
                self._bus.unsubscribe(sub)
            writer.close()
            self._clients.pop(task, None)

    async def _answer(self, line: bytes) -> tuple[bytes, bool]:
        """The response line to one request line, and whether it subscribed."""
        try:
            request = parse_request(line)
        except RequestError as exc:
            return encode_error(exc.request_id, str(exc)), False
        if request.cmd == SUBSCRIBE:
            return encode_result(request.id, {"subscribed": True}), True
        try:
            result = await self._handler(request.cmd, request.args)
            if not isinstance(result, dict):
                raise TypeError(f"the command returned {type(result).__name__}, not a dict")
            return encode_result(request.id, result), False
        except CommandError as exc:
            return encode_error(request.id, str(exc)), False
        except Exception as exc:  # the daemon outlives a failing command
            log.exception("control command %r failed", request.cmd)
            return encode_error(request.id, f"internal error: {exc}"), False


async def _request_lines(reader: asyncio.StreamReader) -> AsyncIterator[bytes | None]:
    """Split the stream into lines; a line over MAX_LINE yields None once, its bytes dropped."""
    buf = bytearray()
    discarding = False
    while chunk := await reader.read(_READ_CHUNK):
        buf += chunk
        while (end := buf.find(b"\n")) >= 0:
            line = bytes(buf[:end])
            del buf[: end + 1]
            if discarding:
                discarding = False  # the tail of the over-long line
            else:
                yield line if len(line) <= MAX_LINE else None
        if len(buf) > MAX_LINE:
            if not discarding:
                yield None
                discarding = True
            buf.clear()
    if buf and not discarding:
        yield bytes(buf)  # a last request without its newline, before the client closed


async def _pump(sub: Subscription, writer: asyncio.StreamWriter) -> None:
    """Copy one subscriber's events to its socket; a slow reader only slows this task."""
    with contextlib.suppress(ConnectionError):
        while True:
            writer.write(await sub.next_line())
            await writer.drain()


__all__ = [
    "CommandError",
    "ControlServer",
    "ControlServerError",
    "EventBus",
    "Handler",
    "Subscription",
]
