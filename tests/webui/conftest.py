"""Fixtures for the web UI: an app on a fresh store, a fake daemon, and login actions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webui_support import PASSWORD, PORTS, FakeDaemon, make_app
from werkzeug.test import TestResponse

from firmware.store import sync


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = make_app(tmp_path)
    conn = sync.connect(app.config["DATABASE"])
    sync.record_card_ports(conn, PORTS)
    conn.close()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Iterator[sqlite3.Connection]:
    conn = sync.connect(app.config["DATABASE"])
    yield conn
    conn.close()


@pytest.fixture
def daemon(app: Flask) -> Iterator[FakeDaemon]:
    with FakeDaemon(Path(app.config["CONTROL_SOCKET"])) as fake:
        yield fake


class AuthActions:
    """Set the admin password, log in and out, as a technician's browser would."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def setup(self, password: str = PASSWORD) -> TestResponse:
        return self._client.post("/setup", data={"password": password, "confirm": password})

    def login(self, password: str = PASSWORD, **kwargs: Any) -> TestResponse:
        return self._client.post("/login", data={"password": password}, **kwargs)

    def logout(self) -> TestResponse:
        return self._client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def logged_in(auth: AuthActions) -> AuthActions:
    """A box whose admin password is set, with this client logged in."""
    response = auth.setup()
    assert response.status_code == 302
    return auth
