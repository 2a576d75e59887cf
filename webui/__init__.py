"""The embedded web UI: configuration, live state, records and the REST API.

It writes configuration straight to the store, so a technician can still fix a
box whose daemon is down, and then asks the daemon to reload.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

from firmware.store import sync
from hal.clock import MonotonicClock

SECRET_KEY_SETTING = "web_secret_key"


def _shared_secret_key(database: str) -> str:
    """The session signing key, created once and kept in the store.

    Every gunicorn worker reads the same key, so a login made through one
    worker is honoured by the others and survives a restart.
    """
    conn = sync.connect(database)
    try:
        # One write transaction: a worker starting at the same moment waits
        # for ours and then reads the key we wrote, so all workers agree.
        with sync.transaction(conn):
            key = sync.get_setting(conn, SECRET_KEY_SETTING)
            if not key:
                key = secrets.token_hex(32)
                sync.set_setting(conn, SECRET_KEY_SETTING, key)
        return key
    finally:
        conn.close()


def _security_headers(response: Response) -> Response:
    # Everything the UI needs is served by the box itself; refusing anything
    # else stops injected scripts and framing by other sites.
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web UI.

    ``config`` overrides the defaults: DATABASE (the store's SQLite file),
    CONTROL_SOCKET (the daemon's control socket), SECRET_KEY, TESTING, CLOCK
    (for the login lockout) and any Flask or Flask-WTF setting.
    """
    app = Flask(__name__)
    app.config.from_mapping(
        DATABASE=os.environ.get("CENTRALA_DB", "var/centrala.db"),
        CONTROL_SOCKET=os.environ.get("CENTRALA_CONTROL", "var/control.sock"),
        CONTROL_TIMEOUT=2.0,
        CLOCK=MonotonicClock(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # A form left open on a technician's screen stays valid for the session.
        WTF_CSRF_TIME_LIMIT=None,
    )
    if config is not None:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _shared_secret_key(app.config["DATABASE"])

    from webui import (
        agent_page,
        agents,
        api,
        audio,
        auth,
        capacity,
        clients,
        dashboard,
        db,
        diagnostics,
        errors,
        flows,
        inbound_routes,
        prompts,
        queues,
        recordings,
        records,
        reports,
        schedules,
        settings,
        spans,
        supervision,
        trunk_routes,
        voicemail,
    )
    from webui.formatting import register_filters

    db.init_app(app)
    csrf = CSRFProtect(app)
    auth.init_app(app, csrf)
    register_filters(app)
    errors.init_app(app)
    for blueprint in (
        auth.bp,
        dashboard.bp,
        records.bp,
        agents.bp,
        queues.bp,
        inbound_routes.bp,
        spans.bp,
        trunk_routes.bp,
        settings.bp,
        api.bp,
        diagnostics.bp,
        flows.bp,
        prompts.bp,
        audio.bp,
        schedules.bp,
        voicemail.bp,
        reports.bp,
        capacity.bp,
        clients.bp,
        agent_page.bp,
        recordings.bp,
        supervision.bp,
    ):
        app.register_blueprint(blueprint)
    app.after_request(_security_headers)
    return app
