"""E1 spans: set-up with every choice explained, live status, B-channels and a D-channel trace.

The set-up is written to the store (the daemon then reloads); the live parts
come from the daemon through the control socket and say plainly when it is not
running. The trace is the technician's tool for "the D-channel does not come
up": start it, read it on the page as it grows, download it for Wireshark.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from firmware.control.client import ControlError
from firmware.store import trunk_sync
from firmware.store.models import ConfigError
from firmware.store.trunk_models import SPAN_NAME, SpanConfig
from webui.auth import login_required
from webui.daemon_link import announce_saved, daemon_is_down, daemon_request
from webui.db import get_db

bp = Blueprint("spans", __name__, url_prefix="/spans")

FIELDS = ("role", "framing", "crc4", "line_code", "clock_priority", "line_build_out")

# The choices of the form, each with the sentence that explains it to a technician.
ROLES = [
    ("te", "TE, user side: the line comes from an operator (the usual case)"),
    ("nt", "NT, network side: a PBX is plugged into this span and the box is its network"),
]
FRAMINGS = [
    ("ccs", "CCS: time slot 16 carries the ISDN D-channel (PRI, EuroISDN)"),
    ("cas", "CAS: time slot 16 carries per-channel signalling bits (MFC/R2)"),
]
LINE_CODES = [
    ("hdb3", "HDB3: the E1 standard; use it unless the operator says otherwise"),
    ("ami", "AMI: only for very old equipment"),
]
BUILD_OUTS = [(str(n), f"{n}") for n in range(8)]
DAEMON_DOWN_TEXT = "The service is not running: live status and traces are not available."


def _known_span(name: str) -> SpanConfig:
    if not SPAN_NAME.fullmatch(name):
        abort(404)
    span = trunk_sync.get_span(get_db(), name)
    if span is None:
        abort(404)
    return span


def _live(cmd: str, **args: Any) -> tuple[dict[str, Any] | None, str | None]:
    """A daemon answer, or the sentence that says why there is none."""
    try:
        return daemon_request(cmd, **args), None
    except ControlError as exc:
        return None, DAEMON_DOWN_TEXT if daemon_is_down(exc) else str(exc)


def _span_view(name: str) -> tuple[dict[str, Any] | None, str | None]:
    answer, problem = _live("spans")
    if answer is None:
        return None, problem
    view = next((s for s in answer.get("spans", []) if s.get("name") == name), None)
    return view, None if view is not None else f"The service does not drive {name}."


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Every span: how it is set up, and whether it is in service."""
    spans = trunk_sync.list_spans(get_db())
    answer, problem = _live("spans")
    live = {s["name"]: s for s in answer.get("spans", [])} if answer else {}
    return render_template("spans/list.html", spans=spans, live=live, problem=problem)


@bp.route("/<name>")
@login_required
def show(name: str) -> ResponseReturnValue:
    """One span live: alarms and counters in words, each B-channel, and the trace."""
    span = _known_span(name)
    view, problem = _span_view(name)
    trace, _ = _live("span-trace", span=name) if view is not None else (None, None)
    return render_template(
        "spans/show.html", span=span, view=view, problem=problem, trace=trace
    )


@bp.route("/<name>/status.json")
@login_required
def status_json(name: str) -> ResponseReturnValue:
    _known_span(name)
    view, problem = _span_view(name)
    if view is None:
        return jsonify({"error": problem}), 503
    return jsonify(view)


@bp.route("/<name>/edit", methods=["GET", "POST"])
@login_required
def edit(name: str) -> ResponseReturnValue:
    """Set a span up; a refused value is shown beside its field and nothing is saved."""
    span = _known_span(name)
    if request.method == "GET":
        return _render_form(span, _values(span), {})
    values = {key: request.form.get(key, "") for key in FIELDS}
    values["crc4"] = "yes" if request.form.get("crc4") else "no"
    try:
        saved = trunk_sync.save_span(get_db(), {"name": name, **values})
    except ConfigError as exc:
        return _render_form(span, values, {exc.field: exc.message})
    announce_saved(f"{saved.name} is set up as {saved.role.value.upper()}, "
                   f"{saved.framing.value.upper()}, {saved.line_code.value.upper()}.")
    return redirect(url_for("spans.show", name=name))


def _values(span: SpanConfig) -> dict[str, Any]:
    return {
        "role": span.role.value, "framing": span.framing.value,
        "crc4": "yes" if span.crc4 else "no", "line_code": span.line_code.value,
        "clock_priority": str(span.clock_priority), "line_build_out": str(span.line_build_out),
    }


def _render_form(
    span: SpanConfig, values: dict[str, Any], errors: dict[str, str]
) -> ResponseReturnValue:
    page = render_template(
        "spans/form.html", span=span, values=values, errors=errors, fields=FIELDS,
        roles=ROLES, framings=FRAMINGS, line_codes=LINE_CODES, build_outs=BUILD_OUTS,
    )
    return page, 400 if errors else 200


@bp.route("/<name>/trace/start", methods=["POST"])
@login_required
def trace_start(name: str) -> ResponseReturnValue:
    """Start a fresh trace of the span's D-channel."""
    _known_span(name)
    _, problem = _live("span-trace-start", span=name)
    if problem:
        flash(f"The trace did not start: {problem}", "error")
    else:
        flash(f"Tracing the D-channel of {name}; frames appear below as they pass.", "success")
    return redirect(url_for("spans.show", name=name))


@bp.route("/<name>/trace/stop", methods=["POST"])
@login_required
def trace_stop(name: str) -> ResponseReturnValue:
    _known_span(name)
    answer, problem = _live("span-trace-stop", span=name)
    if problem or answer is None:
        flash(f"The trace did not stop: {problem}", "error")
    else:
        flash(f"Trace stopped with {answer.get('frames', 0)} frames.", "success")
    return redirect(url_for("spans.show", name=name))


@bp.route("/<name>/trace.json")
@login_required
def trace_json(name: str) -> ResponseReturnValue:
    """The trace lines from number ``since`` on, for the page to append."""
    _known_span(name)
    since = request.args.get("since", "0")
    if not since.isdigit():
        return jsonify({"error": "since must be a whole number"}), 400
    answer, problem = _live("span-trace", span=name, since=int(since))
    if answer is None:
        return jsonify({"error": problem}), 503
    return jsonify(answer)


@bp.route("/<name>/trace.pcap")
@login_required
def trace_pcap(name: str) -> ResponseReturnValue:
    """The trace as a pcap file that Wireshark opens (LAPD and Q.931 decoded)."""
    _known_span(name)
    answer, problem = _live("span-trace-pcap", span=name)
    if answer is None:
        flash(f"No trace to download: {problem}", "error")
        return redirect(url_for("spans.show", name=name))
    try:
        data = base64.b64decode(answer.get("pcap", ""), validate=True)
    except (binascii.Error, ValueError):
        flash("The service sent a trace that could not be read.", "error")
        return redirect(url_for("spans.show", name=name))
    return Response(
        data,
        mimetype="application/vnd.tcpdump.pcap",
        headers={"Content-Disposition": f'attachment; filename="{name}-dchannel.pcap"'},
    )
