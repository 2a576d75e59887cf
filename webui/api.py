"""The REST API under /api/v1/, for integrators and scripts.

Reads come from the store (records, configuration) or the daemon (live state);
writes go to the store and then ask the daemon to reload, exactly as the web
forms do, so both paths enforce the same validation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from firmware.control.client import ControlError
from firmware.store import sync
from firmware.store.models import Agent, Cdr, ConfigError, InboundRoute, NotFoundError, Queue
from webui.auth import api_auth_required, api_error
from webui.daemon_link import DAEMON_DOWN, daemon_is_down, daemon_request, reload_daemon
from webui.db import get_db
from webui.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

CDR_LIMIT_DEFAULT = 100
CDR_LIMIT_MAX = 1000


def agent_json(agent: Agent) -> dict[str, Any]:
    """An agent as the API shows it; ``skills`` (name to level) only when it has some."""
    data = dataclasses.asdict(agent)
    del data["skills"]
    if agent.skills:
        data["skills"] = dict(agent.skills)
    return data


def queue_json(queue: Queue) -> dict[str, Any]:
    """A queue as the API shows it: the strategy as its name, members as a list, pairs as maps."""
    data = dataclasses.asdict(queue)
    data["strategy"] = queue.strategy.value
    data["members"] = list(queue.members)
    data["skills"] = dict(queue.skills)
    data["priority_callers"] = dict(queue.priority_callers)
    return data


def route_json(route: InboundRoute) -> dict[str, Any]:
    """An inbound route as the API shows it."""
    return {"id": route.id, "port": route.port, "destination": route.destination}


def cdr_json(record: Cdr) -> dict[str, Any]:
    """A call record as the API shows it: enums as their names, times as Unix seconds."""
    data = dataclasses.asdict(record)
    data["direction"] = record.direction.value
    data["disposition"] = record.disposition.value
    return data


def _from_daemon(cmd: str) -> ResponseReturnValue:
    try:
        return jsonify(daemon_request(cmd))
    except ControlError as exc:
        if daemon_is_down(exc):
            return api_error(DAEMON_DOWN, 503)
        return api_error(f"the service answered: {exc}", 502)


def _json_body() -> dict[str, Any] | Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error("the request body must be a JSON object", 400)
    return body


def _query_int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(name, "must be a whole number") from None


@bp.route("/status")
@api_auth_required
def status() -> ResponseReturnValue:
    """The daemon's live status, or 503 while it is not running."""
    return _from_daemon("status")


@bp.route("/calls")
@api_auth_required
def calls() -> ResponseReturnValue:
    """Calls in progress, or 503 while the daemon is not running."""
    return _from_daemon("calls")


@bp.route("/cdr")
@api_auth_required
def cdr() -> ResponseReturnValue:
    """A page of call records, newest first (?limit=1..1000&offset=0..)."""
    try:
        limit = _query_int("limit", CDR_LIMIT_DEFAULT)
        offset = _query_int("offset", 0)
        if not 1 <= limit <= CDR_LIMIT_MAX:
            raise ConfigError("limit", f"must be a whole number from 1 to {CDR_LIMIT_MAX}")
        conn = get_db()
        records = sync.list_cdr(conn, limit=limit, offset=offset)
        total = sync.count_cdr(conn)
    except ConfigError as exc:
        return api_error(str(exc), 400, exc.field)
    return jsonify(
        {
            "total": total,
            "limit": limit,
            "offset": offset,
            "records": [cdr_json(r) for r in records],
        }
    )


@bp.route("/agents", methods=["GET"])
@api_auth_required
def list_agents() -> ResponseReturnValue:
    """Every agent."""
    return jsonify([agent_json(a) for a in sync.list_agents(get_db())])


@bp.route("/agents", methods=["POST"])
@api_auth_required
def create_agent() -> ResponseReturnValue:
    """Add an agent; 201 with the agent and its Location."""
    body = _json_body()
    if isinstance(body, Response):
        return body
    try:
        agent = sync.save_agent(get_db(), body)
    except ConfigError as exc:
        return api_error(str(exc), 400, exc.field)
    reload_daemon()
    response = jsonify(agent_json(agent))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_agent", agent_id=agent.id)
    return response


@bp.route("/agents/<int:agent_id>", methods=["GET"])
@api_auth_required
def get_agent(agent_id: int) -> ResponseReturnValue:
    """One agent, or 404."""
    agent = sync.get_agent(get_db(), agent_id)
    if agent is None:
        return api_error(f"no agent with id {agent_id}", 404, "id")
    return jsonify(agent_json(agent))


@bp.route("/agents/<int:agent_id>", methods=["PUT"])
@api_auth_required
def update_agent(agent_id: int) -> ResponseReturnValue:
    """Replace an agent's settings (a field left out takes its default, as on creation)."""
    body = _json_body()
    if isinstance(body, Response):
        return body
    try:
        agent = sync.save_agent(get_db(), body, agent_id)
    except NotFoundError as exc:
        return api_error(exc.message, 404, exc.field)
    except ConfigError as exc:
        return api_error(str(exc), 400, exc.field)
    reload_daemon()
    return jsonify(agent_json(agent))


@bp.route("/agents/<int:agent_id>", methods=["DELETE"])
@api_auth_required
def delete_agent(agent_id: int) -> ResponseReturnValue:
    """Delete an agent; 204, or 404 when there is none."""
    try:
        sync.delete_agent(get_db(), agent_id)
    except NotFoundError as exc:
        return api_error(exc.message, 404, exc.field)
    except ConfigError as exc:
        return api_error(str(exc), 400, exc.field)
    reload_daemon()
    return Response(status=204)


def _agent_command(agent_id: int, cmd: str, **args: Any) -> ResponseReturnValue:
    """Run an agent state command in the daemon for the agent with ``agent_id``."""
    agent = sync.get_agent(get_db(), agent_id)
    if agent is None:
        return api_error(f"no agent with id {agent_id}", 404, "id")
    try:
        return jsonify(daemon_request(cmd, agent=agent.name, **args))
    except ControlError as exc:
        if daemon_is_down(exc):
            return api_error(DAEMON_DOWN, 503)
        return api_error(f"the service refused: {exc}", 409)


def _login(agent_id: int, logged_in: bool) -> ResponseReturnValue:
    """Log in or out: saved in the configuration even while the service is down."""
    try:
        agent = sync.set_agent_logged_in(get_db(), agent_id, logged_in)
    except NotFoundError as exc:
        return api_error(exc.message, 404, exc.field)
    try:
        state = daemon_request("agent_login" if logged_in else "agent_logout", agent=agent.name)
    except ControlError as exc:
        if not daemon_is_down(exc):
            return api_error(f"the service refused: {exc}", 409)
        state = {"agent": agent.name, "state": None, "reason": None, "after_call": None}
    return jsonify({**state, "logged_in": logged_in})


@bp.route("/agents/<int:agent_id>/login", methods=["POST"])
@api_auth_required
def agent_login(agent_id: int) -> ResponseReturnValue:
    """The agent takes queue calls (ends a pause too)."""
    return _login(agent_id, True)


@bp.route("/agents/<int:agent_id>/logout", methods=["POST"])
@api_auth_required
def agent_logout(agent_id: int) -> ResponseReturnValue:
    """The agent stops taking queue calls, after a call in progress."""
    return _login(agent_id, False)


@bp.route("/agents/<int:agent_id>/pause", methods=["POST"])
@api_auth_required
def agent_pause(agent_id: int) -> ResponseReturnValue:
    """Pause the agent with a reason from the configured list: ``{"reason": "lunch"}``."""
    body = _json_body()
    if isinstance(body, Response):
        return body
    reason = body.get("reason")
    reasons = sync.pause_reasons(get_db())
    if not isinstance(reason, str) or reason not in reasons:
        return api_error(f"reason must be one of {', '.join(reasons)}", 400, "reason")
    return _agent_command(agent_id, "agent_pause", reason=reason)


@bp.route("/agents/<int:agent_id>/unpause", methods=["POST"])
@api_auth_required
def agent_unpause(agent_id: int) -> ResponseReturnValue:
    """End the agent's pause."""
    return _agent_command(agent_id, "agent_unpause")


@bp.route("/queues")
@api_auth_required
def list_queues() -> ResponseReturnValue:
    """Every queue with its members."""
    return jsonify([queue_json(q) for q in sync.list_queues(get_db())])


@bp.route("/routes")
@api_auth_required
def list_routes() -> ResponseReturnValue:
    """Every inbound route."""
    return jsonify([route_json(r) for r in sync.list_routes(get_db())])


@bp.route("/spans")
@api_auth_required
def spans() -> ResponseReturnValue:
    """Every E1 span live: alarms in words, counters, D-channel, B-channels; 503 when down."""
    return _from_daemon("spans")


@bp.route("/openapi.json")
@api_auth_required
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())
