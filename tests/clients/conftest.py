"""Fixtures of the clients tests: a store with queues, flows and routes; the web UI; a daemon."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from clients_support import PASSWORD, PORTS, make_app
from flask import Flask
from flask.testing import FlaskClient

from firmware.store import sync, trunk_sync


def seed(conn: sqlite3.Connection) -> None:
    """Two agents, queues sales and support, flow main, routes on fxo1/fxo2 and two DIDs."""
    sync.record_card_ports(conn, PORTS)
    sync.seed_defaults(conn, ["fxs1", "fxs2"], ["fxo1", "fxo2"])
    trunk_sync.save_did_route(conn, {"did": "221000001", "destination": "queue:sales"})
    trunk_sync.save_did_route(conn, {"did": "*", "destination": "ivr:main"})


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = sync.connect(str(tmp_path / "centrala.db"))
    seed(connection)
    yield connection
    connection.close()


@pytest.fixture
def app(tmp_path: Path, conn: sqlite3.Connection) -> Flask:
    return make_app(tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    """The web UI with the admin password set and the admin logged in."""
    response = client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    return client
