"""Blocking access to the store, for Flask request handlers and the serial console.

The web UI writes configuration here directly, so a technician can fix a box
whose daemon is down. Every save validates with the shared validators inside
one write transaction: a rejected value raises :class:`ConfigError` and leaves
the database exactly as it was.

Connections from :func:`connect` are in autocommit mode; :func:`transaction`
groups statements, and nests (as a savepoint) inside an open transaction.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from firmware.store import migrations, rows
from firmware.store.defaults import default_config
from firmware.store.models import (
    Agent,
    BoxConfig,
    Cdr,
    ConfigError,
    InboundRoute,
    IvrFlow,
    NodeType,
    NotFoundError,
    Queue,
    QueueLogEntry,
    validate_agent,
    validate_flow,
    validate_queue,
    validate_route,
)

BUSY_TIMEOUT_MS = 5000
_savepoints = itertools.count(1)


def connect(path: str) -> sqlite3.Connection:
    """Open (creating it and its folder if needed) and migrate the box database.

    WAL lets the web UI read while the daemon writes; synchronous=FULL makes
    every commit survive a power cut.
    """
    if path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        _migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, attempts: int = 3) -> None:
    """Migrate, tolerating the daemon and the web UI migrating a new file at once.

    Both read the old version before either takes the write lock; the loser's
    script then fails (the table exists). The winner moved the version on, so
    the loser rolls back and looks again, finding less or nothing to do.
    """
    for attempt in range(1, attempts + 1):
        before = conn.execute("PRAGMA user_version").fetchone()[0]
        try:
            migrations.migrate(conn)
            return
        except sqlite3.OperationalError:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            moved_on = conn.execute("PRAGMA user_version").fetchone()[0] != before
            if not moved_on or attempt == attempts:
                raise


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (or a savepoint inside an open one): all or nothing.

    BEGIN IMMEDIATE takes the write lock up front, so checks made inside
    (a name is free) still hold when the row is written.
    """
    if conn.in_transaction:
        name = f"store_{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A read transaction, so several SELECTs see one consistent state."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


# --- settings ------------------------------------------------------------------------------


def get_setting(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    """The stored value of ``key``, or ``default`` when it was never set."""
    row = conn.execute(rows.SETTING_SELECT, (key,)).fetchone()
    return default if row is None else row[0]


def set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key``, replacing any earlier value."""
    if not isinstance(key, str) or not key:
        raise ConfigError("key", "a setting needs a name")
    if not isinstance(value, str):
        raise ConfigError(key, "a setting's value must be text")
    with transaction(conn):
        conn.execute(rows.SETTING_UPSERT, (key, value))


def card_ports(conn: sqlite3.Connection) -> list[str] | None:
    """Port names of the card as the daemon last recorded them; None before its first start."""
    return rows.decode_card_ports(get_setting(conn, rows.CARD_PORTS_KEY))


def record_card_ports(conn: sqlite3.Connection, names: Sequence[str]) -> None:
    """Record the card's port names (the daemon does this at start)."""
    set_setting(conn, rows.CARD_PORTS_KEY, rows.encode_card_ports(names))


# --- agents --------------------------------------------------------------------------------


def list_agents(conn: sqlite3.Connection) -> list[Agent]:
    return [rows.agent_from_row(r) for r in conn.execute(rows.AGENTS_SELECT)]


def get_agent(conn: sqlite3.Connection, agent_id: int) -> Agent | None:
    row = conn.execute(rows.AGENT_SELECT, (agent_id,)).fetchone()
    return None if row is None else rows.agent_from_row(row)


def save_agent(
    conn: sqlite3.Connection, data: Mapping[str, Any], agent_id: int | None = None
) -> Agent:
    """Validate and insert (``agent_id`` None) or update an agent; returns it with its id."""
    with transaction(conn):
        if agent_id is not None and get_agent(conn, agent_id) is None:
            raise NotFoundError("id", f"no agent with id {agent_id}")
        agent = validate_agent(data, card_ports(conn))
        other = conn.execute(
            "SELECT name FROM agents WHERE name = ? COLLATE NOCASE AND id IS NOT ?",
            (agent.name, agent_id),
        ).fetchone()
        if other is not None:
            raise ConfigError("name", f"an agent named {other['name']} exists")
        other = conn.execute(
            "SELECT name FROM agents WHERE extension = ? AND id IS NOT ?",
            (agent.extension, agent_id),
        ).fetchone()
        if other is not None:
            raise ConfigError("extension", f"extension {agent.extension} is {other['name']}'s")
        if agent_id is None:
            agent_id = conn.execute(rows.AGENT_INSERT, rows.agent_params(agent)).lastrowid
        else:
            conn.execute(rows.AGENT_UPDATE, (*rows.agent_params(agent), agent_id))
        return replace(agent, id=agent_id)


def delete_agent(conn: sqlite3.Connection, agent_id: int) -> None:
    """Delete an agent; it leaves every queue it was a member of."""
    with transaction(conn):
        if conn.execute("DELETE FROM agents WHERE id = ?", (agent_id,)).rowcount == 0:
            raise NotFoundError("id", f"no agent with id {agent_id}")


# --- queues --------------------------------------------------------------------------------


def list_queues(conn: sqlite3.Connection) -> list[Queue]:
    with _snapshot(conn):
        queue_rows = conn.execute(rows.QUEUES_SELECT).fetchall()
        member_rows = conn.execute(rows.MEMBERS_SELECT).fetchall()
    return rows.queues_from_rows(queue_rows, member_rows)


def get_queue(conn: sqlite3.Connection, queue_id: int) -> Queue | None:
    with _snapshot(conn):
        row = conn.execute(rows.QUEUE_SELECT, (queue_id,)).fetchone()
        if row is None:
            return None
        members = [m["name"] for m in conn.execute(rows.MEMBERS_OF_SELECT, (queue_id,))]
    return rows.queue_from_row(row, members)


def save_queue(
    conn: sqlite3.Connection, data: Mapping[str, Any], queue_id: int | None = None
) -> Queue:
    """Validate and insert or update a queue with its members (a list of agent names).

    Renaming a queue renames it in the routes and IVR flows that send calls
    to it, in the same transaction, so no reference is left dangling.
    """
    with transaction(conn):
        old = None
        if queue_id is not None:
            old = get_queue(conn, queue_id)
            if old is None:
                raise NotFoundError("id", f"no queue with id {queue_id}")
        agent_names = {a.name for a in list_agents(conn)}
        queue = validate_queue(data, agent_names)
        other = conn.execute(
            "SELECT name FROM queues WHERE name = ? COLLATE NOCASE AND id IS NOT ?",
            (queue.name, queue_id),
        ).fetchone()
        if other is not None:
            raise ConfigError("name", f"a queue named {other['name']} exists")
        if queue_id is None:
            queue_id = conn.execute(rows.QUEUE_INSERT, rows.queue_params(queue)).lastrowid
        else:
            conn.execute(rows.QUEUE_UPDATE, (*rows.queue_params(queue), queue_id))
            conn.execute(rows.MEMBERS_DELETE, (queue_id,))
        conn.executemany(
            rows.MEMBER_INSERT,
            [(queue_id, position, name) for position, name in enumerate(queue.members)],
        )
        if old is not None and old.name != queue.name:
            _rename_queue_references(conn, old.name, queue.name)
        return replace(queue, id=queue_id)


def _rename_queue_references(conn: sqlite3.Connection, old: str, new: str) -> None:
    conn.execute(
        "UPDATE inbound_routes SET destination = ? WHERE destination = ?",
        (f"queue:{new}", f"queue:{old}"),
    )
    for flow in list_flows(conn):
        nodes = flow.definition.get("nodes", {})
        hits = [n for n in nodes.values() if n.get("type") == NodeType.QUEUE and n["queue"] == old]
        for node in hits:
            node["queue"] = new
        if hits:
            conn.execute(rows.FLOW_UPDATE, (*rows.flow_params(flow), flow.id))


def delete_queue(conn: sqlite3.Connection, queue_id: int) -> None:
    """Delete a queue, refusing while a route or an IVR flow still sends calls to it."""
    with transaction(conn):
        queue = get_queue(conn, queue_id)
        if queue is None:
            raise NotFoundError("id", f"no queue with id {queue_id}")
        for route in list_routes(conn):
            if route.destination == f"queue:{queue.name}":
                raise ConfigError(
                    "name", f"queue {queue.name} is the destination of the route of {route.port}"
                )
        for flow in list_flows(conn):
            for node_id, node in flow.definition.get("nodes", {}).items():
                if node.get("type") == NodeType.QUEUE and node.get("queue") == queue.name:
                    raise ConfigError(
                        "name",
                        f"queue {queue.name} is used by node {node_id} of IVR flow {flow.name}",
                    )
        conn.execute("DELETE FROM queues WHERE id = ?", (queue_id,))


# --- inbound routes ------------------------------------------------------------------------


def list_routes(conn: sqlite3.Connection) -> list[InboundRoute]:
    return [rows.route_from_row(r) for r in conn.execute(rows.ROUTES_SELECT)]


def get_route(conn: sqlite3.Connection, route_id: int) -> InboundRoute | None:
    row = conn.execute(rows.ROUTE_SELECT, (route_id,)).fetchone()
    return None if row is None else rows.route_from_row(row)


def save_route(
    conn: sqlite3.Connection, data: Mapping[str, Any], route_id: int | None = None
) -> InboundRoute:
    """Validate and insert or update the route of one line (one route per port)."""
    with transaction(conn):
        if route_id is not None and get_route(conn, route_id) is None:
            raise NotFoundError("id", f"no route with id {route_id}")
        flow_names = {f.name for f in list_flows(conn)}
        queue_names = {q.name for q in list_queues(conn)}
        route = validate_route(data, card_ports(conn), flow_names, queue_names)
        other = conn.execute(
            "SELECT id FROM inbound_routes WHERE port = ? AND id IS NOT ?", (route.port, route_id)
        ).fetchone()
        if other is not None:
            raise ConfigError("port", f"{route.port} already has a route")
        if route_id is None:
            route_id = conn.execute(rows.ROUTE_INSERT, rows.route_params(route)).lastrowid
        else:
            conn.execute(rows.ROUTE_UPDATE, (*rows.route_params(route), route_id))
        return replace(route, id=route_id)


def delete_route(conn: sqlite3.Connection, route_id: int) -> None:
    with transaction(conn):
        if conn.execute("DELETE FROM inbound_routes WHERE id = ?", (route_id,)).rowcount == 0:
            raise NotFoundError("id", f"no route with id {route_id}")


# --- IVR flows -----------------------------------------------------------------------------


def list_flows(conn: sqlite3.Connection) -> list[IvrFlow]:
    return [rows.flow_from_row(r) for r in conn.execute(rows.FLOWS_SELECT)]


def get_flow(conn: sqlite3.Connection, flow_id: int) -> IvrFlow | None:
    row = conn.execute(rows.FLOW_SELECT, (flow_id,)).fetchone()
    return None if row is None else rows.flow_from_row(row)


def save_flow(
    conn: sqlite3.Connection,
    name: str,
    definition: Mapping[str, Any] | str,
    flow_id: int | None = None,
    prompt_names: Collection[str] | None = None,
) -> IvrFlow:
    """Validate and insert or update an IVR flow (definition as a mapping or JSON text).

    ``prompt_names``, when given, are the prompts the box has; a flow naming
    another is refused. Renaming a flow renames it in the routes that use it.
    """
    with transaction(conn):
        old = None
        if flow_id is not None:
            old = get_flow(conn, flow_id)
            if old is None:
                raise NotFoundError("id", f"no IVR flow with id {flow_id}")
        queue_names = {q.name for q in list_queues(conn)}
        flow = validate_flow(name, definition, queue_names, prompt_names)
        other = conn.execute(
            "SELECT name FROM ivr_flows WHERE name = ? COLLATE NOCASE AND id IS NOT ?",
            (flow.name, flow_id),
        ).fetchone()
        if other is not None:
            raise ConfigError("name", f"an IVR flow named {other['name']} exists")
        if flow_id is None:
            flow_id = conn.execute(rows.FLOW_INSERT, rows.flow_params(flow)).lastrowid
        else:
            conn.execute(rows.FLOW_UPDATE, (*rows.flow_params(flow), flow_id))
        if old is not None and old.name != flow.name:
            conn.execute(
                "UPDATE inbound_routes SET destination = ? WHERE destination = ?",
                (f"ivr:{flow.name}", f"ivr:{old.name}"),
            )
        return replace(flow, id=flow_id)


def delete_flow(conn: sqlite3.Connection, flow_id: int) -> None:
    """Delete an IVR flow, refusing while a route still sends calls to it."""
    with transaction(conn):
        flow = get_flow(conn, flow_id)
        if flow is None:
            raise NotFoundError("id", f"no IVR flow with id {flow_id}")
        for route in list_routes(conn):
            if route.destination == f"ivr:{flow.name}":
                raise ConfigError(
                    "name", f"IVR flow {flow.name} is the destination of the route of {route.port}"
                )
        conn.execute("DELETE FROM ivr_flows WHERE id = ?", (flow_id,))


# --- whole configuration -------------------------------------------------------------------


def load_config(conn: sqlite3.Connection) -> BoxConfig:
    """The whole configuration from one consistent snapshot (as the daemon sees it)."""
    with _snapshot(conn):
        return rows.config_from_rows(
            conn.execute(rows.AGENTS_SELECT).fetchall(),
            conn.execute(rows.QUEUES_SELECT).fetchall(),
            conn.execute(rows.MEMBERS_SELECT).fetchall(),
            conn.execute(rows.FLOWS_SELECT).fetchall(),
            conn.execute(rows.ROUTES_SELECT).fetchall(),
            get_setting(conn, rows.COUNTRY_KEY),
        )


def seed_defaults(conn: sqlite3.Connection, fxs: Sequence[str], fxo: Sequence[str]) -> bool:
    """Give a box with no configuration the working default one; returns whether it did.

    Only a database with no agents, queues, flows or routes that was never
    seeded is touched, so a technician who deleted everything keeps it so.
    Each item goes through the same save path as a technician's edit.
    """
    with transaction(conn):
        if get_setting(conn, rows.SEEDED_KEY) is not None:
            return False
        if conn.execute(rows.CONFIG_COUNTS_SELECT).fetchone()[0] != 0:
            return False
        agents, queues, flows, routes, settings = default_config(fxs, fxo)
        for agent in agents:
            save_agent(conn, _as_data(agent))
        for queue in queues:
            save_queue(conn, {**_as_data(queue), "members": list(queue.members)})
        for flow in flows:
            save_flow(conn, flow.name, flow.definition)
        for route in routes:
            save_route(conn, _as_data(route))
        for key, value in settings.items():
            set_setting(conn, key, value)
        set_setting(conn, rows.SEEDED_KEY, "1")
        return True


def _as_data(model: Agent | Queue | InboundRoute) -> dict[str, Any]:
    return {k: v for k, v in vars(model).items() if k != "id"}


# --- records -------------------------------------------------------------------------------


MAX_PAGE = 100_000
_MAX_OFFSET = 2**62


def _whole_number(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(field, f"must be a whole number from {low} to {high}")
    return value


def list_cdr(conn: sqlite3.Connection, limit: int = 100, offset: int = 0) -> list[Cdr]:
    """A page of call records, newest first."""
    params = (
        _whole_number(limit, "limit", 1, MAX_PAGE),
        _whole_number(offset, "offset", 0, _MAX_OFFSET),
    )
    return [rows.cdr_from_row(r) for r in conn.execute(rows.CDR_PAGE_SELECT, params)]


def count_cdr(conn: sqlite3.Connection) -> int:
    return int(conn.execute(rows.CDR_COUNT_SELECT).fetchone()[0])


def list_queue_log(
    conn: sqlite3.Connection, limit: int = 200, offset: int = 0
) -> list[QueueLogEntry]:
    """A page of queue log entries, newest first."""
    params = (
        _whole_number(limit, "limit", 1, MAX_PAGE),
        _whole_number(offset, "offset", 0, _MAX_OFFSET),
    )
    return [rows.queue_log_from_row(r) for r in conn.execute(rows.QUEUE_LOG_PAGE_SELECT, params)]

