"""What happened: call detail records and the queue log, newest first, 50 to a page."""

from __future__ import annotations

import math

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from firmware.store import sync
from firmware.store.models import ConfigError
from webui.auth import login_required
from webui.db import get_db

bp = Blueprint("records", __name__)

PAGE_SIZE = 50


def _requested_page() -> int:
    page = request.args.get("page", 1, type=int)
    return max(1, page if page is not None else 1)


@bp.route("/cdr")
@login_required
def cdr() -> ResponseReturnValue:
    """One page of call records; a page past the end shows the last one."""
    conn = get_db()
    total = sync.count_cdr(conn)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(_requested_page(), pages)
    try:
        records = sync.list_cdr(conn, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    except ConfigError:
        # The store lists at most 100000 records back; older ones stay in the
        # database for export but cannot be paged to here.
        abort(404)
    return render_template(
        "records/cdr.html", records=records, page=page, pages=pages, total=total
    )


@bp.route("/queue-log")
@login_required
def queue_log() -> ResponseReturnValue:
    """One page of queue events (enter, ring, answer, abandon...), newest first."""
    page = _requested_page()
    # The store hands out the newest N entries; fetch one more than this page
    # needs to learn whether an older page exists.
    wanted = page * PAGE_SIZE + 1
    try:
        entries = sync.list_queue_log(get_db(), limit=wanted)
    except ConfigError:
        abort(404)
    start = (page - 1) * PAGE_SIZE
    if page > 1 and len(entries) <= start:
        abort(404)
    return render_template(
        "records/queue_log.html",
        entries=entries[start : start + PAGE_SIZE],
        page=page,
        has_next=len(entries) > page * PAGE_SIZE,
    )
