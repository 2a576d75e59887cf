"""IVR flows: the list, the editor, versions (activate, roll back) and the test mode.

The editor page is plain HTML filled in by ``static/flows.js`` from the flow's
definition and :data:`NODE_SPECS`; saving posts the whole definition as JSON,
which goes through text-to-speech and the store's validator like any other
save, so an error comes back with the path of the bad field and the editor
shows it beside that field. Test mode walks the posted definition on the real
IVR session (:mod:`firmware.ivr.walkthrough`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from firmware.ivr.prompts import PromptLibrary
from firmware.ivr.speech import render_flow_speech
from firmware.ivr.walkthrough import WalkError, WalkWorld, walk_flow
from firmware.store import sync
from firmware.store.models import (
    ConditionTest,
    ConfigError,
    Currency,
    Language,
    NodeType,
    NotFoundError,
    Operator,
    SayKind,
    TransferKind,
    validate_flow,
)
from webui.auth import login_required
from webui.daemon_link import announce_saved, reload_daemon
from webui.db import get_db

bp = Blueprint("flows", __name__, url_prefix="/flows")

NEW_FLOW: dict[str, Any] = {
    "start": "greeting",
    "nodes": {
        "greeting": {"type": "play", "prompt": "welcome", "next": "bye"},
        "bye": {"type": "hangup", "prompt": "goodbye"},
    },
}


def _field(name: str, label: str, kind: str, help_text: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "kind": kind, "help": help_text, **extra}


def _options(kind: Any) -> list[str]:
    return [member.value for member in kind]


_NEXT = _field("next", "Then go to", "node", "The node the caller reaches next.")
_PROMPT = _field("prompt", "Prompt", "prompt", "The recording the caller hears.")
_NOTICES = [
    _field("invalid_prompt", "Wrong-key prompt", "prompt",
           "Played when the caller presses a key that is not accepted (optional)."),
    _field("timeout_prompt", "No-key prompt", "prompt",
           "Played when the caller presses nothing in time (optional)."),
]
_RETRIES = _field("retries", "Tries", "number",
                  "How many times the caller may get it wrong before 'If it fails'.", min=1, max=9)

# What the editor shows for each node type: a sentence saying what it does,
# and its fields with help text. The validator in firmware.store.models has
# the last word; this only helps the technician fill the form.
NODE_SPECS: dict[str, dict[str, Any]] = {
    NodeType.PLAY: {
        "about": "Plays a recording, or speaks a text, then moves on.",
        "fields": [
            _field("prompt", "Prompt", "prompt",
                   "The recording to play. Leave empty to speak the text below instead."),
            _field("text", "Or speak this text", "textarea",
                   "Turned into speech when you save (needs espeak-ng on the box)."),
            _field("lang", "Language of the text", "choice", "", options=_options(Language)),
            _NEXT,
        ],
    },
    NodeType.MENU: {
        "about": "Plays a menu and waits for one key; each key leads to a node.",
        "fields": [
            _PROMPT,
            _field("choices", "Keys", "choices", "Pick the node each key leads to; leave "
                   "unused keys empty."),
            _field("timeout", "Wait for a key (s)", "number",
                   "Seconds to wait after the prompt.", min=1, max=30),
            _RETRIES, *_NOTICES,
            _field("fail", "If it fails", "node", "Where a caller goes after the last try."),
        ],
    },
    NodeType.COLLECT: {
        "about": "Collects several digits (an account number, a PIN) into a variable.",
        "fields": [
            _PROMPT,
            _field("variable", "Store in variable", "text",
                   "A name such as account; later nodes use it as {account}."),
            _field("min_length", "At least digits", "number", "", min=1, max=32),
            _field("max_length", "At most digits", "number",
                   "Entry ends by itself at this many digits.", min=1, max=32),
            _field("terminator", "Ends with key", "choice",
                   "The key that ends the entry early (or none).", options=["#", "*", ""]),
            _field("pattern", "Must match", "text",
                   "Optional regular expression the digits must match, e.g. [0-9]{6}."),
            _field("timeout", "Pause that ends entry (s)", "number", "", min=1, max=60),
            _RETRIES, *_NOTICES,
            _NEXT,
            _field("fail", "If it fails", "node", "Where a caller goes after the last try."),
        ],
    },
    NodeType.CONDITION: {
        "about": "Goes one way or the other, at once, without the caller hearing anything.",
        "fields": [
            _field("test", "Check", "choice",
                   "schedule-open: within business hours; holiday: today is a holiday of the "
                   "schedule; caller: the caller's number matches; variable: compare a variable.",
                   options=_options(ConditionTest)),
            _field("schedule", "Schedule", "schedule", "For schedule-open and holiday."),
            _field("pattern", "Caller number pattern", "text",
                   "For caller: a regular expression, e.g. 48600[0-9]+."),
            _field("variable", "Variable", "text", "For variable: its name."),
            _field("operator", "Comparison", "choice", "eq, ne, lt, le, gt, ge compare numbers "
                   "or text; matches: a regular expression; empty: no value.",
                   options=_options(Operator)),
            _field("value", "Value", "text", "For variable: may use {other_variable}."),
            _field("then", "If yes, go to", "node", ""),
            _field("else", "If no, go to", "node", ""),
        ],
    },
    NodeType.LOOKUP: {
        "about": "Asks a web server (HTTP GET, JSON answer) and puts fields into variables.",
        "fields": [
            _field("url", "URL", "text",
                   "May use variables: https://crm.example/api?phone={caller}."),
            _field("timeout", "Time limit (s)", "number",
                   "After this the caller goes to 'If it fails'.", min=0.5, max=30),
            _field("fields", "Fields to keep", "mapping",
                   "One per line: variable = json.field, e.g. balance = account.balance."),
            _NEXT,
            _field("fallback", "If it fails", "node",
                   "Slow server, error, or an answer without the fields."),
        ],
    },
    NodeType.SET: {
        "about": "Sets a variable, then moves on at once.",
        "fields": [
            _field("variable", "Variable", "text", "Its name."),
            _field("value", "Value", "text", "Text; may use {other_variable}."),
            _NEXT,
        ],
    },
    NodeType.SAY: {
        "about": "Reads out a number, an amount of money, a date or digits.",
        "fields": [
            _field("say", "Say as", "choice", "", options=_options(SayKind)),
            _field("value", "Value", "text",
                   "Usually a variable such as {balance}; a date is YYYY-MM-DD."),
            _field("lang", "Language", "choice", "", options=_options(Language)),
            _field("currency", "Currency", "choice", "For amounts only.",
                   options=_options(Currency)),
            _NEXT,
        ],
    },
    NodeType.QUEUE: {
        "about": "Puts the caller in a queue for an agent; the flow ends here.",
        "fields": [
            _field("queue", "Queue", "queue", ""),
            _field("priority", "Priority", "number",
                   "0-9; callers with a higher priority are answered first.", min=0, max=9),
        ],
    },
    NodeType.TRANSFER: {
        "about": "Rings an agent's extension (or an outside number) and connects the caller.",
        "fields": [
            _field("destination", "Kind", "choice", "", options=_options(TransferKind)),
            _field("number", "Number", "text", "An agent's extension, or an outside number."),
            _field("fail", "If nobody answers", "node",
                   "Busy, no answer, or not possible; without it the call ends."),
        ],
    },
    NodeType.VOICEMAIL: {
        "about": "Records a message after a beep; the caller ends it with # or by hanging up.",
        "fields": [
            _field("prompt", "Greeting", "prompt", "Played before the beep (optional)."),
            _field("mailbox", "Mailbox", "text", "A label for the list of messages."),
            _field("max_seconds", "Longest message (s)", "number", "", min=5, max=600),
            _field("next", "Afterwards go to", "node", "Optional; without it the call ends."),
        ],
    },
    NodeType.HANGUP: {
        "about": "Ends the call, after an optional goodbye.",
        "fields": [_field("prompt", "Goodbye prompt", "prompt", "Optional.")],
    },
}


def prompt_dir() -> Path:
    """Where uploads and text-to-speech prompts live: the data directory's prompt folder."""
    configured = current_app.config.get("PROMPT_DIR")
    if configured:
        return Path(configured)
    return Path(current_app.config["DATABASE"]).parent / "prompts"


def _library() -> PromptLibrary:
    return PromptLibrary(prompt_dir())


def _error(exc: ConfigError, status: int = 400) -> ResponseReturnValue:
    response = jsonify({"error": exc.message, "field": exc.field})
    response.status_code = status
    return response


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ConfigError("body", "the request must be a JSON object")
    return body


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Every flow, its active version and how many versions it has."""
    conn = get_db()
    flows = [
        (flow, sync.active_flow_version(conn, flow.id), len(sync.list_flow_versions(conn, flow.id)))
        for flow in sync.list_flows(conn)
        if flow.id is not None
    ]
    return render_template("flows/list.html", flows=flows)


@bp.route("/new", methods=["POST"])
@login_required
def create() -> ResponseReturnValue:
    """A new flow with a greeting and a goodbye, opened in the editor."""
    try:
        flow = sync.save_flow(
            get_db(), request.form.get("name", ""), NEW_FLOW, created=_wall()
        )
    except ConfigError as exc:
        flash(f"The flow was not created: {exc.message}.", "error")
        return redirect(url_for("flows.index"))
    return redirect(url_for("flows.edit", flow_id=flow.id))


@bp.route("/<int:flow_id>")
@login_required
def edit(flow_id: int) -> ResponseReturnValue:
    """The editor, on the active version or the one asked for (?version=N)."""
    conn = get_db()
    flow = sync.get_flow(conn, flow_id)
    if flow is None:
        abort(404)
    versions = sync.list_flow_versions(conn, flow_id)
    wanted = request.args.get("version", type=int)
    shown = next((v for v in versions if v.version == wanted), None)
    if shown is None:
        shown = next((v for v in versions if v.active), versions[0] if versions else None)
    definition = shown.definition if shown is not None else flow.definition
    editor = {
        "flow": {"id": flow.id, "name": flow.name},
        "version": shown.version if shown is not None else None,
        "definition": definition,
        "specs": NODE_SPECS,
        "prompts": sorted(_library().names()),
        "queues": [q.name for q in sync.list_queues(conn)],
        "schedules": [s.name for s in sync.list_schedules(conn)],
        "extensions": [a.extension for a in sync.list_agents(conn)],
        "urls": {
            "save": url_for("flows.save", flow_id=flow_id),
            "test": url_for("flows.test", flow_id=flow_id),
        },
    }
    return render_template(
        "flows/edit.html", flow=flow, versions=versions, shown=shown,
        editor=editor,
    )


@bp.route("/<int:flow_id>/versions", methods=["POST"])
@login_required
def save(flow_id: int) -> ResponseReturnValue:
    """Save the posted definition as a new version (JSON in, JSON out), active if asked."""
    conn = get_db()
    try:
        body = _body()
        definition = render_flow_speech(body.get("definition"), prompt_dir())
        flow = sync.save_flow(
            conn, body.get("name", ""), definition, flow_id,
            prompt_names=_library().names(), activate=bool(body.get("activate")),
            created=_wall(),
        )
    except NotFoundError as exc:
        return _error(exc, 404)
    except ConfigError as exc:
        return _error(exc)
    version = sync.list_flow_versions(conn, flow_id)[0].version
    if body.get("activate"):
        reload_daemon()
    return jsonify({
        "version": version, "active": sync.active_flow_version(conn, flow_id), "name": flow.name,
        "edit_url": url_for("flows.edit", flow_id=flow_id, version=version),
    })


@bp.route("/<int:flow_id>/activate", methods=["POST"])
@login_required
def activate(flow_id: int) -> ResponseReturnValue:
    """Make a version the one calls follow: publishing a draft, or rolling back."""
    version = request.form.get("version", type=int)
    if version is None:
        abort(400)
    try:
        flow = sync.activate_flow_version(get_db(), flow_id, version, _library().names())
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        flash(f"Version {version} was not activated: {exc}.", "error")
        return redirect(url_for("flows.edit", flow_id=flow_id, version=version))
    announce_saved(f"Flow {flow.name}: version {version} is now active.")
    return redirect(url_for("flows.edit", flow_id=flow_id))


@bp.route("/<int:flow_id>/test", methods=["POST"])
@login_required
def test(flow_id: int) -> ResponseReturnValue:
    """Walk the posted definition with the posted keys and simulated world; JSON steps out."""
    conn = get_db()
    if sync.get_flow(conn, flow_id) is None:
        abort(404)
    try:
        body = _body()
        definition = render_flow_speech(body.get("definition"), prompt_dir())
        schedules = [s.name for s in sync.list_schedules(conn)]
        flow = validate_flow(
            "test", definition, [q.name for q in sync.list_queues(conn)],
            _library().names(), schedule_names=schedules,
            extensions=[a.extension for a in sync.list_agents(conn)],
        )
        world = _world(body.get("world"))
        keys = body.get("keys") or ""
        if not isinstance(keys, str) or len(keys) > 200:
            raise ConfigError("keys", "must be up to 200 keys")
        result = walk_flow(flow.definition, keys, world, schedules, _wall())
    except WalkError as exc:
        return _error(ConfigError("keys", str(exc)))
    except ConfigError as exc:
        return _error(exc)
    return jsonify(result)


@bp.route("/<int:flow_id>/delete", methods=["POST"])
@login_required
def delete(flow_id: int) -> ResponseReturnValue:
    """Remove a flow and all its versions; refused while a route sends calls to it."""
    conn = get_db()
    flow = sync.get_flow(conn, flow_id)
    if flow is None:
        abort(404)
    try:
        sync.delete_flow(conn, flow_id)
    except ConfigError as exc:
        flash(f"Flow {flow.name} was not deleted: {exc.message}.", "error")
        return redirect(url_for("flows.index"))
    announce_saved(f"Flow {flow.name} deleted.")
    return redirect(url_for("flows.index"))


def _world(raw: object) -> WalkWorld:
    if raw is None:
        return WalkWorld()
    if not isinstance(raw, dict):
        raise ConfigError("world", "must be an object")
    values = raw.get("lookup_values") or {}
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int | float) for k, v in values.items()
    ):
        raise ConfigError("world.lookup_values", "must map variable names to values")
    holiday = raw.get("holiday") or None
    if holiday is not None and not isinstance(holiday, str):
        raise ConfigError("world.holiday", "must be a holiday's name")
    caller = raw.get("caller_number") or ""
    if not isinstance(caller, str):
        raise ConfigError("world.caller_number", "must be a phone number")
    return WalkWorld(
        caller_number=caller.strip(),
        schedules_open=bool(raw.get("schedules_open", True)),
        holiday=holiday,
        lookup_ok=bool(raw.get("lookup_ok", True)),
        lookup_values={k: str(v) for k, v in values.items()},
        transfer_answered=bool(raw.get("transfer_answered", True)),
    )


def _wall() -> float:
    wall: float = current_app.config["CLOCK"].wall()
    return wall

