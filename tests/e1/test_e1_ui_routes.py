"""The E1 routing pages: DID routes, trunk groups, outbound routes, and the "try it" boxes."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "webui"))

from webui_support import PASSWORD, FakeDaemon, make_app  # noqa: E402

from firmware.store import sync, trunk_sync  # noqa: E402

PORTS = ["fxs1", "fxs2", "fxo1", "fxo2"] + [
    f"span{n}/b{ts}" for n in (1, 2) for ts in (*range(1, 16), *range(17, 32))
]


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = make_app(tmp_path)
    conn = sync.connect(app.config["DATABASE"])
    sync.record_card_ports(conn, PORTS)
    sync.seed_defaults(conn, ["fxs1", "fxs2"], ["fxo1", "fxo2"])  # flow main, sales, 101, 102
    conn.close()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def db(app: Flask) -> Iterator[sqlite3.Connection]:
    conn = sync.connect(app.config["DATABASE"])
    yield conn
    conn.close()


@pytest.fixture
def daemon(app: Flask) -> Iterator[FakeDaemon]:
    with FakeDaemon(Path(app.config["CONTROL_SOCKET"])) as fake:
        yield fake


def page_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


# --- DID routes -------------------------------------------------------------------------------


def test_did_route_is_saved_and_the_daemon_reloads(client, daemon, db):
    response = client.post("/trunks/dids/new",
                           data={"did": "221234567", "destination": "queue:sales"})
    assert response.status_code == 302
    assert "reload" in daemon.commands
    assert [(r.did, r.destination) for r in trunk_sync.list_did_routes(db)] == [
        ("221234567", "queue:sales")
    ]
    page = page_of(client.get("/trunks"))
    assert "221234567" in page and "queue sales" in page


def test_did_form_offers_flows_queues_and_extensions_with_help(client):
    page = page_of(client.get("/trunks/dids/new"))
    for option in ('value="ivr:main"', 'value="queue:support"', 'value="extension:102"'):
        assert option in page
    assert "* catches every number no other route names" in page
    assert 'name="csrf_token"' in page


def test_did_route_refused_beside_its_field_and_nothing_saved(client, daemon, db):
    response = client.post("/trunks/dids/new", data={"did": "22x", "destination": "queue:sales"})
    assert response.status_code == 400
    page = page_of(response)
    assert '<p class="error" id="did-error">must be 1 to 20 digits, or * for any number' in page
    assert 'value="22x"' in page  # what was typed stays in the form
    response = client.post("/trunks/dids/new", data={"did": "100", "destination": "queue:nope"})
    assert 'id="destination-error">no queue named &#39;nope&#39;' in page_of(response)
    assert trunk_sync.list_did_routes(db) == []
    assert "reload" not in daemon.commands


def test_a_second_route_for_the_same_number_is_refused(client, db):
    trunk_sync.save_did_route(db, {"did": "100", "destination": "ivr:main"})
    response = client.post("/trunks/dids/new", data={"did": "100", "destination": "queue:sales"})
    assert response.status_code == 400
    assert "100 already has a route" in page_of(response)
    assert [r.destination for r in trunk_sync.list_did_routes(db)] == ["ivr:main"]


def test_did_route_is_edited_and_deleted(client, daemon, db):
    route = trunk_sync.save_did_route(db, {"did": "100", "destination": "ivr:main"})
    assert 'value="100"' in page_of(client.get(f"/trunks/dids/{route.id}/edit"))
    response = client.post(f"/trunks/dids/{route.id}/edit",
                           data={"did": "101", "destination": "extension:101"})
    assert response.status_code == 302
    assert [(r.did, r.destination) for r in trunk_sync.list_did_routes(db)] == [
        ("101", "extension:101")
    ]
    assert client.post(f"/trunks/dids/{route.id}/delete").status_code == 302
    assert trunk_sync.list_did_routes(db) == []
    assert client.post(f"/trunks/dids/{route.id}/delete").status_code == 404
    assert client.get("/trunks/dids/999/edit").status_code == 404


def test_try_box_tells_which_route_a_called_number_takes(client, db):
    trunk_sync.save_did_route(db, {"did": "221234567", "destination": "queue:sales"})
    trunk_sync.save_did_route(db, {"did": "221234500", "destination": "extension:101"})
    own = page_of(client.get("/trunks?called=221234567"))
    assert "A call to 221234567 goes to queue sales (its own route)." in own
    none = page_of(client.get("/trunks?called=221239999"))
    assert "No route for 221239999: the call is refused with cause 1" in none
    overlap = page_of(client.get("/trunks?called=2212345"))
    assert "waits for more digits" in overlap
    trunk_sync.save_did_route(db, {"did": "*", "destination": "ivr:main"})
    catch_all = page_of(client.get("/trunks?called=221239999"))
    assert "goes to IVR flow main (the catch-all route *" in catch_all


def test_try_box_refuses_what_is_not_a_number_beside_the_box(client):
    page = page_of(client.get("/trunks?called=22-12"))
    assert 'id="called-error">type 1 to 20 digits' in page
    assert "goes to" not in page


def test_pages_need_a_login(app):
    anonymous = app.test_client()
    assert anonymous.get("/trunks").status_code == 302
    assert anonymous.post("/trunks/dids/new", data={"did": "1"}).status_code == 302


# --- trunk groups -----------------------------------------------------------------------------


def test_trunk_group_keeps_its_members_in_order(client, daemon, db):
    response = client.post("/trunks/groups/new",
                           data={"name": "operator", "members": "span2, span1 fxo1"})
    assert response.status_code == 302
    assert "reload" in daemon.commands
    assert [(g.name, g.members) for g in trunk_sync.list_trunk_groups(db)] == [
        ("operator", ("span2", "span1", "fxo1"))
    ]
    assert "span2, then span1, then fxo1" in page_of(client.get("/trunks"))


def test_group_form_lists_the_card_trunks_in_its_help(client):
    page = page_of(client.get("/trunks/groups/new"))
    assert "This card&#39;s trunks: span1, span2, fxo1, fxo2." in page


def test_a_trunk_not_on_the_card_is_refused_beside_the_members_field(client, daemon, db):
    response = client.post("/trunks/groups/new", data={"name": "x", "members": "span1, span5"})
    assert response.status_code == 400
    assert 'id="members-error">span5 is not on this card' in page_of(response)
    response = client.post("/trunks/groups/new", data={"name": "x", "members": "fxs1"})
    assert "must be a span (span1) or an FXO line (fxo1)" in page_of(response)
    assert trunk_sync.list_trunk_groups(db) == []
    assert "reload" not in daemon.commands


def test_renaming_a_group_carries_its_routes_and_a_used_group_is_not_deleted(client, db):
    group = trunk_sync.save_trunk_group(db, {"name": "operator", "members": "span1"})
    trunk_sync.save_outbound_route(db, {"prefix": "0", "trunk_group": "operator"})
    response = client.post(f"/trunks/groups/{group.id}/edit",
                           data={"name": "orange", "members": "span1, span2"})
    assert response.status_code == 302
    assert [r.trunk_group for r in trunk_sync.list_outbound_routes(db)] == ["orange"]
    response = client.post(f"/trunks/groups/{group.id}/delete", follow_redirects=True)
    assert "was not deleted: trunk group orange is used by the outbound route" in page_of(response)
    assert [g.name for g in trunk_sync.list_trunk_groups(db)] == ["orange"]


# --- outbound routes --------------------------------------------------------------------------


def test_outbound_route_is_saved_with_strip_prepend_and_presentation(client, daemon, db):
    trunk_sync.save_trunk_group(db, {"name": "operator", "members": "span1, fxo1"})
    response = client.post("/trunks/outbound/new", data={
        "prefix": "00", "strip": "2", "prepend": "48", "trunk_group": "operator",
        "calling_number": "221234500", "presentation": "restricted",
    })
    assert response.status_code == 302
    assert "reload" in daemon.commands
    [route] = trunk_sync.list_outbound_routes(db)
    assert (route.prefix, route.strip, route.prepend, route.trunk_group,
            route.calling_number, route.restricted) == (
        "00", 2, "48", "operator", "221234500", True)
    page = page_of(client.get(f"/trunks/outbound/{route.id}/edit"))
    assert '<option value="restricted" selected>' in page


def test_outbound_form_explains_each_field(client, db):
    trunk_sync.save_trunk_group(db, {"name": "operator", "members": "span1"})
    page = page_of(client.get("/trunks/outbound/new"))
    for words in ("the longest matching prefix wins", "leading digits to remove",
                  "put in front", "in the group&#39;s order", "The number the far end sees",
                  "may see the calling number"):
        assert words in page
    assert '<option value="operator">operator: span1</option>' in page


def test_outbound_route_refused_beside_its_field_and_nothing_saved(client, daemon, db):
    trunk_sync.save_trunk_group(db, {"name": "operator", "members": "span1"})
    cases = [
        ({"strip": "16"}, "strip", "must be a whole number from 0 to 15"),
        ({"prepend": "+48"}, "prepend", "must be up to 15 digits"),
        ({"calling_number": "22 123"}, "calling_number", "must be 1 to 20 digits, or empty"),
        ({"trunk_group": "nope"}, "trunk_group", "no trunk group named &#39;nope&#39;"),
        ({"presentation": "maybe"}, "presentation", "must be one of allowed, restricted"),
    ]
    for change, field, words in cases:
        data = {"prefix": "0", "strip": "0", "prepend": "", "trunk_group": "operator",
                "calling_number": "", "presentation": "allowed", **change}
        response = client.post("/trunks/outbound/new", data=data)
        assert response.status_code == 400, field
        assert f'id="{field}-error">{words}' in page_of(response), field
    assert trunk_sync.list_outbound_routes(db) == []
    assert "reload" not in daemon.commands


def test_empty_prefix_is_the_route_for_any_number_and_is_deleted(client, daemon, db):
    trunk_sync.save_trunk_group(db, {"name": "operator", "members": "span1"})
    response = client.post("/trunks/outbound/new", data={
        "prefix": "", "strip": "", "prepend": "", "trunk_group": "operator",
        "calling_number": "", "presentation": "allowed",
    })
    assert response.status_code == 302
    [route] = trunk_sync.list_outbound_routes(db)
    assert (route.prefix, route.strip, route.calling_number) == ("", 0, None)
    assert "any number" in page_of(client.get("/trunks"))
    assert client.post(f"/trunks/outbound/{route.id}/delete").status_code == 302
    assert trunk_sync.list_outbound_routes(db) == []


def test_try_box_shows_route_dialled_number_trunks_and_presentation(client, db):
    trunk_sync.save_trunk_group(db, {"name": "operator", "members": "span1, fxo1"})
    trunk_sync.save_trunk_group(db, {"name": "mobile", "members": "span2"})
    trunk_sync.save_outbound_route(db, {"prefix": "0", "trunk_group": "operator", "strip": "1"})
    trunk_sync.save_outbound_route(db, {
        "prefix": "06", "trunk_group": "mobile", "strip": "1", "prepend": "48",
        "calling_number": "221234500",
    })
    page = page_of(client.get("/trunks?dialled=0601234567"))
    assert ("A call to 0601234567 takes prefix 06: 48601234567 is dialled through trunk group "
            "mobile (span2); the far end sees 221234500.") in page
    page = page_of(client.get("/trunks?dialled=0221234567"))
    assert ("takes prefix 0: 221234567 is dialled through trunk group operator "
            "(span1, then fxo1); the far end sees the trunk&#39;s own number.") in page
    page = page_of(client.get("/trunks?dialled=112"))
    assert "No outbound route for 112: the call cannot be placed." in page
