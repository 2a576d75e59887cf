"""Inbound routes: which IVR flow or queue answers the calls arriving on each line."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from firmware.store import sync
from firmware.store.models import InboundRoute
from webui.auth import login_required
from webui.config_forms import delete_or_explain, save_or_show
from webui.db import get_db

bp = Blueprint("inbound_routes", __name__, url_prefix="/routes")

FIELDS = ("port", "destination")


def _form_data() -> dict[str, Any]:
    return {
        "port": request.form.get("port", ""),
        "destination": request.form.get("destination", ""),
    }


def _values(route: InboundRoute | None) -> dict[str, Any]:
    if route is None:
        return {"port": "", "destination": ""}
    return {"port": route.port, "destination": route.destination}


def _destinations(current: str) -> list[tuple[str, str]]:
    conn = get_db()
    options = [(f"ivr:{flow.name}", f"IVR menu: {flow.name}") for flow in sync.list_flows(conn)]
    options += [(f"queue:{queue.name}", f"Queue: {queue.name}") for queue in sync.list_queues(conn)]
    if current and current not in {value for value, _ in options}:
        options.insert(0, (current, f"{current} (does not exist)"))
    if not current:
        options.insert(0, ("", "Choose where calls go"))
    return options


def _render_form(
    route: InboundRoute | None, values: dict[str, Any], errors: dict[str, str]
) -> ResponseReturnValue:
    ports = sync.card_ports(get_db())
    page = render_template(
        "inbound_routes/form.html",
        route=route,
        values=values,
        errors=errors,
        ports=None if ports is None else [p for p in ports if p.startswith("fxo")],
        destinations=_destinations(values["destination"]),
        fields=FIELDS,
    )
    return page, 400 if errors else 200


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Every line that has a route, and where its calls go."""
    return render_template("inbound_routes/list.html", routes=sync.list_routes(get_db()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    """Route a line; a refused value is shown beside its field and nothing is saved."""
    if request.method == "GET":
        return _render_form(None, _values(None), {})
    values = _form_data()
    return save_or_show(
        lambda: sync.save_route(get_db(), values),
        lambda errors: _render_form(None, values, errors),
        lambda route: f"Calls on {route.port} now go to {route.destination}.",
        "inbound_routes.index",
    )


@bp.route("/<int:route_id>/edit", methods=["GET", "POST"])
@login_required
def edit(route_id: int) -> ResponseReturnValue:
    """Change where a line's calls go."""
    route = sync.get_route(get_db(), route_id)
    if route is None:
        abort(404)
    if request.method == "GET":
        return _render_form(route, _values(route), {})
    values = _form_data()
    return save_or_show(
        lambda: sync.save_route(get_db(), values, route_id),
        lambda errors: _render_form(route, values, errors),
        lambda saved: f"Calls on {saved.port} now go to {saved.destination}.",
        "inbound_routes.index",
    )


@bp.route("/<int:route_id>/delete", methods=["POST"])
@login_required
def delete(route_id: int) -> ResponseReturnValue:
    """Remove a line's route; its calls are then not answered by the call center."""
    route = sync.get_route(get_db(), route_id)
    if route is None:
        abort(404)
    return delete_or_explain(
        lambda: sync.delete_route(get_db(), route_id), f"The route of {route.port}",
        "inbound_routes.index", f"The route of {route.port} is deleted.",
    )
