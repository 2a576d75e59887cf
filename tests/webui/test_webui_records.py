"""The calls log and the queue log: newest first, 50 to a page, local time and m:ss."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from flask.testing import FlaskClient

from firmware.store import rows
from firmware.store.models import Cdr, QueueLogEntry

EPOCH = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def _add_calls(db: sqlite3.Connection, count: int) -> None:
    for n in range(count):
        start = EPOCH + n * 600
        cdr = Cdr(
            call_id=f"call-{n}",
            start=start,
            answer=start + 5,
            end=start + 5 + 125,
            port="fxo1",
            direction="in",
            caller_number=f"6001{n:05d}",
            caller_name=None,
            destination="queue:sales",
            queue="sales",
            agent="Anna",
            disposition="answered",
            duration=130.0,
            billsec=125.0,
        )
        db.execute(rows.CDR_INSERT, rows.cdr_params(cdr))


def test_cdr_pages_hold_fifty_calls_newest_first(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    _add_calls(db, 60)
    first = client.get("/cdr").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "600100059" in first and "600100010" in first
    assert "600100009" not in first
    assert first.index("600100059") < first.index("600100010")
    second = client.get("/cdr?page=2").get_data(as_text=True)
    assert "600100009" in second and "600100000" in second
    assert "600100010" not in second


def test_cdr_shows_local_time_and_minutes_seconds(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    _add_calls(db, 1)
    page = client.get("/cdr").get_data(as_text=True)
    local = datetime.fromtimestamp(EPOCH).strftime("%Y-%m-%d %H:%M:%S")
    assert local in page
    assert "2:10" in page and "2:05" in page


def test_cdr_page_past_the_end_shows_the_last_page(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    _add_calls(db, 3)
    page = client.get("/cdr?page=9").get_data(as_text=True)
    assert "Page 1 of 1" in page
    assert "600100002" in page


def test_queue_log_pages_hold_fifty_entries_newest_first(
    client: FlaskClient, logged_in, db: sqlite3.Connection
) -> None:
    for n in range(55):
        entry = QueueLogEntry(EPOCH + n, f"call-{n:03d}", "sales", None, "enter", None)
        db.execute(rows.QUEUE_LOG_INSERT, rows.queue_log_params(entry))
    first = client.get("/queue-log").get_data(as_text=True)
    assert "call-054" in first and "call-005" in first and "call-004" not in first
    assert first.index("call-054") < first.index("call-005")
    assert "?page=2" in first
    second = client.get("/queue-log?page=2").get_data(as_text=True)
    assert "call-004" in second and "call-000" in second and "call-005" not in second
    assert "?page=3" not in second
    assert client.get("/queue-log?page=3").status_code == 404


def test_empty_logs_say_so(client: FlaskClient, logged_in) -> None:
    assert "No calls recorded yet" in client.get("/cdr").get_data(as_text=True)
    assert "No queue events recorded yet" in client.get("/queue-log").get_data(as_text=True)
