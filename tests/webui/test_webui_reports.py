"""The reports page, its CSV downloads, its settings, and the dashboard's "Today so far".

The box's time zone for reports is Europe/Warsaw; now is 2 Jan 2026, 12:00 there.
sales: T 20 s (the queue's default), 5 s wrap-up.
1 Jan: r1 answered after 10 s by Anna (talks 100 s, wrap-up 5 s); r2 gives up after 30 s.
2 Jan: t1 answered after 30 s by Anna (talks 60 s); t2 gives up after 2 s (a short abandon);
       t3 is still waiting.
"""

import csv
import io
import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webui_support import PORTS, make_app

from firmware.kpi.definitions import DEFINITIONS
from firmware.kpi.settings import FCR_WINDOW_KEY, SHORT_ABANDON_KEY, TIMEZONE_KEY
from firmware.store import rows, sync
from firmware.store.models import AgentStateEntry, QueueLogEntry
from hal.clock import ManualClock

WARSAW = ZoneInfo("Europe/Warsaw")


def at(day, hour, minute=0, second=0):
    return datetime(2026, 1, day, hour, minute, second, tzinfo=WARSAW).timestamp()


NOW = at(2, 12)
LOG = [
    (at(1, 9), "r1", "sales", None, "enter", "600100200"),
    (at(1, 9, 0, 10), "r1", "sales", "Anna", "answer", None),
    (at(1, 9, 1, 50), "r1", "sales", "Anna", "complete", None),
    (at(1, 9, 1, 55), "r1", "sales", "Anna", "wrapup", "5"),
    (at(1, 14), "r2", "sales", None, "enter", "600100300"),
    (at(1, 14, 0, 30), "r2", "sales", None, "abandon", None),
    (at(2, 10), "t1", "sales", None, "enter", "600100400"),
    (at(2, 10, 0, 30), "t1", "sales", "Anna", "answer", None),
    (at(2, 10, 1, 30), "t1", "sales", "Anna", "complete", None),
    (at(2, 11), "t2", "sales", None, "enter", "600100500"),
    (at(2, 11, 0, 2), "t2", "sales", None, "abandon", None),
    (at(2, 11, 59), "t3", "sales", None, "enter", "600100600"),
]
STATES = [
    (at(2, 8), "Anna", "available", None),
    (at(2, 10, 0, 30), "Anna", "on-call", None),
    (at(2, 10, 1, 30), "Anna", "available", None),
]


@pytest.fixture
def app(tmp_path) -> Flask:
    app = make_app(tmp_path, CLOCK=ManualClock(epoch=NOW))
    conn = sync.connect(app.config["DATABASE"])
    sync.record_card_ports(conn, PORTS)
    sync.set_setting(conn, TIMEZONE_KEY, "Europe/Warsaw")
    sync.save_agent(conn, {"name": "Anna", "extension": "101", "port": "fxs1"})
    sync.save_queue(conn, {"name": "sales", "members": ["Anna"], "wrapup": 5})
    sync.save_queue(conn, {"name": "support"})
    for row in LOG:
        conn.execute(rows.QUEUE_LOG_INSERT, rows.queue_log_params(QueueLogEntry(*row)))
    for row in STATES:
        conn.execute(rows.AGENT_STATE_INSERT, rows.agent_state_params(AgentStateEntry(*row)))
    conn.close()
    return app


def table_rows(client: FlaskClient, name: str, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/reports/{name}.csv{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_page_shows_today_by_default_with_every_table(client: FlaskClient, logged_in) -> None:
    page = client.get("/reports").get_data(as_text=True)
    assert 'value="2026-01-02"' in page
    for title in ("Per queue", "Per agent", "Per hour", "Per day"):
        assert title in page
    assert "Per client" not in page  # no queue belongs to a client yet
    # Today's sales: t1 answered after 30 s (outside 20 s); t2 short; t3 waiting.
    assert "0.0 %" in page and "0:30" in page


def test_every_kpi_heading_carries_its_definition_as_a_tooltip(
    client: FlaskClient, logged_in
) -> None:
    page = client.get("/reports").get_data(as_text=True)
    for key in ("offered", "service_level", "asa", "aht", "max_wait", "occupancy", "fcr",
                "short_abandoned"):
        text = DEFINITIONS[key].replace("'", "&#39;")
        assert f'title="{text}"' in page, key


def test_a_chosen_range_of_days_is_reported(client: FlaskClient, logged_in) -> None:
    (sales, support) = table_rows(client, "queues", "?from=2026-01-01&to=2026-01-01")
    assert sales["queue"] == "sales" and support["queue"] == "support"
    assert (sales["offered"], sales["answered"], sales["abandoned"]) == ("2", "1", "1")
    assert sales["service_level"] == "0.5"
    assert (sales["asa"], sales["aht"], sales["max_wait"]) == ("10", "105", "30")
    assert support["offered"] == "0" and support["service_level"] == ""
    both = table_rows(client, "days", "?from=2026-01-01&to=2026-01-02")
    assert [d["day"] for d in both] == ["2026-01-01", "2026-01-02"]
    assert [d["offered"] for d in both] == ["2", "1"]


def test_the_csv_of_today_by_queue_holds_the_hand_worked_figures(
    client: FlaskClient, logged_in
) -> None:
    response = client.get("/reports/queues.csv")
    assert 'filename="queues-2026-01-02-2026-01-02.csv"' in response.headers[
        "Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == ("queue,offered,answered,abandoned,short_abandoned,timed_out,exited,"
                        "waiting,service_level,asa,aht,max_wait,fcr")
    assert lines[1] == "sales,1,1,0,1,0,0,1,0,30,65,30,"


def test_hours_run_from_local_midnight_to_now(client: FlaskClient, logged_in) -> None:
    hours = table_rows(client, "hours")
    assert [h["hour"] for h in hours][:2] == ["2026-01-02 00:00", "2026-01-02 01:00"]
    assert hours[-1]["hour"] == "2026-01-02 11:00"
    ten = next(h for h in hours if h["hour"] == "2026-01-02 10:00")
    assert (ten["answered"], ten["occupancy"]) == ("1", f"{60 / 3600:.4f}".rstrip("0"))


def test_agents_table_counts_each_agents_calls(client: FlaskClient, logged_in) -> None:
    (anna,) = table_rows(client, "agents", "?from=2026-01-01&to=2026-01-02")
    assert (anna["agent"], anna["answered"], anna["talk"]) == ("Anna", "2", "160")


def test_a_name_that_a_spreadsheet_would_run_is_written_as_text(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    db.execute(rows.QUEUE_LOG_INSERT, rows.queue_log_params(
        QueueLogEntry(at(2, 9, 0, 5), "t0", "sales", "=HYPERLINK(1)", "ring-no-answer", None)))
    names = [a["agent"] for a in table_rows(client, "agents")]
    assert "'=HYPERLINK(1)" in names


def test_a_table_that_does_not_exist_is_404(client: FlaskClient, logged_in) -> None:
    assert client.get("/reports/nothing.csv").status_code == 404


@pytest.mark.parametrize(("query", "field", "message"), [
    ("?from=yesterday", "from", "must be a date"),
    ("?from=2026-01-02&to=2026-01-01", "to", "must not be before"),
    ("?from=2025-01-01&to=2025-12-31", "to", "at most 62 days"),
])
def test_a_bad_period_is_named_beside_its_field(
    client: FlaskClient, logged_in, query: str, field: str, message: str
) -> None:
    response = client.get(f"/reports{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page


def test_saved_settings_change_what_counts(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    response = client.post("/reports/settings", data={
        "short_abandon_seconds": "0", "fcr_window_hours": "12", "timezone": "Europe/Warsaw"})
    assert response.status_code == 302
    assert sync.get_setting(db, FCR_WINDOW_KEY) == repr(12 * 3600.0)
    (sales, _) = table_rows(client, "queues")
    # With no short-abandon threshold, t2's 2 s give-up is an abandon.
    assert (sales["offered"], sales["abandoned"], sales["short_abandoned"]) == ("2", "1", "0")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("timezone", "Mars/Olympus", "not a time zone"),
    ("fcr_window_hours", "0", "longer than zero"),
    ("short_abandon_seconds", "soon", "number of seconds"),
])
def test_a_refused_setting_is_named_and_nothing_is_stored(
    client: FlaskClient, logged_in, db: sqlite3.Connection, field: str, value: str, message: str
) -> None:
    data = {"short_abandon_seconds": "9", "fcr_window_hours": "48",
            "timezone": "Europe/Warsaw", field: value}
    response = client.post("/reports/settings", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert sync.get_setting(db, SHORT_ABANDON_KEY) is None


def test_today_json_gives_each_queues_figures_so_far(client: FlaskClient, logged_in) -> None:
    body = client.get("/reports/today.json").json
    assert body["date"] == "2026-01-02"
    sales, support = body["queues"]
    assert sales == {"name": "sales", "offered": 1, "answered": 1, "abandoned": 0,
                     "waiting": 1, "service_level": 0.0, "asa": 30.0}
    assert support["name"] == "support" and support["service_level"] is None


def test_reports_need_a_login(client: FlaskClient, logged_in) -> None:
    logged_in.logout()
    for url in ("/reports", "/reports/today.json", "/reports/queues.csv"):
        assert client.get(url).status_code == 302, url


def test_the_dashboard_has_a_today_panel_that_polls_the_figures(
    client: FlaskClient, logged_in
) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'data-today-url="/reports/today.json"' in page
    assert "today.js" in page
    assert client.get("/static/today.js").status_code == 200


def test_a_queue_owned_by_a_client_adds_a_per_client_table(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    db.execute("INSERT INTO clients (name) VALUES ('Acme')")
    db.execute("UPDATE queues SET client_id = (SELECT id FROM clients) WHERE name = 'sales'")
    assert "Per client" in client.get("/reports").get_data(as_text=True)
    acme, nobody = table_rows(client, "clients", "?from=2026-01-01&to=2026-01-01")
    assert (acme["client"], acme["offered"]) == ("Acme", "2")
    assert (nobody["client"], nobody["offered"]) == ("(no client)", "0")
