"""The live view: lines, calls, queues and agents as the daemon reports them."""

from __future__ import annotations

import json
from collections.abc import Iterator

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from firmware.control.client import ControlError
from webui.auth import login_required
from webui.daemon_link import control_client, read_status

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """The first render is done here, so the page is useful before its script runs."""
    reading = read_status()
    return render_template("dashboard.html", status=reading.status, problem=reading.problem)


@bp.route("/events")
@login_required
def events() -> ResponseReturnValue:
    """Relay the daemon's live events as server-sent events, for the browser or a CRM.

    When the daemon is down (or stops) the stream says so in a ``daemon-down``
    event and ends; the browser's EventSource reconnects after ``retry``.
    """
    client = control_client()

    def stream() -> Iterator[str]:
        yield "retry: 5000\n\n"
        source = None
        try:
            source = client.events()
            for event in source:
                yield f"event: {event.get('type', 'message')}\ndata: {json.dumps(event)}\n\n"
        except ControlError as exc:
            yield f"event: daemon-down\ndata: {json.dumps({'error': str(exc)})}\n\n"
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    return Response(
        stream(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
