"""Clients in the store: validation with field paths, ownership, and whose call is whose."""

from __future__ import annotations

import decimal
import sqlite3

import pytest

from firmware.store import sync
from firmware.store.clients import (
    ClientDirectory,
    Pricing,
    client_directory,
    delete_client,
    get_client,
    list_clients,
    save_client,
    validate_client,
)
from firmware.store.models import Cdr, ConfigError


@pytest.mark.parametrize("data, field, message", [
    ({"name": ""}, "name", "is required"),
    ({"name": "Acme", "queues": ["sales", "nope"]}, "queues[1]", "no queue named 'nope'"),
    ({"name": "Acme", "lines": ["fxo9"]}, "lines[0]", "fxo9 has no inbound route"),
    ({"name": "Acme", "dids": ["999"]}, "dids[0]", "no DID route for 999"),
    ({"name": "Acme", "flows": "main, main"}, "flows[1]", "main is listed twice"),
    ({"name": "Acme", "billing": {"price": "0.12345"}}, "billing.price", "at most 4 decimals"),
    ({"name": "Acme", "billing": {"price": "-1"}}, "billing.price", "from 0 to"),
    ({"name": "Acme", "billing": {"price": "abc"}}, "billing.price", "must be an amount"),
    ({"name": "Acme", "billing": {"pricing": "per-hour"}}, "billing.pricing", "per-minute"),
    ({"name": "Acme", "billing": {"currency": "zł"}}, "billing.currency", "three-letter"),
    ({"name": "Acme", "billing": {"increment": "0"}}, "billing.increment", "from 1 to 3600"),
    ({"name": "Acme", "billing": "cheap"}, "billing", "pricing, price"),
    ({"name": "Acme", "disposition_codes": "sale\nNo Sale"}, "disposition_codes[1]",
     "lowercase"),
    ({"name": "Acme", "disposition_codes": ["sale", "sale"]}, "disposition_codes[1]", "twice"),
    ({"name": "Acme", "script": "Hi {caller name}"}, "script", "line 1: {caller name} is not"),
    ({"name": "Acme", "script": "ok\nbell \x07"}, "script", "line 2 contains a control"),
])
def test_a_bad_client_is_refused_with_the_path_of_the_field(
    conn: sqlite3.Connection, data: dict, field: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        save_client(conn, data)
    assert caught.value.field == field
    assert message in caught.value.message
    assert list_clients(conn) == []


def test_a_client_is_validated_into_exact_prices_and_clean_lists() -> None:
    client = validate_client({
        "name": " Acme ", "queues": "support\nsales", "script": "Hello {caller_name}\r\nBye",
        "billing": {"pricing": "per-call", "price": "1,50", "currency": "eur", "increment": 30},
        "disposition_codes": "Sale, callback",
    })
    assert client.name == "Acme" and client.queues == ("support", "sales")
    assert client.script == "Hello {caller_name}\nBye"
    assert client.billing.pricing is Pricing.PER_CALL
    assert client.billing.price == decimal.Decimal("1.5") and str(client.billing.price) == "1.5"
    assert client.billing.currency == "EUR" and client.billing.increment == 30
    assert client.disposition_codes == ("sale", "callback")
    assert str(validate_client({"name": "x", "billing": {"price": "10"}}).billing.price) == "10"


def test_a_client_owns_what_it_lists_and_keeps_it_through_renames(
    conn: sqlite3.Connection,
) -> None:
    acme = save_client(conn, {
        "name": "Acme", "lines": ["fxo1"], "dids": ["221000001"], "flows": ["main"],
        "queues": ["sales"], "billing": {"price": "0.30"},
    })
    sales = next(q for q in sync.list_queues(conn) if q.name == "sales")
    sync.save_queue(conn, {"name": "acme-sales", "members": list(sales.members)}, sales.id)
    stored = get_client(conn, acme.id)
    assert stored is not None
    assert (stored.lines, stored.dids, stored.flows, stored.queues) == (
        ("fxo1",), ("221000001",), ("main",), ("acme-sales",)
    )
    # Saving again with less gives the rest back to nobody.
    save_client(conn, {"name": "Acme", "queues": ["acme-sales"]}, acme.id)
    stored = get_client(conn, acme.id)
    assert stored is not None and stored.lines == () and stored.queues == ("acme-sales",)
    assert client_directory(conn).lines == {}


def test_an_item_of_another_client_is_refused_and_nothing_changes(
    conn: sqlite3.Connection,
) -> None:
    save_client(conn, {"name": "Acme", "queues": ["sales"]})
    with pytest.raises(ConfigError) as caught:
        save_client(conn, {"name": "Beta", "lines": ["fxo2"], "queues": ["support", "sales"]})
    assert caught.value.field == "queues[1]"
    assert caught.value.message == "queue sales belongs to client Acme"
    assert [c.name for c in list_clients(conn)] == ["Acme"]
    assert client_directory(conn).lines == {}
    with pytest.raises(ConfigError, match="a client named Acme exists"):
        save_client(conn, {"name": "ACME"})


def test_deleting_a_client_leaves_its_queues_and_routes_to_nobody(
    conn: sqlite3.Connection,
) -> None:
    acme = save_client(conn, {"name": "Acme", "lines": ["fxo1"], "queues": ["sales"]})
    assert acme.id is not None
    delete_client(conn, acme.id)
    assert list_clients(conn) == []
    assert [q.name for q in sync.list_queues(conn)] == ["sales", "support"]
    assert client_directory(conn) == ClientDirectory(did_routes={"221000001": None, "*": None})
    # A client made again later does not inherit anything.
    again = save_client(conn, {"name": "Acme"})
    assert again.id is not None
    assert get_client(conn, again.id).queues == ()  # type: ignore[union-attr]


def _cdr(port: str, destination: str | None, queue: str | None) -> Cdr:
    return Cdr("c1", 100.0, 110.0, 200.0, port, "in", None, None, destination, queue, None,
               "answered", 100.0, 90.0)


def test_a_live_call_belongs_to_the_line_or_number_dialled_before_its_flow_or_queue(
    conn: sqlite3.Connection,
) -> None:
    save_client(conn, {"name": "Acme", "lines": ["fxo1"], "dids": ["221000001"]})
    save_client(conn, {"name": "Beta", "flows": ["main"], "queues": ["support"]})
    found = client_directory(conn)
    assert found.for_call("fxo1", None, "ivr:main", "support") == "Acme"
    assert found.for_call("fxo2", None, "ivr:main", "support") == "Beta"
    assert found.for_call("fxo2", None, None, "support") == "Beta"
    assert found.for_call("fxo2", None, "queue:sales", "sales") is None
    # E1: the number's own route decides; an unowned catch-all falls back to the flow.
    assert found.for_call("span1/b1", "221000001", "queue:sales", None) == "Acme"
    assert found.for_call("span1/b1", "221999999", "ivr:main", None) == "Beta"


def test_a_call_record_finds_its_client_as_the_live_call_did(conn: sqlite3.Connection) -> None:
    save_client(conn, {"name": "Acme", "lines": ["fxo1"], "dids": ["221000001"]})
    save_client(conn, {"name": "Beta", "queues": ["support"]})
    found = client_directory(conn)
    assert found.for_record(_cdr("fxo1", "ivr:main", "support")) == "Acme"
    assert found.for_record(_cdr("fxo2", "ivr:main", "support")) == "Beta"
    # The record of an E1 call keeps no number: the one DID route to queue:sales is Acme's.
    assert found.for_record(_cdr("span1/b3", "queue:sales", "sales")) == "Acme"
    assert found.for_record(_cdr("span1/b3", "ivr:main", None)) is None
