"""ACD queues: how callers wait and which agents' phones ring for them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from firmware.store import sync
from firmware.store.models import ConfigError, NotFoundError, Queue, Strategy
from webui.auth import login_required
from webui.daemon_link import announce_saved
from webui.db import get_db

bp = Blueprint("queues", __name__, url_prefix="/queues")

FIELDS = ("name", "strategy", "ring_timeout", "retry_delay", "max_wait", "members")

# What a technician needs to know to pick a strategy, in the order offered.
STRATEGY_HELP: dict[Strategy, str] = {
    Strategy.LONGEST_IDLE: "the agent who has been free the longest",
    Strategy.RING_ALL: "every free agent at once; the first to pick up gets the call",
    Strategy.ROUND_ROBIN: "agents in turn, one after another",
    Strategy.FEWEST_CALLS: "the agent who has taken the fewest calls",
    Strategy.RANDOM: "a free agent chosen at random",
    Strategy.LINEAR: "agents always in the member order below, first free one first",
}


def _form_data() -> dict[str, Any]:
    return {
        "name": request.form.get("name", ""),
        "strategy": request.form.get("strategy", ""),
        "ring_timeout": request.form.get("ring_timeout", ""),
        "retry_delay": request.form.get("retry_delay", ""),
        "max_wait": request.form.get("max_wait", ""),
        "members": request.form.getlist("members"),
    }


def _values(queue: Queue | None) -> dict[str, Any]:
    if queue is None:
        return {
            "name": "",
            "strategy": Strategy.LONGEST_IDLE.value,
            "ring_timeout": "15",
            "retry_delay": "2",
            "max_wait": "600",
            "members": [],
        }
    return {
        "name": queue.name,
        "strategy": queue.strategy.value,
        "ring_timeout": f"{queue.ring_timeout:g}",
        "retry_delay": f"{queue.retry_delay:g}",
        "max_wait": f"{queue.max_wait:g}",
        "members": list(queue.members),
    }


def _field_of(error: ConfigError) -> str:
    # "members[2]" is shown beside the members checkboxes as a whole.
    return "members" if error.field.startswith("members") else error.field


def _render_form(
    queue: Queue | None, values: dict[str, Any], errors: dict[str, str]
) -> ResponseReturnValue:
    names = [agent.name for agent in sync.list_agents(get_db())]
    chosen = [name for name in values["members"] if name in names]
    # Members first, in their hunting order, then everyone else.
    candidates = chosen + [name for name in names if name not in chosen]
    page = render_template(
        "queues/form.html",
        queue=queue,
        values=values,
        errors=errors,
        candidates=candidates,
        strategies=[(s.value, f"{s.value}: {STRATEGY_HELP[s]}") for s in Strategy],
        fields=FIELDS,
    )
    return page, 400 if errors else 200


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Every queue with its strategy, timers and members."""
    return render_template("queues/list.html", queues=sync.list_queues(get_db()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    """Add a queue; a refused value is shown beside its field and nothing is saved."""
    if request.method == "GET":
        return _render_form(None, _values(None), {})
    values = _form_data()
    try:
        queue = sync.save_queue(get_db(), values)
    except ConfigError as exc:
        return _render_form(None, values, {_field_of(exc): exc.message})
    announce_saved(f"Queue {queue.name} added.")
    return redirect(url_for("queues.index"))


@bp.route("/<int:queue_id>/edit", methods=["GET", "POST"])
@login_required
def edit(queue_id: int) -> ResponseReturnValue:
    """Change a queue; renaming it also renames it in the routes and IVR flows that use it."""
    queue = sync.get_queue(get_db(), queue_id)
    if queue is None:
        abort(404)
    if request.method == "GET":
        return _render_form(queue, _values(queue), {})
    values = _form_data()
    try:
        saved = sync.save_queue(get_db(), values, queue_id)
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        return _render_form(queue, values, {_field_of(exc): exc.message})
    announce_saved(f"Queue {saved.name} saved.")
    return redirect(url_for("queues.index"))


@bp.route("/<int:queue_id>/delete", methods=["POST"])
@login_required
def delete(queue_id: int) -> ResponseReturnValue:
    """Remove a queue; refused while a route or IVR flow still sends calls to it."""
    queue = sync.get_queue(get_db(), queue_id)
    if queue is None:
        abort(404)
    try:
        sync.delete_queue(get_db(), queue_id)
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        flash(f"Queue {queue.name} was not deleted: {exc.message}.", "error")
        return redirect(url_for("queues.index"))
    announce_saved(f"Queue {queue.name} deleted.")
    return redirect(url_for("queues.index"))
