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
    DEFAULT_PAUSE_REASONS,
    Agent,
    AgentStateEntry,
    BoxConfig,
    Cdr,
    ConfigError,
    FlowVersion,
    Holiday,
    InboundRoute,
    IvrFlow,
    Queue,
    QueueLogEntry,
    RemoteMode,
    Schedule,
    Strategy,
    VoicemailMessage,
    validate_pause_reasons,
)

Row = Mapping[str, Any]

CARD_PORTS_KEY = "card_ports"
COUNTRY_KEY = "country"
SEEDED_KEY = "seeded"
PAUSE_REASONS_KEY = "pause_reasons"
DEFAULT_COUNTRY = "PL"

SETTING_SELECT = "SELECT value FROM settings WHERE key = ?"
SETTING_UPSERT = (
    "INSERT INTO settings (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)

_AGENT_COLUMNS = (
    "name", "extension", "port", "logged_in", "skills", "remote_number", "remote_mode",
)
# The PIN hash is read with the agents (remote agents log in with it from a
# phone) but never written through the agent statements: agent_pins owns it.
AGENTS_SELECT = f"SELECT id, {', '.join(_AGENT_COLUMNS)}, pin_hash FROM agents ORDER BY id"
AGENT_SELECT = f"SELECT id, {', '.join(_AGENT_COLUMNS)} FROM agents WHERE id = ?"
AGENT_INSERT = (
    f"INSERT INTO agents ({', '.join(_AGENT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_AGENT_COLUMNS))})"
)
AGENT_UPDATE = f"UPDATE agents SET {', '.join(c + ' = ?' for c in _AGENT_COLUMNS)} WHERE id = ?"
AGENT_LOGIN_UPDATE = "UPDATE agents SET logged_in = ? WHERE name = ?"

_QUEUE_COLUMNS = (
    "name", "strategy", "ring_timeout", "retry_delay", "max_wait", "service_level", "wrapup",
    "autopause_rings", "skills", "skill_widen_after", "skill_widen_step", "max_length",
    "exit_destination", "join_empty", "leave_empty", "overflow_queue", "overflow_after",
    "overflow_predicted", "priority_callers", "hold_music", "announce_every",
    "announce_position", "announce_wait", "language", "callback_digit", "record_percent",
    "record_notice",
)
QUEUES_SELECT = f"SELECT id, {', '.join(_QUEUE_COLUMNS)} FROM queues ORDER BY id"
QUEUE_SELECT = f"SELECT id, {', '.join(_QUEUE_COLUMNS)} FROM queues WHERE id = ?"
QUEUE_INSERT = (
    f"INSERT INTO queues ({', '.join(_QUEUE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_QUEUE_COLUMNS))})"
)
QUEUE_UPDATE = f"UPDATE queues SET {', '.join(c + ' = ?' for c in _QUEUE_COLUMNS)} WHERE id = ?"
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

_AGENT_STATE_COLUMNS = "time, agent, state, reason"
AGENT_STATE_INSERT = f"INSERT INTO agent_state_log ({_AGENT_STATE_COLUMNS}) VALUES (?, ?, ?, ?)"
# Oldest first within [since, until), as durations are summed forward in time.
AGENT_STATE_RANGE_SELECT = (
    f"SELECT {_AGENT_STATE_COLUMNS} FROM agent_state_log WHERE time >= ? AND time < ? "
    "ORDER BY time, id"
)
# The last entry of each agent before a window: the state they were in when it began.
AGENT_STATE_BEFORE_SELECT = (
    f"SELECT {_AGENT_STATE_COLUMNS} FROM agent_state_log l WHERE id = "
    "(SELECT id FROM agent_state_log WHERE agent = l.agent AND time < ? "
    "ORDER BY time DESC, id DESC LIMIT 1) ORDER BY time, id"
)


def _pairs_from_json(text: str, field: str) -> tuple[tuple[str, int], ...]:
    """Pairs stored as a JSON object; a damaged value names the field it is in."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ConfigError(field, f"stored value is not valid JSON ({exc})") from None
    if not isinstance(value, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value.values()
    ):
        raise ConfigError(field, "stored value is not an object of whole numbers")
    return tuple(sorted((str(k), int(v)) for k, v in value.items()))


def _pairs_to_json(pairs: Iterable[tuple[str, int]]) -> str:
    return json.dumps(dict(pairs), separators=(",", ":"), sort_keys=True)


def agent_from_row(row: Row) -> Agent:
    try:
        mode = RemoteMode(row["remote_mode"])
    except ValueError:
        raise ConfigError(
            f"agents[{row['name']}].remote_mode", f"unknown mode {row['remote_mode']!r}"
        ) from None
    return Agent(
        row["id"], row["name"], row["extension"], row["port"], bool(row["logged_in"]),
        _pairs_from_json(row["skills"], f"agents[{row['name']}].skills"),
        row["remote_number"], mode,
    )


def agent_params(agent: Agent) -> tuple[Any, ...]:
    """Parameters of AGENT_INSERT; AGENT_UPDATE takes these plus the id."""
    return (
        agent.name, agent.extension, agent.port, int(agent.logged_in),
        _pairs_to_json(agent.skills), agent.remote_number, agent.remote_mode.value,
    )


def remote_pins_from_rows(agent_rows: Iterable[Row]) -> tuple[tuple[str, str], ...]:
    """(name, PIN hash) of the remote agents who have a PIN (rows of AGENTS_SELECT)."""
    return tuple(
        (r["name"], r["pin_hash"]) for r in agent_rows if r["remote_number"] and r["pin_hash"]
    )


def queue_from_row(row: Row, members: Sequence[str]) -> Queue:
    try:
        strategy = Strategy(row["strategy"])
    except ValueError:
        raise ConfigError(
            f"queues[{row['name']}].strategy", f"unknown strategy {row['strategy']!r} stored"
        ) from None
    where = f"queues[{row['name']}]"
    return Queue(
        row["id"],
        row["name"],
        strategy,
        float(row["ring_timeout"]),
        float(row["retry_delay"]),
        float(row["max_wait"]),
        tuple(members),
        service_level=float(row["service_level"]),
        wrapup=float(row["wrapup"]),
        autopause_rings=int(row["autopause_rings"]),
        skills=_pairs_from_json(row["skills"], f"{where}.skills"),
        skill_widen_after=float(row["skill_widen_after"]),
        skill_widen_step=int(row["skill_widen_step"]),
        max_length=int(row["max_length"]),
        exit_destination=row["exit_destination"],
        join_empty=bool(row["join_empty"]),
        leave_empty=bool(row["leave_empty"]),
        overflow_queue=row["overflow_queue"],
        overflow_after=float(row["overflow_after"]),
        overflow_predicted=bool(row["overflow_predicted"]),
        priority_callers=_pairs_from_json(row["priority_callers"], f"{where}.priority_callers"),
        hold_music=row["hold_music"],
        announce_every=float(row["announce_every"]),
        announce_position=bool(row["announce_position"]),
        announce_wait=bool(row["announce_wait"]),
        language=row["language"],
        callback_digit=row["callback_digit"],
        record_percent=int(row["record_percent"]),
        record_notice=row["record_notice"],
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
        queue.service_level,
        queue.wrapup,
        queue.autopause_rings,
        _pairs_to_json(queue.skills),
        queue.skill_widen_after,
        queue.skill_widen_step,
        queue.max_length,
        queue.exit_destination,
        int(queue.join_empty),
        int(queue.leave_empty),
        queue.overflow_queue,
        queue.overflow_after,
        int(queue.overflow_predicted),
        _pairs_to_json(queue.priority_callers),
        queue.hold_music,
        queue.announce_every,
        int(queue.announce_position),
        int(queue.announce_wait),
        queue.language,
        queue.callback_digit,
        queue.record_percent,
        queue.record_notice,
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
    pause_reasons: str | None = None,
    schedule_rows: Iterable[Row] = (),
) -> BoxConfig:
    """The whole box configuration from the rows of the *_SELECT statements."""
    agent_rows = list(agent_rows)
    return BoxConfig(
        agents=tuple(agent_from_row(r) for r in agent_rows),
        remote_pins=remote_pins_from_rows(agent_rows),
        queues=tuple(queues_from_rows(queue_rows, member_rows)),
        flows=tuple(flow_from_row(r) for r in flow_rows),
        routes=tuple(route_from_row(r) for r in route_rows),
        country=country or DEFAULT_COUNTRY,
        pause_reasons=decode_pause_reasons(pause_reasons),
        schedules=tuple(schedule_from_row(r) for r in schedule_rows),
    )


def encode_pause_reasons(reasons: Sequence[str]) -> str:
    return json.dumps(list(reasons))


def decode_pause_reasons(value: str | None) -> tuple[str, ...]:
    """The stored pause reasons; the defaults when never set or unreadable.

    An unreadable value must not stop agents from pausing at all.
    """
    if value is None:
        return DEFAULT_PAUSE_REASONS
    try:
        return validate_pause_reasons(json.loads(value))
    except (ValueError, ConfigError):
        return DEFAULT_PAUSE_REASONS


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


def agent_state_from_row(row: Row) -> AgentStateEntry:
    return AgentStateEntry(
        time=row["time"], agent=row["agent"], state=row["state"], reason=row["reason"]
    )


def agent_state_params(entry: AgentStateEntry) -> tuple[Any, ...]:
    return (entry.time, entry.agent, entry.state.value, entry.reason)


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


# --- IVR flow versions, schedules, voicemail ------------------------------------------------

FLOW_ACTIVATE = "UPDATE ivr_flows SET definition = ?, active_version = ? WHERE id = ?"
FLOW_ACTIVE_VERSION_SELECT = "SELECT active_version FROM ivr_flows WHERE id = ?"
FLOW_VERSION_INSERT = (
    "INSERT INTO ivr_flow_versions (flow_id, version, definition, created) "
    "VALUES (?, (SELECT coalesce(max(version), 0) + 1 FROM ivr_flow_versions WHERE flow_id = ?), "
    "?, coalesce(?, CAST(strftime('%s', 'now') AS REAL))) RETURNING version"
)
FLOW_VERSIONS_SELECT = (
    "SELECT v.flow_id AS flow_id, v.version AS version, v.definition AS definition, "
    "v.created AS created, f.active_version = v.version AS active "
    "FROM ivr_flow_versions v JOIN ivr_flows f ON f.id = v.flow_id "
    "WHERE v.flow_id = ? ORDER BY v.version DESC"
)
FLOW_VERSION_SELECT = (
    "SELECT v.flow_id AS flow_id, v.version AS version, v.definition AS definition, "
    "v.created AS created, f.active_version = v.version AS active "
    "FROM ivr_flow_versions v JOIN ivr_flows f ON f.id = v.flow_id "
    "WHERE v.flow_id = ? AND v.version = ?"
)

SCHEDULES_SELECT = "SELECT id, name, timezone, hours, holidays FROM schedules ORDER BY id"
SCHEDULE_SELECT = "SELECT id, name, timezone, hours, holidays FROM schedules WHERE id = ?"
SCHEDULE_INSERT = "INSERT INTO schedules (name, timezone, hours, holidays) VALUES (?, ?, ?, ?)"
SCHEDULE_UPDATE = (
    "UPDATE schedules SET name = ?, timezone = ?, hours = ?, holidays = ? WHERE id = ?"
)

_VOICEMAIL_COLUMNS = "call_id, mailbox, flow, caller_number, created, seconds, path"
VOICEMAIL_INSERT = f"INSERT INTO voicemail ({_VOICEMAIL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
VOICEMAIL_PAGE_SELECT = (
    f"SELECT id, {_VOICEMAIL_COLUMNS} FROM voicemail ORDER BY created DESC, id DESC "
    "LIMIT ? OFFSET ?"
)
VOICEMAIL_SELECT = f"SELECT id, {_VOICEMAIL_COLUMNS} FROM voicemail WHERE id = ?"
VOICEMAIL_COUNT_SELECT = "SELECT count(*) FROM voicemail"


def flow_version_from_row(row: Row) -> FlowVersion:
    try:
        definition = json.loads(row["definition"])
    except ValueError as exc:
        raise ConfigError(
            f"flows[{row['flow_id']}].versions[{row['version']}]",
            f"stored definition is not valid JSON ({exc})",
        ) from None
    return FlowVersion(
        row["flow_id"], row["version"], definition, float(row["created"]), bool(row["active"])
    )


def schedule_from_row(row: Row) -> Schedule:
    """A stored schedule; stored rows went through validate_schedule, so they are trusted."""
    try:
        hours = json.loads(row["hours"])
        holidays = json.loads(row["holidays"])
        return Schedule(
            row["id"],
            row["name"],
            row["timezone"],
            tuple(tuple((int(a), int(b)) for a, b in day) for day in hours),
            tuple(Holiday(h["date"], h["name"]) for h in holidays),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(
            f"schedules[{row['name']}]", f"stored schedule is unreadable ({exc})"
        ) from None


def schedule_params(schedule: Schedule) -> tuple[Any, ...]:
    """Parameters of SCHEDULE_INSERT; SCHEDULE_UPDATE takes these plus the id."""
    return (
        schedule.name,
        schedule.timezone,
        json.dumps([[list(pair) for pair in day] for day in schedule.hours]),
        json.dumps([{"date": h.date, "name": h.name} for h in schedule.holidays]),
    )


def voicemail_from_row(row: Row) -> VoicemailMessage:
    return VoicemailMessage(
        id=row["id"],
        call_id=row["call_id"],
        mailbox=row["mailbox"],
        flow=row["flow"],
        caller_number=row["caller_number"],
        created=row["created"],
        seconds=row["seconds"],
        path=row["path"],
    )


def voicemail_params(message: VoicemailMessage) -> tuple[Any, ...]:
    return (
        message.call_id,
        message.mailbox,
        message.flow,
        message.caller_number,
        message.created,
        message.seconds,
        message.path,
    )
