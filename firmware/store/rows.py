"""The SQL and the row <-> model mapping, shared by the sync and async access paths.

The web UI (sqlite3) and the daemon (aiosqlite) run the same statements and
build models with the same functions from here, so the two views of the
database cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from firmware.store.models import (
    Agent,
    BoxConfig,
    Cdr,
    ConfigError,
    InboundRoute,
    IvrFlow,
    Queue,
    QueueLogEntry,
    Strategy,
)

Row = Mapping[str, Any]

CARD_PORTS_KEY = "card_ports"
COUNTRY_KEY = "country"
SEEDED_KEY = "seeded"
DEFAULT_COUNTRY = "PL"

SETTING_SELECT = "SELECT value FROM settings WHERE key = ?"
SETTING_UPSERT = (
    "INSERT INTO settings (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)

AGENTS_SELECT = "SELECT id, name, extension, port, logged_in FROM agents ORDER BY id"
AGENT_SELECT = "SELECT id, name, extension, port, logged_in FROM agents WHERE id = ?"
AGENT_INSERT = "INSERT INTO agents (name, extension, port, logged_in) VALUES (?, ?, ?, ?)"
AGENT_UPDATE = "UPDATE agents SET name = ?, extension = ?, port = ?, logged_in = ? WHERE id = ?"

QUEUES_SELECT = (
    "SELECT id, name, strategy, ring_timeout, retry_delay, max_wait FROM queues ORDER BY id"
)
QUEUE_SELECT = (
    "SELECT id, name, strategy, ring_timeout, retry_delay, max_wait FROM queues WHERE id = ?"
)
QUEUE_INSERT = (
    "INSERT INTO queues (name, strategy, ring_timeout, retry_delay, max_wait) "
    "VALUES (?, ?, ?, ?, ?)"
)
QUEUE_UPDATE = (
    "UPDATE queues SET name = ?, strategy = ?, ring_timeout = ?, retry_delay = ?, max_wait = ? "
    "WHERE id = ?"
)
MEMBERS_SELECT = (
    "SELECT m.queue_id AS queue_id, a.name AS name FROM queue_members m "
    "JOIN agents a ON a.id = m.agent_id ORDER BY m.queue_id, m.position, m.rowid"
)
MEMBERS_OF_SELECT = (
    "SELECT m.queue_id AS queue_id, a.name AS name FROM queue_members m "
    "JOIN agents a ON a.id = m.agent_id WHERE m.queue_id = ? ORDER BY m.position, m.rowid"
)
MEMBERS_DELETE = "DELETE FROM queue_members WHERE queue_id = ?"
MEMBER_INSERT = (
    "INSERT INTO queue_members (queue_id, agent_id, position) "
    "SELECT ?, id, ? FROM agents WHERE name = ?"
)

FLOWS_SELECT = "SELECT id, name, definition FROM ivr_flows ORDER BY id"
FLOW_SELECT = "SELECT id, name, definition FROM ivr_flows WHERE id = ?"
FLOW_INSERT = "INSERT INTO ivr_flows (name, definition) VALUES (?, ?)"
FLOW_UPDATE = "UPDATE ivr_flows SET name = ?, definition = ? WHERE id = ?"

ROUTES_SELECT = "SELECT id, port, destination FROM inbound_routes ORDER BY id"
ROUTE_SELECT = "SELECT id, port, destination FROM inbound_routes WHERE id = ?"
ROUTE_INSERT = "INSERT INTO inbound_routes (port, destination) VALUES (?, ?)"
ROUTE_UPDATE = "UPDATE inbound_routes SET port = ?, destination = ? WHERE id = ?"

CONFIG_COUNTS_SELECT = (
    "SELECT (SELECT count(*) FROM agents) + (SELECT count(*) FROM queues) "
    "+ (SELECT count(*) FROM ivr_flows) + (SELECT count(*) FROM inbound_routes)"
)

_CDR_COLUMNS = (
    "call_id, start, answer, end, port, direction, caller_number, caller_name, "
    "destination, queue, agent, disposition, duration, billsec"
)
CDR_INSERT = f"INSERT INTO cdr ({_CDR_COLUMNS}) VALUES ({', '.join('?' * 14)})"
CDR_PAGE_SELECT = f"SELECT {_CDR_COLUMNS} FROM cdr ORDER BY start DESC, id DESC LIMIT ? OFFSET ?"
CDR_COUNT_SELECT = "SELECT count(*) FROM cdr"

_QUEUE_LOG_COLUMNS = "time, call_id, queue, agent, event, data"
QUEUE_LOG_INSERT = f"INSERT INTO queue_log ({_QUEUE_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
QUEUE_LOG_PAGE_SELECT = (
    f"SELECT {_QUEUE_LOG_COLUMNS} FROM queue_log ORDER BY time DESC, id DESC LIMIT ? OFFSET ?"
)


def agent_from_row(row: Row) -> Agent:
    return Agent(row["id"], row["name"], row["extension"], row["port"], bool(row["logged_in"]))


def agent_params(agent: Agent) -> tuple[Any, ...]:
    """Parameters of AGENT_INSERT; AGENT_UPDATE takes these plus the id."""
    return (agent.name, agent.extension, agent.port, int(agent.logged_in))


def queue_from_row(row: Row, members: Sequence[str]) -> Queue:
    try:
        strategy = Strategy(row["strategy"])
    except ValueError:
        raise ConfigError(
            f"queues[{row['name']}].strategy", f"unknown strategy {row['strategy']!r} stored"
        ) from None
    return Queue(
        row["id"],
        row["name"],
        strategy,
        float(row["ring_timeout"]),
        float(row["retry_delay"]),
        float(row["max_wait"]),
        tuple(members),
    )


def queues_from_rows(queue_rows: Iterable[Row], member_rows: Iterable[Row]) -> list[Queue]:
    """Queues with their members; ``member_rows`` come from MEMBERS_SELECT (in order)."""
    members: dict[int, list[str]] = {}
    for row in member_rows:
        members.setdefault(row["queue_id"], []).append(row["name"])
    return [queue_from_row(row, members.get(row["id"], ())) for row in queue_rows]


def queue_params(queue: Queue) -> tuple[Any, ...]:
    """Parameters of QUEUE_INSERT; QUEUE_UPDATE takes these plus the id."""
    return (
        queue.name,
        queue.strategy.value,
        queue.ring_timeout,
        queue.retry_delay,
        queue.max_wait,
    )


def flow_from_row(row: Row) -> IvrFlow:
    try:
        definition = json.loads(row["definition"])
    except ValueError as exc:
        raise ConfigError(
            f"flows[{row['name']}].definition", f"stored definition is not valid JSON ({exc})"
        ) from None
    return IvrFlow(row["id"], row["name"], definition)


def flow_params(flow: IvrFlow) -> tuple[Any, ...]:
    """Parameters of FLOW_INSERT; FLOW_UPDATE takes these plus the id."""
    return (flow.name, json.dumps(flow.definition, separators=(",", ":")))


def route_from_row(row: Row) -> InboundRoute:
    return InboundRoute(row["id"], row["port"], row["destination"])


def route_params(route: InboundRoute) -> tuple[Any, ...]:
    """Parameters of ROUTE_INSERT; ROUTE_UPDATE takes these plus the id."""
    return (route.port, route.destination)


def config_from_rows(
    agent_rows: Iterable[Row],
    queue_rows: Iterable[Row],
    member_rows: Iterable[Row],
    flow_rows: Iterable[Row],
    route_rows: Iterable[Row],
    country: str | None,
) -> BoxConfig:
    """The whole box configuration from the rows of the *_SELECT statements."""
    return BoxConfig(
        agents=tuple(agent_from_row(r) for r in agent_rows),
        queues=tuple(queues_from_rows(queue_rows, member_rows)),
        flows=tuple(flow_from_row(r) for r in flow_rows),
        routes=tuple(route_from_row(r) for r in route_rows),
        country=country or DEFAULT_COUNTRY,
    )


def cdr_from_row(row: Row) -> Cdr:
    return Cdr(
        call_id=row["call_id"],
        start=row["start"],
        answer=row["answer"],
        end=row["end"],
        port=row["port"],
        direction=row["direction"],
        caller_number=row["caller_number"],
        caller_name=row["caller_name"],
        destination=row["destination"],
        queue=row["queue"],
        agent=row["agent"],
        disposition=row["disposition"],
        duration=row["duration"],
        billsec=row["billsec"],
    )


def cdr_params(cdr: Cdr) -> tuple[Any, ...]:
    return (
        cdr.call_id,
        cdr.start,
        cdr.answer,
        cdr.end,
        cdr.port,
        cdr.direction.value,
        cdr.caller_number,
        cdr.caller_name,
        cdr.destination,
        cdr.queue,
        cdr.agent,
        cdr.disposition.value,
        cdr.duration,
        cdr.billsec,
    )


def queue_log_from_row(row: Row) -> QueueLogEntry:
    return QueueLogEntry(
        time=row["time"],
        call_id=row["call_id"],
        queue=row["queue"],
        agent=row["agent"],
        event=row["event"],
        data=row["data"],
    )


def queue_log_params(entry: QueueLogEntry) -> tuple[Any, ...]:
    return (entry.time, entry.call_id, entry.queue, entry.agent, entry.event.value, entry.data)


def encode_card_ports(names: Sequence[str]) -> str:
    if isinstance(names, str) or not all(isinstance(n, str) and n for n in names):
        raise ValueError("card ports must be a list of port names")
    return json.dumps(list(names))


def decode_card_ports(value: str | None) -> list[str] | None:
    """The recorded port names; None when never recorded or unreadable.

    An unreadable value only loses the check against the card's ports, which
    is better than a web UI that cannot show its agent page.
    """
    if value is None:
        return None
    try:
        names = json.loads(value)
    except ValueError:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return names
