"""Capacity planning: agents needed per hour for a forecast, from the simulator and Erlang C.

The technician picks one of the box's queues, types (or pastes) the calls
expected in each hour, and gets per hour the Erlang C head count at once and
the simulator's beside it. A simulated hour takes a second or so, so the page
shows the hours already worked out (results are cached by their inputs) and
its script asks for the others one at a time (``/capacity/hour.json``).
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

from firmware.kpi.history import read_queue_log
from firmware.kpi.queues import QueueTargets, queue_kpis
from firmware.kpi.staffing import (
    MOST_CALLS_PER_HOUR,
    HourPlan,
    HourStaffing,
    StaffingError,
    cached_plan,
    erlang_agents,
    plan_hour,
)
from firmware.store import sync
from firmware.store.models import ConfigError, Queue
from webui.auth import login_required
from webui.db import get_db

bp = Blueprint("capacity", __name__, url_prefix="/capacity")

HOURS = tuple(f"h{hour:02d}" for hour in range(24))
DEFAULT_AHT = 180.0
DEFAULT_TARGET_PERCENT = 80.0
HISTORY_DAYS = 7
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class PlanInputs:
    """A checked form: the queue and what is the same for every hour, and the 24 forecasts."""

    queue: Queue
    forecast: tuple[float, ...]
    aht: float
    target_seconds: float
    target_percent: float
    patience: float | None

    def hour_plan(self, hour: int) -> HourPlan:
        max_wait = self.queue.max_wait
        return HourPlan(
            calls_per_hour=self.forecast[hour],
            aht_seconds=self.aht,
            target_seconds=self.target_seconds,
            target_level=self.target_percent / 100.0,
            wrapup_seconds=self.queue.wrapup,
            patience_seconds=self.patience,
            max_wait_seconds=max_wait if math.isfinite(max_wait) and max_wait > 0 else None,
            strategy=self.queue.strategy,
        )

    def hour_query(self, hour: int) -> dict[str, str]:
        """The hour's inputs as the query of ``/capacity/hour.json``."""
        query = {
            "queue": self.queue.name,
            "calls": f"{self.forecast[hour]:g}",
            "aht": f"{self.aht:g}",
            "target_seconds": f"{self.target_seconds:g}",
            "target_percent": f"{self.target_percent:g}",
        }
        if self.patience is not None:
            query["patience"] = f"{self.patience:g}"
        return query


def _number(
    raw: str | None, field: str, low: float, high: float, what: str, default: float | None
) -> float:
    text = (raw or "").strip()
    if not text:
        if default is None:
            raise ConfigError(field, "is required")
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(field, f"must be {what}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise ConfigError(field, f"must be {what} from {low:g} to {high:g}")
    return value


def _queue(conn: sqlite3.Connection, name: str | None) -> Queue | None:
    queues = sync.list_queues(conn)
    if not name:
        return queues[0] if queues else None
    return next((q for q in queues if q.name == name), None)


def parse_inputs(form: Mapping[str, str], queue: Queue) -> tuple[PlanInputs | None, dict[str, str]]:
    """The checked form, or every refused field with its sentence (the form's field names)."""
    errors: dict[str, str] = {}

    def take(field: str, low: float, high: float, what: str, default: float | None) -> float:
        try:
            return _number(form.get(field), field, low, high, what, default)
        except ConfigError as exc:
            errors[exc.field] = exc.message
            return 0.0

    forecast: list[float] = []
    pasted = (form.get("paste") or "").strip()
    if pasted:
        parts = [p for p in _SEPARATORS.split(pasted) if p]
        if len(parts) != 24:
            errors["paste"] = f"must hold 24 numbers, one per hour; it holds {len(parts)}"
        else:
            for hour, part in enumerate(parts):
                try:
                    forecast.append(
                        _number(part, "paste", 0.0, MOST_CALLS_PER_HOUR, "a number", None)
                    )
                except ConfigError:
                    errors["paste"] = (f"the number for {hour:02d}:00, {part!r}, is not a "
                                       f"number of calls from 0 to {MOST_CALLS_PER_HOUR:g}")
                    break
    else:
        forecast = [
            take(field, 0.0, MOST_CALLS_PER_HOUR, "a number of calls", 0.0) for field in HOURS
        ]
    aht = take("aht", 1.0, 86400.0, "a number of seconds", None)
    target_seconds = take("target_seconds", 0.0, 3600.0, "a number of seconds", None)
    target_percent = take("target_percent", 1.0, 99.9, "a percentage", None)
    patience_text = (form.get("patience") or "").strip()
    patience = take("patience", 1.0, 86400.0, "a number of seconds", None) if patience_text \
        else None
    if "aht" not in errors and aht <= queue.wrapup:
        errors["aht"] = (f"must be longer than the queue's wrap-up of {queue.wrapup:g} s: "
                         "the handle time includes it")
    if errors:
        return None, errors
    inputs = PlanInputs(queue, tuple(forecast), aht, target_seconds, target_percent, patience)
    try:
        inputs.hour_plan(0)
    except StaffingError as exc:
        return None, {exc.field: exc.message}
    return inputs, {}


def _history_aht(conn: sqlite3.Connection, queue: Queue, now: float) -> float | None:
    """The queue's AHT over the last days, to start the form from what the box has seen."""
    log = read_queue_log(conn, now - HISTORY_DAYS * 86400.0, now, queue.name)
    targets = {queue.name: QueueTargets(queue.service_level, queue.wrapup)}
    return queue_kpis(log, targets)[queue.name].aht


def _defaults(conn: sqlite3.Connection, queue: Queue) -> tuple[dict[str, str], bool]:
    now: float = current_app.config["CLOCK"].wall()
    aht = _history_aht(conn, queue, now)
    values = {field: "0" for field in HOURS}
    values.update({
        "aht": f"{round(aht) if aht is not None else DEFAULT_AHT:g}",
        "target_seconds": f"{queue.service_level:g}",
        "target_percent": f"{DEFAULT_TARGET_PERCENT:g}",
        "patience": "",
        "paste": "",
    })
    return values, aht is not None


@dataclass(frozen=True)
class HourRow:
    """One hour of the result: the forecast, Erlang C, and the simulation when known."""

    hour: int
    calls: float
    erlang: int
    simulated: HourStaffing | None
    url: str


def _rows(inputs: PlanInputs) -> list[HourRow]:
    rows = []
    for hour in range(24):
        plan = inputs.hour_plan(hour)
        url = url_for("capacity.hour") + "?" + urlencode(inputs.hour_query(hour))
        rows.append(HourRow(hour, plan.calls_per_hour, erlang_agents(plan), cached_plan(plan), url))
    return rows


def _render(
    queues: list[Queue],
    queue: Queue | None,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    rows: list[HourRow],
    from_history: bool,
) -> ResponseReturnValue:
    page = render_template(
        "capacity/index.html", queues=queues, queue=queue, values=values, errors=errors,
        rows=rows, hours=HOURS, from_history=from_history, history_days=HISTORY_DAYS,
    )
    return page, 400 if errors else 200


@bp.route("", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    """The form for one queue; posted, the agents needed per hour beside the forecast."""
    conn = get_db()
    queues = sync.list_queues(conn)
    name = request.values.get("queue")
    queue = _queue(conn, name)
    if queue is None:
        errors = {"queue": f"there is no queue named {name!r}"} if name else {}
        return _render(queues, None, {}, errors, [], False)
    values, from_history = _defaults(conn, queue)
    if request.method == "GET":
        return _render(queues, queue, values, {}, [], from_history)
    form = {k: request.form.get(k, "") for k in (*HOURS, "aht", "target_seconds",
                                                  "target_percent", "patience", "paste")}
    inputs, errors = parse_inputs(form, queue)
    if inputs is None:
        return _render(queues, queue, form, errors, [], from_history)
    shown = {**form, **{field: f"{calls:g}" for field, calls in zip(HOURS, inputs.forecast,
                                                                       strict=True)}, "paste": ""}
    return _render(queues, queue, shown, {}, _rows(inputs), from_history)


@bp.route("/hour.json")
@login_required
def hour() -> ResponseReturnValue:
    """One hour simulated (or from the cache): what the page's script fills in, hour by hour."""
    conn = get_db()
    queue = _queue(conn, request.args.get("queue") or "")
    if queue is None or not request.args.get("queue"):
        return jsonify({"field": "queue", "error": "there is no such queue"}), 404
    form = {"h00": request.args.get("calls", ""), **{k: request.args.get(k, "") for k in
            ("aht", "target_seconds", "target_percent", "patience")}}
    inputs, errors = parse_inputs(form, queue)
    if inputs is None:
        field, message = next(iter(errors.items()))
        return jsonify({"field": "calls" if field == "h00" else field, "error": message}), 400
    result = plan_hour(inputs.hour_plan(0))
    return jsonify({
        "agents": result.agents,
        "service_level": result.service_level,
        "erlang_agents": result.erlang_agents,
        "erlang_service_level": result.erlang_service_level,
        "reached": result.reached,
    })
