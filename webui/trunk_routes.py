"""E1 routing: DID routes, trunk groups and outbound routes, each with a way to try it.

A DID route sends a call that arrives on a span for a given called number to an
IVR flow, a queue or an extension; a trunk group lists the spans and FXO lines
an outbound call tries in turn; an outbound route picks a trunk group by the
longest matching prefix and says what is dialled and which number the far end
sees. The "try a number" boxes answer with the daemon's own :class:`Router`, so
what the page says is what a call would do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from firmware.calls.routing import DidMatch, Router
from firmware.store import sync, trunk_sync
from firmware.store.models import ConfigError, NotFoundError
from firmware.store.trunk_models import (
    ANY_DID,
    DidRoute,
    OutboundRoute,
    Presentation,
    TrunkConfig,
    TrunkGroup,
)
from webui.auth import login_required
from webui.daemon_link import announce_saved
from webui.db import get_db

bp = Blueprint("trunk_routes", __name__, url_prefix="/trunks")

DID_FIELDS = ("did", "destination")
GROUP_FIELDS = ("name", "members")
OUTBOUND_FIELDS = (
    "prefix", "strip", "prepend", "trunk_group", "calling_number", "presentation",
)
PRESENTATIONS = [
    (Presentation.ALLOWED.value, "Shown: the person called sees the calling number"),
    (Presentation.RESTRICTED.value, "Withheld: the number is sent marked as not to be shown"),
]
MAX_TEST_DIGITS = 20

T = TypeVar("T")


def _field_of(error: ConfigError) -> str:
    # "members[2]" is shown beside the members field.
    return error.field.split("[", 1)[0]


def _by_id(items: Sequence[T], item_id: int) -> T:
    found = next((item for item in items if getattr(item, "id", None) == item_id), None)
    if found is None:
        abort(404)
    return found


def _router(config: TrunkConfig) -> Router:
    """The routes as the daemon applies them; trunks do not matter for finding a route."""
    router = Router()
    router.configure(config, {})
    return router


def destination_words(destination: str) -> str:
    """ "queue:sales" as a technician reads it: "queue sales"."""
    kind, _, target = destination.partition(":")
    words = {"ivr": "IVR flow", "queue": "queue", "extension": "extension"}
    return f"{words.get(kind, kind)} {target}"


@dataclasses.dataclass(frozen=True)
class NumberTest:
    """The answer of a "try a number" box: the sentence, or the error beside the box."""

    number: str
    answer: str | None = None
    error: str | None = None


def _test_number(raw: str | None, answer: Callable[[str], str]) -> NumberTest | None:
    if raw is None:
        return None
    number = raw.strip()
    if not number.isdigit() or not number.isascii() or len(number) > MAX_TEST_DIGITS:
        return NumberTest(number, error=f"type 1 to {MAX_TEST_DIGITS} digits, e.g. 221234567")
    return NumberTest(number, answer=answer(number))


def inbound_answer(router: Router, number: str) -> str:
    """Where a call to ``number`` goes, and why, in one sentence."""
    destination = router.inbound_destination(number)
    if number in router.dids:
        return (f"A call to {number} goes to {destination_words(router.dids[number])} "
                f"(its own route).")
    if destination is not None:
        return (f"A call to {number} goes to {destination_words(destination)} "
                f"(the catch-all route {ANY_DID}: no route names this number).")
    if router.did_match(number) is DidMatch.PARTIAL:
        return (f"No route for {number} yet: with overlap dialling the box waits for more "
                "digits, since a longer number has a route; if none come the call is refused.")
    return (f"No route for {number}: the call is refused with cause 1 "
            "(unallocated number).")


def outbound_answer(router: Router, number: str) -> str:
    """Which route a call to ``number`` takes, what is dialled and what the far end sees."""
    route = router.route_for(number)
    if route is None:
        return f"No outbound route for {number}: the call cannot be placed."
    group = router.groups.get(route.trunk_group)
    members = ", then ".join(group.members) if group is not None else "no trunks"
    dialled = route.prepend + number[route.strip:]
    prefix = f"prefix {route.prefix}" if route.prefix else "the route for any number"
    if route.restricted:
        shown = "the calling number is withheld"
    elif route.calling_number:
        shown = f"the far end sees {route.calling_number}"
    else:
        shown = "the far end sees the trunk's own number"
    return (f"A call to {number} takes {prefix}: {dialled} is dialled through trunk group "
            f"{route.trunk_group} ({members}); {shown}.")


# --- the overview --------------------------------------------------------------------------


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    """All three lists, and the two "try a number" boxes."""
    config = trunk_sync.load_trunk_config(get_db())
    router = _router(config)
    inbound = _test_number(request.args.get("called"), lambda n: inbound_answer(router, n))
    outbound = _test_number(request.args.get("dialled"), lambda n: outbound_answer(router, n))
    return render_template(
        "trunk_routes/index.html", config=config, inbound=inbound, outbound=outbound,
        destination_words=destination_words,
    )


# --- DID routes ----------------------------------------------------------------------------


def _did_values(route: DidRoute | None) -> dict[str, Any]:
    if route is None:
        return {"did": "", "destination": ""}
    return {"did": route.did, "destination": route.destination}


def _did_destinations(current: str) -> list[tuple[str, str]]:
    conn = get_db()
    options = [(f"ivr:{f.name}", f"IVR flow: {f.name}") for f in sync.list_flows(conn)]
    options += [(f"queue:{q.name}", f"Queue: {q.name}") for q in sync.list_queues(conn)]
    options += [
        (f"extension:{a.extension}", f"Extension {a.extension} ({a.name})")
        for a in sync.list_agents(conn)
    ]
    if current and current not in {value for value, _ in options}:
        options.insert(0, (current, f"{current} (does not exist)"))
    if not current:
        options.insert(0, ("", "Choose where calls go"))
    return options


def _render_did(
    route: DidRoute | None, values: dict[str, Any], errors: dict[str, str]
) -> ResponseReturnValue:
    page = render_template(
        "trunk_routes/did_form.html", route=route, values=values, errors=errors,
        destinations=_did_destinations(values["destination"]), fields=DID_FIELDS,
    )
    return page, 400 if errors else 200


def _save_did(route: DidRoute | None) -> ResponseReturnValue:
    values = {key: request.form.get(key, "") for key in DID_FIELDS}
    try:
        saved = trunk_sync.save_did_route(get_db(), values, route.id if route else None)
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        return _render_did(route, values, {_field_of(exc): exc.message})
    number = "every other number" if saved.did == ANY_DID else saved.did
    announce_saved(f"Calls to {number} now go to {destination_words(saved.destination)}.")
    return redirect(url_for("trunk_routes.index"))


@bp.route("/dids/new", methods=["GET", "POST"])
@login_required
def did_create() -> ResponseReturnValue:
    """Add a DID route; a refused value is shown beside its field and nothing is saved."""
    if request.method == "GET":
        return _render_did(None, _did_values(None), {})
    return _save_did(None)


@bp.route("/dids/<int:route_id>/edit", methods=["GET", "POST"])
@login_required
def did_edit(route_id: int) -> ResponseReturnValue:
    """Change a DID route; a refused value is shown beside its field and nothing is saved."""
    route = _by_id(trunk_sync.list_did_routes(get_db()), route_id)
    if request.method == "GET":
        return _render_did(route, _did_values(route), {})
    return _save_did(route)


@bp.route("/dids/<int:route_id>/delete", methods=["POST"])
@login_required
def did_delete(route_id: int) -> ResponseReturnValue:
    """Remove a DID route; calls to its number then take the catch-all route, if any."""
    route = _by_id(trunk_sync.list_did_routes(get_db()), route_id)
    try:
        trunk_sync.delete_did_route(get_db(), route_id)
    except NotFoundError:
        abort(404)
    announce_saved(f"The route for {route.did} is deleted.")
    return redirect(url_for("trunk_routes.index"))


# --- trunk groups --------------------------------------------------------------------------


def _group_values(group: TrunkGroup | None) -> dict[str, Any]:
    if group is None:
        return {"name": "", "members": ""}
    return {"name": group.name, "members": ", ".join(group.members)}


def _render_group(
    group: TrunkGroup | None, values: dict[str, Any], errors: dict[str, str]
) -> ResponseReturnValue:
    page = render_template(
        "trunk_routes/group_form.html", group=group, values=values, errors=errors,
        trunks=trunk_sync.card_trunks(get_db()), fields=GROUP_FIELDS,
    )
    return page, 400 if errors else 200


def _save_group(group: TrunkGroup | None) -> ResponseReturnValue:
    values = {key: request.form.get(key, "") for key in GROUP_FIELDS}
    try:
        saved = trunk_sync.save_trunk_group(get_db(), values, group.id if group else None)
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        return _render_group(group, values, {_field_of(exc): exc.message})
    announce_saved(f"Trunk group {saved.name} saved: {', then '.join(saved.members)}.")
    return redirect(url_for("trunk_routes.index"))


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def group_create() -> ResponseReturnValue:
    """Add a trunk group; a refused value is shown beside its field and nothing is saved."""
    if request.method == "GET":
        return _render_group(None, _group_values(None), {})
    return _save_group(None)


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def group_edit(group_id: int) -> ResponseReturnValue:
    """Change a trunk group (its routes follow a rename)."""
    group = _by_id(trunk_sync.list_trunk_groups(get_db()), group_id)
    if request.method == "GET":
        return _render_group(group, _group_values(group), {})
    return _save_group(group)


@bp.route("/groups/<int:group_id>/delete", methods=["POST"])
@login_required
def group_delete(group_id: int) -> ResponseReturnValue:
    """Remove a trunk group; refused while an outbound route uses it."""
    group = _by_id(trunk_sync.list_trunk_groups(get_db()), group_id)
    try:
        trunk_sync.delete_trunk_group(get_db(), group_id)
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        flash(f"Trunk group {group.name} was not deleted: {exc.message}.", "error")
        return redirect(url_for("trunk_routes.index"))
    announce_saved(f"Trunk group {group.name} is deleted.")
    return redirect(url_for("trunk_routes.index"))


# --- outbound routes -----------------------------------------------------------------------


def _outbound_values(route: OutboundRoute | None) -> dict[str, Any]:
    if route is None:
        return {"prefix": "", "strip": "0", "prepend": "", "trunk_group": "",
                "calling_number": "", "presentation": Presentation.ALLOWED.value}
    return {
        "prefix": route.prefix, "strip": str(route.strip), "prepend": route.prepend,
        "trunk_group": route.trunk_group, "calling_number": route.calling_number or "",
        "presentation": route.presentation.value,
    }


def _group_options(current: str) -> list[tuple[str, str]]:
    groups = trunk_sync.list_trunk_groups(get_db())
    options = [(g.name, f"{g.name}: {', then '.join(g.members)}") for g in groups]
    if current and current not in {g.name for g in groups}:
        options.insert(0, (current, f"{current} (does not exist)"))
    if not current:
        options.insert(0, ("", "Choose a trunk group"))
    return options


def _render_outbound(
    route: OutboundRoute | None, values: dict[str, Any], errors: dict[str, str]
) -> ResponseReturnValue:
    page = render_template(
        "trunk_routes/outbound_form.html", route=route, values=values, errors=errors,
        groups=_group_options(values["trunk_group"]), presentations=PRESENTATIONS,
        fields=OUTBOUND_FIELDS,
    )
    return page, 400 if errors else 200


def _save_outbound(route: OutboundRoute | None) -> ResponseReturnValue:
    values = {key: request.form.get(key, "") for key in OUTBOUND_FIELDS}
    # An empty prefix is a real choice (every number), so it is sent as the empty string.
    data: dict[str, Any] = {**values, "prefix": values["prefix"].strip()}
    if not values["strip"].strip():
        data["strip"] = None
    try:
        saved = trunk_sync.save_outbound_route(get_db(), data, route.id if route else None)
    except NotFoundError:
        abort(404)
    except ConfigError as exc:
        return _render_outbound(route, values, {_field_of(exc): exc.message})
    which = f"starting {saved.prefix}" if saved.prefix else "with no other route"
    announce_saved(f"Numbers {which} now go out through {saved.trunk_group}.")
    return redirect(url_for("trunk_routes.index"))


@bp.route("/outbound/new", methods=["GET", "POST"])
@login_required
def outbound_create() -> ResponseReturnValue:
    """Add an outbound route; a refused value is shown beside its field and nothing is saved."""
    if request.method == "GET":
        return _render_outbound(None, _outbound_values(None), {})
    return _save_outbound(None)


@bp.route("/outbound/<int:route_id>/edit", methods=["GET", "POST"])
@login_required
def outbound_edit(route_id: int) -> ResponseReturnValue:
    """Change an outbound route."""
    route = _by_id(trunk_sync.list_outbound_routes(get_db()), route_id)
    if request.method == "GET":
        return _render_outbound(route, _outbound_values(route), {})
    return _save_outbound(route)


@bp.route("/outbound/<int:route_id>/delete", methods=["POST"])
@login_required
def outbound_delete(route_id: int) -> ResponseReturnValue:
    """Remove an outbound route; its numbers then take a shorter prefix's route, if any."""
    route = _by_id(trunk_sync.list_outbound_routes(get_db()), route_id)
    try:
        trunk_sync.delete_outbound_route(get_db(), route_id)
    except NotFoundError:
        abort(404)
    announce_saved(f"The outbound route for {route.prefix or 'any number'} is deleted.")
    return redirect(url_for("trunk_routes.index"))
