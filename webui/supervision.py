"""Supervision from the wallboard: listen, whisper or barge on a live call, and the log of it.

The page lists the calls connected to an agent now; the technician picks the
supervisor's phone (an agent's extension or an FXS port) and a mode, and the
daemon rings that phone and joins it to the call when it is picked up. Every
use is logged by the daemon; the log is shown below, newest first.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from firmware.control.client import ControlError
from firmware.store import recordings as store
from firmware.store import sync
from firmware.store.recordings import SupervisionMode
from webui.auth import login_required
from webui.daemon_link import daemon_is_down, daemon_request
from webui.db import get_db

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

MODE_HELP = {
    SupervisionMode.LISTEN: "listen: hear both, nobody hears you",
    SupervisionMode.WHISPER: "whisper: the agent hears you, the caller does not",
    SupervisionMode.BARGE: "barge: join the conversation, all three hear each other",
}


def _live() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """Connected calls and supervisions in progress, or why they cannot be shown."""
    try:
        calls = daemon_request("calls")["calls"]
        sessions = daemon_request("supervisions")["supervisions"]
    except ControlError as exc:
        problem = "The service is not running." if daemon_is_down(exc) else str(exc)
        return [], [], problem
    return [c for c in calls if c.get("state") == "connected"], sessions, None


def _supervisors() -> list[tuple[str, str]]:
    conn = get_db()
    options = [(a.extension, f"{a.extension} ({a.name}, {a.port})") for a in sync.list_agents(conn)]
    ports = sync.card_ports(conn) or []
    options += [(p, f"{p} (phone port)") for p in ports if p.startswith("fxs")]
    return options


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Live calls to supervise, supervisors on calls, and the log."""
    calls, sessions, problem = _live()
    return render_template(
        "supervision/index.html", calls=calls, sessions=sessions, problem=problem,
        supervisors=_supervisors(), modes=[(m.value, MODE_HELP[m]) for m in SupervisionMode],
        log=store.list_supervision(get_db(), limit=100),
    )


def _send(cmd: str, done: str, **args: Any) -> ResponseReturnValue:
    try:
        daemon_request(cmd, **args)
    except ControlError as exc:
        if daemon_is_down(exc):
            flash("The service is not running; there are no live calls to supervise.", "error")
        else:
            flash(f"Not done: {exc}", "error")
    else:
        flash(done, "success")
    return redirect(url_for("supervision.index"))


@bp.route("/start", methods=["POST"])
@login_required
def start() -> ResponseReturnValue:
    """Ring the supervisor's phone to join the call in the chosen mode."""
    supervisor = request.form.get("supervisor", "")
    mode = request.form.get("mode", "")
    return _send(
        "supervise", f"Ringing {supervisor}: pick up to {mode} on call "
        f"{request.form.get('call_id', '')}.",
        supervisor=supervisor, call_id=request.form.get("call_id", ""), mode=mode,
    )


@bp.route("/mode", methods=["POST"])
@login_required
def mode() -> ResponseReturnValue:
    """Switch a supervisor on a call to another mode."""
    supervisor = request.form.get("supervisor", "")
    chosen = request.form.get("mode", "")
    return _send("supervise-mode", f"{supervisor} now in {chosen} mode.",
                 supervisor=supervisor, mode=chosen)


@bp.route("/stop", methods=["POST"])
@login_required
def stop() -> ResponseReturnValue:
    """Take a supervisor off the call."""
    supervisor = request.form.get("supervisor", "")
    return _send("supervise-stop", f"{supervisor} left the call.", supervisor=supervisor)
