"""In-queue callback on the sim card: press the key, hang up, be called back in turn, be bridged.

One agent serves the queue and is busy with a first caller. A second caller
waits, presses the callback key, hears the confirmation and is released. Only
when the agent is free again does the box call the second caller back on a
free line; they answer, the agent's phone rings, and the two talk. The queue
log shows one offered call, answered, with the wait measured from the first
entry, and a callback marker in between.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from firmware.calls.callback import MAX_ATTEMPTS
from firmware.calls.queue_experience import phrase
from firmware.kpi.queues import queue_kpis
from firmware.kpi.visits import Outcome, queue_visits
from firmware.store.models import Language, QueueEvent
from hal.sim.pstn import Direction
from tests.queue_calls.queue_calls_support import (
    QUEUE,
    cdrs,
    find_prompt,
    make_box,
    prompt_audio,
    queue_log,
    run_until,
    tone,
    tone_share,
)

CALLER_B = "600200300"


def _outbound(card, number: str):
    for port in ("fxo1", "fxo2"):
        call = card.pstn.active_call(port)
        if call is not None and call.direction is Direction.OUTBOUND and call.number == number:
            return call
    return None


async def _callback_scenario(tmp_path: Path) -> dict:
    box, card = make_box(tmp_path, callback_digit="*", language="en", members=("Agent 1",))
    events: list[dict] = []
    box.listeners.append(events.append)
    card.pstn.answer_delay = 2.0
    agent = card.phones["fxs1"]
    await box.start(threaded=False)
    try:
        first = card.pstn.call_in("fxo1", "600100100")
        await run_until(box, lambda: agent.ringing, limit=15)
        agent.off_hook()
        await run_until(box, lambda: any(e["type"] == "call-connected" for e in events), 3)

        second = card.pstn.call_in("fxo2", CALLER_B, "Anna Nowak")
        await run_until(
            box, lambda: sum(e["type"] == "call-queued" for e in events) == 2, limit=15
        )
        await box.run_for(3.0)
        second.clear_heard()
        second.dial("*")
        await run_until(box, lambda: second.finished, limit=15)
        confirmation = second.heard()
        b_id = next(e for e in events if e["type"] == "callback-requested")["call_id"]

        # The agent is still busy: nobody is called back yet.
        await box.run_for(10.0)
        dialled_early = _outbound(card, CALLER_B) is not None
        status_waiting = box.status()

        first.hang_up()
        await run_until(box, lambda: any(e["type"] == "call-ended" for e in events), limit=5)
        agent.on_hook()
        await run_until(box, lambda: _outbound(card, CALLER_B) is not None, limit=10)
        back = _outbound(card, CALLER_B)
        await run_until(box, lambda: back.state == "connected", limit=10)
        await run_until(box, lambda: agent.ringing, limit=20)
        await box.run_for(7.0)  # the greeting plays while the agent's phone rings
        hello = back.heard()
        agent.off_hook()
        await run_until(
            box, lambda: sum(e["type"] == "call-connected" for e in events) == 2, limit=3
        )
        await box.run_for(0.5)
        back.clear_heard()
        agent.clear_heard()
        back.say(tone(440, 1.0))
        agent.say(tone(1000, 1.0))
        await box.run_for(1.5)
        heard_by_caller, heard_by_agent = back.heard(), agent.heard()
        back.hang_up()
        await run_until(box, lambda: sum(e["type"] == "call-ended" for e in events) == 3, 5)
        agent.on_hook()
        await box.run_for(1.0)
        status = box.status()
    finally:
        await box.stop()
    return {
        "b_id": b_id, "confirmation": confirmation, "dialled_early": dialled_early,
        "waiting": status_waiting, "hello": hello, "heard_by_caller": heard_by_caller,
        "heard_by_agent": heard_by_agent, "log": queue_log(tmp_path), "cdr": cdrs(tmp_path),
        "status": status,
    }


def test_caller_who_asks_for_a_callback_is_called_back_when_the_agent_frees(
    tmp_path: Path,
) -> None:
    result = asyncio.run(_callback_scenario(tmp_path))
    ok_score, _ = find_prompt(result["confirmation"], prompt_audio(phrase(Language.EN,
                                                                          "queue-callback-ok")))
    assert ok_score > 0.9
    assert not result["dialled_early"]
    assert [q["waiting"] for q in result["waiting"]["queues"] if q["name"] == QUEUE] == [1]
    hello_score, _ = find_prompt(result["hello"], prompt_audio(
        phrase(Language.EN, "queue-callback-hello")))
    assert hello_score > 0.9
    # Bridged both ways.
    assert tone_share(result["heard_by_caller"], 1000) > 0.5
    assert tone_share(result["heard_by_agent"], 440) > 0.5

    b_id = result["b_id"]
    mine = [e for e in result["log"] if e.call_id == b_id]
    events = [e.event for e in mine]
    assert events.count(QueueEvent.ENTER) == 1
    assert QueueEvent.ABANDON not in events
    callbacks = [e.data for e in mine if e.event is QueueEvent.CALLBACK]
    assert callbacks == [f"requested|{CALLER_B}", "dialled|1", "reached"]
    enter = next(e for e in mine if e.event is QueueEvent.ENTER)
    answer = next(e for e in mine if e.event is QueueEvent.ANSWER)
    assert float(answer.data) == round(answer.time - enter.time, 1)
    assert float(answer.data) > 20.0  # waited on hook, counted from the first entry

    [visit] = [v for v in queue_visits(result["log"]) if v.call_id == b_id]
    assert visit.outcome is Outcome.ANSWERED and visit.entered == enter.time
    kpis = queue_kpis(result["log"])[QUEUE]
    assert (kpis.offered, kpis.answered, kpis.abandoned) == (2, 2, 0)

    legs = sorted((c for c in result["cdr"] if c.call_id == b_id), key=lambda c: c.start)
    assert [(c.direction.value, c.disposition.value) for c in legs] == [
        ("in", "callback"), ("out", "answered")]
    assert legs[1].agent == "Agent 1" and legs[1].caller_number == CALLER_B
    assert result["status"]["calls"] == []


async def _unreachable_scenario(tmp_path: Path) -> dict:
    box, card = make_box(tmp_path, callback_digit="9", members=("Agent 1",))
    events: list[dict] = []
    box.listeners.append(events.append)
    card.pstn.policy = lambda number: "busy"
    await box.start(threaded=False)
    try:
        # Nobody is free to take the call: the agent is paused.
        await box.commands_table("agent_pause", {"agent": "Agent 1", "reason": "lunch"})
        caller = card.pstn.call_in("fxo1", CALLER_B)
        await run_until(box, lambda: any(e["type"] == "call-queued" for e in events), 15)
        await box.run_for(2.0)
        caller.dial("9")
        await run_until(box, lambda: caller.finished, limit=15)
        await box.commands_table("agent_unpause", {"agent": "Agent 1"})
        await run_until(
            box, lambda: any(e["type"] == "callback-failed" for e in events), limit=400
        )
        await box.run_for(1.0)
        status = box.status()
    finally:
        await box.stop()
    return {"log": queue_log(tmp_path), "status": status}


def test_callback_that_never_reaches_the_caller_counts_as_an_abandon(tmp_path: Path) -> None:
    result = asyncio.run(_unreachable_scenario(tmp_path))
    events = [(e.event.value, e.data) for e in result["log"]]
    dialled = [d for ev, d in events if ev == "callback" and d.startswith("dialled")]
    assert dialled == [f"dialled|{n}" for n in range(1, MAX_ATTEMPTS + 1)]
    assert events[-2][0] == "callback" and events[-2][1].startswith("failed|")
    assert events[-1][0] == "abandon"
    kpis = queue_kpis(result["log"])[QUEUE]
    assert (kpis.offered, kpis.answered, kpis.abandoned) == (1, 0, 1)
    assert [q["waiting"] for q in result["status"]["queues"] if q["name"] == QUEUE] == [0]
