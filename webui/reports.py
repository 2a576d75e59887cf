"""KPI reports: per queue, client, agent, hour and day over chosen days, and today's live figures.

Every figure comes from :mod:`firmware.kpi`, the same formulas the
simulator prints, and every column heading carries its definition from
:mod:`firmware.kpi.definitions` (the text of docs/kpi.md) as a tooltip.
"""

from __future__ import annotations

import csv
import enum
import io
import math
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from firmware.kpi.buckets import days_window, local_date
from firmware.kpi.definitions import DEFINITIONS
from firmware.kpi.history import MOST_DAYS, read_report_logs
from firmware.kpi.report import (
    AgentFigures,
    CallFigures,
    Grouping,
    ReportScope,
    agent_figures,
    call_figures,
)
from firmware.kpi.settings import (
    KpiSettings,
    load_kpi_settings,
    queue_targets,
    save_kpi_settings,
)
from firmware.store import sync
from firmware.store.clients import client_directory
from firmware.store.models import ConfigError
from webui.auth import login_required
from webui.db import get_db
from webui.formatting import MISSING, minutes_seconds

bp = Blueprint("reports", __name__, url_prefix="/reports")


class Kind(enum.StrEnum):
    """How a column's value reads: a count, a fraction shown as %, or seconds as m:ss."""

    COUNT = "count"
    RATE = "rate"
    SECONDS = "seconds"


@dataclass(frozen=True)
class Column:
    """One column of a table: the figure's attribute, its heading and how it reads."""

    key: str
    heading: str
    kind: Kind

    @property
    def definition(self) -> str:
        return DEFINITIONS.get(self.key, "")


CALL_COLUMNS = (
    Column("offered", "Offered", Kind.COUNT),
    Column("answered", "Answered", Kind.COUNT),
    Column("abandoned", "Abandoned", Kind.COUNT),
    Column("short_abandoned", "Short abandons", Kind.COUNT),
    Column("timed_out", "Timed out", Kind.COUNT),
    Column("exited", "Sent elsewhere", Kind.COUNT),
    Column("waiting", "Waiting", Kind.COUNT),
    Column("service_level", "Service level", Kind.RATE),
    Column("asa", "ASA", Kind.SECONDS),
    Column("aht", "AHT", Kind.SECONDS),
    Column("max_wait", "Longest wait", Kind.SECONDS),
    Column("occupancy", "Occupancy", Kind.RATE),
    Column("fcr", "FCR", Kind.RATE),
)
# Occupancy is an agents' figure: it has no honest split by queue or client.
_NO_OCCUPANCY = tuple(c for c in CALL_COLUMNS if c.key != "occupancy")
AGENT_COLUMNS = (
    Column("answered", "Answered", Kind.COUNT),
    Column("missed", "Missed rings", Kind.COUNT),
    Column("talk", "Talk time", Kind.SECONDS),
    Column("aht", "AHT", Kind.SECONDS),
    Column("staffed", "Staffed", Kind.SECONDS),
    Column("paused", "Paused", Kind.SECONDS),
    Column("occupancy", "Occupancy", Kind.RATE),
    Column("fcr", "FCR", Kind.RATE),
)


@dataclass(frozen=True)
class Table:
    """One report table: its name (for the CSV link), first column and rows."""

    name: str
    title: str
    first: str
    columns: tuple[Column, ...]
    rows: Sequence[CallFigures | AgentFigures]

    def label(self, row: CallFigures | AgentFigures) -> str:
        return row.agent if isinstance(row, AgentFigures) else row.label


class PeriodError(ConfigError):
    """A report period typed wrongly: ``field`` is "from" or "to"."""


@dataclass(frozen=True)
class Period:
    """The days a report covers, inclusive, in the report time zone."""

    first: date
    last: date


@bp.app_context_processor
def _definitions() -> dict[str, Any]:
    # The dashboard's "Today so far" panel shows the same tooltips as the reports.
    return {"kpi_definitions": DEFINITIONS}


def _now() -> float:
    wall: float = current_app.config["CLOCK"].wall()
    return wall


def _period(args: Mapping[str, str], settings: KpiSettings, now: float) -> Period:
    today = local_date(now, settings.tz)
    first = _day(args.get("from", ""), "from", today)
    last = _day(args.get("to", ""), "to", first if args.get("from") else today)
    if last < first:
        raise PeriodError("to", "must not be before the first day")
    if (last - first).days + 1 > MOST_DAYS:
        raise PeriodError("to", f"a report covers at most {MOST_DAYS} days")
    return Period(first, last)


def _day(raw: str, field: str, default: date) -> date:
    text = raw.strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(field, "must be a date such as 2026-01-31") from None


def _clients(conn: sqlite3.Connection) -> dict[str, str]:
    """Each owned queue's client: a call counts for the client that owns its queue."""
    return dict(client_directory(conn).queues)


def _tables(conn: sqlite3.Connection, period: Period, settings: KpiSettings) -> list[Table]:
    now = _now()
    start, end = days_window(period.first, period.last, settings.tz)
    logs = read_report_logs(conn, start, end, now, settings.fcr_window_seconds)
    queues = sync.list_queues(conn)
    clients = _clients(conn)
    scope = ReportScope(
        start, end, logs.known_until, queue_targets(queues, settings),
        settings.fcr_window_seconds, settings.tz, clients,
    )

    def calls(grouping: Grouping) -> list[CallFigures]:
        return call_figures(logs.queue_log, logs.states, scope, grouping)

    agents = [a.name for a in sync.list_agents(conn)]
    tables = [
        Table("queues", "Per queue", "Queue", _NO_OCCUPANCY, calls(Grouping.QUEUE)),
    ]
    if clients:
        tables.append(
            Table("clients", "Per client", "Client", _NO_OCCUPANCY, calls(Grouping.CLIENT))
        )
    tables += [
        Table("agents", "Per agent", "Agent", AGENT_COLUMNS,
              agent_figures(logs.queue_log, logs.states, scope, agents)),
        Table("hours", "Per hour", "Hour", CALL_COLUMNS, calls(Grouping.HOUR)),
        Table("days", "Per day", "Day", CALL_COLUMNS, calls(Grouping.DAY)),
    ]
    return tables


def shown(value: float | int | None, kind: Kind) -> str:
    """A figure as the page shows it: 12, 85.0 %, 1:05, or a dash for nothing to measure."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if kind == Kind.RATE:
        return f"{value * 100:.1f} %"
    if kind == Kind.SECONDS:
        return minutes_seconds(value)
    return str(value)


def _render(
    settings: KpiSettings,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    period: Period | None,
) -> ResponseReturnValue:
    conn = get_db()
    tables = _tables(conn, period, settings) if period is not None else []
    page = render_template(
        "reports/index.html",
        tables=tables,
        period=period,
        values=values,
        errors=errors,
        settings=settings,
        shown=shown,
        definitions=DEFINITIONS,
        window_hours=f"{settings.fcr_window_seconds / 3600:g}",
    )
    return page, 400 if errors else 200


def _form_values(settings: KpiSettings) -> dict[str, Any]:
    return {
        "short_abandon_seconds": f"{settings.short_abandon_seconds:g}",
        "fcr_window_hours": f"{settings.fcr_window_seconds / 3600:g}",
        "timezone": settings.timezone,
    }


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """The tables for the chosen days (today by default); a bad date is named beside its field."""
    settings = load_kpi_settings(get_db())
    values = {**_form_values(settings), "from": request.args.get("from", ""),
              "to": request.args.get("to", "")}
    try:
        period = _period(request.args, settings, _now())
    except PeriodError as exc:
        return _render(settings, values, {exc.field: exc.message}, None)
    values["from"], values["to"] = period.first.isoformat(), period.last.isoformat()
    return _render(settings, values, {}, period)


@bp.route("/settings", methods=["POST"])
@login_required
def save_settings() -> ResponseReturnValue:
    """Store the short-abandon threshold, FCR window and time zone; a refused value stores none."""
    conn = get_db()
    form = {k: request.form.get(k, "") for k in ("short_abandon_seconds", "fcr_window_hours",
                                                  "timezone")}
    try:
        settings = save_kpi_settings(conn, form)
    except ConfigError as exc:
        settings = load_kpi_settings(conn)
        period = _period({}, settings, _now())
        values = {**form, "from": period.first.isoformat(), "to": period.last.isoformat()}
        return _render(settings, values, {exc.field: exc.message}, period)
    flash(
        f"Report settings saved: short abandons under {settings.short_abandon_seconds:g} s, "
        f"FCR window {settings.fcr_window_seconds / 3600:g} h.",
        "success",
    )
    return redirect(url_for("reports.index"))


@bp.route("/<name>.csv")
@login_required
def download(name: str) -> ResponseReturnValue:
    """One table as CSV: rates as fractions and times in seconds, as the simulator prints them."""
    settings = load_kpi_settings(get_db())
    try:
        period = _period(request.args, settings, _now())
    except PeriodError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    tables = {t.name: t for t in _tables(get_db(), period, settings)}
    table = tables.get(name)
    if table is None:
        return Response(f"There is no table named {name}.\n", status=404, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([table.first.lower(), *(c.key for c in table.columns)])
    for row in table.rows:
        writer.writerow([_cell(table.label(row)),
                         *(_csv_value(getattr(row, c.key)) for c in table.columns)])
    filename = f"{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/today.json")
@login_required
def today() -> ResponseReturnValue:
    """Today so far per queue, for the dashboard's panel (it asks every 10 seconds)."""
    conn = get_db()
    settings = load_kpi_settings(conn)
    now = _now()
    day = local_date(now, settings.tz)
    start, end = days_window(day, day, settings.tz)
    logs = read_report_logs(conn, start, end, now, settings.fcr_window_seconds)
    scope = ReportScope(
        start, end, logs.known_until, queue_targets(sync.list_queues(conn), settings),
        settings.fcr_window_seconds, settings.tz,
    )
    rows = call_figures(logs.queue_log, logs.states, scope, Grouping.QUEUE)
    return jsonify({
        "date": day.isoformat(),
        "queues": [
            {
                "name": r.key,
                "offered": r.offered,
                "answered": r.answered,
                "abandoned": r.abandoned,
                "waiting": r.waiting,
                "service_level": r.service_level,
                "asa": r.asa,
            }
            for r in rows
        ],
    })


def _csv_value(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if math.isfinite(value) else ""
    return str(value)


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula; names are data.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
