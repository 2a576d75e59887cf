"""Schedules: business hours per weekday, holidays and time zone, for flows and routes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from firmware.store import sync
from firmware.store.models import WEEKDAYS, ConfigError, NotFoundError, Schedule
from webui.auth import login_required
from webui.daemon_link import announce_saved
from webui.db import get_db

bp = Blueprint("schedules", __name__, url_prefix="/schedules")

DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                "Saturday", "Sunday"), strict=True))
DEFAULT_TIMEZONE = "Europe/Warsaw"


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _values(schedule: Schedule | None) -> dict[str, Any]:
    if schedule is None:
        weekdays = "08:00-16:00"
        return {"name": "", "timezone": DEFAULT_TIMEZONE, "holidays": "",
                **{f"hours_{d}": weekdays if i < 5 else "" for i, d in enumerate(WEEKDAYS)}}
    values: dict[str, Any] = {
        "name": schedule.name,
        "timezone": schedule.timezone,
        "holidays": "\n".join(f"{h.date} {h.name}" for h in schedule.holidays),
    }
    for day, intervals in zip(WEEKDAYS, schedule.hours, strict=True):
        values[f"hours_{day}"] = ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in intervals)
    return values


def _form_data() -> dict[str, Any]:
    return {
        "name": request.form.get("name", ""),
        "timezone": request.form.get("timezone", ""),
        "hours": {day: request.form.get(f"hours_{day}", "") for day in WEEKDAYS},
        "holidays": request.form.get("holidays", ""),
    }


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in data.items() if k != "hours"}
    values.update({f"hours_{day}": text for day, text in data["hours"].items()})
    return values


def _field_of(error: ConfigError) -> str:
    if error.field.startswith("hours."):
        return "hours_" + error.field.split(".")[1]
    if error.field.startswith("holidays"):
        return "holidays"
    return error.field


def _render(
    schedule: Schedule | None, values: dict[str, Any], errors: dict[str, str]
) -> ResponseReturnValue:
    page = render_template(
        "schedules/form.html", schedule=schedule, values=values, errors=errors,
        days=list(DAY_NAMES.items()),
        known=["name", "timezone", "holidays", *(f"hours_{day}" for day in WEEKDAYS)],
    )
    return page, 400 if errors else 200


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Every schedule with its week at a glance."""
    schedules = [(s, _values(s)) for s in sync.list_schedules(get_db())]
    return render_template("schedules/list.html", schedules=schedules, days=list(DAY_NAMES.items()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    """Add a schedule; a refused value is shown beside its field and nothing is saved."""
    if request.method == "GET":
        return _render(None, _values(None), {})
    data = _form_data()
    try:
        schedule = sync.save_schedule(get_db(), data)
    except ConfigError as exc:
        return _render(None, _flat(data), {_field_of(exc): exc.message})
    announce_saved(f"Schedule {schedule.name} added.")
    return redirect(url_for("schedules.index"))


@bp.route("/<int:schedule_id>/edit", methods=["GET", "POST"])
@login_required
def edit(schedule_id: int) -> ResponseReturnValue:
    """Change a schedule; renaming it renames it in the flows that ask it."""
    schedule = sync.get_schedule(get_db(), schedule_id)
    if schedule is None:
        abort(404)
    if request.method == "GET":
        return _render(schedule, _values(schedule), {})
    data = _form_data()
    try:
        saved = sync.save_schedule(get_db(), data, schedule_id)
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        return _render(schedule, _flat(data), {_field_of(exc): exc.message})
    announce_saved(f"Schedule {saved.name} saved.")
    return redirect(url_for("schedules.index"))


@bp.route("/<int:schedule_id>/delete", methods=["POST"])
@login_required
def delete(schedule_id: int) -> ResponseReturnValue:
    """Remove a schedule; refused while a flow still asks it."""
    schedule = sync.get_schedule(get_db(), schedule_id)
    if schedule is None:
        abort(404)
    try:
        sync.delete_schedule(get_db(), schedule_id)
    except ConfigError as exc:
        flash(f"Schedule {schedule.name} was not deleted: {exc.message}.", "error")
        return redirect(url_for("schedules.index"))
    announce_saved(f"Schedule {schedule.name} deleted.")
    return redirect(url_for("schedules.index"))
