"""PRI calls through the box: an operator's switch on a sim span places calls to DIDs.

The box is the user side (TE). An incoming SETUP becomes a call routed by its
called number through the same IVR and ACD path as an analog call, answered
with CONNECT, bridged to an agent's phone, and cleared from either end.
"""

import asyncio

import numpy as np
from e1_support import edit_store, make_box, run_until

from firmware.calls.pri import BChannelState
from firmware.media.dtmf import DtmfDetector
from firmware.store import sync, trunk_sync
from hal.sim.span import SimCallState
from hal.span import SpanAlarm


def detected_digits(samples: np.ndarray) -> str:
    """Digits our receiver finds in a recording, fed in 20 ms frames like the engine."""
    detector = DtmfDetector(1)
    usable = len(samples) // 160 * 160
    found = []
    for i, frame in enumerate(samples[:usable].reshape(-1, 160)):
        found += [d for _, d, _ in detector.process(frame[None, :], (i + 1) * 0.02)]
    return "".join(found)


async def inbound_to_agent(tmp_path) -> dict:
    box, card = make_box(tmp_path, fxs=2, spans=1)
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        operator = card.far_ends["span1"]
        await run_until(box, lambda: operator.link_up, limit=2)
        call = operator.call_in("221234567", "600100200", display="Jan Kowalski")
        await run_until(box, lambda: call.state is SimCallState.CONNECTED, limit=2)
        started = next(e for e in events if e["type"] == "call-started")

        await box.run_for(5.0)  # the greeting; then "2" for support
        call.dial("2")
        phones = card.phones
        await run_until(box, lambda: any(p.ringing for p in phones.values()), limit=15)
        agent_phone = next(p for p in phones.values() if p.ringing)
        await box.run_for(0.5)
        agent_phone.off_hook()
        await run_until(box, lambda: any(e["type"] == "call-connected" for e in events), limit=2)
        await box.run_for(0.5)

        call.clear_heard()
        agent_phone.clear_heard()
        agent_phone.dial("5")
        call.dial("7")
        await box.run_for(1.0)
        heard_by_caller = detected_digits(call.heard())
        heard_by_agent = detected_digits(agent_phone.heard())

        call.hang_up()
        await run_until(box, lambda: call.finished, limit=2)
        await box.run_for(1.0)
        agent_phone.on_hook()
        await box.run_for(1.0)
        status = box.status()
    finally:
        await box.stop()
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        return {
            "started": started, "heard_by_caller": heard_by_caller,
            "heard_by_agent": heard_by_agent, "call": call, "status": status,
            "cdr": sync.list_cdr(conn),
        }
    finally:
        conn.close()


def test_inbound_pri_call_reaches_an_agent_phone_through_the_default_ivr(tmp_path):
    result = asyncio.run(inbound_to_agent(tmp_path))
    assert result["started"]["port"] == "span1/b1"
    assert result["started"]["caller_number"] == "600100200"
    assert result["heard_by_caller"] == "5"
    assert result["heard_by_agent"] == "7"
    # The caller hung up: the box answered the DISCONNECT and the call is gone.
    assert result["call"].cause == 16
    [cdr] = result["cdr"]
    assert cdr.port == "span1/b1" and cdr.queue == "support"
    assert cdr.caller_number == "600100200" and cdr.caller_name == "Jan Kowalski"
    assert cdr.disposition == "answered" and cdr.destination == "ivr:main"
    status = result["status"]
    assert status["calls"] == []
    [span] = status["spans"]
    assert span["dchannel"] == "up"
    assert {c["state"] for c in span["channels"]} == {"idle"}
    assert status["media"]["call_errors"] == 0


async def call_with_routes(tmp_path, dids: dict[str, str], dial: str) -> dict:
    box, card = make_box(tmp_path, fxs=0, spans=1)
    await box.start(threaded=False)
    try:
        def routes(conn) -> None:
            for route in trunk_sync.list_did_routes(conn):
                trunk_sync.delete_did_route(conn, route.id)
            for did, destination in dids.items():
                trunk_sync.save_did_route(conn, {"did": did, "destination": destination})

        await edit_store(box, routes)
        await box.reload()
        operator = card.far_ends["span1"]
        await run_until(box, lambda: operator.link_up, limit=2)
        call = operator.call_in(dial, "600100200")
        await run_until(box, lambda: call.state is SimCallState.CONNECTED or call.finished,
                        limit=2)
        views = box.manager.call_views(box.clock.now())
        port = box.manager.pri.spans[1].ports[call.channel]
        return {"call": call, "views": views, "port_phase": port.phase}
    finally:
        await box.stop()


def test_did_route_sends_the_number_dialled_to_its_queue(tmp_path):
    result = asyncio.run(call_with_routes(
        tmp_path, {"221234500": "queue:sales", "221234501": "ivr:main"}, "221234500"
    ))
    [view] = result["views"]
    assert view["state"] == "queued" and view["queue"] == "sales"
    assert result["call"].state is SimCallState.CONNECTED


def test_did_route_sends_another_number_to_the_ivr(tmp_path):
    result = asyncio.run(call_with_routes(
        tmp_path, {"221234500": "queue:sales", "221234501": "ivr:main"}, "221234501"
    ))
    [view] = result["views"]
    assert view["state"] == "ivr"


def test_number_without_a_did_route_is_refused_as_unallocated(tmp_path):
    result = asyncio.run(call_with_routes(tmp_path, {"221234500": "queue:sales"}, "221239999"))
    assert result["views"] == []
    assert result["call"].finished and result["call"].cause == 1
    assert result["port_phase"] is BChannelState.IDLE


async def box_hangs_up_and_alarm(tmp_path) -> dict:
    box, card = make_box(tmp_path, fxs=0, spans=1)
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        operator = card.far_ends["span1"]
        await run_until(box, lambda: operator.link_up, limit=2)
        # No agent: the queue's maximum wait ends the call from the box's side.
        def short_wait(conn) -> None:
            [route] = trunk_sync.list_did_routes(conn)
            trunk_sync.save_did_route(conn, {"did": "*", "destination": "queue:sales"}, route.id)
            [queue] = [q for q in sync.list_queues(conn) if q.name == "sales"]
            sync.save_queue(conn, {"name": "sales", "max_wait": 10, "members": []}, queue.id)

        await edit_store(box, short_wait)
        await box.reload()
        first = operator.call_in("100", "600100200")
        await run_until(box, lambda: first.finished, limit=20)

        second = operator.call_in("100", "600100201")
        await run_until(box, lambda: second.state is SimCallState.CONNECTED, limit=2)
        card.set_span_alarms("span1", {SpanAlarm.LOS})
        await box.run_for(0.5)
        during = box.status()
        card.set_span_alarms("span1", ())
        await run_until(box, lambda: operator.link_up and box.manager.pri.spans[1].link_up,
                        limit=15)
        await run_until(box, lambda: second.finished, limit=10)
        after = box.status()
        return {"first": first, "second": second, "during": during, "after": after,
                "events": events}
    finally:
        await box.stop()


def test_box_clears_calls_it_ends_and_a_red_alarm_drops_calls(tmp_path):
    result = asyncio.run(box_hangs_up_and_alarm(tmp_path))
    # Max wait ran out: the box sent DISCONNECT with normal clearing.
    assert result["first"].cause == 16
    during = result["during"]
    [span] = during["spans"]
    assert span["alarms"] == ["LOS"]
    assert span["alarm_words"][0].startswith("red alarm: loss of signal")
    assert during["calls"] == []
    assert {c["state"] for c in span["channels"]} <= {"alarm", "clearing"}
    assert any(e["type"] == "span-alarm" and e["alarms"] == ["LOS"] for e in result["events"])
    # Once the line is back the D-channel comes up and the far end learns the call is gone.
    [span] = result["after"]["spans"]
    assert span["alarms"] == [] and span["dchannel"] == "up"
    assert result["second"].finished


async def did_to_extension(tmp_path) -> dict:
    box, card = make_box(tmp_path, fxs=2, spans=1)
    await box.start(threaded=False)
    try:
        await edit_store(box, lambda conn: trunk_sync.save_did_route(
            conn, {"did": "221234502", "destination": "extension:102"}
        ))
        await box.reload()
        operator = card.far_ends["span1"]
        await run_until(box, lambda: operator.link_up, limit=2)
        call = operator.call_in("221234502", "600100200")
        phone = card.phones["fxs2"]
        await run_until(box, lambda: phone.ringing, limit=5)
        others_rang = card.phones["fxs1"].ringing
        phone.off_hook()
        await box.run_for(0.5)
        views = box.manager.call_views(box.clock.now())
        phone.on_hook()
        await run_until(box, lambda: call.finished, limit=3)
        return {"views": views, "others_rang": others_rang, "call": call}
    finally:
        await box.stop()


def test_did_route_to_an_extension_rings_that_agent_phone_directly(tmp_path):
    result = asyncio.run(did_to_extension(tmp_path))
    [view] = result["views"]
    assert view["state"] == "connected" and view["agent"] == "Agent 2"
    assert result["others_rang"] is False
    # The agent hung up: the box cleared the PRI call with normal clearing.
    assert result["call"].cause == 16
