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
    AgentStateEntry,
    BoxConfig,
    Cdr,
    ConfigError,
    FlowVersion,
    InboundRoute,
    IvrFlow,
    NodeType,
    NotFoundError,
    Queue,
    QueueLogEntry,
    Schedule,
    VoicemailMessage,
    validate_agent,
    validate_flow,
    validate_pause_reasons,
    validate_queue,
    validate_route,
    validate_schedule,
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


def pause_reasons(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The reasons agents may give for a pause (the defaults until the technician sets some)."""
    return rows.decode_pause_reasons(get_setting(conn, rows.PAUSE_REASONS_KEY))


def save_pause_reasons(conn: sqlite3.Connection, raw: object) -> tuple[str, ...]:
    """Validate and store the pause reasons (a list, or text with one per line or comma)."""
    reasons = validate_pause_reasons(raw)
    set_setting(conn, rows.PAUSE_REASONS_KEY, rows.encode_pause_reasons(reasons))
    return reasons


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


def set_agent_logged_in(conn: sqlite3.Connection, agent_id: int, logged_in: bool) -> Agent:
    """Log an agent in or out in the configuration, leaving everything else as it is."""
    with transaction(conn):
        agent = get_agent(conn, agent_id)
        if agent is None:
            raise NotFoundError("id", f"no agent with id {agent_id}")
        conn.execute(rows.AGENT_LOGIN_UPDATE, (int(logged_in), agent.name))
        return replace(agent, logged_in=logged_in)


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
        queue_names = {q.name for q in list_queues(conn) if q.id != queue_id}
        flow_names = {f.name for f in list_flows(conn)}
        queue = validate_queue(data, agent_names, queue_names, flow_names)
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
    conn.execute(
        "UPDATE queues SET exit_destination = ? WHERE exit_destination = ?",
        (f"queue:{new}", f"queue:{old}"),
    )
    conn.execute("UPDATE queues SET overflow_queue = ? WHERE overflow_queue = ?", (new, old))
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
        for other in list_queues(conn):
            if other.overflow_queue == queue.name:
                raise ConfigError(
                    "name", f"queue {queue.name} takes the overflow of queue {other.name}"
                )
            if other.exit_destination == f"queue:{queue.name}":
                raise ConfigError(
                    "name", f"queue {queue.name} is the exit destination of queue {other.name}"
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
    """Every flow with its active definition."""
    return [rows.flow_from_row(r) for r in conn.execute(rows.FLOWS_SELECT)]


def get_flow(conn: sqlite3.Connection, flow_id: int) -> IvrFlow | None:
    row = conn.execute(rows.FLOW_SELECT, (flow_id,)).fetchone()
    return None if row is None else rows.flow_from_row(row)


def _validate_flow_here(
    conn: sqlite3.Connection,
    name: object,
    definition: object,
    prompt_names: Collection[str] | None,
) -> IvrFlow:
    """A flow checked against the queues, schedules and extensions this box has now."""
    return validate_flow(
        name,
        definition,
        {q.name for q in list_queues(conn)},
        prompt_names,
        schedule_names={s.name for s in list_schedules(conn)},
        extensions={a.extension for a in list_agents(conn)},
    )


def save_flow(
    conn: sqlite3.Connection,
    name: str,
    definition: Mapping[str, Any] | str,
    flow_id: int | None = None,
    prompt_names: Collection[str] | None = None,
    *,
    activate: bool = True,
    created: float | None = None,
) -> IvrFlow:
    """Validate an IVR flow (a mapping or JSON text) and keep it as the flow's next version.

    Every save adds a version and never changes an earlier one; with
    ``activate`` (the default) calls follow the new version at once, otherwise
    it waits as a draft for :func:`activate_flow_version`. ``prompt_names``,
    when given, are the prompts the box has; a flow naming another is refused.
    ``created`` is the wall-clock time of the save (the database's clock when
    None). Renaming a flow renames it in the routes that use it.
    """
    with transaction(conn):
        old = None
        if flow_id is not None:
            old = get_flow(conn, flow_id)
            if old is None:
                raise NotFoundError("id", f"no IVR flow with id {flow_id}")
        flow = _validate_flow_here(conn, name, definition, prompt_names)
        other = conn.execute(
            "SELECT name FROM ivr_flows WHERE name = ? COLLATE NOCASE AND id IS NOT ?",
            (flow.name, flow_id),
        ).fetchone()
        if other is not None:
            raise ConfigError("name", f"an IVR flow named {other['name']} exists")
        text = rows.flow_params(flow)[1]
        if flow_id is None:
            flow_id = conn.execute(rows.FLOW_INSERT, rows.flow_params(flow)).lastrowid
            assert flow_id is not None
            activate = True  # a new flow's first version is the one calls follow
        else:
            conn.execute("UPDATE ivr_flows SET name = ? WHERE id = ?", (flow.name, flow_id))
        version = conn.execute(
            rows.FLOW_VERSION_INSERT, (flow_id, flow_id, text, created)
        ).fetchone()[0]
        if activate:
            conn.execute(rows.FLOW_ACTIVATE, (text, version, flow_id))
        if old is not None and old.name != flow.name:
            conn.execute(
                "UPDATE inbound_routes SET destination = ? WHERE destination = ?",
                (f"ivr:{flow.name}", f"ivr:{old.name}"),
            )
        saved = get_flow(conn, flow_id)
        assert saved is not None
        return saved


def list_flow_versions(conn: sqlite3.Connection, flow_id: int) -> list[FlowVersion]:
    """Every saved version of a flow, newest first."""
    found = conn.execute(rows.FLOW_VERSIONS_SELECT, (flow_id,))
    return [rows.flow_version_from_row(r) for r in found]


def get_flow_version(conn: sqlite3.Connection, flow_id: int, version: int) -> FlowVersion | None:
    row = conn.execute(rows.FLOW_VERSION_SELECT, (flow_id, version)).fetchone()
    return None if row is None else rows.flow_version_from_row(row)


def activate_flow_version(
    conn: sqlite3.Connection,
    flow_id: int,
    version: int,
    prompt_names: Collection[str] | None = None,
) -> IvrFlow:
    """Make ``version`` the one calls follow: a draft goes live, or an old one comes back.

    The version is checked again first: a queue, schedule or extension it names
    may have gone since it was saved, and a flow that cannot run is refused.
    """
    with transaction(conn):
        flow = get_flow(conn, flow_id)
        if flow is None:
            raise NotFoundError("id", f"no IVR flow with id {flow_id}")
        chosen = get_flow_version(conn, flow_id, version)
        if chosen is None:
            raise NotFoundError("version", f"flow {flow.name} has no version {version}")
        checked = _validate_flow_here(conn, flow.name, chosen.definition, prompt_names)
        text = rows.flow_params(checked)[1]
        conn.execute(rows.FLOW_ACTIVATE, (text, version, flow_id))
        return replace(checked, id=flow_id)


def active_flow_version(conn: sqlite3.Connection, flow_id: int) -> int | None:
    row = conn.execute(rows.FLOW_ACTIVE_VERSION_SELECT, (flow_id,)).fetchone()
    return None if row is None else int(row[0])


def delete_flow(conn: sqlite3.Connection, flow_id: int) -> None:
    """Delete an IVR flow and its versions, refusing while a route still sends calls to it."""
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


# --- schedules -----------------------------------------------------------------------------


def list_schedules(conn: sqlite3.Connection) -> list[Schedule]:
    return [rows.schedule_from_row(r) for r in conn.execute(rows.SCHEDULES_SELECT)]


def get_schedule(conn: sqlite3.Connection, schedule_id: int) -> Schedule | None:
    row = conn.execute(rows.SCHEDULE_SELECT, (schedule_id,)).fetchone()
    return None if row is None else rows.schedule_from_row(row)


def _flows_using_schedule(conn: sqlite3.Connection, name: str) -> Iterator[tuple[str, str]]:
    """(flow, node) of every active flow node that asks the schedule ``name``."""
    for flow in list_flows(conn):
        for node_id, node in flow.definition.get("nodes", {}).items():
            if node.get("type") == NodeType.CONDITION and node.get("schedule") == name:
                yield flow.name, node_id


def save_schedule(
    conn: sqlite3.Connection, data: Mapping[str, Any], schedule_id: int | None = None
) -> Schedule:
    """Validate and insert or update a schedule.

    Renaming a schedule renames it in the active flows that ask it, so no
    condition is left pointing at nothing.
    """
    with transaction(conn):
        old = None
        if schedule_id is not None:
            old = get_schedule(conn, schedule_id)
            if old is None:
                raise NotFoundError("id", f"no schedule with id {schedule_id}")
        schedule = validate_schedule(data)
        other = conn.execute(
            "SELECT name FROM schedules WHERE name = ? COLLATE NOCASE AND id IS NOT ?",
            (schedule.name, schedule_id),
        ).fetchone()
        if other is not None:
            raise ConfigError("name", f"a schedule named {other['name']} exists")
        params = rows.schedule_params(schedule)
        if schedule_id is None:
            schedule_id = conn.execute(rows.SCHEDULE_INSERT, params).lastrowid
        else:
            conn.execute(rows.SCHEDULE_UPDATE, (*params, schedule_id))
        if old is not None and old.name != schedule.name:
            for flow in list_flows(conn):
                nodes = flow.definition.get("nodes", {})
                hits = [
                    n for n in nodes.values()
                    if n.get("type") == NodeType.CONDITION and n.get("schedule") == old.name
                ]
                for node in hits:
                    node["schedule"] = schedule.name
                if hits:
                    conn.execute(
                        "UPDATE ivr_flows SET definition = ? WHERE id = ?",
                        (rows.flow_params(flow)[1], flow.id),
                    )
        return replace(schedule, id=schedule_id)


def delete_schedule(conn: sqlite3.Connection, schedule_id: int) -> None:
    """Delete a schedule, refusing while an active flow still asks it."""
    with transaction(conn):
        schedule = get_schedule(conn, schedule_id)
        if schedule is None:
            raise NotFoundError("id", f"no schedule with id {schedule_id}")
        for flow_name, node_id in _flows_using_schedule(conn, schedule.name):
            raise ConfigError(
                "name",
                f"schedule {schedule.name} is used by node {node_id} of IVR flow {flow_name}",
            )
        conn.execute("DELETE FROM schedules WHERE id = ?", (schedule_id,))


# --- voicemail -----------------------------------------------------------------------------


def add_voicemail(conn: sqlite3.Connection, message: VoicemailMessage) -> VoicemailMessage:
    """Store a message (the daemon does this through its record writer)."""
    with transaction(conn):
        message_id = conn.execute(rows.VOICEMAIL_INSERT, rows.voicemail_params(message)).lastrowid
    return replace(message, id=message_id)


def list_voicemail(
    conn: sqlite3.Connection, limit: int = 100, offset: int = 0
) -> list[VoicemailMessage]:
    """A page of voicemail messages, newest first."""
    params = (
        _whole_number(limit, "limit", 1, MAX_PAGE),
        _whole_number(offset, "offset", 0, _MAX_OFFSET),
    )
    return [rows.voicemail_from_row(r) for r in conn.execute(rows.VOICEMAIL_PAGE_SELECT, params)]


def count_voicemail(conn: sqlite3.Connection) -> int:
    return int(conn.execute(rows.VOICEMAIL_COUNT_SELECT).fetchone()[0])


def get_voicemail(conn: sqlite3.Connection, message_id: int) -> VoicemailMessage | None:
    row = conn.execute(rows.VOICEMAIL_SELECT, (message_id,)).fetchone()
    return None if row is None else rows.voicemail_from_row(row)


def delete_voicemail(conn: sqlite3.Connection, message_id: int) -> VoicemailMessage:
    """Forget a message and return it, so the caller can remove its file."""
    with transaction(conn):
        message = get_voicemail(conn, message_id)
        if message is None:
            raise NotFoundError("id", f"no voicemail message with id {message_id}")
        conn.execute("DELETE FROM voicemail WHERE id = ?", (message_id,))
        return message


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
            get_setting(conn, rows.PAUSE_REASONS_KEY),
            conn.execute(rows.SCHEDULES_SELECT).fetchall(),
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



def list_agent_states(
    conn: sqlite3.Connection, since: float, until: float
) -> list[AgentStateEntry]:
    """Agent state changes in [since, until), oldest first, each agent's last earlier one first.

    The leading entries say what state each agent was in when the window
    began, so durations within it can be summed exactly.
    """
    for value, field in ((since, "since"), (until, "until")):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(field, "must be a time in seconds")
    if until < since:
        raise ConfigError("until", "must not be before since")
    with _snapshot(conn):
        before = conn.execute(rows.AGENT_STATE_BEFORE_SELECT, (since,)).fetchall()
        within = conn.execute(rows.AGENT_STATE_RANGE_SELECT, (since, until)).fetchall()
    return [rows.agent_state_from_row(r) for r in [*before, *within]]
