"""HTTP lookups against a tiny server on 127.0.0.1: success, timeout, garbage -> fallback.

The server is real (the point is the socket and the worker thread); time limits are a
fraction of a second and every wait is bounded.
"""

import asyncio
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from firmware.calls.timers import Timers
from firmware.ivr.host import IvrHost
from firmware.ivr.lookup import run_lookup
from firmware.store.models import validate_flow
from hal.clock import ManualClock


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        if self.path.startswith("/slow"):
            time.sleep(1.0)
        if self.path.startswith("/error"):
            self.send_response(500)
            self.end_headers()
            return
        customer = b'{"customer": {"name": "Anna", "vip": true}, "balance": 21.5}'
        body = {
            "/garbage": b"<html>not json</html>",
            "/list": b"[1, 2]",
        }.get(self.path.split("?")[0], customer)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.paths = []  # type: ignore[attr-defined]
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


FIELDS = {"name": "customer.name", "vip": "customer.vip", "balance": "balance"}


def test_lookup_copies_json_fields_into_variables(server: str):
    result = run_lookup(f"{server}/customer", 2.0, FIELDS)
    assert result.ok and result.values == {"name": "Anna", "vip": "true", "balance": "21.5"}


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/slow", "no answer within 0.3 s"),
        ("/garbage", "not JSON"),
        ("/list", "not a JSON object"),
        ("/error", "answered 500"),
    ],
)
def test_lookup_failures_say_why(server: str, path: str, problem: str):
    result = run_lookup(f"{server}{path}", 0.3, FIELDS)
    assert not result.ok and problem in (result.problem or "")


def test_lookup_of_a_missing_field_fails(server: str):
    result = run_lookup(f"{server}/customer", 2.0, {"x": "customer.address.city"})
    assert not result.ok and "customer.address.city" in (result.problem or "")


def test_lookup_to_a_closed_port_fails():
    result = run_lookup("http://127.0.0.1:9/", 0.5, FIELDS)
    assert not result.ok and "failed" in (result.problem or "")


class Control:
    """A call layer that only records what the host asks of it."""

    def __init__(self) -> None:
        self.done: list[tuple[str, ...]] = []

    def play_prompt(self, call_id: str, prompt: str, tag: str) -> bool:
        self.done.append(("play", prompt))
        return True

    def stop_playout(self, call_id: str) -> None:
        pass

    def enqueue(self, call_id: str, queue: str, priority: int, now: float) -> None:
        self.done.append(("enqueue", queue, str(priority)))

    def hang_up(self, call_id: str, reason: str, now: float) -> None:
        self.done.append(("hangup", reason))

    def transfer(self, call_id: str, kind: str, number: str, now: float) -> str | None:
        return "not here"

    def start_recording(self, call_id: str, key: str) -> str | None:
        return "not here"

    def stop_recording(self, key: str) -> None:
        pass


def lookup_flow(url: str) -> dict:
    return validate_flow("f", {"start": "ask", "nodes": {
        "ask": {"type": "lookup", "url": url, "timeout": 0.5,
                "fields": {"name": "customer.name"}, "next": "vip", "fallback": "sorry"},
        "vip": {"type": "queue", "queue": "sales", "priority": 9},
        "sorry": {"type": "hangup", "prompt": "goodbye"},
    }}, ["sales"]).definition


async def walk_with_host(url: str) -> tuple[Control, IvrHost]:
    control = Control()
    host = IvrHost(control, Timers(), ManualClock(), record=lambda message: None)
    host.configure({"f": lookup_flow(url)}, [])
    host.start("c1", "f", "600100200", 0.0)
    for _ in range(200):  # at most 2 s of real time for the worker thread
        if not host.active("c1") or control.done:
            break
        await asyncio.sleep(0.01)
    return control, host


def test_host_runs_the_lookup_off_the_loop_and_continues_the_flow(server: str):
    control, host = asyncio.run(walk_with_host(f"{server}/customer?phone={{caller}}"))
    assert control.done == [("enqueue", "sales", "9")]
    assert not host.active("c1")


@pytest.mark.parametrize("path", ["/slow", "/garbage"])
def test_host_takes_the_fallback_on_timeout_or_garbage(server: str, path: str):
    control, host = asyncio.run(walk_with_host(f"{server}{path}"))
    assert control.done == [("play", "goodbye")]
    session = host.session("c1")
    assert session is not None and session.path == ["ask", "sorry"]
