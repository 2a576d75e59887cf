"""Per-call remote agents on the sim: the box calls the agent's mobile for each queue call.

The agent hears the whisper, presses 1, and talks to the caller; the records
are those of a call answered by an agent on a desk phone. A voicemail that
answers but never presses 1 is a ring with no answer, and the next agent rings.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from firmware.store.models import QueueEvent
from tests.queue_calls.queue_calls_support import (
    QUEUE,
    cdrs,
    find_prompt,
    prompt_audio,
    queue_log,
    run_until,
    tone,
    tone_share,
)
from tests.remote_agents.remote_support import REMOTE_NUMBER, make_box, remote_call

REMOTE = {"name": "Remote 1", "extension": "201", "remote_number": REMOTE_NUMBER}
DESK = {"name": "Desk 1", "extension": "101", "port": "fxs1"}


async def _answered_scenario(tmp_path: Path) -> dict:
    box, card = make_box(tmp_path, [REMOTE], members=("Remote 1",), language="en")
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        caller = card.pstn.call_in("fxo1", "600100100", "Jan Kowalski")
        await run_until(box, lambda: remote_call(card) is not None, limit=15)
        mobile = remote_call(card)
        assert mobile is not None
        await run_until(box, lambda: mobile.state == "connected", limit=10)
        await box.run_for(6.0)  # the whisper
        whisper = mobile.heard()
        connected_before_key = any(e["type"] == "call-connected" for e in events)
        mobile.dial("1")
        await run_until(box, lambda: any(e["type"] == "call-connected" for e in events), 3)
        await box.run_for(0.5)
        caller.clear_heard()
        mobile.clear_heard()
        caller.say(tone(440, 1.0))
        mobile.say(tone(1000, 1.0))
        await box.run_for(1.5)
        heard_by_caller, heard_by_agent = caller.heard(), mobile.heard()
        caller.hang_up()
        await run_until(box, lambda: any(e["type"] == "call-ended" for e in events), 5)
        await run_until(box, lambda: mobile.finished, limit=5)
        await box.run_for(1.0)
        status = box.status()
    finally:
        await box.stop()
    return {
        "whisper": whisper, "early": connected_before_key, "heard_by_caller": heard_by_caller,
        "heard_by_agent": heard_by_agent, "status": status, "log": queue_log(tmp_path),
        "cdr": cdrs(tmp_path), "events": events,
    }


def test_remote_agent_takes_a_queue_call_by_pressing_1_and_talks_to_the_caller(
    tmp_path: Path,
) -> None:
    result = asyncio.run(_answered_scenario(tmp_path))
    score, _ = find_prompt(result["whisper"], prompt_audio("en/remote-call-from"))
    assert score > 0.9
    press, _ = find_prompt(result["whisper"], prompt_audio("en/remote-press-1"))
    assert press > 0.9
    assert not result["early"]  # answering the mobile is not taking the call
    assert tone_share(result["heard_by_caller"], 1000) > 0.5
    assert tone_share(result["heard_by_agent"], 440) > 0.5

    events = [(e.event, e.agent) for e in result["log"]]
    assert events == [
        (QueueEvent.ENTER, None), (QueueEvent.RING, "Remote 1"),
        (QueueEvent.ANSWER, "Remote 1"), (QueueEvent.COMPLETE, "Remote 1"),
    ]
    complete = result["log"][-1]
    assert complete.data.endswith("|caller")
    [cdr] = result["cdr"]
    assert cdr.agent == "Remote 1" and cdr.queue == QUEUE
    assert cdr.disposition.value == "answered" and cdr.billsec > 2.0
    connected = next(e for e in result["events"] if e["type"] == "call-connected")
    assert connected["agent_port"] == "fxo3"
    assert result["status"]["calls"] == []
    [agent] = [a for a in result["status"]["agents"] if a["name"] == "Remote 1"]
    assert agent["state"] == "available" and agent["calls_taken"] == 1


async def _voicemail_scenario(tmp_path: Path) -> dict:
    box, card = make_box(
        tmp_path, [REMOTE, DESK], members=("Remote 1", "Desk 1"), strategy="linear",
        retry_delay=0,
    )
    events: list[dict] = []
    box.listeners.append(events.append)
    desk = card.phones["fxs1"]
    await box.start(threaded=False)
    try:
        card.pstn.call_in("fxo1", "600100100")
        await run_until(box, lambda: remote_call(card) is not None, limit=15)
        mailbox = remote_call(card)
        assert mailbox is not None
        await run_until(box, lambda: mailbox.state == "connected", limit=10)
        mailbox.say(tone(800, 3.0))  # "leave a message after the tone", and no key
        await run_until(box, lambda: desk.ringing, limit=25)
        mailbox_done = mailbox.finished
        desk.off_hook()
        await run_until(box, lambda: any(e["type"] == "call-connected" for e in events), 3)
        connected = next(e for e in events if e["type"] == "call-connected")
        status = box.status()
    finally:
        await box.stop()
    return {"log": queue_log(tmp_path), "mailbox_done": mailbox_done,
            "connected": connected, "status": status}


def test_remote_voicemail_that_never_presses_1_is_no_answer_and_the_next_agent_rings(
    tmp_path: Path,
) -> None:
    result = asyncio.run(_voicemail_scenario(tmp_path))
    events = [(e.event, e.agent) for e in result["log"]]
    assert events == [
        (QueueEvent.ENTER, None), (QueueEvent.RING, "Remote 1"),
        (QueueEvent.RING_NO_ANSWER, "Remote 1"), (QueueEvent.RING, "Desk 1"),
        (QueueEvent.ANSWER, "Desk 1"),
    ]
    assert result["mailbox_done"]  # the box hung up on the voicemail
    assert result["connected"]["agent"] == "Desk 1"
    [remote] = [a for a in result["status"]["agents"] if a["name"] == "Remote 1"]
    assert remote["state"] == "available" and remote["calls_taken"] == 0
