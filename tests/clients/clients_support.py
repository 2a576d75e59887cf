"""Support for the clients and agent-page tests: the app, a fake daemon that keeps arguments."""

from __future__ import annotations

import copy
import json
import socketserver
import threading
from pathlib import Path
from typing import Any

from flask import Flask

from hal.clock import ManualClock
from webui import create_app

PASSWORD = "correct horse battery"
PORTS = ["fxs1", "fxs2", "fxo1", "fxo2"]


def make_app(tmp_path: Path) -> Flask:
    return create_app({
        "TESTING": True,
        "DATABASE": str(tmp_path / "centrala.db"),
        "CONTROL_SOCKET": str(tmp_path / "control.sock"),
        "CONTROL_TIMEOUT": 2.0,
        "WTF_CSRF_ENABLED": False,
        "CLOCK": ManualClock(),
    })


class AgentDaemon:
    """A control socket answering status and the agent commands, recording (cmd, args).

    The status is the test's to set; agent commands change the agent's state in
    it as the daemon would, so the page shows the result.
    """

    def __init__(self, path: Path, status: dict[str, Any]) -> None:
        self.status = copy.deepcopy(status)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.refuse: str | None = None
        daemon = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for raw in self.rfile:
                    request = json.loads(raw)
                    request_id = request.pop("id", None)
                    cmd = request.pop("cmd")
                    daemon.received.append((cmd, request))
                    answer = daemon.answer(cmd, request)
                    self.wfile.write(json.dumps({"id": request_id, **answer}).encode() + b"\n")

        self._server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(self, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
        if cmd in ("status", "reload"):
            return {"ok": True, "result": self.status if cmd == "status" else {"reloaded": True}}
        states = {"agent_login": "available", "agent_logout": "logged-out",
                  "agent_pause": "paused", "agent_unpause": "available"}
        if cmd not in states:
            return {"ok": False, "error": f"unknown command {cmd!r}"}
        if self.refuse is not None:
            return {"ok": False, "error": self.refuse}
        for agent in self.status["agents"]:
            if agent["name"] == args.get("agent"):
                agent["state"] = states[cmd]
                agent["reason"] = args.get("reason")
        return {"ok": True, "result": {"agent": args.get("agent"), "state": states[cmd]}}

    def commands(self) -> list[str]:
        return [cmd for cmd, _ in self.received]

    def __enter__(self) -> AgentDaemon:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
