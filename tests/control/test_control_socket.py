"""The control socket, served for real on a socket under tmp_path.

The server runs in ``asyncio.run``; the blocking client runs in a worker thread
through ``asyncio.to_thread``, as the web UI would call it from its own process.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from firmware.control import (
    CommandError,
    CommandTable,
    ControlClient,
    ControlError,
    ControlServer,
    ControlServerError,
    EventBus,
)
from firmware.control.protocol import MAX_LINE

WAIT = 5.0  # seconds; a bound on waits so a broken server fails the test instead of hanging


def sock_path(tmp_path: Path) -> str:
    return str(tmp_path / "control.sock")


def serve(
    tmp_path: Path,
    handler: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]],
    scenario: Callable[[ControlServer, EventBus], Awaitable[Any]],
    bus: EventBus | None = None,
) -> Any:
    """Run ``scenario`` against a started server, and close the server whatever happens."""

    async def main() -> Any:
        the_bus = bus or EventBus()
        server = ControlServer(sock_path(tmp_path), handler, the_bus)
        await server.start()
        try:
            return await asyncio.wait_for(scenario(server, the_bus), WAIT)
        finally:
            await server.close()

    return asyncio.run(main())


async def echo(cmd: str, args: dict[str, Any]) -> dict[str, Any]:
    if cmd == "refuse":
        raise CommandError("queue 'sales' does not exist")
    if cmd == "crash":
        raise RuntimeError("boom")
    if cmd == "not-a-dict":
        return [1, 2]  # type: ignore[return-value]
    return {"cmd": cmd, "args": args}


async def raw_lines(path: str, payload: bytes, count: int) -> list[dict[str, Any]]:
    """Send raw bytes on one connection and read ``count`` answer lines."""
    reader, writer = await asyncio.open_unix_connection(path, limit=4 * MAX_LINE)
    try:
        writer.write(payload)
        await writer.drain()
        return [json.loads(await reader.readline()) for _ in range(count)]
    finally:
        writer.close()


async def wait_for_subscribers(bus: EventBus, count: int) -> None:
    while bus.subscriber_count < count:
        await asyncio.sleep(0.005)


def test_request_returns_the_handler_result(tmp_path: Path) -> None:
    async def scenario(server: ControlServer, bus: EventBus) -> dict[str, Any]:
        client = ControlClient(server.path)
        return await asyncio.to_thread(client.request, "agent.pause", agent=7, reason="lunch")

    result = serve(tmp_path, echo, scenario)
    assert result == {"cmd": "agent.pause", "args": {"agent": 7, "reason": "lunch"}}


def test_command_error_reaches_the_client_as_its_sentence(tmp_path: Path) -> None:
    async def scenario(server: ControlServer, bus: EventBus) -> None:
        client = ControlClient(server.path)
        with pytest.raises(ControlError, match="^queue 'sales' does not exist$"):
            await asyncio.to_thread(client.request, "refuse")

    serve(tmp_path, echo, scenario)


def test_handler_crash_is_an_internal_error_and_the_server_lives_on(tmp_path: Path) -> None:
    async def scenario(server: ControlServer, bus: EventBus) -> dict[str, Any]:
        client = ControlClient(server.path)
        with pytest.raises(ControlError, match="^internal error: boom$"):
            await asyncio.to_thread(client.request, "crash")
        with pytest.raises(ControlError, match="internal error: .*not a dict"):
            await asyncio.to_thread(client.request, "not-a-dict")
        return await asyncio.to_thread(client.request, "status")

    assert serve(tmp_path, echo, scenario) == {"cmd": "status", "args": {}}


def test_malformed_lines_get_errors_and_the_connection_lives_on(tmp_path: Path) -> None:
    payload = b"".join(
        [
            b"this is not json\n",
            b"[1, 2, 3]\n",
            b'{"id": 7, "agent": 1}\n',
            b'{"id": 8, "cmd": 5}\n',
            b"\xff\xfe\n",
            b"\n",  # blank lines are skipped, not answered
            b'{"id": 9, "cmd": "status"}\n',
        ]
    )

    async def scenario(server: ControlServer, bus: EventBus) -> list[dict[str, Any]]:
        return await raw_lines(server.path, payload, 6)

    answers = serve(tmp_path, echo, scenario)
    assert [a["ok"] for a in answers] == [False, False, False, False, False, True]
    assert "not valid JSON" in answers[0]["error"]
    assert answers[1]["error"] == "request must be a JSON object, not list"
    assert answers[2] == {"id": 7, "ok": False, "error": "request has no 'cmd'"}
    assert answers[3] == {"id": 8, "ok": False, "error": "'cmd' must be a non-empty string"}
    assert answers[4]["error"] == "request is not UTF-8 text"
    assert answers[5] == {"id": 9, "ok": True, "result": {"cmd": "status", "args": {}}}


def test_unknown_command_from_a_command_table_is_an_error_response(tmp_path: Path) -> None:
    commands = CommandTable()

    @commands.command("ping")
    async def ping(payload: str = "") -> dict[str, Any]:
        return {"pong": payload}

    async def scenario(server: ControlServer, bus: EventBus) -> list[dict[str, Any]]:
        payload = (
            b'{"id": 1, "cmd": "reboot"}\n'
            b'{"id": 2, "cmd": "ping", "colour": "red"}\n'
            b'{"id": 3, "cmd": "ping", "payload": "x"}\n'
        )
        return await raw_lines(server.path, payload, 3)

    answers = serve(tmp_path, commands, scenario)
    assert answers[0] == {"id": 1, "ok": False, "error": "unknown command 'reboot'; known: ping"}
    assert answers[1]["ok"] is False
    assert answers[1]["error"].startswith("bad arguments for 'ping'")
    assert answers[2] == {"id": 3, "ok": True, "result": {"pong": "x"}}


def test_line_over_64_kib_gets_an_error_and_the_next_request_works(tmp_path: Path) -> None:
    long_request = b'{"cmd": "status", "pad": "' + b"x" * (MAX_LINE + 10) + b'"}\n'

    async def scenario(server: ControlServer, bus: EventBus) -> list[dict[str, Any]]:
        return await raw_lines(server.path, long_request + b'{"id": 2, "cmd": "status"}\n', 2)

    too_long, after = serve(tmp_path, echo, scenario)
    assert too_long == {"id": None, "ok": False, "error": "request line longer than 65536 bytes"}
    assert after["id"] == 2 and after["ok"] is True


def test_line_of_exactly_64_kib_is_accepted(tmp_path: Path) -> None:
    head, tail = b'{"cmd": "status", "pad": "', b'"}'
    request = head + b"x" * (MAX_LINE - len(head) - len(tail)) + tail
    assert len(request) == MAX_LINE

    async def scenario(server: ControlServer, bus: EventBus) -> list[dict[str, Any]]:
        return await raw_lines(server.path, request + b"\n", 1)

    [answer] = serve(tmp_path, echo, scenario)
    assert answer["ok"] is True


def test_last_request_without_a_newline_is_answered(tmp_path: Path) -> None:
    async def scenario(server: ControlServer, bus: EventBus) -> dict[str, Any]:
        reader, writer = await asyncio.open_unix_connection(server.path)
        writer.write(b'{"id": 5, "cmd": "status"}')
        writer.write_eof()
        answer = json.loads(await reader.readline())
        writer.close()
        return answer

    assert serve(tmp_path, echo, scenario)["id"] == 5


def test_subscriber_receives_published_events(tmp_path: Path) -> None:
    async def scenario(server: ControlServer, bus: EventBus) -> list[dict[str, Any] | None]:
        events = ControlClient(server.path).events()
        first = asyncio.create_task(asyncio.to_thread(next, events, None))
        await wait_for_subscribers(bus, 1)
        bus.publish({"type": "call.offered", "line": "fxo1", "caller": "0215551234"})
        bus.publish({"type": "call.answered", "line": "fxo1"})
        received = [await first, await asyncio.to_thread(next, events, None)]
        await asyncio.to_thread(events.close)
        await wait_for_subscribers_gone(bus)
        return received

    assert serve(tmp_path, echo, scenario) == [
        {"type": "call.offered", "line": "fxo1", "caller": "0215551234"},
        {"type": "call.answered", "line": "fxo1"},
    ]


async def wait_for_subscribers_gone(bus: EventBus) -> None:
    while bus.subscriber_count:
        await asyncio.sleep(0.005)


def test_subscribed_connection_still_answers_commands(tmp_path: Path) -> None:
    payload = b'{"id": 1, "cmd": "subscribe"}\n{"id": 2, "cmd": "status"}\n'

    async def scenario(server: ControlServer, bus: EventBus) -> list[dict[str, Any]]:
        reader, writer = await asyncio.open_unix_connection(server.path)
        writer.write(payload)
        lines = [json.loads(await reader.readline()) for _ in range(2)]
        bus.publish({"type": "tick"})
        lines.append(json.loads(await reader.readline()))
        writer.close()
        return lines

    assert serve(tmp_path, echo, scenario) == [
        {"id": 1, "ok": True, "result": {"subscribed": True}},
        {"id": 2, "ok": True, "result": {"cmd": "status", "args": {}}},
        {"event": {"type": "tick"}},
    ]


def test_published_event_is_a_snapshot(tmp_path: Path) -> None:
    async def scenario(server: ControlServer, bus: EventBus) -> dict[str, Any]:
        reader, writer = await asyncio.open_unix_connection(server.path)
        writer.write(b'{"cmd": "subscribe"}\n')
        await reader.readline()
        event = {"type": "queue", "waiting": 1}
        bus.publish(event)
        event["waiting"] = 99
        line = json.loads(await reader.readline())
        writer.close()
        return line

    assert serve(tmp_path, echo, scenario) == {"event": {"type": "queue", "waiting": 1}}


def test_slow_subscriber_loses_oldest_events_and_does_not_block_the_daemon(
    tmp_path: Path,
) -> None:
    total = 3000
    pad = "x" * 1000

    async def scenario(server: ControlServer, bus: EventBus) -> tuple[list[int], int, dict]:
        reader, writer = await asyncio.open_unix_connection(server.path)
        writer.write(b'{"cmd": "subscribe"}\n')
        await reader.readline()
        # The subscriber reads nothing while the daemon publishes, letting the
        # loop run between batches so the socket and its buffers fill up.
        for seq in range(total):
            bus.publish({"type": "seq", "seq": seq, "pad": pad})
            if seq % 50 == 0:
                await asyncio.sleep(0)
        # Meanwhile the daemon still answers other clients.
        status = await asyncio.to_thread(ControlClient(server.path).request, "status")
        bus.publish({"type": "end"})
        seen: list[int] = []
        lost = 0
        while True:
            event = json.loads(await reader.readline())["event"]
            if event["type"] == "end":
                break
            if event["type"] == "lost":
                lost += event["count"]
            else:
                seen.append(event["seq"])
        writer.close()
        return seen, lost, status

    seen, lost, status = serve(tmp_path, echo, scenario, bus=EventBus(maxsize=20))
    assert status == {"cmd": "status", "args": {}}
    assert lost > 0
    assert len(seen) + lost == total
    assert seen == sorted(seen)
    assert seen[-1] == total - 1  # the newest events are the ones kept


def test_stale_socket_file_is_replaced_and_made_group_writable(tmp_path: Path) -> None:
    path = sock_path(tmp_path)
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(path)
    leftover.close()  # a crashed daemon leaves its socket file behind

    async def scenario(server: ControlServer, bus: EventBus) -> int:
        await asyncio.to_thread(ControlClient(server.path).request, "status")
        return stat.S_IMODE(os.stat(server.path).st_mode)

    assert serve(tmp_path, echo, scenario) == 0o660
    assert not os.path.exists(path)  # close() removes the socket it made


def test_second_daemon_on_a_live_socket_is_refused(tmp_path: Path) -> None:
    async def scenario(server: ControlServer, bus: EventBus) -> None:
        other = ControlServer(server.path, echo, EventBus())
        with pytest.raises(ControlServerError, match="already listening"):
            await other.start()
        await asyncio.to_thread(ControlClient(server.path).request, "status")

    serve(tmp_path, echo, scenario)


def test_a_regular_file_at_the_socket_path_is_left_alone(tmp_path: Path) -> None:
    path = Path(sock_path(tmp_path))
    path.write_text("keep me")

    async def main() -> None:
        with pytest.raises(ControlServerError, match="not a socket"):
            await ControlServer(str(path), echo, EventBus()).start()

    asyncio.run(main())
    assert path.read_text() == "keep me"


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    async def main() -> None:
        server = ControlServer(str(tmp_path / "absent" / "control.sock"), echo, EventBus())
        with pytest.raises(ControlServerError, match="cannot open the control socket"):
            await server.start()

    asyncio.run(main())


def test_client_without_a_daemon_says_daemon_not_running(tmp_path: Path) -> None:
    client = ControlClient(sock_path(tmp_path))
    with pytest.raises(ControlError, match="^daemon not running$"):
        client.request("status")
    with pytest.raises(ControlError, match="^daemon not running$"):
        next(client.events())


def test_client_on_a_stale_socket_says_daemon_not_running(tmp_path: Path) -> None:
    path = sock_path(tmp_path)
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(path)
    leftover.close()
    with pytest.raises(ControlError, match="^daemon not running$"):
        ControlClient(path).request("status")


def test_client_times_out_on_a_daemon_that_does_not_answer(tmp_path: Path) -> None:
    async def stuck(cmd: str, args: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(WAIT)
        return {}

    async def scenario(server: ControlServer, bus: EventBus) -> None:
        client = ControlClient(server.path, timeout=0.2)
        with pytest.raises(ControlError, match="did not answer within 0.2 s"):
            await asyncio.to_thread(client.request, "status")

    serve(tmp_path, stuck, scenario)


def test_closing_the_server_ends_the_event_stream(tmp_path: Path) -> None:
    async def main() -> dict[str, Any] | None:
        bus = EventBus()
        server = ControlServer(sock_path(tmp_path), echo, bus)
        await server.start()
        events = ControlClient(server.path).events()
        pending = asyncio.create_task(asyncio.to_thread(next, events, None))
        await asyncio.wait_for(wait_for_subscribers(bus, 1), WAIT)
        await server.close()
        return await asyncio.wait_for(pending, WAIT)

    assert asyncio.run(main()) is None
    assert not os.path.exists(sock_path(tmp_path))


def test_id_argument_is_reserved_for_the_client() -> None:
    with pytest.raises(ControlError, match="'id' is set by the client"):
        ControlClient("unused.sock").request("status", id=3)
