"""Agents, queues and routes pages: errors beside their field, nothing half saved."""

from __future__ import annotations

import sqlite3

from flask.testing import FlaskClient
from webui_support import FakeDaemon

from firmware.store import sync

ANNA = {"name": "Anna", "extension": "101", "port": "fxs1", "logged_in": "1"}
NOT_RUNNING = "Saved. The service is not running; the change applies when it starts."


def test_agent_is_added_edited_and_deleted(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    response = client.post("/agents/new", data=ANNA, follow_redirects=True)
    assert response.status_code == 200
    assert "Agent Anna added." in response.get_data(as_text=True)
    (agent,) = sync.list_agents(db)
    assert (agent.name, agent.extension, agent.port, agent.logged_in) == (
        "Anna",
        "101",
        "fxs1",
        True,
    )

    form = client.get(f"/agents/{agent.id}/edit").get_data(as_text=True)
    assert 'value="Anna"' in form and '<option value="fxs1" selected>' in form
    # An unticked checkbox is not sent at all: that must mean "no", not the default.
    client.post(
        f"/agents/{agent.id}/edit", data={"name": "Anna K", "extension": "102", "port": "fxs2"}
    )
    edited = sync.get_agent(db, agent.id)
    assert edited is not None
    assert (edited.name, edited.extension, edited.port, edited.logged_in) == (
        "Anna K",
        "102",
        "fxs2",
        False,
    )

    client.post(f"/agents/{agent.id}/delete")
    assert sync.list_agents(db) == []


def test_agent_form_shows_the_error_beside_its_field_keeps_input_and_saves_nothing(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    response = client.post("/agents/new", data={**ANNA, "port": "fxs9"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<p class="error" id="port-error">fxs9 is not a port of this card' in page
    assert 'value="Anna"' in page and 'value="101"' in page
    assert "fxs9 (not on this card)" in page  # the typed value is kept, not swapped
    assert sync.list_agents(db) == []


def test_agent_edit_with_a_bad_value_changes_nothing(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    agent = sync.save_agent(db, ANNA)
    response = client.post(f"/agents/{agent.id}/edit", data={**ANNA, "extension": "1x"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<p class="error" id="extension-error">must be 2 to 6 digits</p>' in page
    assert 'value="1x"' in page
    assert sync.get_agent(db, agent.id) == agent


def test_unknown_agent_pages_are_not_found(client: FlaskClient, logged_in) -> None:
    assert client.get("/agents/99/edit").status_code == 404
    assert client.post("/agents/99/delete").status_code == 404


def test_saving_with_the_service_down_says_when_the_change_applies(
    client: FlaskClient, logged_in
) -> None:
    page = client.post("/agents/new", data=ANNA, follow_redirects=True).get_data(as_text=True)
    assert NOT_RUNNING in page


def test_saving_asks_the_running_service_to_reload(
    client: FlaskClient, logged_in, daemon: FakeDaemon
) -> None:
    page = client.post("/agents/new", data=ANNA, follow_redirects=True).get_data(as_text=True)
    assert "The change is in effect." in page
    assert daemon.commands.count("reload") == 1


def test_queue_members_are_chosen_with_checkboxes(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    sync.save_agent(db, ANNA)
    sync.save_agent(db, {"name": "Bob", "extension": "102", "port": "fxs2"})
    form = client.get("/queues/new").get_data(as_text=True)
    assert 'name="members" value="Anna"' in form and 'name="members" value="Bob"' in form
    data = {
        "name": "sales",
        "strategy": "ring-all",
        "ring_timeout": "20",
        "retry_delay": "3",
        "max_wait": "300",
        "members": ["Bob", "Anna"],
    }
    assert client.post("/queues/new", data=data).status_code == 302
    (queue,) = sync.list_queues(db)
    assert (queue.strategy.value, queue.ring_timeout, queue.max_wait) == ("ring-all", 20, 300)
    assert queue.members == ("Bob", "Anna")

    edit = client.get(f"/queues/{queue.id}/edit").get_data(as_text=True)
    assert 'name="members" value="Bob" checked' in edit
    client.post(f"/queues/{queue.id}/edit", data={**data, "members": ["Anna"]})
    saved = sync.get_queue(db, queue.id)
    assert saved is not None and saved.members == ("Anna",)


def test_queue_form_with_a_bad_timeout_shows_it_and_saves_nothing(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    data = {"name": "sales", "strategy": "ring-all", "ring_timeout": "500", "max_wait": "300"}
    response = client.post("/queues/new", data={**data, "retry_delay": "2"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="ring_timeout-error">must be a number from 5 to 120' in page
    assert 'value="500"' in page
    assert sync.list_queues(db) == []


def test_queue_used_by_a_route_is_not_deleted(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    queue = sync.save_queue(db, {"name": "sales"})
    sync.save_route(db, {"port": "fxo1", "destination": "queue:sales"})
    page = client.post(f"/queues/{queue.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "Queue sales was not deleted" in page
    assert [q.name for q in sync.list_queues(db)] == ["sales"]


def test_route_sends_a_line_to_a_chosen_queue(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    sync.save_queue(db, {"name": "sales"})
    form = client.get("/routes/new").get_data(as_text=True)
    assert '<option value="fxo1"' in form and '<option value="fxs1"' not in form
    assert '<option value="queue:sales">Queue: sales</option>' in form
    route_data = {"port": "fxo2", "destination": "queue:sales"}
    assert client.post("/routes/new", data=route_data).status_code == 302
    (route,) = sync.list_routes(db)
    assert (route.port, route.destination) == ("fxo2", "queue:sales")

    response = client.post(
        f"/routes/{route.id}/edit", data={"port": "fxo2", "destination": "queue:support"}
    )
    assert response.status_code == 400
    assert "no queue named &#39;support&#39;" in response.get_data(as_text=True)
    assert sync.get_route(db, route.id) == route

    client.post(f"/routes/{route.id}/delete")
    assert sync.list_routes(db) == []


def test_forms_take_free_text_ports_before_the_service_reported_the_card(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    db.execute("DELETE FROM settings WHERE key = 'card_ports'")
    form = client.get("/agents/new").get_data(as_text=True)
    assert '<input type="text" id="port" name="port"' in form
    assert client.post("/agents/new", data={**ANNA, "port": "fxs7"}).status_code == 302
    assert sync.list_agents(db)[0].port == "fxs7"


def test_every_form_field_has_help_text(client: FlaskClient, logged_in) -> None:
    for url in ("/agents/new", "/queues/new", "/routes/new"):
        page = client.get(url).get_data(as_text=True)
        assert page.count('class="field') == page.count('class="help"'), url
        assert "&#34;" not in page, url  # input attributes are markup, not escaped text
