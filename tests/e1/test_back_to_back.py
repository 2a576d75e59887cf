"""Two sim spans cabled back to back, the box playing TE on one and NT on the other.

Thirty calls go out on the NT span and come in on the TE span at once; DTMF sent
into each call's B-channel is detected on the other end of the same call, both
ways, so every call carries its own audio; then all thirty clear.
"""

import asyncio

from e1_support import DigitSpy, edit_store, make_box, run_until

from firmware.calls.pri import BChannelState
from firmware.calls.routing import OutboundCall, OutboundState
from firmware.store import trunk_sync

CALLS = 30


def configure_back_to_back(conn) -> None:
    trunk_sync.save_span(conn, {"name": "span2", "role": "nt", "clock_priority": 0})
    trunk_sync.save_span(conn, {"name": "span1", "role": "te", "clock_priority": 1})
    default = trunk_sync.list_did_routes(conn)[0]
    trunk_sync.save_did_route(conn, {"did": "*", "destination": "queue:sales"}, default.id)
    trunk_sync.save_trunk_group(conn, {"name": "to-span1", "members": ["span2"]})
    trunk_sync.save_outbound_route(conn, {"prefix": "5", "trunk_group": "to-span1"})


async def thirty_calls(tmp_path) -> dict:
    # No phones: no agents, so every call waits in the sales queue while we listen.
    box, card = make_box(tmp_path, fxs=0, fxo=0, spans=2)
    card.cable("span1", "span2")
    await box.start(threaded=False)
    try:
        await edit_store(box, configure_back_to_back)
        await box.reload()
        manager = box.manager
        te, nt = manager.pri.spans[1], manager.pri.spans[2]
        await run_until(box, lambda: te.link_up and nt.link_up, limit=3)
        spy = DigitSpy(box)

        changes: list[tuple[str, str]] = []
        calls: list[OutboundCall] = []
        for k in range(CALLS):
            calls.append(manager.router.place(
                f"50{k:02d}", box.clock.now(), lambda c, _t: changes.append((c.id, c.state))
            ))
        await run_until(
            box, lambda: all(c.state is OutboundState.ANSWERED for c in calls), limit=5
        )
        busy = manager.router.place("5099", box.clock.now(), lambda c, _t: None)
        in_progress = len(manager.calls)
        te_ports = {p.called_number: p for p in te.ports.values() if p.call_id is not None}

        # Each call sends its own digits both ways through its own B-channels.
        for k, call in enumerate(calls):
            box.engine.send_dtmf(call.port.channel, f"{k:02d}")
            box.engine.send_dtmf(te_ports[f"50{k:02d}"].channel, f"{(k * 7) % 100:02d}")
        await box.run_for(1.5)
        heard_in = {k: spy.digits.get(te_ports[f"50{k:02d}"].channel, "") for k in range(CALLS)}
        heard_out = {k: spy.digits.get(c.port.channel, "") for k, c in enumerate(calls)}
        timeslots = [(c.port.info.timeslot, te_ports[c.number].info.timeslot) for c in calls]

        for call in calls:
            call.hangup(box.clock.now())
        await run_until(box, lambda: all(c.finished for c in calls) and not manager.calls,
                        limit=5)
        await box.run_for(0.5)
        return {
            "busy": busy,
            "in_progress": in_progress,
            "te_ports": len(te_ports),
            "heard_in": heard_in,
            "heard_out": heard_out,
            "timeslots": timeslots,
            "calls": calls,
            "idle": [p.phase for s in (te, nt) for p in s.ports.values()],
            "links": (te.link_up, nt.link_up),
        }
    finally:
        await box.stop()


def test_thirty_calls_cross_back_to_back_spans_with_their_own_audio(tmp_path):
    result = asyncio.run(thirty_calls(tmp_path))
    assert result["in_progress"] == CALLS
    assert result["te_ports"] == CALLS
    # Every time slot carries its call straight across the cable.
    assert all(ours == theirs for ours, theirs in result["timeslots"])
    assert sorted(ts for ts, _ in result["timeslots"]) == [*range(1, 16), *range(17, 32)]
    for k in range(CALLS):
        assert result["heard_in"][k] == f"{k:02d}", k
        assert result["heard_out"][k] == f"{(k * 7) % 100:02d}", k
    # The thirty-first call finds every B-channel busy.
    assert result["busy"].state is OutboundState.FAILED
    assert result["busy"].cause == 34
    # All thirty cleared, both ends idle, the D-channels still up.
    assert all(c.state is OutboundState.ENDED for c in result["calls"])
    assert all(phase is BChannelState.IDLE for phase in result["idle"])
    assert result["links"] == (True, True)
