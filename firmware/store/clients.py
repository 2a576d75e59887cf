"""Clients of a center that answers calls for several companies, and what each one owns.

A client owns the lines (FXO inbound routes) and numbers (E1 DID routes) its
callers dial, the IVR flows and queues that serve them, a script the agent
reads, the disposition codes agents close its calls with, and its price. The
ownership is a nullable ``client_id`` column on each of those rows, so a queue
or a route keeps its owner when it is renamed or edited on its own page, and
becomes nobody's when its client is deleted.

:class:`ClientDirectory` answers "whose call is this?" for a live call (the
daemon's status) and for a call record (billing, dispositions) the same way:
the line or number the caller dialled first, then where the call was sent.
"""

from __future__ import annotations

import decimal
import enum
import re
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from firmware.store import sync
from firmware.store.models import Cdr, ConfigError, NotFoundError, _text, _whole

ANY_DID = "*"  # the catch-all DID route (as in firmware.store.trunk_models)
SCRIPT_MAX = 4000
PRICE_MAX = decimal.Decimal(1_000_000)
PRICE_PLACES = 4
DEFAULT_CURRENCY = "PLN"
DEFAULT_INCREMENT = 60
MAX_DISPOSITION_CODES = 30
_CURRENCY = re.compile(r"[A-Z]{3}")
_DISPOSITION_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_LIST_SEPARATORS = re.compile(r"[,\n;]")
# The caller data a script may name besides the IVR's own variables.
SCRIPT_CALL_FIELDS = ("caller_number", "caller_name", "client", "did", "line", "queue", "agent")


class Pricing(enum.StrEnum):
    """How a client pays for the calls the center answers for it."""

    PER_MINUTE = "per-minute"
    PER_CALL = "per-call"


@dataclass(frozen=True)
class Billing:
    """A client's price: ``price`` per started ``increment`` of talk, or per answered call.

    ``increment`` (seconds) is how per-minute talk time is rounded up, call by
    call: 60 bills every started minute, 1 bills to the second. It is kept but
    unused for per-call pricing.
    """

    pricing: Pricing = Pricing.PER_MINUTE
    price: decimal.Decimal = decimal.Decimal(0)
    currency: str = DEFAULT_CURRENCY
    increment: int = DEFAULT_INCREMENT


@dataclass(frozen=True)
class Client:
    """One company the center answers calls for.

    ``lines`` are FXO ports whose inbound route it owns, ``dids`` the numbers of
    the E1 DID routes it owns ("*" for the catch-all); ``flows`` and ``queues``
    are names. ``script`` may name ``{placeholders}`` filled from the caller's
    IVR variables and call data (see :data:`SCRIPT_CALL_FIELDS`).
    """

    id: int | None
    name: str
    lines: tuple[str, ...] = ()
    dids: tuple[str, ...] = ()
    flows: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    script: str = ""
    billing: Billing = field(default_factory=Billing)
    disposition_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ownables:
    """What a client may own on this box now: the names a validator checks against."""

    lines: Collection[str]
    dids: Collection[str]
    flows: Collection[str]
    queues: Collection[str]


# --- validation ----------------------------------------------------------------------------


def validate_client(data: Mapping[str, Any], ownables: Ownables | None = None) -> Client:
    """A client from raw values; errors name the field's path ("queues[1]", "billing.price").

    ``lines``, ``dids``, ``flows``, ``queues`` and ``disposition_codes`` are
    lists (or text, one item per line or comma); ``billing`` is a mapping of
    ``pricing``, ``price``, ``currency`` and ``increment``. With ``ownables``
    every name must exist on the box.
    """
    name = _text(data.get("name"), "name")
    known = ownables
    lines = _names(data.get("lines"), "lines", known.lines if known else None)
    dids = _names(data.get("dids"), "dids", known.dids if known else None)
    flows = _names(data.get("flows"), "flows", known.flows if known else None)
    queues = _names(data.get("queues"), "queues", known.queues if known else None)
    return Client(
        id=None,
        name=name,
        lines=lines,
        dids=dids,
        flows=flows,
        queues=queues,
        script=validate_script(data.get("script")),
        billing=_billing(data.get("billing")),
        disposition_codes=_disposition_codes(data.get("disposition_codes")),
    )


def _items(raw: object, path: str) -> list[object]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [part.strip() for part in _LIST_SEPARATORS.split(raw) if part.strip()]
    if isinstance(raw, Sequence) and not isinstance(raw, bytes):
        return list(raw)
    raise ConfigError(path, "must be a list")


_MISSING = {
    "lines": "line {} has no inbound route; add its route first",
    "dids": "no DID route for {}; add the route first",
    "flows": "no IVR flow named {!r}",
    "queues": "no queue named {!r}",
}


def _names(raw: object, path: str, existing: Collection[str] | None) -> tuple[str, ...]:
    names: list[str] = []
    for index, item in enumerate(_items(raw, path)):
        where = f"{path}[{index}]"
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)  # a DID typed as a number in JSON
        name = _text(item, where, 64)
        if existing is not None and name not in existing:
            raise ConfigError(where, _MISSING[path].format(name))
        if name in names:
            raise ConfigError(where, f"{name} is listed twice")
        names.append(name)
    # Kept in the order given, so an error's index points at the item as it was typed.
    return tuple(names)


def validate_script(raw: object) -> str:
    """The agent's script: lines of text whose {placeholders} are variable names."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ConfigError("script", "must be text")
    script = raw.replace("\r\n", "\n").strip()
    if len(script) > SCRIPT_MAX:
        raise ConfigError("script", f"must be at most {SCRIPT_MAX} characters")
    for number, line in enumerate(script.split("\n"), start=1):
        if not line.replace("\t", " ").isprintable():
            raise ConfigError("script", f"line {number} contains a control character")
        for placeholder in _PLACEHOLDER.findall(line):
            if not _VARIABLE.fullmatch(placeholder):
                raise ConfigError(
                    "script",
                    f"line {number}: {{{placeholder}}} is not a variable name "
                    "(letters, digits or _, not starting with a digit)",
                )
    return script


def _billing(raw: object) -> Billing:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError("billing", "must give pricing, price, currency and increment")
    pricing_raw = raw.get("pricing")
    if pricing_raw is None or pricing_raw == "":
        pricing = Pricing.PER_MINUTE
    else:
        try:
            pricing = Pricing(pricing_raw.strip() if isinstance(pricing_raw, str) else pricing_raw)
        except ValueError:
            allowed = ", ".join(p.value for p in Pricing)
            raise ConfigError("billing.pricing", f"must be one of {allowed}") from None
    currency_raw = raw.get("currency")
    if currency_raw is None or currency_raw == "":
        currency = DEFAULT_CURRENCY
    elif isinstance(currency_raw, str) and _CURRENCY.fullmatch(currency_raw.strip().upper()):
        currency = currency_raw.strip().upper()
    else:
        raise ConfigError("billing.currency", "must be a three-letter currency code such as PLN")
    return Billing(
        pricing=pricing,
        price=_price(raw.get("price")),
        currency=currency,
        increment=_whole(raw.get("increment"), "billing.increment", 1, 3600, DEFAULT_INCREMENT),
    )


def _price(raw: object) -> decimal.Decimal:
    """A price as an exact decimal: binary floats would lose cents over a month of calls."""
    problem = f"must be an amount from 0 to {PRICE_MAX} with at most {PRICE_PLACES} decimals"
    if raw is None or raw == "":
        return decimal.Decimal(0)
    if isinstance(raw, bool):
        raise ConfigError("billing.price", problem)
    if isinstance(raw, decimal.Decimal):
        value = raw
    elif isinstance(raw, int | float | str):
        text = str(raw).strip().replace(",", ".")
        try:
            value = decimal.Decimal(text)
        except decimal.InvalidOperation:
            raise ConfigError("billing.price", problem) from None
    else:
        raise ConfigError("billing.price", problem)
    if not value.is_finite() or not 0 <= value <= PRICE_MAX:
        raise ConfigError("billing.price", problem)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PRICE_PLACES:
        raise ConfigError("billing.price", problem)
    # Plain notation: 10 stays "10", never "1E+1", wherever the price is shown.
    return decimal.Decimal(format(value.normalize(), "f"))


def _disposition_codes(raw: object) -> tuple[str, ...]:
    codes: list[str] = []
    for index, item in enumerate(_items(raw, "disposition_codes")):
        where = f"disposition_codes[{index}]"
        code = item.strip().lower() if isinstance(item, str) else None
        if code is None or not _DISPOSITION_CODE.fullmatch(code):
            raise ConfigError(where, "a code is 1 to 32 lowercase letters, digits or -")
        if code in codes:
            raise ConfigError(where, f"{code} is listed twice")
        codes.append(code)
    if len(codes) > MAX_DISPOSITION_CODES:
        raise ConfigError("disposition_codes", f"at most {MAX_DISPOSITION_CODES} codes")
    return tuple(codes)


# --- who owns a call -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClientDirectory:
    """Which client owns each line, DID route, flow and queue, for finding a call's client.

    ``did_routes`` holds every DID route, owned or not (None), because a call
    dialled to a number with its own route never follows the catch-all one.
    ``did_destinations`` maps a destination to the one client owning every DID
    route that sends calls there; a call record keeps the destination but not
    the number dialled, so this is how an E1 call's record finds its client.
    """

    lines: Mapping[str, str] = field(default_factory=dict)
    did_routes: Mapping[str, str | None] = field(default_factory=dict)
    did_destinations: Mapping[str, str] = field(default_factory=dict)
    flows: Mapping[str, str] = field(default_factory=dict)
    queues: Mapping[str, str] = field(default_factory=dict)

    def for_call(
        self,
        port: str | None,
        did: str | None = None,
        destination: str | None = None,
        queue: str | None = None,
    ) -> str | None:
        """The client of a live call: the line or number dialled, then the flow, then the queue.

        ``did`` is the number dialled on an E1 call (None on an analog line).
        """
        if port is not None and port in self.lines:
            return self.lines[port]
        if did is not None:
            route = did if did in self.did_routes else ANY_DID
            owner = self.did_routes.get(route)
            if owner is not None:
                return owner
        return self._by_destination(destination, queue)

    def for_record(self, cdr: Cdr) -> str | None:
        """The client of a finished call, from what its record keeps (see the class note)."""
        if cdr.port in self.lines:
            return self.lines[cdr.port]
        if cdr.port.startswith("span") and cdr.destination in self.did_destinations:
            return self.did_destinations[cdr.destination]
        return self._by_destination(cdr.destination, cdr.queue)

    def _by_destination(self, destination: str | None, queue: str | None) -> str | None:
        kind, _, name = (destination or "").partition(":")
        if kind == "ivr" and name in self.flows:
            return self.flows[name]
        if kind == "queue" and name in self.queues:
            return self.queues[name]
        if queue is not None and queue in self.queues:
            return self.queues[queue]
        return None


def client_directory(conn: sqlite3.Connection) -> ClientDirectory:
    """The ownership of every line, DID route, flow and queue, from one snapshot."""
    with sync._snapshot(conn):
        lines = _owned(conn, "SELECT r.port, c.name FROM inbound_routes r JOIN clients c "
                             "ON c.id = r.client_id")
        did_rows = conn.execute(
            "SELECT r.did, r.destination, c.name FROM did_routes r "
            "LEFT JOIN clients c ON c.id = r.client_id"
        ).fetchall()
        flows = _owned(conn, "SELECT f.name, c.name FROM ivr_flows f JOIN clients c "
                             "ON c.id = f.client_id")
        queues = _owned(conn, "SELECT q.name, c.name FROM queues q JOIN clients c "
                              "ON c.id = q.client_id")
    owners_of: dict[str, set[str | None]] = {}
    for row in did_rows:
        owners_of.setdefault(row[1], set()).add(row[2])
    unambiguous: dict[str, str] = {}
    for destination, found in owners_of.items():
        owner = next(iter(found))
        if len(found) == 1 and owner is not None:
            unambiguous[destination] = owner
    return ClientDirectory(
        lines=lines,
        did_routes={row[0]: row[2] for row in did_rows},
        did_destinations=unambiguous,
        flows=flows,
        queues=queues,
    )


def _owned(conn: sqlite3.Connection, sql: str) -> dict[str, str]:
    return {row[0]: row[1] for row in conn.execute(sql)}


def load_client_directory_at(path: str) -> ClientDirectory:
    """:func:`client_directory` on a connection of its own (the daemon's worker thread)."""
    conn = sync.connect(path)
    try:
        return client_directory(conn)
    finally:
        conn.close()


# --- the store -----------------------------------------------------------------------------

_CLIENT_COLUMNS = (
    "name", "script", "pricing", "price", "currency", "increment", "disposition_codes"
)
# (table, key column, field of Client): the rows a client owns through client_id.
_OWNED = (
    ("inbound_routes", "port", "lines"),
    ("did_routes", "did", "dids"),
    ("ivr_flows", "name", "flows"),
    ("queues", "name", "queues"),
)
_WHAT = {"lines": "the route of line", "dids": "DID route", "flows": "IVR flow",
         "queues": "queue"}


def _client_from_row(conn: sqlite3.Connection, row: Mapping[str, Any]) -> Client:
    owned: dict[str, tuple[str, ...]] = {}
    for table, key, name in _OWNED:
        found = conn.execute(
            f"SELECT {key} FROM {table} WHERE client_id = ? ORDER BY {key}", (row["id"],)
        )
        owned[name] = tuple(r[0] for r in found)
    try:
        pricing = Pricing(row["pricing"])
        price = decimal.Decimal(row["price"])
    except (ValueError, decimal.InvalidOperation):
        raise ConfigError(f"clients[{row['name']}].billing", "stored price is unreadable") from None
    codes = tuple(c for c in row["disposition_codes"].split("\n") if c)
    return Client(
        id=row["id"],
        name=row["name"],
        script=row["script"],
        billing=Billing(pricing, price, row["currency"], int(row["increment"])),
        disposition_codes=codes,
        **owned,
    )


def _client_params(client: Client) -> tuple[Any, ...]:
    billing = client.billing
    return (
        client.name, client.script, billing.pricing.value, str(billing.price), billing.currency,
        billing.increment, "\n".join(client.disposition_codes),
    )


def list_clients(conn: sqlite3.Connection) -> list[Client]:
    """Every client with what it owns, by name."""
    with sync._snapshot(conn):
        found = conn.execute(
            f"SELECT id, {', '.join(_CLIENT_COLUMNS)} FROM clients ORDER BY name COLLATE NOCASE"
        ).fetchall()
        return [_client_from_row(conn, row) for row in found]


def get_client(conn: sqlite3.Connection, client_id: int) -> Client | None:
    with sync._snapshot(conn):
        row = conn.execute(
            f"SELECT id, {', '.join(_CLIENT_COLUMNS)} FROM clients WHERE id = ?", (client_id,)
        ).fetchone()
        return None if row is None else _client_from_row(conn, row)


def client_named(conn: sqlite3.Connection, name: str) -> Client | None:
    row = conn.execute("SELECT id FROM clients WHERE name = ?", (name,)).fetchone()
    return None if row is None else get_client(conn, int(row[0]))


def ownables(conn: sqlite3.Connection) -> Ownables:
    """The lines (routed FXO ports), DID routes, flows and queues this box has."""
    return Ownables(
        lines={r[0] for r in conn.execute("SELECT port FROM inbound_routes")},
        dids={r[0] for r in conn.execute("SELECT did FROM did_routes")},
        flows={r[0] for r in conn.execute("SELECT name FROM ivr_flows")},
        queues={r[0] for r in conn.execute("SELECT name FROM queues")},
    )


def owners(conn: sqlite3.Connection) -> dict[str, dict[str, tuple[int, str]]]:
    """For each kind ("lines", "dids", "flows", "queues"): item -> (client id, client name)."""
    found: dict[str, dict[str, tuple[int, str]]] = {}
    for table, key, kind in _OWNED:
        found[kind] = {
            row[0]: (int(row[1]), str(row[2]))
            for row in conn.execute(
                f"SELECT t.{key}, c.id, c.name FROM {table} t JOIN clients c "
                "ON c.id = t.client_id"
            )
        }
    return found


def save_client(
    conn: sqlite3.Connection, data: Mapping[str, Any], client_id: int | None = None
) -> Client:
    """Validate and insert or update a client, and give it exactly the items it lists.

    An item another client owns is refused rather than taken from it, so two
    technicians editing two clients cannot silently move a queue between them.
    """
    with sync.transaction(conn):
        if client_id is not None and get_client(conn, client_id) is None:
            raise NotFoundError("id", f"no client with id {client_id}")
        client = validate_client(data, ownables(conn))
        other = conn.execute(
            "SELECT name FROM clients WHERE name = ? COLLATE NOCASE AND id IS NOT ?",
            (client.name, client_id),
        ).fetchone()
        if other is not None:
            raise ConfigError("name", f"a client named {other['name']} exists")
        taken = owners(conn)
        for _, _, kind in _OWNED:
            for index, item in enumerate(getattr(client, kind)):
                owner = taken[kind].get(item)
                if owner is not None and owner[0] != client_id:
                    raise ConfigError(
                        f"{kind}[{index}]", f"{_WHAT[kind]} {item} belongs to client {owner[1]}"
                    )
        if client_id is None:
            columns = ", ".join(_CLIENT_COLUMNS)
            marks = ", ".join("?" * len(_CLIENT_COLUMNS))
            client_id = conn.execute(
                f"INSERT INTO clients ({columns}) VALUES ({marks})", _client_params(client)
            ).lastrowid
        else:
            assignments = ", ".join(f"{c} = ?" for c in _CLIENT_COLUMNS)
            conn.execute(
                f"UPDATE clients SET {assignments} WHERE id = ?",
                (*_client_params(client), client_id),
            )
        for table, key, kind in _OWNED:
            conn.execute(f"UPDATE {table} SET client_id = NULL WHERE client_id = ?", (client_id,))
            conn.executemany(
                f"UPDATE {table} SET client_id = ? WHERE {key} = ?",
                [(client_id, item) for item in getattr(client, kind)],
            )
        saved = get_client(conn, client_id)
        assert saved is not None
        return saved


def delete_client(conn: sqlite3.Connection, client_id: int) -> None:
    """Delete a client; its lines, numbers, flows and queues stay, owned by nobody."""
    with sync.transaction(conn):
        for table, _, _ in _OWNED:
            conn.execute(f"UPDATE {table} SET client_id = NULL WHERE client_id = ?", (client_id,))
        if conn.execute("DELETE FROM clients WHERE id = ?", (client_id,)).rowcount == 0:
            raise NotFoundError("id", f"no client with id {client_id}")
