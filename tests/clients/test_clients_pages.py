"""The clients pages: the edit form with what a client owns, the script preview, billing."""

from __future__ import annotations

import datetime
import sqlite3

from flask.testing import FlaskClient

from firmware.store import rows
from firmware.store.clients import list_clients, save_client
from firmware.store.models import Cdr

FORM = {
    "name": "Acme", "lines": ["fxo1"], "dids": ["221000001"], "flows": [], "queues": ["sales"],
    "script": "Hello {caller_name}, balance {balance}", "disposition_codes": "sale\nno-sale",
    "billing.pricing": "per-minute", "billing.price": "0.45", "billing.currency": "PLN",
    "billing.increment": "60", "action": "save",
}


def test_a_client_is_created_from_the_form_with_what_it_owns(
    admin: FlaskClient, conn: sqlite3.Connection
) -> None:
    page = admin.get("/clients/new").get_data(as_text=True)
    assert 'value="fxo1"' in page and 'value="221000001"' in page and 'value="sales"' in page
    response = admin.post("/clients/new", data=FORM)
    assert response.status_code == 302
    [acme] = list_clients(conn)
    assert (acme.lines, acme.dids, acme.queues) == (("fxo1",), ("221000001",), ("sales",))
    assert acme.disposition_codes == ("sale", "no-sale")
    listing = admin.get("/clients").get_data(as_text=True)
    assert "Acme" in listing and "0.45 PLN per minute" in listing


def test_a_refused_value_is_shown_beside_its_field_and_nothing_is_saved(
    admin: FlaskClient, conn: sqlite3.Connection
) -> None:
    save_client(conn, {"name": "Beta", "queues": ["sales"]})
    response = admin.post("/clients/new", data={**FORM, "billing.price": "0.123456"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="billing.price-error"' in page and "at most 4 decimals" in page
    assert "Hello {caller_name}, balance {balance}</textarea>" in page  # the input is kept
    taken = admin.post("/clients/new", data=FORM)
    assert taken.status_code == 400
    assert "queue sales belongs to client Beta" in taken.get_data(as_text=True)
    assert [c.name for c in list_clients(conn)] == ["Beta"]
    # Beta's queue is shown greyed out on another client's form.
    assert "(client Beta)" in admin.get("/clients/new").get_data(as_text=True)


def test_the_script_preview_fills_call_data_and_marks_ivr_variables(
    admin: FlaskClient, conn: sqlite3.Connection
) -> None:
    response = admin.post("/clients/new", data={**FORM, "action": "preview"})
    assert response.status_code == 200
    assert "Hello Jan Kowalski, balance ‹balance›" in response.get_data(as_text=True)
    assert list_clients(conn) == []


def test_the_billing_page_totals_the_period_and_downloads_csv(
    admin: FlaskClient, conn: sqlite3.Connection
) -> None:
    acme = save_client(conn, {"name": "Acme", "lines": ["fxo1"], "billing": {"price": "0.45"}})
    # 2026-01-05 12:00 in the box's time, 61 s of talk: two started minutes.
    start = datetime.datetime(2026, 1, 5, 12, 0).timestamp()
    cdr = Cdr("c1", start, start + 5, start + 66, "fxo1", "in", "600100200", None, "ivr:main",
              "sales", "Agent 1", "answered", 66.0, 61.0)
    conn.execute(rows.CDR_INSERT, rows.cdr_params(cdr))
    url = f"/clients/{acme.id}/billing?from=2026-01-01&to=2026-01-31"
    page = admin.get(url).get_data(as_text=True)
    assert '<dd id="total-amount">0.90 PLN</dd>' in page
    assert '<dd id="total-billed">1</dd>' in page
    empty = admin.get(f"/clients/{acme.id}/billing?from=2026-02-01&to=2026-02-28")
    assert "No calls of this client" in empty.get_data(as_text=True)
    download = admin.get(url + "&format=csv")
    assert download.mimetype == "text/csv"
    assert "billing-Acme-2026-01-01-2026-01-31.csv" in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True).splitlines()[1].endswith(",120,0.90,PLN")
    wrong = admin.get(f"/clients/{acme.id}/billing?from=2026-02-01&to=2026-01-01")
    assert wrong.status_code == 400 and "must not be before" in wrong.get_data(as_text=True)
