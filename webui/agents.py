"""Agents: the people who answer queue calls, on the phone of an FXS port or on their own phone."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from firmware.store import sync
from firmware.store.models import Agent, ConfigError, RemoteMode
from webui.auth import login_required
from webui.config_forms import delete_or_explain, save_or_show
from webui.daemon_link import announce_saved
from webui.db import get_db

bp = Blueprint("agents", __name__, url_prefix="/agents")

FIELDS = ("name", "extension", "port", "remote_number", "remote_mode", "logged_in", "skills")


def _form_data() -> dict[str, Any]:
    # An unticked checkbox sends nothing, and the store reads a missing
    # logged_in as "yes", so the answer is always sent explicitly.
    return {
        "name": request.form.get("name", ""),
        "extension": request.form.get("extension", ""),
        "port": request.form.get("port", ""),
        "remote_number": request.form.get("remote_number", ""),
        "remote_mode": request.form.get("remote_mode", ""),
        "logged_in": "1" if request.form.get("logged_in") else "0",
        "skills": request.form.get("skills", ""),
    }


def _values(agent: Agent | None) -> dict[str, Any]:
    if agent is None:
        return {"name": "", "extension": "", "port": "", "remote_number": "",
                "remote_mode": RemoteMode.PER_CALL.value, "logged_in": "1", "skills": ""}
    return {
        "name": agent.name,
        "extension": agent.extension,
        "port": agent.port,
        "remote_number": agent.remote_number,
        "remote_mode": agent.remote_mode.value,
        "logged_in": "1" if agent.logged_in else "0",
        "skills": ", ".join(f"{skill}:{level}" for skill, level in agent.skills),
    }


def _field_of(error: ConfigError) -> str:
    # "skills.sales" is shown beside the skills field.
    return "skills" if error.field.startswith("skills") else error.field


def _fxs_ports() -> list[str] | None:
    ports = sync.card_ports(get_db())
    return None if ports is None else [p for p in ports if p.startswith("fxs")]


def _render_form(
    agent: Agent | None, values: dict[str, Any], errors: dict[str, str]
) -> ResponseReturnValue:
    page = render_template(
        "agents/form.html",
        agent=agent,
        values=values,
        errors=errors,
        ports=_fxs_ports(),
        fields=FIELDS,
    )
    return page, 400 if errors else 200


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Every agent with its phone and whether queues ring it."""
    return render_template("agents/list.html", agents=sync.list_agents(get_db()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    """Add an agent; a refused value is shown beside its field and nothing is saved."""
    if request.method == "GET":
        return _render_form(None, _values(None), {})
    values = _form_data()
    return save_or_show(
        lambda: sync.save_agent(get_db(), values),
        lambda errors: _render_form(None, values, errors),
        lambda agent: f"Agent {agent.name} added.", "agents.index", _field_of,
    )


@bp.route("/<int:agent_id>/edit", methods=["GET", "POST"])
@login_required
def edit(agent_id: int) -> ResponseReturnValue:
    """Change an agent; a refused value is shown beside its field and nothing is saved."""
    agent = sync.get_agent(get_db(), agent_id)
    if agent is None:
        abort(404)
    if request.method == "GET":
        return _render_form(agent, _values(agent), {})
    values = _form_data()
    return save_or_show(
        lambda: sync.save_agent(get_db(), values, agent_id),
        lambda errors: _render_form(agent, values, errors),
        lambda saved: f"Agent {saved.name} saved.", "agents.index", _field_of,
    )


@bp.route("/pause-reasons", methods=["GET", "POST"])
@login_required
def pause_reasons() -> ResponseReturnValue:
    """The reasons agents choose from when they pause; a refused list changes nothing."""
    conn = get_db()
    if request.method == "GET":
        text = "\n".join(sync.pause_reasons(conn))
        return render_template("agents/pause_reasons.html", value=text, errors={})
    text = request.form.get("pause_reasons", "")
    try:
        reasons = sync.save_pause_reasons(conn, text)
    except ConfigError as exc:
        page = render_template(
            "agents/pause_reasons.html", value=text, errors={"pause_reasons": str(exc)}
        )
        return page, 400
    announce_saved(f"Pause reasons saved: {', '.join(reasons)}.")
    return redirect(url_for("agents.index"))


@bp.route("/<int:agent_id>/delete", methods=["POST"])
@login_required
def delete(agent_id: int) -> ResponseReturnValue:
    """Remove an agent; it also leaves every queue it was in."""
    agent = sync.get_agent(get_db(), agent_id)
    if agent is None:
        abort(404)
    return delete_or_explain(
        lambda: sync.delete_agent(get_db(), agent_id), f"Agent {agent.name}", "agents.index"
    )
