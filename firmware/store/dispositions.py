"""Disposition codes agents set on the calls they handled ("sale", "callback", ...).

A disposition belongs to one call record (keyed by the record's row id: call
ids start again at c1 when the daemon restarts, a record's row never does).
The codes an agent may choose are those of the call's client.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from firmware.store import rows
from firmware.store.clients import ClientDirectory, client_directory, client_named
from firmware.store.models import Cdr, ConfigError, NotFoundError
from firmware.store.sync import transaction

_CDR_COLUMNS = (
    "call_id, start, answer, end, port, direction, caller_number, caller_name, "
    "destination, queue, agent, disposition, duration, billsec"
)


@dataclass(frozen=True)
class CallDisposition:
    """The code an agent closed a call with, and when (wall clock)."""

    cdr_id: int
    call_id: str
    agent: str
    client: str | None
    code: str
    time: float


@dataclass(frozen=True)
class AgentCall:
    """A call an agent handled: its record, its client, and its disposition so far."""

    cdr_id: int
    cdr: Cdr
    client: str | None
    codes: tuple[str, ...]
    disposition: CallDisposition | None


def _disposition_from_row(row: sqlite3.Row) -> CallDisposition:
    return CallDisposition(
        row["cdr_id"], row["call_id"], row["agent"], row["client"], row["code"], row["time"]
    )


def disposition_of(conn: sqlite3.Connection, cdr_id: int) -> CallDisposition | None:
    row = conn.execute(
        "SELECT cdr_id, call_id, agent, client, code, time FROM call_dispositions "
        "WHERE cdr_id = ?", (cdr_id,)
    ).fetchone()
    return None if row is None else _disposition_from_row(row)


def dispositions_of(conn: sqlite3.Connection, cdr_ids: list[int]) -> dict[int, str]:
    """The codes set on these records (record id -> code)."""
    found: dict[int, str] = {}
    for start in range(0, len(cdr_ids), 500):
        chunk = cdr_ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        found.update(
            (r[0], r[1]) for r in conn.execute(
                f"SELECT cdr_id, code FROM call_dispositions WHERE cdr_id IN ({marks})", chunk
            )
        )
    return found


def _codes_of(conn: sqlite3.Connection, client: str | None) -> tuple[str, ...]:
    found = client_named(conn, client) if client is not None else None
    return found.disposition_codes if found is not None else ()


def recent_calls(
    conn: sqlite3.Connection, agent: str, limit: int = 5, directory: ClientDirectory | None = None
) -> list[AgentCall]:
    """The agent's latest finished calls, newest first, each with the codes they may set."""
    if directory is None:
        directory = client_directory(conn)
    found = conn.execute(
        f"SELECT id, {_CDR_COLUMNS} FROM cdr WHERE agent = ? ORDER BY start DESC, id DESC LIMIT ?",
        (agent, limit),
    ).fetchall()
    calls = []
    for row in found:
        cdr = rows.cdr_from_row(row)
        client = directory.for_record(cdr)
        calls.append(AgentCall(
            row["id"], cdr, client, _codes_of(conn, client), disposition_of(conn, row["id"])
        ))
    return calls


def set_disposition(
    conn: sqlite3.Connection, cdr_id: int, agent: str, code: object, now: float
) -> CallDisposition:
    """Record (or correct) the code ``agent`` gives their call; refused for anyone else's call.

    The code must be one of the codes of the call's client, found as billing
    finds it (:meth:`ClientDirectory.for_record`).
    """
    with transaction(conn):
        row = conn.execute(f"SELECT id, {_CDR_COLUMNS} FROM cdr WHERE id = ?", (cdr_id,)).fetchone()
        if row is None:
            raise NotFoundError("cdr_id", f"no call record with id {cdr_id}")
        cdr = rows.cdr_from_row(row)
        if cdr.agent != agent:
            raise ConfigError("cdr_id", f"call {cdr.call_id} was not handled by {agent}")
        client = client_directory(conn).for_record(cdr)
        codes = _codes_of(conn, client)
        if not codes:
            raise ConfigError(
                "code", "this call belongs to no client with disposition codes"
            )
        if not isinstance(code, str) or code.strip() not in codes:
            raise ConfigError("code", f"choose one of {', '.join(codes)}")
        chosen = CallDisposition(cdr_id, cdr.call_id, agent, client, code.strip(), now)
        conn.execute(
            "INSERT INTO call_dispositions (cdr_id, call_id, agent, client, code, time) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(cdr_id) DO UPDATE SET "
            "code = excluded.code, client = excluded.client, time = excluded.time",
            (chosen.cdr_id, chosen.call_id, chosen.agent, chosen.client, chosen.code, now),
        )
        return chosen
