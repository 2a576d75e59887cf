"""The agent's own page: log in with extension and PIN, presence, screen pop, dispositions.

An agent is not an admin: their login lives under its own session keys and
opens only this page. Presence changes go to the daemon through the same
control commands the console uses (agent_login, agent_logout, agent_pause,
agent_unpause). The screen pop is built from the daemon's status: the call
ringing or connected on the agent's phone, the client the caller dialled (the
daemon names it), and that client's script filled in with the call's data and
IVR variables.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from firmware.control.client import ControlError
from firmware.ivr.variables import fill
from firmware.store import sync
from firmware.store.agent_pins import (
    agent_for_pin,
    agents_with_pin,
    clear_agent_pin,
    pin_stamp,
    set_agent_pin,
)
from firmware.store.clients import Client, client_named
from firmware.store.dispositions import recent_calls, set_disposition
from firmware.store.models import Agent, ConfigError, NotFoundError
from webui.auth import LoginThrottle, login_required
from webui.daemon_link import daemon_is_down, daemon_request, read_status
from webui.db import get_db

bp = Blueprint("agent_page", __name__, url_prefix="/agent")

SESSION_AGENT = "agent_id"
SESSION_STAMP = "agent_pin_stamp"
_THROTTLE_KEY = "centrala.agent_pin_throttle"
RECENT_CALLS = 5

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


@dataclass(frozen=True)
class ScreenPop:
    """What the agent sees about the call on their phone."""

    call_id: str
    state: str  # "ringing" or "connected"
    caller_number: str | None
    caller_name: str | None
    client: str | None
    dialled: str | None  # the number (E1) or line (analog) the caller dialled
    queue: str | None
    duration: float
    variables: tuple[tuple[str, str], ...]
    script: str


def _call_for(calls: list[Mapping[str, Any]], agent: str) -> Mapping[str, Any] | None:
    """The call connected to the agent, else one ringing their phone."""
    for call in calls:
        if call.get("agent") == agent and call.get("state") == "connected":
            return call
    for call in calls:
        if agent in (call.get("ringing_agents") or ()):
            return call
    return None


def screen_pop(
    status: Mapping[str, Any], agent: str, client_of: Callable[[str], Client | None]
) -> ScreenPop | None:
    """The screen pop of ``agent`` from the daemon's status; None when their phone is quiet.

    ``client_of`` finds a client by the name the daemon gave the call. The
    script's placeholders take the IVR variables, then the call data (which
    win, so a flow cannot disguise the caller's number).
    """
    call = _call_for(list(status.get("calls") or ()), agent)
    if call is None:
        return None
    raw_variables = call.get("variables") or {}
    variables = {str(k): str(v) for k, v in raw_variables.items()}
    client_name = call.get("client")
    client = client_of(client_name) if isinstance(client_name, str) else None
    dialled = call.get("did") or call.get("port")
    data = {
        **variables,
        "caller_number": call.get("caller_number") or "",
        "caller_name": call.get("caller_name") or "",
        "client": client_name or "",
        "did": call.get("did") or "",
        "line": call.get("port") or "",
        "queue": call.get("queue") or "",
        "agent": agent,
    }
    return ScreenPop(
        call_id=str(call.get("id")),
        state="connected" if call.get("agent") == agent else "ringing",
        caller_number=call.get("caller_number"),
        caller_name=call.get("caller_name"),
        client=client_name if isinstance(client_name, str) else None,
        dialled=dialled,
        queue=call.get("queue"),
        duration=float(call.get("duration") or 0.0),
        variables=tuple(sorted(variables.items())),
        script=fill(client.script, data) if client is not None else "",
    )


# --- the agent's session -------------------------------------------------------------------


def _throttle() -> LoginThrottle:
    """PIN guesses are limited per address, apart from the admin's password guesses."""
    extensions = current_app.extensions
    if _THROTTLE_KEY not in extensions:
        extensions[_THROTTLE_KEY] = LoginThrottle(clock=current_app.config["CLOCK"])
    return cast(LoginThrottle, extensions[_THROTTLE_KEY])


def current_agent() -> Agent | None:
    """The agent logged in to this browser, if their PIN has not changed since."""
    agent_id = session.get(SESSION_AGENT)
    if not isinstance(agent_id, int):
        return None
    conn = get_db()
    agent = sync.get_agent(conn, agent_id)
    stamp = pin_stamp(conn, agent_id)
    if agent is None or stamp is None or stamp != session.get(SESSION_STAMP):
        session.pop(SESSION_AGENT, None)
        session.pop(SESSION_STAMP, None)
        return None
    return agent


def agent_required(view: F) -> F:
    """Send a browser without an agent login to the PIN page (a JSON poll gets 401)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_agent() is None:
            if request.path.endswith(".json"):
                return jsonify({"error": "log in with your extension and PIN"}), 401
            return redirect(url_for("agent_page.login"))
        return view(*args, **kwargs)

    return cast(F, wrapped)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log an agent in with their extension and PIN, refusing an address that keeps guessing."""
    error: str | None = None
    status = 200
    extension = request.form.get("extension", "").strip()
    if request.method == "POST":
        address = request.remote_addr or "unknown"
        wait = _throttle().locked_for(address)
        if wait > 0:
            minutes = max(1, round(wait / 60))
            error = f"Too many wrong PINs from your address. Try again in {minutes} min."
            status = 429
        else:
            agent = agent_for_pin(get_db(), extension, request.form.get("pin", ""))
            if agent is not None and agent.id is not None:
                _throttle().record_success(address)
                session[SESSION_AGENT] = agent.id
                session[SESSION_STAMP] = pin_stamp(get_db(), agent.id)
                return redirect(url_for("agent_page.index"))
            _throttle().record_failure(address)
            error = "The extension or the PIN is not correct."
            status = 401
    page = render_template("agent_page/login.html", error=error, extension=extension)
    return page, status


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Close the agent's page; their presence in the queues stays as it is."""
    session.pop(SESSION_AGENT, None)
    session.pop(SESSION_STAMP, None)
    flash("You have left the agent page. Queues still see you as before.", "info")
    return redirect(url_for("agent_page.login"))


# --- the page ------------------------------------------------------------------------------


def _agent_view(status: Mapping[str, Any] | None, agent: Agent) -> Mapping[str, Any] | None:
    if status is None:
        return None
    return next((a for a in status.get("agents") or () if a.get("name") == agent.name), None)


def _live(agent: Agent) -> dict[str, Any]:
    """The agent's state and screen pop now, as the page and its poll both show them."""
    reading = read_status()
    conn = get_db()
    view = _agent_view(reading.status, agent)
    pop = None
    if reading.status is not None:
        pop = screen_pop(reading.status, agent.name, lambda name: client_named(conn, name))
    return {
        "running": reading.running,
        "problem": reading.problem,
        "state": view.get("state") if view else None,
        "reason": view.get("reason") if view else None,
        "pop": pop,
    }


@bp.route("")
@agent_required
def index() -> ResponseReturnValue:
    """The agent's desk: presence, the call on their phone, and their latest calls."""
    agent = current_agent()
    assert agent is not None
    conn = get_db()
    queues = [q for q in sync.list_queues(conn) if agent.name in q.members]
    return render_template(
        "agent_page/page.html",
        agent=agent,
        live=_live(agent),
        queues=queues,
        reasons=sync.pause_reasons(conn),
        calls=recent_calls(conn, agent.name, RECENT_CALLS),
    )


@bp.route("/live.json")
@agent_required
def live() -> ResponseReturnValue:
    """The state and screen pop, polled by the page every second."""
    agent = current_agent()
    assert agent is not None
    found = _live(agent)
    pop = found["pop"]
    return jsonify({**found, "pop": asdict(pop) if pop is not None else None})


_PRESENCE = {
    "login": ("agent_login", "You are logged in: queues ring your phone."),
    "logout": ("agent_logout", "You are logged out: queues do not ring your phone."),
    "pause": ("agent_pause", "You are paused ({reason})."),
    "unpause": ("agent_unpause", "You are back: queues ring your phone again."),
}


@bp.route("/presence", methods=["POST"])
@agent_required
def presence() -> ResponseReturnValue:
    """Log in or out of the queues, pause with a reason, or come back, through the daemon."""
    agent = current_agent()
    assert agent is not None
    action = request.form.get("action", "")
    if action not in _PRESENCE:
        abort(400)
    command, done = _PRESENCE[action]
    args: dict[str, Any] = {"agent": agent.name}
    if action == "pause":
        reason = request.form.get("reason", "")
        if reason not in sync.pause_reasons(get_db()):
            flash("Choose a reason for the pause.", "error")
            return redirect(url_for("agent_page.index"))
        args["reason"] = reason
    try:
        daemon_request(command, **args)
    except ControlError as exc:
        if daemon_is_down(exc):
            flash("The call-center service is not running; try again in a moment.", "error")
        else:
            flash(f"Not changed: {exc}", "error")
        return redirect(url_for("agent_page.index"))
    flash(done.format(reason=args.get("reason", "")), "success")
    return redirect(url_for("agent_page.index"))


@bp.route("/disposition", methods=["POST"])
@agent_required
def disposition() -> ResponseReturnValue:
    """Set the disposition code of one of the agent's finished calls."""
    agent = current_agent()
    assert agent is not None
    cdr_id = request.form.get("cdr_id", type=int)
    if cdr_id is None:
        abort(400)
    code = request.form.get("code", "")
    try:
        chosen = set_disposition(
            get_db(), cdr_id, agent.name, code, current_app.config["CLOCK"].wall()
        )
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        flash(f"Disposition not saved: {exc.message}", "error")
        return redirect(url_for("agent_page.index"))
    flash(f"Call {chosen.call_id}: {chosen.code}.", "success")
    return redirect(url_for("agent_page.index"))


# --- PINs, set by the technician -----------------------------------------------------------


@bp.route("/pins")
@login_required
def pins() -> ResponseReturnValue:
    """Which agents have a PIN for their page; set or remove one."""
    conn = get_db()
    return render_template(
        "agent_page/pins.html", agents=sync.list_agents(conn), with_pin=agents_with_pin(conn),
        errors={},
    )


@bp.route("/pins/<int:agent_id>", methods=["POST"])
@login_required
def set_pin(agent_id: int) -> ResponseReturnValue:
    """Give an agent a new PIN, or take it away (``action=clear``)."""
    conn = get_db()
    agent = sync.get_agent(conn, agent_id)
    if agent is None:
        abort(404)
    try:
        if request.form.get("action") == "clear":
            clear_agent_pin(conn, agent_id)
            flash(f"{agent.name} has no PIN now and cannot open the agent page.", "success")
        else:
            set_agent_pin(conn, agent_id, request.form.get("pin", ""))
            flash(f"{agent.name}'s PIN is set. Tell them in person, not by e-mail.", "success")
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        page = render_template(
            "agent_page/pins.html", agents=sync.list_agents(conn),
            with_pin=agents_with_pin(conn), errors={agent_id: exc.message},
        )
        return page, 400
    return redirect(url_for("agent_page.pins"))
