"""The flow editor: list, create, save versions, activate and roll back, and test mode."""

import sqlite3
from typing import Any

from flask.testing import FlaskClient

from firmware.store import sync

MENU_FLOW: dict[str, Any] = {
    "start": "greeting",
    "nodes": {
        "greeting": {"type": "play", "prompt": "welcome", "next": "menu"},
        "menu": {"type": "menu", "prompt": "menu-sales-support", "choices": {"1": "sales"},
                 "fail": "bye", "invalid_prompt": "invalid"},
        "sales": {"type": "queue", "queue": "sales"},
        "bye": {"type": "hangup", "prompt": "goodbye"},
    },
}


def make_flow(client: FlaskClient, name: str = "front") -> int:
    response = client.post("/flows/new", data={"name": name})
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def with_queue(db: sqlite3.Connection) -> None:
    sync.save_queue(db, {"name": "sales"})


def test_new_flow_opens_in_the_editor_with_its_nodes_and_help(client, logged_in, db):
    flow_id = make_flow(client)
    page = client.get(f"/flows/{flow_id}").get_data(as_text=True)
    assert "Flow front" in page and "version 1" in page
    assert "Plays a recording, or speaks a text" in page  # node help, for the editor script
    assert "flows.js" in page
    listing = client.get("/flows").get_data(as_text=True)
    assert "front" in listing


def test_saving_keeps_every_version_and_activation_rolls_back(client, logged_in, db):
    with_queue(db)
    flow_id = make_flow(client)
    draft = client.post(f"/flows/{flow_id}/versions",
                        json={"name": "front", "definition": MENU_FLOW, "activate": False})
    assert draft.status_code == 200 and draft.json["version"] == 2 and draft.json["active"] == 1
    assert sync.get_flow(db, flow_id).definition["start"] == "greeting"
    assert "menu" not in sync.get_flow(db, flow_id).definition["nodes"]

    live = client.post(f"/flows/{flow_id}/activate", data={"version": "2"})
    assert live.status_code == 302
    assert "menu" in sync.get_flow(db, flow_id).definition["nodes"]

    back = client.post(f"/flows/{flow_id}/activate", data={"version": "1"})
    assert back.status_code == 302
    versions = sync.list_flow_versions(db, flow_id)
    assert [(v.version, v.active) for v in versions] == [(2, False), (1, True)]
    assert "menu" not in sync.get_flow(db, flow_id).definition["nodes"]
    page = client.get(f"/flows/{flow_id}?version=2").get_data(as_text=True)
    assert "version 2" in page and "(not active)" in page


def test_save_and_activate_in_one_step(client, logged_in, db):
    with_queue(db)
    flow_id = make_flow(client)
    saved = client.post(f"/flows/{flow_id}/versions",
                        json={"name": "reception", "definition": MENU_FLOW, "activate": True})
    assert saved.json == {**saved.json, "version": 2, "active": 2, "name": "reception"}
    assert sync.get_flow(db, flow_id).name == "reception"


def test_a_bad_definition_is_refused_with_its_path_and_nothing_changes(client, logged_in, db):
    with_queue(db)
    flow_id = make_flow(client)
    broken = {**MENU_FLOW, "nodes": {**MENU_FLOW["nodes"],
                                     "menu": {**MENU_FLOW["nodes"]["menu"],
                                              "choices": {"1": "salse"}}}}
    answer = client.post(f"/flows/{flow_id}/versions",
                         json={"name": "front", "definition": broken, "activate": True})
    assert answer.status_code == 400
    assert answer.json["field"] == "definition.nodes.menu.choices.1"
    assert "salse" in answer.json["error"]
    assert len(sync.list_flow_versions(db, flow_id)) == 1


def test_a_prompt_the_box_does_not_have_is_refused(client, logged_in, db):
    flow_id = make_flow(client)
    flow = {"start": "x", "nodes": {"x": {"type": "hangup", "prompt": "no-such-recording"}}}
    answer = client.post(f"/flows/{flow_id}/versions", json={"name": "front", "definition": flow})
    assert answer.status_code == 400 and answer.json["field"] == "definition.nodes.x.prompt"


def test_activating_a_version_whose_queue_is_gone_is_refused(client, logged_in, db):
    with_queue(db)
    flow_id = make_flow(client)
    client.post(f"/flows/{flow_id}/versions",
                json={"name": "front", "definition": MENU_FLOW, "activate": False})
    queue = sync.list_queues(db)[0]
    sync.delete_queue(db, queue.id)
    client.post(f"/flows/{flow_id}/activate", data={"version": "2"})
    assert sync.active_flow_version(db, flow_id) == 1
    page = client.get(f"/flows/{flow_id}?version=2").get_data(as_text=True)
    assert "no queue named" in page


def test_test_mode_walks_the_posted_flow_on_the_real_session(client, logged_in, db):
    with_queue(db)
    flow_id = make_flow(client)
    walk = client.post(f"/flows/{flow_id}/test", json={"definition": MENU_FLOW, "keys": "7 1"})
    assert walk.status_code == 200
    steps = [(s["kind"], s["text"]) for s in walk.json["steps"]]
    assert steps[:4] == [("node", "greeting (play)"), ("play", "welcome"),
                         ("node", "menu (menu)"), ("play", "menu-sales-support")]
    assert ("play", "invalid") in steps
    assert steps[-1] == ("end", "queue sales (priority 0)")
    assert walk.json["finished"] and walk.json["node"] == "sales"


def test_test_mode_simulates_schedules_lookups_and_silence(client, logged_in, db):
    with_queue(db)
    sync.save_schedule(db, {"name": "office", "timezone": "Europe/Warsaw"})
    flow_id = make_flow(client)
    flow = {"start": "open", "nodes": {
        "open": {"type": "condition", "test": "schedule-open", "schedule": "office",
                 "then": "crm", "else": "closed"},
        "crm": {"type": "lookup", "url": "http://crm/{caller}", "fields": {"n": "n"},
                "next": "pin", "fallback": "closed"},
        "pin": {"type": "collect", "prompt": "welcome", "variable": "pin", "fail": "closed",
                "next": "sales"},
        "sales": {"type": "queue", "queue": "sales"},
        "closed": {"type": "hangup", "prompt": "goodbye"},
    }}
    world = {"schedules_open": True, "lookup_ok": True, "lookup_values": {"n": "7"},
             "caller_number": "600100200"}
    walk = client.post(f"/flows/{flow_id}/test",
                       json={"definition": flow, "keys": "12", "world": world}).json
    assert ("lookup", "GET http://crm/600100200") in [(s["kind"], s["text"]) for s in walk["steps"]]
    assert not walk["finished"] and walk["node"] == "pin" and "waiting" in walk["waiting"]
    walk = client.post(f"/flows/{flow_id}/test",
                       json={"definition": flow, "keys": "12.", "world": world}).json
    assert walk["node"] == "sales" and walk["variables"]["pin"] == "12"
    closed = client.post(f"/flows/{flow_id}/test", json={
        "definition": flow, "keys": "", "world": {**world, "schedules_open": False}}).json
    assert closed["node"] == "closed" and closed["finished"]
    failed = client.post(f"/flows/{flow_id}/test", json={
        "definition": flow, "keys": "", "world": {**world, "lookup_ok": False}}).json
    assert failed["node"] == "closed"
    assert any(s["kind"] == "note" and "lookup" in s["text"] for s in failed["steps"])


def test_test_mode_refuses_keys_that_are_not_on_a_phone(client, logged_in, db):
    flow_id = make_flow(client)
    answer = client.post(f"/flows/{flow_id}/test",
                         json={"definition": sync.get_flow(db, flow_id).definition, "keys": "1x"})
    assert answer.status_code == 400 and answer.json["field"] == "keys"


def test_flow_pages_need_a_login(client, auth):
    auth.setup()
    auth.logout()
    assert client.get("/flows").status_code == 302
    assert client.post("/flows/1/test", json={}).status_code == 302
