"""Line diagnostics: each analog port's live state, test actions, and its line settings.

The live part comes from the running daemon (the control socket's
``analog-ports``); the actions (ring a phone, a test call on a line, message
waiting) are daemon commands, refused with a plain sentence when the port is
busy. A port's settings are written to the store like every configuration page,
so a technician can fix a line's habits with the daemon down.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from firmware.control.client import ControlError
from firmware.store import analog as analog_store
from firmware.store import sync
from firmware.store.models import ConfigError
from webui.auth import login_required
from webui.daemon_link import announce_saved, daemon_is_down, daemon_request
from webui.db import get_db

bp = Blueprint("diagnostics", __name__, url_prefix="/diagnostics")

FXS_FIELDS = (
    "ring_country", "caller_id", "call_waiting", "flash_min", "flash_max",
    "interdigit_timeout", "message_waiting", "howler_after",
)
FXO_FIELDS = (
    "answer_detection", "answer_delay", "disconnect_by", "silence_disconnect",
    "max_call_duration", "max_silence",
)
COUNTRIES = ("PL", "DE", "FR", "UK", "IT", "ES", "NL", "US")


def _live() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """(ports, phone calls, problem): the daemon's view, or why there is none."""
    try:
        reply = daemon_request("analog-ports")
    except ControlError as exc:
        problem = "The service is not running." if daemon_is_down(exc) else str(exc)
        return [], [], problem
    return reply.get("ports", []), reply.get("phone_calls", []), None


def _act(cmd: str, done: str, **args: Any) -> ResponseReturnValue:
    try:
        daemon_request(cmd, **args)
    except ControlError as exc:
        reason = "the service is not running" if daemon_is_down(exc) else str(exc)
        flash(f"Not done: {reason}.", "error")
    else:
        flash(done, "success")
    return redirect(url_for("diagnostics.index"))


def _analog_ports() -> list[str]:
    ports = sync.card_ports(get_db()) or []
    return [p for p in ports if p.startswith(("fxs", "fxo"))]


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Every analog port as the daemon sees it now, with the test actions."""
    ports, phone_calls, problem = _live()
    conn = get_db()
    return render_template(
        "diagnostics/index.html",
        lines=[p for p in ports if p.get("kind") == "fxo"],
        phones=[p for p in ports if p.get("kind") == "fxs"],
        phone_calls=phone_calls,
        problem=problem,
        stored=analog_store.list_analog_ports(conn),
        known_ports=_analog_ports(),
        outside_prefix=analog_store.outside_prefix(conn),
    )


@bp.route("/ring", methods=["POST"])
@login_required
def ring() -> ResponseReturnValue:
    """Ring a phone for a few seconds (with a test caller ID) to check the bell and the wire."""
    port = request.form.get("port", "")
    try:
        seconds = float(request.form.get("seconds", "10"))
    except ValueError:
        flash("Not done: seconds must be a number.", "error")
        return redirect(url_for("diagnostics.index"))
    return _act("ring-phone", f"{port} is ringing for {seconds:g} s.", port=port,
                seconds=seconds)


@bp.route("/test-call", methods=["POST"])
@login_required
def test_call() -> ResponseReturnValue:
    """Seize a line and dial a number; the result appears on the line's row."""
    port = request.form.get("port", "")
    number = request.form.get("number", "").strip()
    if not number.isdigit():
        flash("Not done: the number to call is digits only.", "error")
        return redirect(url_for("diagnostics.index"))
    return _act("test-call", f"Test call from {port} to {number} started.", port=port,
                number=number, hold=10.0)


@bp.route("/learn-tone", methods=["POST"])
@login_required
def learn_tone() -> ResponseReturnValue:
    """Measure the tone a line plays after the far end hung up, and keep it for that line."""
    port = request.form.get("port", "")
    return _act("learn-tone", f"Listening to {port} for 10 s; the tone is stored when measured.",
                port=port, seconds=10.0)


@bp.route("/message-waiting", methods=["POST"])
@login_required
def message_waiting() -> ResponseReturnValue:
    """Switch a phone's message-waiting indication (stutter dial tone)."""
    port = request.form.get("port", "")
    waiting = request.form.get("waiting") == "1"
    state = "on" if waiting else "off"
    return _act("message-waiting", f"Message waiting is {state} on {port}.", port=port,
                waiting=waiting)


@bp.route("/prefix", methods=["POST"])
@login_required
def prefix() -> ResponseReturnValue:
    """The digits phones dial before an outside number."""
    try:
        value = analog_store.validate_outside_prefix(request.form.get("outside_prefix"))
    except ConfigError as exc:
        flash(f"Not saved: {exc.message}.", "error")
        return redirect(url_for("diagnostics.index"))
    sync.set_setting(get_db(), analog_store.OUTSIDE_PREFIX_KEY, value)
    announce_saved(f"Phones now dial {value} for an outside line.")
    return redirect(url_for("diagnostics.index"))


def _form_values(settings: analog_store.AnalogPortSettings) -> dict[str, Any]:
    values = settings.to_dict()
    values["ring_country"] = settings.ring_country or ""
    values["disconnect_by"] = list(settings.disconnect_by)
    return values


@bp.route("/ports/<name>", methods=["GET", "POST"])
@login_required
def port_settings(name: str) -> ResponseReturnValue:
    """One port's line settings; a refused value is shown beside its field, nothing saved."""
    conn = get_db()
    known = _analog_ports()
    if known and name not in known:
        abort(404)
    current = analog_store.get_analog_port(conn, name)
    errors: dict[str, str] = {}
    values = _form_values(current)
    if request.method == "POST":
        fields = FXS_FIELDS if current.kind == "fxs" else FXO_FIELDS
        data: dict[str, Any] = {**current.to_dict(), "port": name}
        for field in fields:
            data[field] = request.form.get(field)
        if current.kind == "fxs":
            data["call_waiting"] = request.form.get("call_waiting") == "1"
        else:
            data["disconnect_by"] = request.form.getlist("disconnect_by")
        try:
            settings = analog_store.validate_analog_port(data, known or None)
        except ConfigError as exc:
            errors = {exc.field.split("[")[0]: exc.message}
            values = {**values, **{f: request.form.get(f, "") for f in fields}}
            if current.kind == "fxo":
                values["disconnect_by"] = request.form.getlist("disconnect_by")
        else:
            analog_store.save_analog_port(conn, settings)
            announce_saved(f"Line settings of {name} saved.")
            return redirect(url_for("diagnostics.index"))
    page = render_template(
        "diagnostics/port.html", name=name, kind=current.kind, values=values, errors=errors,
        fields=FXS_FIELDS if current.kind == "fxs" else FXO_FIELDS, countries=COUNTRIES,
        caller_id_modes=[m.value for m in analog_store.CallerIdMode],
        mwi_modes=[m.value for m in analog_store.MessageWaiting],
        answer_modes=[m.value for m in analog_store.AnswerDetectionSetting],
        methods=analog_store.DISCONNECT_METHODS,
    )
    return page, 400 if errors else 200
