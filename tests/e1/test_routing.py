"""Routing: DID routes inbound, outbound routes by prefix to trunk groups with failover."""

import asyncio

from e1_support import edit_store, make_box, run_until

from firmware.calls.routing import (
    CallingPresentation,
    DidMatch,
    OutboundState,
    Router,
    RoutingError,
)
from firmware.signaling.q931.ies import Presentation
from firmware.store import trunk_sync
from firmware.store.trunk_models import DidRoute, OutboundRoute, TrunkConfig, TrunkGroup
from hal.sim.span import SimCallState


class FakeTrunk:
    """A trunk group member with a fixed number of free channels."""

    def __init__(self, name: str, free: int) -> None:
        self.name = name
        self.free = free
        self.dialled: list[tuple[str, CallingPresentation]] = []

    def dial(self, number, calling, now, leg):
        if self.free == 0:
            return None
        self.free -= 1
        self.dialled.append((number, calling))
        return object()


def router_with(members, routes=(), dids=()) -> Router:
    router = Router()
    config = TrunkConfig(
        did_routes=tuple(DidRoute(None, d, dest) for d, dest in dids),
        trunk_groups=(TrunkGroup(None, "main", tuple(m.name for m in members)),),
        outbound_routes=tuple(routes),
    )
    assert router.configure(config, {m.name: m for m in members}) == []
    return router


def test_did_routes_match_exactly_and_fall_back_to_the_catch_all():
    router = router_with([], dids=[("221234500", "queue:sales"), ("*", "ivr:main")])
    assert router.inbound_destination("221234500") == "queue:sales"
    assert router.inbound_destination("221234599") == "ivr:main"
    assert router.inbound_destination(None) == "ivr:main"


def test_did_match_tells_overlap_receiving_whether_to_wait_for_digits():
    router = router_with([], dids=[("221234500", "queue:sales")])
    assert router.did_match("2212") is DidMatch.PARTIAL
    assert router.did_match("221234500") is DidMatch.EXACT
    assert router.did_match("3") is DidMatch.NONE


def test_longest_prefix_picks_the_outbound_route_and_rewrites_the_number():
    a, b = FakeTrunk("span1", 5), FakeTrunk("span2", 5)
    router = Router()
    config = TrunkConfig(
        trunk_groups=(TrunkGroup(None, "local", ("span1",)), TrunkGroup(None, "intl", ("span2",))),
        outbound_routes=(
            OutboundRoute(None, "0", "local", strip=1, prepend="48"),
            OutboundRoute(None, "00", "intl", strip=2, prepend="", calling_number="221234000",
                          restricted=True),
        ),
    )
    router.configure(config, {"span1": a, "span2": b})
    router.place("0221234567", 0.0, lambda c, t: None)
    router.place("0049301234", 0.0, lambda c, t: None)
    assert a.dialled == [("48221234567", CallingPresentation(None, False))]
    assert b.dialled == [("49301234", CallingPresentation("221234000", True))]


def test_a_trunk_with_every_channel_busy_passes_the_call_to_the_next():
    full, spare = FakeTrunk("span1", 0), FakeTrunk("span2", 1)
    router = router_with([full, spare], routes=[OutboundRoute(None, "", "main")])
    call = router.place("123", 0.0, lambda c, t: None)
    assert [a.member for a in call.attempts] == ["span1", "span2"]
    assert call.attempts[0].busy and call.trunk == "span2"
    # Both full: the call fails with "no circuit available".
    failed = router.place("124", 0.0, lambda c, t: None)
    assert failed.state is OutboundState.FAILED and failed.cause == 34


def test_a_number_without_an_outbound_route_is_refused():
    router = router_with([FakeTrunk("span1", 1)], routes=[OutboundRoute(None, "9", "main")])
    try:
        router.place("123", 0.0, lambda c, t: None)
    except RoutingError as exc:
        assert "no outbound route for 123" in str(exc)
    else:
        raise AssertionError("a number with no route was placed")


async def failover_scenario(tmp_path, first_cause: int) -> dict:
    box, card = make_box(tmp_path, fxs=0, spans=2)
    await box.start(threaded=False)
    try:
        def routes(conn) -> None:
            trunk_sync.save_trunk_group(conn, {"name": "operators", "members": "span1, span2"})
            trunk_sync.save_outbound_route(conn, {
                "prefix": "0", "trunk_group": "operators", "strip": 1, "prepend": "48",
                "calling_number": "221234000", "presentation": "restricted",
            })

        await edit_store(box, routes)
        await box.reload()
        first, second = card.far_ends["span1"], card.far_ends["span2"]
        first.policy.reject_cause = first_cause
        await run_until(box, lambda: first.link_up and second.link_up, limit=2)
        states: list[str] = []
        call = box.manager.router.place(
            "0221234567", box.clock.now(), lambda c, _t: states.append(c.state.value)
        )
        await run_until(box, lambda: call.finished or call.state is OutboundState.ANSWERED,
                        limit=3)
        answered = call.state
        far = second.call_to("48221234567")
        if call.port is not None:
            call.hangup(box.clock.now())
            await run_until(box, lambda: call.finished, limit=2)
        return {"call": call, "answered": answered, "states": states,
                "first": first.call_to("48221234567"), "second": far}
    finally:
        await box.stop()


def test_congestion_on_the_first_span_moves_the_call_to_the_second(tmp_path):
    result = asyncio.run(failover_scenario(tmp_path, first_cause=34))
    call = result["call"]
    assert result["answered"] is OutboundState.ANSWERED
    assert [(a.member, a.cause) for a in call.attempts] == [("span1", 34), ("span2", 16)]
    assert result["first"].cause == 34
    far = result["second"]
    assert far.state is SimCallState.RELEASED and far.answered_at is not None
    # The route's calling number goes out, marked as not to be shown.
    assert far.calling == "221234000" and far.presentation is Presentation.RESTRICTED
    assert result["states"][-1] == "ended"


def test_user_busy_is_not_congestion_and_ends_the_call(tmp_path):
    result = asyncio.run(failover_scenario(tmp_path, first_cause=17))
    call = result["call"]
    assert call.state is OutboundState.FAILED and call.cause == 17
    assert [a.member for a in call.attempts] == ["span1"]
    assert result["second"] is None


async def group_with_a_line(tmp_path) -> dict:
    box, card = make_box(tmp_path, fxs=0, fxo=1, spans=1)
    await box.start(threaded=False)
    try:
        def routes(conn) -> None:
            trunk_sync.save_trunk_group(conn, {"name": "mixed", "members": ["span1", "fxo1"]})
            trunk_sync.save_outbound_route(conn, {"prefix": "", "trunk_group": "mixed"})

        await edit_store(box, routes)
        errors = (await box.reload())["config_errors"]
        card.far_ends["span1"].policy.reject_cause = 42
        await run_until(box, lambda: box.manager.pri.spans[1].link_up, limit=2)
        call = box.manager.router.place("600100200", box.clock.now(), lambda c, _t: None)
        await run_until(box, lambda: len(call.attempts) == 2, limit=3)
        return {"errors": errors, "call": call}
    finally:
        await box.stop()


def test_congestion_on_a_span_moves_the_call_to_an_fxo_line_of_the_group(tmp_path):
    result = asyncio.run(group_with_a_line(tmp_path))
    assert result["errors"] == []
    call = result["call"]
    assert [(a.member, a.busy) for a in call.attempts] == [("span1", False), ("fxo1", False)]
    assert call.attempts[0].cause == 42
    assert call.port is not None and call.port.info.name == "fxo1"
