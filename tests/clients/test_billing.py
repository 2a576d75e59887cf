"""The billing report per client on a hand-made set of call records.

Rounding rules under test (firmware.store.billing): talk time rounded up to
the increment call by call, each call's amount rounded half up to the cent,
the total the sum of the calls' amounts, unanswered calls free.
"""

from __future__ import annotations

import csv
import decimal
import io
import sqlite3

import pytest

from firmware.store import rows
from firmware.store.billing import billed_seconds, billing_report, report_csv
from firmware.store.clients import Client, save_client
from firmware.store.models import Cdr, ConfigError

DAY = 1_767_225_600.0  # 2026-01-01 00:00 UTC
D = decimal.Decimal


def add_cdr(
    conn: sqlite3.Connection, call_id: str, start: float, billsec: float | None,
    port: str = "fxo1", caller: str = "600100200", queue: str | None = "sales",
) -> int:
    """One record: answered after 10 s with ``billsec`` of talk, or abandoned (None)."""
    answered = billsec is not None
    talk = billsec or 0.0
    cdr = Cdr(
        call_id, start, start + 10 if answered else None, start + 10 + talk, port, "in", caller,
        None, "ivr:main", queue, "Agent 1" if answered else None,
        "answered" if answered else "abandoned", 10 + talk, talk,
    )
    cursor = conn.execute(rows.CDR_INSERT, rows.cdr_params(cdr))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def make_records(conn: sqlite3.Connection) -> None:
    add_cdr(conn, "c1", DAY, 61.0)  # 2 started minutes
    add_cdr(conn, "c2", DAY + 100, 60.0)  # exactly 1 minute
    add_cdr(conn, "c3", DAY + 200, 0.0)  # answered and hung up at once: nothing to bill
    add_cdr(conn, "c4", DAY + 300, None)  # abandoned: listed, free
    add_cdr(conn, "c5", DAY + 400, 300.0, port="fxo2", queue="support")  # another client
    add_cdr(conn, "c6", DAY - 1, 30.0)  # before the period
    add_cdr(conn, "c7", DAY + 86_400, 30.0)  # the first second after it


def acme(conn: sqlite3.Connection, **billing: object) -> Client:
    return save_client(conn, {"name": "Acme", "lines": ["fxo1"], "billing": billing})


@pytest.mark.parametrize("billsec, increment, expected", [
    (61.0, 60, 120), (60.0, 60, 60), (0.0, 60, 0), (0.001, 60, 60),
    (61.2, 1, 62), (29.999, 30, 30), (30.001, 30, 60),
])
def test_talk_time_is_rounded_up_to_the_increment(billsec, increment, expected) -> None:
    assert billed_seconds(billsec, increment) == expected


def test_per_minute_bills_every_started_minute_of_the_clients_answered_calls(
    conn: sqlite3.Connection,
) -> None:
    make_records(conn)
    client = acme(conn, pricing="per-minute", price="0.45", currency="PLN", increment=60)
    report = billing_report(conn, client, DAY, DAY + 86_400)
    assert [line.cdr.call_id for line in report.lines] == ["c1", "c2", "c3", "c4"]
    assert [line.billed_seconds for line in report.lines] == [120, 60, 0, 0]
    assert [line.amount for line in report.lines] == [D("0.90"), D("0.45"), D("0.00"),
                                                      D("0.00")]
    assert [line.billed for line in report.lines] == [True, True, True, False]
    assert (report.calls, report.billed_calls, report.billed_seconds) == (4, 3, 180)
    assert report.total == D("1.35")


def test_a_half_cent_rounds_up_on_each_call_and_the_total_adds_the_calls(
    conn: sqlite3.Connection,
) -> None:
    add_cdr(conn, "c1", DAY, 61.2)  # 62 s at 0.45/min = 0.465 exactly
    add_cdr(conn, "c2", DAY + 60, 61.2)
    client = acme(conn, pricing="per-minute", price="0.45", increment=1)
    report = billing_report(conn, client, DAY, DAY + 3600)
    assert [line.amount for line in report.lines] == [D("0.47"), D("0.47")]
    # Not 0.93 (the rounded sum of exact amounts): the lines add up to the total.
    assert report.total == D("0.94")


def test_per_call_bills_each_answered_call_once(conn: sqlite3.Connection) -> None:
    make_records(conn)
    client = acme(conn, pricing="per-call", price="2.5", currency="EUR")
    report = billing_report(conn, client, DAY, DAY + 86_400)
    assert [line.amount for line in report.lines] == [D("2.50"), D("2.50"), D("2.50"),
                                                      D("0.00")]
    assert report.billed_seconds == 0
    assert report.total == D("7.50")


def test_the_csv_has_one_row_per_call_that_adds_up_to_the_total(
    conn: sqlite3.Connection,
) -> None:
    make_records(conn)
    add_cdr(conn, "c8", DAY + 500, 5.0, caller="=HYPERLINK(1)")
    conn.execute(
        "INSERT INTO call_dispositions (cdr_id, call_id, agent, client, code, time) "
        "SELECT id, call_id, agent, 'Acme', 'sale', 0 FROM cdr WHERE call_id = 'c1'"
    )
    client = acme(conn, pricing="per-minute", price="0.45")
    report = billing_report(conn, client, DAY, DAY + 86_400)
    text = report_csv(report, lambda t: f"t{t:.0f}")
    found = list(csv.DictReader(io.StringIO(text)))
    assert [row["call_id"] for row in found] == ["c1", "c2", "c3", "c4", "c8"]
    assert found[0]["disposition"] == "sale" and found[1]["disposition"] == ""
    assert found[0]["billed_seconds"] == "120" and found[0]["amount"] == "0.90"
    assert found[3]["outcome"] == "abandoned" and found[3]["amount"] == "0.00"
    assert found[0]["caller_number"] == "600100200" and found[0]["start"] == f"t{DAY:.0f}"
    # A caller name or number that looks like a formula is defused for spreadsheets.
    assert found[4]["caller_number"] == "'=HYPERLINK(1)"
    assert sum(D(row["amount"]) for row in found) == report.total == D("1.80")


def test_a_period_that_ends_before_it_starts_is_refused(conn: sqlite3.Connection) -> None:
    client = acme(conn)
    with pytest.raises(ConfigError) as caught:
        billing_report(conn, client, DAY, DAY)
    assert caught.value.field == "until"
