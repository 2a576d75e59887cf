"""Blocking access to span, DID route, trunk group and outbound route configuration.

The web UI saves here (validated inside one write transaction, as in
:mod:`firmware.store.sync`); the daemon reads :func:`load_trunk_config` on a
connection of its own, from a worker thread, so one implementation serves both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from firmware.store import sync
from firmware.store.models import ConfigError, NotFoundError
from firmware.store.trunk_models import (
    ANY_DID,
    DidRoute,
    OutboundRoute,
    SpanConfig,
    SpanRole,
    TrunkConfig,
    TrunkGroup,
    validate_did_route,
    validate_outbound_route,
    validate_span,
    validate_trunk_group,
)
from hal.span import Framing, LineCode

_SPAN_COLUMNS = "id, name, role, framing, crc4, line_code, clock_priority, line_build_out"
SPANS_SELECT = f"SELECT {_SPAN_COLUMNS} FROM spans ORDER BY name"
SPAN_BY_NAME = f"SELECT {_SPAN_COLUMNS} FROM spans WHERE name = ?"
SPAN_UPSERT = (
    "INSERT INTO spans (name, role, framing, crc4, line_code, clock_priority, line_build_out) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET role = excluded.role, "
    "framing = excluded.framing, crc4 = excluded.crc4, line_code = excluded.line_code, "
    "clock_priority = excluded.clock_priority, line_build_out = excluded.line_build_out"
)
DIDS_SELECT = "SELECT id, did, destination FROM did_routes ORDER BY did"
GROUPS_SELECT = "SELECT id, name FROM trunk_groups ORDER BY name"
GROUP_MEMBERS_SELECT = (
    "SELECT group_id, trunk FROM trunk_group_members ORDER BY group_id, position"
)
OUTBOUND_SELECT = (
    "SELECT id, prefix, trunk_group, strip, prepend, calling_number, restricted "
    "FROM outbound_routes ORDER BY prefix"
)


def card_spans(conn: sqlite3.Connection) -> list[str] | None:
    """The spans of the card as the daemon last recorded its ports; None before its first start."""
    ports = sync.card_ports(conn)
    if ports is None:
        return None
    return sorted({p.split("/", 1)[0] for p in ports if "/" in p}, key=lambda n: int(n[4:]))


def card_trunks(conn: sqlite3.Connection) -> list[str] | None:
    """Spans and FXO lines of the card: what a trunk group may hold."""
    ports = sync.card_ports(conn)
    if ports is None:
        return None
    spans = card_spans(conn) or []
    return spans + [p for p in ports if p.startswith("fxo")]


# --- spans ------------------------------------------------------------------------------------


def default_span(name: str) -> SpanConfig:
    """A span never set up: user side of CCS/CRC-4/HDB3, its number as its clock priority."""
    return SpanConfig(None, name, clock_priority=int(name.removeprefix("span")))


def _span_from_row(row: Mapping[str, Any]) -> SpanConfig:
    return SpanConfig(
        row["id"], row["name"], SpanRole(row["role"]), Framing(row["framing"]),
        bool(row["crc4"]), LineCode(row["line_code"]), int(row["clock_priority"]),
        int(row["line_build_out"]),
    )


def list_spans(conn: sqlite3.Connection) -> list[SpanConfig]:
    """Every span of the card: its stored set-up, or the defaults for a span never saved."""
    stored = {s.name: s for s in map(_span_from_row, conn.execute(SPANS_SELECT))}
    names = card_spans(conn) or []
    spans = [stored.get(name) or default_span(name) for name in names]
    spans += [s for name, s in stored.items() if name not in names]
    return spans


def get_span(conn: sqlite3.Connection, name: str) -> SpanConfig | None:
    row = conn.execute(SPAN_BY_NAME, (name,)).fetchone()
    if row is not None:
        return _span_from_row(row)
    known = card_spans(conn)
    return default_span(name) if known is not None and name in known else None


def save_span(conn: sqlite3.Connection, data: Mapping[str, Any]) -> SpanConfig:
    """Validate and store one span's set-up (spans are named, not numbered by the store)."""
    with sync.transaction(conn):
        span = validate_span(data, card_spans(conn))
        if span.clock_priority:
            for other in list_spans(conn):
                if other.name != span.name and other.clock_priority == span.clock_priority:
                    raise ConfigError(
                        "clock_priority",
                        f"{other.name} already has clock priority {span.clock_priority}; "
                        "give each span its own, or 0 to never take the clock from it",
                    )
        conn.execute(SPAN_UPSERT, (
            span.name, span.role.value, span.framing.value, int(span.crc4),
            span.line_code.value, span.clock_priority, span.line_build_out,
        ))
        row = conn.execute(SPAN_BY_NAME, (span.name,)).fetchone()
        return _span_from_row(row)


# --- DID routes --------------------------------------------------------------------------------


def list_did_routes(conn: sqlite3.Connection) -> list[DidRoute]:
    return [DidRoute(r["id"], r["did"], r["destination"]) for r in conn.execute(DIDS_SELECT)]


def save_did_route(
    conn: sqlite3.Connection, data: Mapping[str, Any], route_id: int | None = None
) -> DidRoute:
    """Validate and insert or update a DID route (one route per number)."""
    with sync.transaction(conn):
        if route_id is not None and not _exists(conn, "did_routes", route_id):
            raise NotFoundError("id", f"no DID route with id {route_id}")
        route = validate_did_route(
            data,
            {f.name for f in sync.list_flows(conn)},
            {q.name for q in sync.list_queues(conn)},
            {a.extension for a in sync.list_agents(conn)},
        )
        other = conn.execute(
            "SELECT id FROM did_routes WHERE did = ? AND id IS NOT ?", (route.did, route_id)
        ).fetchone()
        if other is not None:
            raise ConfigError("did", f"{route.did} already has a route")
        if route_id is None:
            route_id = conn.execute(
                "INSERT INTO did_routes (did, destination) VALUES (?, ?)",
                (route.did, route.destination),
            ).lastrowid
        else:
            conn.execute(
                "UPDATE did_routes SET did = ?, destination = ? WHERE id = ?",
                (route.did, route.destination, route_id),
            )
        return replace(route, id=route_id)


def delete_did_route(conn: sqlite3.Connection, route_id: int) -> None:
    with sync.transaction(conn):
        if conn.execute("DELETE FROM did_routes WHERE id = ?", (route_id,)).rowcount == 0:
            raise NotFoundError("id", f"no DID route with id {route_id}")


# --- trunk groups ------------------------------------------------------------------------------


def list_trunk_groups(conn: sqlite3.Connection) -> list[TrunkGroup]:
    members: dict[int, list[str]] = {}
    for row in conn.execute(GROUP_MEMBERS_SELECT):
        members.setdefault(row["group_id"], []).append(row["trunk"])
    return [
        TrunkGroup(r["id"], r["name"], tuple(members.get(r["id"], ())))
        for r in conn.execute(GROUPS_SELECT)
    ]


def save_trunk_group(
    conn: sqlite3.Connection, data: Mapping[str, Any], group_id: int | None = None
) -> TrunkGroup:
    """Validate and insert or update a trunk group; renaming it renames it in its routes."""
    with sync.transaction(conn):
        old = None
        if group_id is not None:
            old = next((g for g in list_trunk_groups(conn) if g.id == group_id), None)
            if old is None:
                raise NotFoundError("id", f"no trunk group with id {group_id}")
        group = validate_trunk_group(data, card_trunks(conn))
        other = conn.execute(
            "SELECT name FROM trunk_groups WHERE name = ? COLLATE NOCASE AND id IS NOT ?",
            (group.name, group_id),
        ).fetchone()
        if other is not None:
            raise ConfigError("name", f"a trunk group named {other['name']} exists")
        if group_id is None:
            group_id = conn.execute(
                "INSERT INTO trunk_groups (name) VALUES (?)", (group.name,)
            ).lastrowid
        else:
            conn.execute("UPDATE trunk_groups SET name = ? WHERE id = ?", (group.name, group_id))
            conn.execute("DELETE FROM trunk_group_members WHERE group_id = ?", (group_id,))
        conn.executemany(
            "INSERT INTO trunk_group_members (group_id, trunk, position) VALUES (?, ?, ?)",
            [(group_id, trunk, position) for position, trunk in enumerate(group.members)],
        )
        if old is not None and old.name != group.name:
            conn.execute(
                "UPDATE outbound_routes SET trunk_group = ? WHERE trunk_group = ?",
                (group.name, old.name),
            )
        return replace(group, id=group_id)


def delete_trunk_group(conn: sqlite3.Connection, group_id: int) -> None:
    """Delete a trunk group, refusing while an outbound route still uses it."""
    with sync.transaction(conn):
        group = next((g for g in list_trunk_groups(conn) if g.id == group_id), None)
        if group is None:
            raise NotFoundError("id", f"no trunk group with id {group_id}")
        for route in list_outbound_routes(conn):
            if route.trunk_group == group.name:
                raise ConfigError(
                    "name", f"trunk group {group.name} is used by the outbound route "
                    f"for prefix {route.prefix or '(any number)'}",
                )
        conn.execute("DELETE FROM trunk_groups WHERE id = ?", (group_id,))


# --- outbound routes ---------------------------------------------------------------------------


def list_outbound_routes(conn: sqlite3.Connection) -> list[OutboundRoute]:
    return [
        OutboundRoute(
            r["id"], r["prefix"], r["trunk_group"], int(r["strip"]), r["prepend"],
            r["calling_number"], bool(r["restricted"]),
        )
        for r in conn.execute(OUTBOUND_SELECT)
    ]


def save_outbound_route(
    conn: sqlite3.Connection, data: Mapping[str, Any], route_id: int | None = None
) -> OutboundRoute:
    """Validate and insert or update an outbound route (one route per prefix)."""
    with sync.transaction(conn):
        if route_id is not None and not _exists(conn, "outbound_routes", route_id):
            raise NotFoundError("id", f"no outbound route with id {route_id}")
        route = validate_outbound_route(data, {g.name for g in list_trunk_groups(conn)})
        other = conn.execute(
            "SELECT id FROM outbound_routes WHERE prefix = ? AND id IS NOT ?",
            (route.prefix, route_id),
        ).fetchone()
        if other is not None:
            raise ConfigError("prefix", f"prefix {route.prefix or '(any)'} already has a route")
        params = (
            route.prefix, route.trunk_group, route.strip, route.prepend, route.calling_number,
            int(route.restricted),
        )
        if route_id is None:
            route_id = conn.execute(
                "INSERT INTO outbound_routes (prefix, trunk_group, strip, prepend, "
                "calling_number, restricted) VALUES (?, ?, ?, ?, ?, ?)",
                params,
            ).lastrowid
        else:
            conn.execute(
                "UPDATE outbound_routes SET prefix = ?, trunk_group = ?, strip = ?, prepend = ?, "
                "calling_number = ?, restricted = ? WHERE id = ?",
                (*params, route_id),
            )
        return replace(route, id=route_id)


def delete_outbound_route(conn: sqlite3.Connection, route_id: int) -> None:
    with sync.transaction(conn):
        if conn.execute("DELETE FROM outbound_routes WHERE id = ?", (route_id,)).rowcount == 0:
            raise NotFoundError("id", f"no outbound route with id {route_id}")


def _exists(conn: sqlite3.Connection, table: str, row_id: int) -> bool:
    return conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None


# --- the whole trunk configuration -------------------------------------------------------------


def load_trunk_config(conn: sqlite3.Connection) -> TrunkConfig:
    """Spans, DID routes, trunk groups and outbound routes from one consistent snapshot."""
    started = not conn.in_transaction
    if started:
        conn.execute("BEGIN")
    try:
        return TrunkConfig(
            spans=tuple(list_spans(conn)),
            did_routes=tuple(list_did_routes(conn)),
            trunk_groups=tuple(list_trunk_groups(conn)),
            outbound_routes=tuple(list_outbound_routes(conn)),
        )
    finally:
        if started and conn.in_transaction:
            conn.execute("COMMIT")


def load_trunk_config_at(path: str) -> TrunkConfig:
    """:func:`load_trunk_config` on a connection of its own (the daemon's worker thread)."""
    conn = sync.connect(path)
    try:
        return load_trunk_config(conn)
    finally:
        conn.close()


def seed_did_default(path: str, flow: str) -> bool:
    """On a new box with spans, send every number dialled to ``flow``; returns whether it did.

    Only a box with no DID route at all gets it, through the same save path as
    a technician's route.
    """
    conn = sync.connect(path)
    try:
        with sync.transaction(conn):
            if list_did_routes(conn):
                return False
            save_did_route(conn, {"did": ANY_DID, "destination": f"ivr:{flow}"})
            return True
    finally:
        conn.close()
