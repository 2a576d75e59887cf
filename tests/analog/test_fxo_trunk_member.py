"""An FXO line as a trunk-group member: the router hears answer, busy and congestion."""

from __future__ import annotations

import asyncio

from firmware.calls.analog import FxoTrunkMember
from firmware.calls.routing import CallingPresentation
from tests.analog.analog_support import make_box, run_until


class Leg:
    """Records what the router's outbound leg is told."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, object]] = []

    def progress(self, port, alerting, now) -> None:
        self.seen.append(("progress", alerting))

    def answered(self, port, now) -> None:
        self.seen.append(("answered", port.info.name))

    def cleared(self, port, cause, now) -> None:
        self.seen.append(("cleared", cause))

    def rebind(self, old, new) -> None:
        self.seen.append(("rebind", new))


async def _place(tmp_path, outcome: str) -> tuple[list, object, bool]:
    # The US plan: the sim's Polish congestion tone is not the cadence of the box's table.
    box, card = make_box(tmp_path, fxs=0, fxo=1, country="US")
    await box.start(threaded=False)
    try:
        card.pstn.policy = lambda number: outcome
        card.pstn.answer_delay = 2.0
        member = FxoTrunkMember(box.manager.ports[0])
        leg = Leg()
        calling = CallingPresentation("221234567")
        port = member.dial("226001122", calling, box.clock.now(), leg)
        second = member.dial("226001133", calling, box.clock.now(), Leg())  # the line is taken
        if outcome == "answer":
            await run_until(box, lambda: leg.seen, limit=15)
            card.pstn.active_call("fxo1").hang_up()
        await run_until(box, lambda: any(s[0] == "cleared" for s in leg.seen), limit=20)
        await box.run_for(0.5)
        seized = card.pstn.seized("fxo1")
    finally:
        await box.stop()
    return leg.seen, (port is not None, second), seized


def test_an_answered_call_on_a_line_clears_normally(tmp_path):
    seen, (placed, second), seized = asyncio.run(_place(tmp_path, "answer"))
    assert placed and second is None
    assert seen == [("answered", "fxo1"), ("cleared", 16)]
    assert not seized


def test_busy_on_a_line_ends_the_attempt_as_user_busy(tmp_path):
    seen, _, seized = asyncio.run(_place(tmp_path, "busy"))
    assert seen == [("cleared", 17)]
    assert not seized


def test_congestion_on_a_line_lets_the_router_try_the_next_trunk(tmp_path):
    seen, _, seized = asyncio.run(_place(tmp_path, "congestion"))
    assert seen == [("cleared", 34)]
    assert not seized
