"""The agent's page: PIN login, presence through the daemon, the screen pop, dispositions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clients_support import AgentDaemon
from flask import Flask
from flask.testing import FlaskClient

from firmware.store import rows
from firmware.store.agent_pins import set_agent_pin
from firmware.store.clients import save_client
from firmware.store.dispositions import disposition_of
from firmware.store.models import Cdr
from webui.agent_page import screen_pop

PIN = "4321"
SCRIPT = "Good morning, {caller_name}. {client} here.\nBalance: {balance} (number {caller_number})"


def _agent(name: str, extension: str, port: str, state: str = "available") -> dict[str, Any]:
    return {"name": name, "extension": extension, "port": port, "state": state, "since": 5.0,
            "calls_taken": 0, "reason": None}


STATUS: dict[str, Any] = {
    "version": "0.1.0", "uptime": 100.0, "backend": "sim", "country": "PL", "ports": [],
    "queues": [], "config_errors": [], "media": {"ticks": 1, "errors": 0},
    "agents": [_agent("Agent 1", "101", "fxs1"), _agent("Agent 2", "102", "fxs2")],
    "calls": [{
        "id": "c7", "port": "fxo1", "direction": "in", "caller_number": "600100200",
        "caller_name": "Jan Kowalski", "state": "ringing", "queue": "sales", "agent": None,
        "duration": 12.0, "did": None, "client": "Acme", "ringing_agents": ["Agent 1"],
        # A flow cannot pass itself off as the caller: call data wins over variables.
        "variables": {"caller": "600100200", "balance": "120.50", "caller_number": "0"},
    }],
}


@pytest.fixture
def daemon(app: Flask) -> Iterator[AgentDaemon]:
    with AgentDaemon(Path(app.config["CONTROL_SOCKET"]), STATUS) as fake:
        yield fake


@pytest.fixture
def acme(conn: sqlite3.Connection) -> None:
    save_client(conn, {
        "name": "Acme", "lines": ["fxo1"], "queues": ["sales"], "script": SCRIPT,
        "disposition_codes": "sale\nno-sale\ncallback",
    })


@pytest.fixture
def agent(client: FlaskClient, admin: FlaskClient, conn: sqlite3.Connection) -> FlaskClient:
    """A browser in which Agent 1 logged in to their page (the admin first set things up)."""
    set_agent_pin(conn, 1, PIN)
    admin.post("/logout")
    response = client.post("/agent/login", data={"extension": "101", "pin": PIN})
    assert response.status_code == 302 and response.headers["Location"] == "/agent"
    return client


def test_an_agent_logs_in_with_extension_and_pin_and_a_wrong_pin_is_refused(
    client: FlaskClient, admin: FlaskClient, conn: sqlite3.Connection
) -> None:
    set_agent_pin(conn, 1, PIN)
    admin.post("/logout")
    assert client.get("/agent").headers["Location"] == "/agent/login"
    for extension, pin in (("101", "1234"), ("102", PIN), ("999", PIN)):
        refused = client.post("/agent/login", data={"extension": extension, "pin": pin})
        assert refused.status_code == 401
        assert "not correct" in refused.get_data(as_text=True)
    stored = conn.execute("SELECT pin_hash FROM agents WHERE id = 1").fetchone()[0]
    # A salted hash, never the PIN itself (its hex digest may contain any digits).
    assert stored.startswith("scrypt:") and stored != PIN
    response = client.post("/agent/login", data={"extension": "101", "pin": PIN})
    assert response.status_code == 302
    # Agent 1's page, and no admin page.
    assert "Agent 1" in client.get("/agent").get_data(as_text=True)
    assert client.get("/agents").headers["Location"].startswith("/login")


def test_a_new_pin_closes_the_page_opened_with_the_old_one(
    agent: FlaskClient, conn: sqlite3.Connection
) -> None:
    assert agent.get("/agent").status_code == 200
    set_agent_pin(conn, 1, "98765")
    assert agent.get("/agent").headers["Location"] == "/agent/login"
    assert agent.get("/agent/live.json").status_code == 401


def test_guessing_pins_locks_the_address_out(
    client: FlaskClient, admin: FlaskClient, conn: sqlite3.Connection
) -> None:
    set_agent_pin(conn, 1, PIN)
    for guess in ("0000", "1111", "2222", "3333", "4444"):
        client.post("/agent/login", data={"extension": "101", "pin": guess})
    locked = client.post("/agent/login", data={"extension": "101", "pin": PIN})
    assert locked.status_code == 429
    assert "Too many wrong PINs" in locked.get_data(as_text=True)


def test_presence_buttons_send_the_agent_commands_to_the_daemon(
    agent: FlaskClient, daemon: AgentDaemon
) -> None:
    agent.post("/agent/presence", data={"action": "pause", "reason": "lunch"})
    page = agent.get("/agent").get_data(as_text=True)
    assert "You are paused (lunch)." in page and "I am back" in page
    agent.post("/agent/presence", data={"action": "unpause"})
    agent.post("/agent/presence", data={"action": "logout"})
    page = agent.get("/agent").get_data(as_text=True)
    assert "Log in to my queues" in page
    agent.post("/agent/presence", data={"action": "login"})
    sent = [(cmd, args) for cmd, args in daemon.received if cmd != "status"]
    assert sent == [
        ("agent_pause", {"agent": "Agent 1", "reason": "lunch"}),
        ("agent_unpause", {"agent": "Agent 1"}),
        ("agent_logout", {"agent": "Agent 1"}),
        ("agent_login", {"agent": "Agent 1"}),
    ]


def test_a_pause_without_a_known_reason_or_refused_by_the_daemon_says_so(
    agent: FlaskClient, daemon: AgentDaemon
) -> None:
    agent.post("/agent/presence", data={"action": "pause", "reason": "gym"})
    assert "agent_pause" not in daemon.commands()
    assert "Choose a reason" in agent.get("/agent").get_data(as_text=True)
    daemon.refuse = "no agent named 'Agent 1'"
    agent.post("/agent/presence", data={"action": "unpause"})
    assert "Not changed: no agent named" in agent.get("/agent").get_data(as_text=True)


def test_the_screen_pop_shows_the_ringing_call_its_client_and_the_filled_script(
    agent: FlaskClient, daemon: AgentDaemon, acme: None
) -> None:
    page = agent.get("/agent").get_data(as_text=True)
    assert "Ringing" in page and "Acme" in page and "600100200 (Jan Kowalski)" in page
    script = "Good morning, Jan Kowalski. Acme here.\nBalance: 120.50 (number 600100200)"
    assert script in page
    live = agent.get("/agent/live.json").get_json()
    assert live["state"] == "available" and live["running"] is True
    pop = live["pop"]
    assert (pop["call_id"], pop["state"], pop["client"], pop["dialled"]) == (
        "c7", "ringing", "Acme", "fxo1"
    )
    assert pop["script"] == script
    assert ["balance", "120.50"] in pop["variables"]


def test_only_the_agent_whose_phone_rings_or_talks_gets_the_pop(acme: None) -> None:
    ringing = STATUS["calls"][0]
    connected = {**ringing, "id": "c8", "state": "connected", "agent": "Agent 2",
                 "ringing_agents": [], "client": None, "variables": {}}
    status = {**STATUS, "calls": [ringing, connected]}
    no_client = screen_pop(status, "Agent 2", lambda name: None)
    assert no_client is not None and no_client.call_id == "c8"
    assert no_client.state == "connected" and no_client.script == ""
    assert screen_pop(status, "Agent 3", lambda name: None) is None


def _cdr_of(conn: sqlite3.Connection, call_id: str, agent: str, port: str = "fxo1") -> int:
    cdr = Cdr(call_id, 1000.0, 1010.0, 1100.0, port, "in", "600100200", None, "ivr:main",
              "sales", agent, "answered", 100.0, 90.0)
    cursor = conn.execute(rows.CDR_INSERT, rows.cdr_params(cdr))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def test_a_disposition_is_saved_on_the_agents_own_call_only(
    agent: FlaskClient, daemon: AgentDaemon, acme: None, conn: sqlite3.Connection
) -> None:
    mine = _cdr_of(conn, "c1", "Agent 1")
    theirs = _cdr_of(conn, "c2", "Agent 2")
    page = agent.get("/agent").get_data(as_text=True)
    assert f'name="cdr_id" value="{mine}"' in page and "callback" in page
    agent.post("/agent/disposition", data={"cdr_id": mine, "code": "sale"})
    saved = disposition_of(conn, mine)
    assert saved is not None and (saved.code, saved.client, saved.agent) == (
        "sale", "Acme", "Agent 1"
    )
    agent.post("/agent/disposition", data={"cdr_id": mine, "code": "callback"})
    assert disposition_of(conn, mine).code == "callback"  # type: ignore[union-attr]
    agent.post("/agent/disposition", data={"cdr_id": mine, "code": "bogus"})
    assert "choose one of sale, no-sale, callback" in agent.get("/agent").get_data(as_text=True)
    agent.post("/agent/disposition", data={"cdr_id": theirs, "code": "sale"})
    assert disposition_of(conn, theirs) is None
    assert disposition_of(conn, mine).code == "callback"  # type: ignore[union-attr]
    assert agent.post("/agent/disposition", data={"cdr_id": 999, "code": "sale"}).status_code \
        == 404


def test_the_technician_sets_and_removes_pins(
    admin: FlaskClient, conn: sqlite3.Connection
) -> None:
    refused = admin.post("/agent/pins/1", data={"pin": "12"})
    assert refused.status_code == 400 and "a PIN is 4 to 8 digits" in refused.get_data(
        as_text=True
    )
    admin.post("/agent/pins/1", data={"pin": "55555"})
    page = admin.get("/agent/pins").get_data(as_text=True)
    assert "Remove PIN" in page
    admin.post("/agent/pins/1", data={"action": "clear"})
    assert conn.execute("SELECT pin_hash FROM agents WHERE id = 1").fetchone()[0] is None
