"""The capacity page: a forecast per hour in, agents needed per hour out (simulated, Erlang C)."""

import re
import sqlite3

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webui_support import PORTS, make_app

from firmware.erlang import agents_needed, offered_load
from firmware.store import rows, sync
from firmware.store.models import QueueLogEntry
from hal.clock import ManualClock

NOW = 1_767_600_000.0


@pytest.fixture
def app(tmp_path) -> Flask:
    app = make_app(tmp_path, CLOCK=ManualClock(epoch=NOW))
    conn = sync.connect(app.config["DATABASE"])
    sync.record_card_ports(conn, PORTS)
    sync.save_queue(conn, {"name": "sales", "service_level": 25, "wrapup": 10})
    sync.save_queue(conn, {"name": "support"})
    conn.close()
    return app


def form(**changes: str) -> dict[str, str]:
    data = {f"h{hour:02d}": "0" for hour in range(24)}
    data.update({"queue": "sales", "aht": "150", "target_seconds": "25",
                 "target_percent": "80", "patience": ""})
    data.update(changes)
    return data


def test_the_form_starts_from_the_queues_target_and_its_recent_handle_time(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    page = client.get("/capacity?queue=sales").get_data(as_text=True)
    assert 'id="target_seconds" name="target_seconds" value="25"' in page
    assert 'id="aht" name="aht" value="180"' in page  # nothing seen yet: the usual guess
    for time, event, data in ((NOW - 3600, "enter", "600100200"), (NOW - 3590, "answer", None),
                              (NOW - 3390, "complete", None), (NOW - 3380, "wrapup", "10")):
        db.execute(rows.QUEUE_LOG_INSERT, rows.queue_log_params(
            QueueLogEntry(time, "c1", "sales", "Anna", event, data)))
    page = client.get("/capacity?queue=sales").get_data(as_text=True)
    assert 'id="aht" name="aht" value="210"' in page  # 200 s talk + 10 s wrap-up
    assert "Prefilled from the last 7 days" in page


def test_the_erlang_column_is_agents_needed_for_each_hour(
    client: FlaskClient, logged_in
) -> None:
    response = client.post("/capacity", data=form(h09="40", h10="120", h11="7"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    erlang = dict(re.findall(r'<th scope="row">(\d\d):00</th>.*?<td class="erlang">(\d+)</td>',
                             page, re.S))
    assert len(erlang) == 24
    for hour, calls in (("09", 40), ("10", 120), ("11", 7)):
        expected = agents_needed(offered_load(calls, 150), 150, 25, 0.8)
        assert int(erlang[hour]) == expected
    assert erlang["03"] == "0"
    # Hours with calls are simulated by the page's script, one request each.
    assert page.count("data-hour-url=") == 3
    assert "capacity.js" in page


def test_a_simulated_hour_comes_back_as_json_and_then_shows_in_the_page(
    client: FlaskClient, logged_in
) -> None:
    page = client.post("/capacity", data=form(h09="20")).get_data(as_text=True)
    url = re.search(r'data-hour-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    body = client.get(url).json
    assert body["erlang_agents"] == agents_needed(offered_load(20, 150), 150, 25, 0.8)
    assert body["reached"] and body["service_level"] >= 0.8
    assert abs(body["agents"] - body["erlang_agents"]) <= 1
    again = client.post("/capacity", data=form(h09="20")).get_data(as_text=True)
    assert "data-hour-url=" not in again
    assert f'<td class="simulated">{body["agents"]} (' in again


def test_a_pasted_row_fills_the_hours(client: FlaskClient, logged_in) -> None:
    row = "\t".join(["0"] * 8 + ["30", "60"] + ["0"] * 14)
    page = client.post("/capacity", data=form(paste=row)).get_data(as_text=True)
    assert 'id="h09" name="h09" value="60"' in page
    assert page.count("data-hour-url=") == 2


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"h09": "lots"}, "h09", "must be a number of calls"),
    ({"h17": "-3"}, "h17", "from 0 to"),
    ({"aht": ""}, "aht", "is required"),
    ({"aht": "8"}, "aht", "longer than the queue&#39;s wrap-up"),
    ({"target_percent": "100"}, "target_percent", "a percentage"),
    ({"patience": "never"}, "patience", "a number of seconds"),
    ({"paste": "1 2 3"}, "paste", "it holds 3"),
    ({"paste": " ".join(["1"] * 5 + ["x"] + ["1"] * 18)}, "paste", "05:00"),
])
def test_an_error_in_the_form_is_named_beside_its_field(
    client: FlaskClient, logged_in, changes: dict[str, str], field: str, message: str
) -> None:
    response = client.post("/capacity", data=form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    error = re.search(rf'id="{field}-error">([^<]*)<', page).group(1)
    assert message in error
    assert "data-hour-url=" not in page


def test_every_error_is_shown_at_once(client: FlaskClient, logged_in) -> None:
    page = client.post("/capacity", data=form(h01="a", h02="b", aht="x")).get_data(as_text=True)
    for field in ("h01", "h02", "aht"):
        assert f'id="{field}-error"' in page


def test_the_hour_endpoint_refuses_bad_input_with_the_field(
    client: FlaskClient, logged_in
) -> None:
    response = client.get("/capacity/hour.json?queue=sales&calls=x&aht=150"
                          "&target_seconds=20&target_percent=80")
    assert response.status_code == 400
    assert response.json["field"] == "calls"
    missing = client.get("/capacity/hour.json?queue=nope&calls=5&aht=150"
                         "&target_seconds=20&target_percent=80")
    assert missing.status_code == 404


def test_without_queues_the_page_says_where_to_add_one(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    for queue in sync.list_queues(db):
        sync.delete_queue(db, queue.id)
    page = client.get("/capacity").get_data(as_text=True)
    assert "There are no queues yet" in page
