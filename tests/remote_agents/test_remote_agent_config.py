"""A remote agent in the store and the agents form: a phone port or a remote number, never both.

Also the built-in login flow as a route destination, and the login dialog on its own.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from firmware.calls.agent_login import AgentLogin, CheckPin, LoggedIn, Refused, Step
from firmware.ivr.actions import Play, StartTimer
from firmware.store import sync
from firmware.store.agent_pins import set_agent_pin
from firmware.store.models import ConfigError, RemoteMode, validate_agent, validate_route
from hal.clock import ManualClock
from webui import create_app

PORTS = ["fxs1", "fxs2", "fxo1", "fxo2"]
PASSWORD = "correct horse battery"


def _field(data: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        validate_agent(data, PORTS)
    return caught.value.field


def test_agent_with_a_remote_number_needs_no_port_and_keeps_its_mode() -> None:
    agent = validate_agent({"name": "Ewa", "extension": "201", "remote_number": "600 900-900",
                            "remote_mode": "nailed-up"}, PORTS)
    assert (agent.port, agent.remote_number, agent.remote_mode) == (
        "", "600900900", RemoteMode.NAILED_UP)
    assert agent.remote
    local = validate_agent({"name": "Jan", "extension": "101", "port": "fxs1"}, PORTS)
    assert not local.remote and local.remote_mode is RemoteMode.PER_CALL


def test_agent_is_refused_with_both_a_port_and_a_remote_number_or_with_neither() -> None:
    both = {"name": "Ewa", "extension": "201", "port": "fxs1", "remote_number": "600900900"}
    assert _field(both) == "port"
    assert _field({"name": "Ewa", "extension": "201"}) == "port"
    assert _field({"name": "Ewa", "extension": "201", "remote_number": "+48 600"}) == (
        "remote_number")
    assert _field({"name": "Ewa", "extension": "201", "remote_number": "600900900",
                   "remote_mode": "sometimes"}) == "remote_mode"


def test_remote_agent_round_trips_through_the_store_with_its_pin_for_the_daemon(
    tmp_path: Path,
) -> None:
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        sync.record_card_ports(conn, PORTS)
        saved = sync.save_agent(conn, {"name": "Ewa", "extension": "201",
                                       "remote_number": "600900900", "remote_mode": "nailed-up"})
        set_agent_pin(conn, saved.id, "4321")
        sync.save_agent(conn, {"name": "Jan", "extension": "101", "port": "fxs1"})
        assert sync.get_agent(conn, saved.id) == saved
        config = sync.load_config(conn)
    finally:
        conn.close()
    [(name, stored)] = config.remote_pins
    # Stored as a salted hash that still checks (a hex digest may contain any digits).
    assert name == "Ewa" and stored.startswith("scrypt:") and stored != "4321"
    assert check_password_hash(stored, "4321") and not check_password_hash(stored, "1234")


def test_a_line_may_be_routed_to_the_built_in_agent_login_flow() -> None:
    route = validate_route({"port": "fxo1", "destination": "ivr:agent-login"}, PORTS, (), ())
    assert route.destination == "ivr:agent-login"
    with pytest.raises(ConfigError):
        validate_route({"port": "fxo1", "destination": "ivr:nowhere"}, PORTS, (), ())


def test_login_dialog_asks_extension_then_pin_and_gives_up_after_three_refusals() -> None:
    dialog = AgentLogin("en")
    [play] = dialog.start()
    assert isinstance(play, Play) and play.prompt == "en/remote-login-extension"
    assert isinstance(dialog.prompt_finished(play.tag)[0], StartTimer)
    for key in "201":
        dialog.digit(key)
    [*_, ask_pin] = dialog.digit("#")
    assert isinstance(ask_pin, Play) and ask_pin.prompt == "en/remote-login-pin"
    for key in "4321":
        dialog.digit(key)
    assert dialog.digit("#")[-1] == CheckPin("201", "4321")
    assert dialog.pin_checked("Ewa") == [LoggedIn("Ewa")] and dialog.step is Step.DONE

    known = AgentLogin("pl", extension="201")
    [play] = known.start()
    assert play.prompt == "pl/remote-login-pin"  # the box called them: no extension asked
    outcome: list = []
    for _ in range(3):
        known.digit("9")
        outcome = known.digit("#")
        outcome = known.pin_checked(None)
        if isinstance(outcome[0], Play):
            known.prompt_finished(outcome[0].tag)
    assert outcome == [Refused("extension and PIN do not match")]


def test_agents_form_saves_a_remote_agent_and_lists_their_number(tmp_path: Path) -> None:
    app = create_app({
        "TESTING": True, "DATABASE": str(tmp_path / "centrala.db"),
        "CONTROL_SOCKET": str(tmp_path / "control.sock"), "CONTROL_TIMEOUT": 2.0,
        "WTF_CSRF_ENABLED": False, "CLOCK": ManualClock(),
    })
    conn: sqlite3.Connection = sync.connect(app.config["DATABASE"])
    try:
        sync.record_card_ports(conn, PORTS)
        client = app.test_client()
        client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
        client.post("/login", data={"password": PASSWORD})
        form = client.get("/agents/new").get_data(as_text=True)
        assert 'name="remote_number"' in form and "none: reached on their own number" in form
        refused = client.post("/agents/new", data={
            "name": "Ewa", "extension": "201", "port": "fxs1", "remote_number": "600900900",
            "remote_mode": "per-call", "logged_in": "1",
        })
        assert refused.status_code == 400
        assert "either a phone port or a remote number" in refused.get_data(as_text=True)
        assert sync.list_agents(conn) == []
        saved = client.post("/agents/new", data={
            "name": "Ewa", "extension": "201", "port": "", "remote_number": "600900900",
            "remote_mode": "nailed-up", "logged_in": "1",
        }, follow_redirects=True)
        assert saved.status_code == 200
        [agent] = sync.list_agents(conn)
        assert (agent.port, agent.remote_number, agent.remote_mode) == (
            "", "600900900", RemoteMode.NAILED_UP)
        listing = client.get("/agents").get_data(as_text=True)
        assert "remote: 600900900 (nailed-up)" in listing
        edit = client.get(f"/agents/{agent.id}/edit").get_data(as_text=True)
        assert '<option value="nailed-up" selected>' in edit
    finally:
        conn.close()
