"""The one place a request gets its database handle.

Each request opens its own connection and the app context closes it, so a
gunicorn worker never holds a connection (and a WAL read snapshot) between
requests, and a technician's edit is visible to the next page load.
"""

from __future__ import annotations

import sqlite3

from flask import Flask, current_app, g

from firmware.store import sync


def get_db() -> sqlite3.Connection:
    """The request's connection to the store, opened (and migrated) on first use."""
    if "db" not in g:
        g.db = sync.connect(current_app.config["DATABASE"])
    conn: sqlite3.Connection = g.db
    return conn


def close_db(_exc: BaseException | None = None) -> None:
    """Close the request's connection, if one was opened."""
    conn: sqlite3.Connection | None = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_app(app: Flask) -> None:
    """Close the connection at the end of every request and CLI command."""
    app.teardown_appcontext(close_db)
