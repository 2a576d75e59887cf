"""Support for the web UI tests: a fake daemon on a real socket, the app factory, CSRF tokens."""

from __future__ import annotations

import json
import re
import socketserver
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from hal.clock import ManualClock
from webui import create_app

PASSWORD = "correct horse battery"
PORTS = ["fxs1", "fxs2", "fxs3", "fxo1", "fxo2"]

STATUS: dict[str, Any] = {
    "version": "0.1.0",
    "uptime": 125.0,
    "backend": "sim",
    "country": "PL",
    "ports": [
        {"name": "fxo1", "kind": "fxo", "state": "up", "alarm": None, "call_id": "c1"},
        {"name": "fxo2", "kind": "fxo", "state": "idle", "alarm": "no battery", "call_id": None},
    ],
    "queues": [
        {
            "name": "sales",
            "waiting": 1,
            "longest_wait": 12.5,
            "agents_logged_in": 2,
            "agents_available": 1,
        }
    ],
    "agents": [
        {
            "name": "Agent 1",
            "extension": "101",
            "port": "fxs1",
            "state": "on-call",
            "since": 5.0,
            "calls_taken": 3,
        }
    ],
    "calls": [
        {
            "id": "c1",
            "port": "fxo1",
            "direction": "in",
            "caller_number": "600100200",
            "caller_name": "Jan Kowalski",
            "state": "queued",
            "queue": "sales",
            "agent": None,
            "duration": 72.0,
        }
    ],
    "config_errors": ["agents[2].port: unknown port 'fxs9'"],
    "media": {"ticks": 1234, "errors": 0},
}


class FakeDaemon:
    """A control socket speaking the daemon's JSON lines, with canned answers.

    It records every command it receives, so a test can see that a save asked
    for a reload.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.commands: list[str] = []
        self.events: list[dict[str, Any]] = []
        daemon = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for raw in self.rfile:
                    request = json.loads(raw)
                    cmd = request.pop("cmd")
                    daemon.commands.append(cmd)
                    answer = daemon.answer(request.get("id"), cmd)
                    self.wfile.write(json.dumps(answer).encode() + b"\n")
                    if cmd == "subscribe":
                        for event in daemon.events:
                            self.wfile.write(json.dumps({"event": event}).encode() + b"\n")
                        return

        self._server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, request_id: Any, cmd: str) -> dict[str, Any]:
        results: dict[str, dict[str, Any]] = {
            "status": STATUS,
            "calls": {"calls": STATUS["calls"]},
            "reload": {"reloaded": True},
            "subscribe": {"subscribed": True},
        }
        if cmd not in results:
            return {"id": request_id, "ok": False, "error": f"unknown command {cmd!r}"}
        return {"id": request_id, "ok": True, "result": results[cmd]}

    def __enter__(self) -> FakeDaemon:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    config: dict[str, Any] = {
        "TESTING": True,
        "DATABASE": str(tmp_path / "centrala.db"),
        "CONTROL_SOCKET": str(tmp_path / "control.sock"),
        "CONTROL_TIMEOUT": 2.0,
        "WTF_CSRF_ENABLED": False,
        "CLOCK": ManualClock(),
    }
    config.update(overrides)
    return create_app(config)



def csrf_token_of(page: TestResponse) -> str:
    """The CSRF token a rendered form carries."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match is not None, "the page has no CSRF token"
    return match.group(1)
