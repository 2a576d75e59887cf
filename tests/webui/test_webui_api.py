"""The REST API: bearer tokens, CSRF for browser sessions, errors, and its OpenAPI document."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from webui_support import PASSWORD, csrf_token_of, make_app

from firmware.store import rows, sync
from firmware.store.models import Cdr

ANNA = {"name": "Anna", "extension": "101", "port": "fxs1"}


def _token(client: FlaskClient) -> str:
    page = client.post("/settings/api-token").get_data(as_text=True)
    match = re.search(r'<code class="token" id="api-token">([^<]+)</code>', page)
    assert match is not None
    return match.group(1)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_agents_crud_with_a_bearer_token(
    app: Flask, client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    token = _token(client)
    logged_in.logout()
    api = app.test_client()  # no cookies at all: the token alone opens the door
    headers = _bearer(token)

    created = api.post("/api/v1/agents", json=ANNA, headers=headers)
    assert created.status_code == 201
    agent = created.json
    assert agent == {
        **ANNA, "id": agent["id"], "logged_in": True, "remote_number": "",
        "remote_mode": "per-call",
    }
    assert created.headers["Location"] == f"/api/v1/agents/{agent['id']}"

    assert api.get("/api/v1/agents", headers=headers).json == [agent]
    assert api.get(f"/api/v1/agents/{agent['id']}", headers=headers).json == agent

    changed = {**ANNA, "extension": "111", "logged_in": False}
    updated = api.put(f"/api/v1/agents/{agent['id']}", json=changed, headers=headers)
    assert updated.status_code == 200
    assert updated.json == {
        **changed, "id": agent["id"], "remote_number": "", "remote_mode": "per-call"
    }

    assert api.delete(f"/api/v1/agents/{agent['id']}", headers=headers).status_code == 204
    assert sync.list_agents(db) == []
    missing = api.get(f"/api/v1/agents/{agent['id']}", headers=headers)
    assert missing.status_code == 404
    assert api.delete(f"/api/v1/agents/{agent['id']}", headers=headers).status_code == 404


def test_a_config_error_is_400_naming_the_field_and_saves_nothing(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    headers = _bearer(_token(client))
    response = client.post("/api/v1/agents", json={**ANNA, "port": "fxo1"}, headers=headers)
    assert response.status_code == 400
    assert response.json["field"] == "port"
    assert response.json["error"].startswith("port: ")
    assert sync.list_agents(db) == []


def test_a_body_that_is_not_a_json_object_is_400(client: FlaskClient, logged_in) -> None:
    headers = _bearer(_token(client))
    for body in (b"{not json", b"[1, 2]", b'"Anna"'):
        response = client.post(
            "/api/v1/agents", data=body, content_type="application/json", headers=headers
        )
        assert response.status_code == 400
        assert response.json == {"error": "the request body must be a JSON object", "field": None}


def test_put_of_an_unknown_agent_is_404(client: FlaskClient, logged_in) -> None:
    response = client.put("/api/v1/agents/42", json=ANNA, headers=_bearer(_token(client)))
    assert response.status_code == 404


def test_a_wrong_bearer_token_is_refused_even_with_a_login_session(
    client: FlaskClient, logged_in
) -> None:
    _token(client)
    response = client.get("/api/v1/agents", headers=_bearer("not-the-token"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/agents").status_code == 200  # the session alone still works


def test_a_new_token_replaces_the_old_and_revoking_ends_it(
    app: Flask, client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    first = _token(client)
    stored = sync.get_setting(db, "api_token_hash")
    assert stored is not None and first not in stored
    second = _token(client)
    api = app.test_client()
    assert api.get("/api/v1/queues", headers=_bearer(first)).status_code == 401
    assert api.get("/api/v1/queues", headers=_bearer(second)).status_code == 200
    settings = client.get("/settings").get_data(as_text=True)
    assert second not in settings  # shown once, never again
    client.post("/settings/api-token/delete")
    assert api.get("/api/v1/queues", headers=_bearer(second)).status_code == 401


def test_session_writes_need_the_csrf_header_and_bearer_writes_do_not(tmp_path: Path) -> None:
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token_of(client.get("/setup"))
    client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD, "csrf_token": token})
    token = csrf_token_of(client.get("/settings"))
    page = client.post("/settings/api-token", data={"csrf_token": token}).get_data(as_text=True)
    api_token = re.search(r'id="api-token">([^<]+)<', page)
    assert api_token is not None

    refused = client.post("/api/v1/agents", json=ANNA)
    assert refused.status_code == 400
    assert "CSRF" in refused.json["error"]
    accepted = client.post("/api/v1/agents", json=ANNA, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201

    bearer = app.test_client().post(
        "/api/v1/agents",
        json={**ANNA, "name": "Bob", "extension": "102"},
        headers=_bearer(api_token.group(1)),
    )
    assert bearer.status_code == 201


def test_cdr_api_pages_with_limit_and_offset(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    for n in range(5):
        cdr = Cdr(
            f"c{n}", 1000.0 + n, None, 1010.0 + n, "fxo1", "in", "600", None, None, None, None,
            "abandoned", 10.0, 0.0,
        )
        db.execute(rows.CDR_INSERT, rows.cdr_params(cdr))
    page = client.get("/api/v1/cdr?limit=2&offset=1").json
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [r["call_id"] for r in page["records"]] == ["c3", "c2"]
    assert page["records"][0]["disposition"] == "abandoned"
    bad = client.get("/api/v1/cdr?limit=lots")
    assert bad.status_code == 400 and bad.json["field"] == "limit"
    assert client.get("/api/v1/cdr?offset=-1").json["field"] == "offset"


def test_queues_and_routes_are_listed(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    sync.save_agent(db, ANNA)
    sync.save_queue(db, {"name": "sales", "members": ["Anna"]})
    sync.save_route(db, {"port": "fxo1", "destination": "queue:sales"})
    (queue,) = client.get("/api/v1/queues").json
    assert (queue["name"], queue["strategy"]) == ("sales", "longest-idle")
    assert queue["members"] == ["Anna"]
    (route,) = client.get("/api/v1/routes").json
    assert (route["port"], route["destination"]) == ("fxo1", "queue:sales")


def test_unknown_api_paths_answer_json(client: FlaskClient, logged_in) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert "error" in response.json
    wrong_method = client.patch("/api/v1/agents")
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method.headers["Allow"]


def test_openapi_document_lists_exactly_the_registered_api_routes(
    app: Flask, client: FlaskClient, logged_in
) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    prefix = document["servers"][0]["url"]
    documented = {
        (prefix + path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    registered = {
        (re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == registered
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert {"200", "201", "204"} & operation["responses"].keys(), (path, method)
    text = str(document)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in schemas
