"""The admin password: one rule for the web UI and the serial console.

No default password exists; until the admin chooses one, the web UI only shows
the setup page and the console only offers ``passwd``.
"""

from __future__ import annotations

import sqlite3

from werkzeug.security import check_password_hash, generate_password_hash

from firmware.store import sync

PASSWORD_SETTING = "admin_password_hash"
MIN_PASSWORD_LENGTH = 10


class PasswordError(ValueError):
    """A new admin password was refused; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_new_password(password: str, confirm: str) -> None:
    """Refuse a password too short to resist guessing, or one typed differently twice."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(
            "password", f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    if password != confirm:
        raise PasswordError("confirm", "The two passwords are not the same.")


def password_is_set(conn: sqlite3.Connection) -> bool:
    """Whether the admin has chosen a password yet (nothing works until then)."""
    return sync.get_setting(conn, PASSWORD_SETTING) is not None


def set_password(conn: sqlite3.Connection, password: str, confirm: str) -> None:
    """Check and store a new admin password (hashed with scrypt by werkzeug)."""
    check_new_password(password, confirm)
    sync.set_setting(conn, PASSWORD_SETTING, generate_password_hash(password))


def password_matches(conn: sqlite3.Connection, password: str) -> bool:
    stored = sync.get_setting(conn, PASSWORD_SETTING)
    return bool(stored) and check_password_hash(str(stored), password)
