"""Agents' PINs, with which they log in to their own page in the browser.

Only a salted slow hash is kept (scrypt, as for the admin password): a PIN
is short, so a fast hash of a stolen database would give them all away.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3

from werkzeug.security import check_password_hash, generate_password_hash

from firmware.store import sync
from firmware.store.models import Agent, ConfigError, NotFoundError

_PIN = re.compile(r"[0-9]{4,8}")
# Checked when no agent has the extension typed, so a wrong extension takes as
# long to refuse as a wrong PIN and the page does not reveal which extensions exist.
_DECOY_HASH = generate_password_hash("decoy-pin")


def validate_pin(raw: object) -> str:
    """A PIN is 4 to 8 digits, what an agent can also type on a phone's keypad."""
    if not isinstance(raw, str) or not _PIN.fullmatch(raw.strip()):
        raise ConfigError("pin", "a PIN is 4 to 8 digits")
    return raw.strip()


def set_agent_pin(conn: sqlite3.Connection, agent_id: int, pin: object) -> None:
    """Give an agent a new PIN (ending any page they are logged in to with the old one)."""
    checked = validate_pin(pin)
    with sync.transaction(conn):
        changed = conn.execute(
            "UPDATE agents SET pin_hash = ? WHERE id = ?",
            (generate_password_hash(checked), agent_id),
        ).rowcount
        if changed == 0:
            raise NotFoundError("id", f"no agent with id {agent_id}")


def clear_agent_pin(conn: sqlite3.Connection, agent_id: int) -> None:
    """Take an agent's PIN away: they can no longer log in to their page."""
    with sync.transaction(conn):
        if conn.execute(
            "UPDATE agents SET pin_hash = NULL WHERE id = ?", (agent_id,)
        ).rowcount == 0:
            raise NotFoundError("id", f"no agent with id {agent_id}")


def agents_with_pin(conn: sqlite3.Connection) -> set[int]:
    """Ids of the agents who have a PIN."""
    return {r[0] for r in conn.execute("SELECT id FROM agents WHERE pin_hash IS NOT NULL")}


def agent_for_pin(conn: sqlite3.Connection, extension: str, pin: str) -> Agent | None:
    """The agent with this extension if ``pin`` is theirs; None for any mismatch."""
    row = conn.execute(
        "SELECT id, pin_hash FROM agents WHERE extension = ?", (extension.strip(),)
    ).fetchone()
    stored = row["pin_hash"] if row is not None else None
    if stored is None:
        check_password_hash(_DECOY_HASH, pin)
        return None
    if not check_password_hash(stored, pin):
        return None
    return sync.get_agent(conn, row["id"])


def pin_stamp(conn: sqlite3.Connection, agent_id: int) -> str | None:
    """A short fingerprint of the agent's current PIN hash, for their login session.

    A session records the stamp it was opened with; a new or removed PIN
    changes it, so pages opened with the old PIN stop working.
    """
    row = conn.execute("SELECT pin_hash FROM agents WHERE id = ?", (agent_id,)).fetchone()
    if row is None or row[0] is None:
        return None
    return hashlib.sha256(row[0].encode()).hexdigest()[:16]
