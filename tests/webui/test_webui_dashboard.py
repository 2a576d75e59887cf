"""The live view: rendered from the daemon's status, and plain about a stopped daemon."""

from __future__ import annotations

from flask.testing import FlaskClient
from webui_support import STATUS, FakeDaemon


def test_dashboard_renders_lines_calls_queues_agents_from_the_service(
    client: FlaskClient, logged_in, daemon: FakeDaemon
) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "The call-center service is not running" in page  # present but hidden
    assert 'id="daemon-down" class="banner banner-bad" role="alert" hidden' in page
    assert "no battery" in page  # the alarm of fxo2
    assert "600100200 (Jan Kowalski)" in page
    assert "1:12" in page  # the call's 72 s
    assert "0:12" in page  # the queue's longest wait
    assert "2:00" in page  # the agent on a call since 5 s, at uptime 125 s
    assert "agents[2].port: unknown port &#39;fxs9&#39;" in page
    assert "status" in daemon.commands


def test_dashboard_says_plainly_when_the_service_is_not_running(
    client: FlaskClient, logged_in
) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'id="daemon-down" class="banner banner-bad" role="alert">' in page
    assert "The call-center service is not running" in page
    assert "Jan Kowalski" not in page


def test_dashboard_loads_its_script_from_the_box(client: FlaskClient, logged_in) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'src="/static/dashboard.js"' in page
    assert "http://" not in page and "https://" not in page
    script = client.get("/static/dashboard.js")
    assert script.status_code == 200
    assert "/api/v1/status" not in script.get_data(as_text=True)  # the URL comes from the page
    assert 'data-status-url="/api/v1/status"' in page


def test_status_api_relays_the_service_status(
    client: FlaskClient, logged_in, daemon: FakeDaemon
) -> None:
    response = client.get("/api/v1/status")
    assert response.status_code == 200
    assert response.json == STATUS


def test_status_api_answers_503_while_the_service_is_not_running(
    client: FlaskClient, logged_in
) -> None:
    response = client.get("/api/v1/status")
    assert response.status_code == 503
    assert response.json["error"] == "daemon not running"


def test_calls_api_relays_calls_in_progress(
    client: FlaskClient, logged_in, daemon: FakeDaemon
) -> None:
    assert client.get("/api/v1/calls").json == {"calls": STATUS["calls"]}


def test_events_relays_live_events_as_server_sent_events(
    client: FlaskClient, logged_in, daemon: FakeDaemon
) -> None:
    daemon.events = [
        {"type": "call-started", "call_id": "c7", "caller_number": "600100200"},
        {"type": "call-ended", "call_id": "c7"},
    ]
    response = client.get("/events")
    assert response.mimetype == "text/event-stream"
    body = response.get_data(as_text=True)
    assert "event: call-started\ndata: " in body
    assert '"call_id": "c7"' in body
    assert body.index("call-started") < body.index("call-ended")
    assert "subscribe" in daemon.commands


def test_events_says_when_the_service_is_not_running(client: FlaskClient, logged_in) -> None:
    body = client.get("/events").get_data(as_text=True)
    assert "event: daemon-down" in body
    assert "daemon not running" in body
