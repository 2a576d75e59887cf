"""ACD queues: how callers wait and which agents' phones ring for them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from firmware.ivr.prompts import PromptLibrary
from firmware.store import sync
from firmware.store.models import ConfigError, Queue, Strategy
from webui.auth import login_required
from webui.config_forms import delete_or_explain, save_or_show
from webui.db import get_db
from webui.prompts import upload_dir

bp = Blueprint("queues", __name__, url_prefix="/queues")

FIELDS = (
    "name", "strategy", "ring_timeout", "retry_delay", "max_wait", "members", "service_level",
    "wrapup", "autopause_rings", "skills", "skill_widen_after", "skill_widen_step",
    "max_length", "exit_destination", "join_empty", "leave_empty", "overflow_queue",
    "overflow_after", "overflow_predicted", "priority_callers", "refuse_empty",
    *("hold_music", "announce_every", "announce_position", "announce_wait", "language",
      "callback_digit", "record_percent", "record_notice"),
)
_FIRST_FIELDS = ("name", "strategy", "ring_timeout", "retry_delay", "max_wait")
# Fields the full ACD added: a post without one (a script written for the first
# form) leaves it at its default.
_LATER_FIELDS = (
    "service_level", "wrapup", "autopause_rings", "skills", "skill_widen_after",
    "skill_widen_step", "max_length", "exit_destination", "overflow_queue", "overflow_after",
    "priority_callers", "hold_music", "announce_every", "language", "callback_digit",
    "record_percent", "record_notice",
)

# What a technician needs to know to pick a strategy, in the order offered.
STRATEGY_HELP: dict[Strategy, str] = {
    Strategy.LONGEST_IDLE: "the agent who has been free the longest",
    Strategy.RING_ALL: "every free agent at once; the first to pick up gets the call",
    Strategy.ROUND_ROBIN: "agents in turn, one after another",
    Strategy.FEWEST_CALLS: "the agent who has taken the fewest calls",
    Strategy.RANDOM: "a free agent chosen at random",
    Strategy.LINEAR: "agents always in the member order below, first free one first",
    Strategy.SKILLS_BASED: "the free agent best at the skills below, widening as callers wait",
}


def _form_data() -> dict[str, Any]:
    data: dict[str, Any] = {name: request.form.get(name, "") for name in _FIRST_FIELDS}
    data.update({name: request.form.get(name) for name in _LATER_FIELDS})
    data["members"] = request.form.getlist("members")
    # An unticked checkbox sends nothing, so each one is worded for "no" to be
    # the default: joining an empty queue is allowed unless refused.
    data["join_empty"] = "0" if request.form.get("refuse_empty") else "1"
    data["leave_empty"] = "1" if request.form.get("leave_empty") else "0"
    data["overflow_predicted"] = "1" if request.form.get("overflow_predicted") else "0"
    data["announce_position"] = "1" if request.form.get("announce_position") else "0"
    data["announce_wait"] = "1" if request.form.get("announce_wait") else "0"
    return data


def _pairs_text(pairs: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{key}:{value}" for key, value in pairs)


def _values(queue: Queue | None) -> dict[str, Any]:
    if queue is None:
        queue = Queue(None, "", Strategy.LONGEST_IDLE, 15.0, 2.0, 600.0, ())
    return {
        "name": queue.name,
        "strategy": queue.strategy.value,
        "ring_timeout": f"{queue.ring_timeout:g}",
        "retry_delay": f"{queue.retry_delay:g}",
        "max_wait": f"{queue.max_wait:g}",
        "members": list(queue.members),
        "service_level": f"{queue.service_level:g}",
        "wrapup": f"{queue.wrapup:g}",
        "autopause_rings": str(queue.autopause_rings),
        "skills": _pairs_text(queue.skills),
        "skill_widen_after": f"{queue.skill_widen_after:g}",
        "skill_widen_step": str(queue.skill_widen_step),
        "max_length": str(queue.max_length),
        "exit_destination": queue.exit_destination,
        "join_empty": "1" if queue.join_empty else "0",
        "leave_empty": "1" if queue.leave_empty else "0",
        "overflow_queue": queue.overflow_queue,
        "overflow_after": f"{queue.overflow_after:g}",
        "overflow_predicted": "1" if queue.overflow_predicted else "0",
        "priority_callers": "\n".join(f"{n}:{p}" for n, p in queue.priority_callers),
        "hold_music": queue.hold_music,
        "announce_every": f"{queue.announce_every:g}",
        "announce_position": "1" if queue.announce_position else "0",
        "announce_wait": "1" if queue.announce_wait else "0",
        "language": queue.language,
        "callback_digit": queue.callback_digit,
        "record_percent": str(queue.record_percent),
        "record_notice": queue.record_notice,
    }


LANGUAGES = [("", "the box's country (Polish in PL, French in FR, else English)"),
             ("pl", "Polish"), ("en", "English"), ("fr", "French")]
CALLBACK_KEYS = [("", "no callback")] + [(k, k) for k in "0123456789*#"]


def _prompt_names() -> list[str]:
    return sorted(PromptLibrary(upload_dir()).names())


def _field_of(error: ConfigError) -> str:
    # "members[2]" is shown beside the members checkboxes as a whole, and
    # "skills.sales" beside the skills field.
    for name in ("members", "skills", "priority_callers"):
        if error.field.startswith(name):
            return name
    return error.field


def _render_form(
    queue: Queue | None, values: dict[str, Any], errors: dict[str, str]
) -> ResponseReturnValue:
    conn = get_db()
    names = [agent.name for agent in sync.list_agents(conn)]
    chosen = [name for name in values["members"] if name in names]
    # Members first, in their hunting order, then everyone else.
    candidates = chosen + [name for name in names if name not in chosen]
    own = queue.name if queue is not None else None
    others = [q.name for q in sync.list_queues(conn) if q.name != own]
    flows = [f.name for f in sync.list_flows(conn)]
    exits = [("", "say goodbye and hang up")]
    exits += [(f"queue:{name}", f"Queue: {name}") for name in others]
    exits += [(f"ivr:{name}", f"IVR flow: {name}") for name in flows]
    overflows = [("", "no overflow")] + [(name, name) for name in others]
    page = render_template(
        "queues/form.html",
        queue=queue,
        values=values,
        errors=errors,
        candidates=candidates,
        strategies=[(s.value, f"{s.value}: {STRATEGY_HELP[s]}") for s in Strategy],
        exits=_keep_typed(exits, values["exit_destination"]),
        overflows=_keep_typed(overflows, values["overflow_queue"]),
        hold_music=_keep_typed(
            [("", "ringback tone")] + [(n, n) for n in _prompt_names()], values["hold_music"]
        ),
        notices=_keep_typed(
            [("", "the shipped notice in the queue's language")]
            + [(n, n) for n in _prompt_names()], values["record_notice"],
        ),
        languages=LANGUAGES,
        callback_keys=_keep_typed(CALLBACK_KEYS, values["callback_digit"]),
        fields=FIELDS,
    )
    return page, 400 if errors else 200


def _keep_typed(options: list[tuple[str, str]], value: str) -> list[tuple[str, str]]:
    """The options, plus the submitted value when it is not one, so a refused form keeps it."""
    if value and value not in {v for v, _ in options}:
        return [*options, (value, f"{value} (does not exist)")]
    return options


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
    return save_or_show(
        lambda: sync.save_queue(get_db(), values),
        lambda errors: _render_form(None, values, errors),
        lambda queue: f"Queue {queue.name} added.", "queues.index", _field_of,
    )


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
    return save_or_show(
        lambda: sync.save_queue(get_db(), values, queue_id),
        lambda errors: _render_form(queue, values, errors),
        lambda saved: f"Queue {saved.name} saved.", "queues.index", _field_of,
    )


@bp.route("/<int:queue_id>/delete", methods=["POST"])
@login_required
def delete(queue_id: int) -> ResponseReturnValue:
    """Remove a queue; refused while a route or IVR flow still sends calls to it."""
    queue = sync.get_queue(get_db(), queue_id)
    if queue is None:
        abort(404)
    return delete_or_explain(
        lambda: sync.delete_queue(get_db(), queue_id), f"Queue {queue.name}", "queues.index"
    )
