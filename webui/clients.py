"""Clients: the companies a center answers calls for, what each owns, its script and its bill."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from firmware.ivr.variables import fill
from firmware.store import sync, trunk_sync
from firmware.store.billing import billing_report, report_csv
from firmware.store.clients import (
    SCRIPT_CALL_FIELDS,
    SCRIPT_MAX,
    Client,
    Pricing,
    delete_client,
    get_client,
    list_clients,
    owners,
    save_client,
)
from firmware.store.models import ConfigError, NodeType, NotFoundError
from webui.auth import login_required
from webui.daemon_link import announce_saved
from webui.db import get_db
from webui.formatting import local_time

bp = Blueprint("clients", __name__, url_prefix="/clients")

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

OWNED_KINDS = ("lines", "dids", "flows", "queues")
FIELDS = (
    "name", *OWNED_KINDS, "script", "billing.pricing", "billing.price", "billing.currency",
    "billing.increment", "disposition_codes",
)
PRICING_HELP = {
    Pricing.PER_MINUTE: "per minute of talk (each call rounded up to the increment below)",
    Pricing.PER_CALL: "per answered call, whatever its length",
}
# What each call field reads as in the script preview.
_PREVIEW_CALL = {
    "caller_number": "600100200", "caller_name": "Jan Kowalski", "did": "221234567",
    "line": "fxo1", "queue": "sales", "agent": "Anna",
}


def _form_data() -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": request.form.get("name", ""),
        "script": request.form.get("script", ""),
        "disposition_codes": request.form.get("disposition_codes", ""),
        "billing": {
            key: request.form.get(f"billing.{key}", "")
            for key in ("pricing", "price", "currency", "increment")
        },
    }
    for kind in OWNED_KINDS:
        data[kind] = request.form.getlist(kind)
    return data


def _values(client: Client | None) -> dict[str, Any]:
    if client is None:
        client = Client(None, "")
    billing = client.billing
    return {
        "name": client.name,
        "lines": list(client.lines),
        "dids": list(client.dids),
        "flows": list(client.flows),
        "queues": list(client.queues),
        "script": client.script,
        "disposition_codes": "\n".join(client.disposition_codes),
        "billing": {
            "pricing": billing.pricing.value,
            "price": f"{billing.price:f}",
            "currency": billing.currency,
            "increment": str(billing.increment),
        },
    }


def _field_of(error: ConfigError) -> str:
    """The form field an error belongs beside: "queues[2]" is shown at the queues list."""
    for name in (*OWNED_KINDS, "disposition_codes"):
        if error.field.startswith(name):
            return name
    return error.field


def _choices(client_id: int | None) -> dict[str, list[dict[str, Any]]]:
    """Every line, DID route, flow and queue, with who owns it (another client cannot take it)."""
    conn = get_db()
    taken = owners(conn)
    items: dict[str, Iterable[tuple[str, str]]] = {
        "lines": ((r.port, f"{r.port} → {r.destination}") for r in sync.list_routes(conn)),
        "dids": (
            (r.did, f"{'any other number' if r.did == '*' else r.did} → {r.destination}")
            for r in trunk_sync.list_did_routes(conn)
        ),
        "flows": ((f.name, f.name) for f in sync.list_flows(conn)),
        "queues": ((q.name, q.name) for q in sync.list_queues(conn)),
    }
    choices: dict[str, list[dict[str, Any]]] = {}
    for kind, found in items.items():
        choices[kind] = []
        for value, label in found:
            owner = taken[kind].get(value)
            other = owner[1] if owner is not None and owner[0] != client_id else None
            choices[kind].append({"value": value, "label": label, "owner": other})
    return choices


def _flow_variables(flow_names: Iterable[str]) -> list[str]:
    """Variables the client's flows set (collected digits, lookups, set nodes)."""
    wanted = set(flow_names)
    found: set[str] = {"caller"}
    for flow in sync.list_flows(get_db()):
        if flow.name not in wanted:
            continue
        for node in flow.definition.get("nodes", {}).values():
            if node.get("type") in (NodeType.COLLECT, NodeType.SET) and node.get("variable"):
                found.add(node["variable"])
            if node.get("type") == NodeType.LOOKUP:
                found.update(node.get("fields", {}))
    return sorted(found)


def script_preview(script: str, client: str) -> str:
    """The script as an agent would see it: example call data, and ‹name› for IVR variables."""
    values: dict[str, str] = {name: f"‹{name}›" for name in _PLACEHOLDER.findall(script)}
    values.update(_PREVIEW_CALL)
    values["client"] = client or "‹client›"
    return fill(script, values)


def _render_form(
    client: Client | None,
    values: dict[str, Any],
    errors: Mapping[str, str],
    preview: str | None = None,
) -> ResponseReturnValue:
    page = render_template(
        "clients/form.html",
        client=client,
        values=values,
        errors=errors,
        fields=FIELDS,
        choices=_choices(client.id if client else None),
        pricings=[(p.value, f"{p.value}: {PRICING_HELP[p]}") for p in Pricing],
        call_fields=SCRIPT_CALL_FIELDS,
        flow_variables=_flow_variables(values["flows"]),
        script_max=SCRIPT_MAX,
        preview=preview,
    )
    return page, 400 if errors else 200


def _save(client: Client | None) -> ResponseReturnValue:
    values = _form_data()
    if request.form.get("action") == "preview":
        preview = script_preview(values["script"], values["name"].strip())
        return _render_form(client, values, {}, preview)
    try:
        saved = save_client(get_db(), values, client.id if client else None)
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        return _render_form(client, values, {_field_of(exc): exc.message})
    announce_saved(f"Client {saved.name} saved.")
    return redirect(url_for("clients.index"))


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """Every client with what it owns and its price."""
    return render_template("clients/list.html", clients=list_clients(get_db()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> ResponseReturnValue:
    """Add a client; a refused value is shown beside its field and nothing is saved."""
    if request.method == "GET":
        return _render_form(None, _values(None), {})
    return _save(None)


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@login_required
def edit(client_id: int) -> ResponseReturnValue:
    """Change a client, what it owns, its script and price; nothing is saved on an error."""
    client = get_client(get_db(), client_id)
    if client is None:
        abort(404)
    if request.method == "GET":
        return _render_form(client, _values(client), {})
    return _save(client)


@bp.route("/<int:client_id>/delete", methods=["POST"])
@login_required
def delete(client_id: int) -> ResponseReturnValue:
    """Remove a client; its lines, flows and queues stay, owned by nobody."""
    client = get_client(get_db(), client_id)
    if client is None:
        abort(404)
    delete_client(get_db(), client_id)
    announce_saved(f"Client {client.name} deleted; what it owned now belongs to nobody.")
    return redirect(url_for("clients.index"))


def _day(raw: str | None, default: datetime.date, field: str) -> datetime.date:
    if not raw:
        return default
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(field, "must be a date such as 2026-03-31") from None


@bp.route("/<int:client_id>/billing")
@login_required
def billing(client_id: int) -> ResponseReturnValue:
    """A client's calls and their price between two dates (this month so far by default).

    Dates are the box's local days, both included; ``format=csv`` downloads
    the calls as CSV.
    """
    conn = get_db()
    client = get_client(conn, client_id)
    if client is None:
        abort(404)
    today = datetime.date.fromtimestamp(current_app.config["CLOCK"].wall())
    errors: dict[str, str] = {}
    try:
        first = _day(request.args.get("from"), today.replace(day=1), "from")
        last = _day(request.args.get("to"), today, "to")
        if last < first:
            raise ConfigError("to", "must not be before the first day")
        since = datetime.datetime.combine(first, datetime.time()).timestamp()
        until = datetime.datetime.combine(
            last + datetime.timedelta(days=1), datetime.time()
        ).timestamp()
        report = billing_report(conn, client, since, until)
    except ConfigError as exc:
        errors[exc.field] = exc.message
        report = None
    values = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    if report is None:
        page = render_template(
            "clients/billing.html", client=client, report=None, values=values, errors=errors
        )
        return page, 400
    if request.args.get("format") == "csv":
        name = f"billing-{client.name}-{first.isoformat()}-{last.isoformat()}.csv"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return Response(
            report_csv(report, local_time),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{safe}"'},
        )
    values = {"from": first.isoformat(), "to": last.isoformat()}
    return render_template(
        "clients/billing.html", client=client, report=report, values=values, errors=errors
    )
