"""GET /api/v1/spans: the spans' live status from the daemon, and its OpenAPI description."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "webui"))

from webui_support import PASSWORD, FakeDaemon, make_app  # noqa: E402

from firmware.store import sync  # noqa: E402

SPAN = {
    "name": "span1", "role": "te", "signalling": "ISDN PRI (CCS)", "dchannel": "up",
    "alarms": ["RAI"], "alarm_words": ["yellow alarm: remote alarm (RAI), the far end "
                                       "receives nothing from us"],
    "summary": "yellow alarm: remote alarm (RAI), the far end receives nothing from us",
    "clock_source": True, "counters": {"bpv": 0, "crc_errors": 7, "slips": None},
    "frames_in": 10, "frames_out": 11, "link_changes": 1,
    "trace": {"running": False, "frames": 0},
    "channels": [{"name": "span1/b1", "timeslot": 1, "state": "idle", "direction": None,
                  "called": None, "calling": None, "call_id": None, "q931_state": None}],
}


class SpansDaemon(FakeDaemon):
    def answer(self, request_id: Any, cmd: str) -> dict[str, Any]:
        if cmd == "spans":
            return {"id": request_id, "ok": True, "result": {"spans": [SPAN]}}
        return super().answer(request_id, cmd)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    app = make_app(tmp_path)
    conn = sync.connect(app.config["DATABASE"])
    sync.record_card_ports(conn, ["fxs1", "fxo1", "span1/b1"])
    conn.close()
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    client = app.test_client()
    response = client.post("/setup", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def daemon(app: Flask) -> Iterator[SpansDaemon]:
    with SpansDaemon(Path(app.config["CONTROL_SOCKET"])) as fake:
        yield fake


def test_spans_endpoint_returns_the_daemon_live_view(client, daemon):
    response = client.get("/api/v1/spans")
    assert response.status_code == 200
    assert response.get_json() == {"spans": [SPAN]}
    assert daemon.commands == ["spans"]


def test_spans_endpoint_says_503_when_the_service_is_down(client):
    response = client.get("/api/v1/spans")
    assert response.status_code == 503
    assert "not running" in response.get_json()["error"]


def test_spans_endpoint_needs_authentication(app, client):
    assert app.test_client().get("/api/v1/spans").status_code == 401


def test_openapi_describes_the_spans_endpoint_and_every_field_it_returns(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/spans"]["get"]
    assert {"200", "401", "503"} <= operation["responses"].keys()
    schema = document["components"]["schemas"]["Span"]
    assert set(SPAN) <= schema["properties"].keys()
    assert set(schema["required"]) <= set(SPAN)
    channel = schema["properties"]["channels"]["items"]["properties"]
    assert set(SPAN["channels"][0]) <= channel.keys()
