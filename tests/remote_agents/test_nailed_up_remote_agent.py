"""Nailed-up remote agents on the sim: one open line to the agent, queue calls bridged onto it.

Logging the agent in makes the box call them; they type their PIN and stay on
the line. Two callers are then put through in turn on that same line, which
stays up between them; ``#`` logs the agent out and ends the line. An agent can
also call in on a login line, give extension and PIN, and hang up to log out.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from firmware.store.models import QueueEvent
from tests.queue_calls.queue_calls_support import (
    cdrs,
    find_prompt,
    prompt_audio,
    queue_log,
    run_until,
    tone,
    tone_share,
)
from tests.remote_agents.remote_support import (
    REMOTE_NUMBER,
    REMOTE_PIN,
    make_box,
    remote_call,
)

NAILED = {"name": "Remote 1", "extension": "201", "remote_number": REMOTE_NUMBER,
          "remote_mode": "nailed-up", "pin": REMOTE_PIN}


def _state(box, name: str) -> str:
    return next(a["state"] for a in box.status()["agents"] if a["name"] == name)


def _connected(events: list[dict]) -> int:
    return sum(e["type"] == "call-connected" for e in events)


def _ended(events: list[dict]) -> int:
    return sum(e["type"] == "call-ended" for e in events)


async def _talk(box, caller, line) -> tuple[float, float]:
    """Both sides speak a tone; the share of the other's tone each heard."""
    await box.run_for(0.6)  # past the zip tone
    caller.clear_heard()
    line.clear_heard()
    caller.say(tone(440, 1.0))
    line.say(tone(1000, 1.0))
    await box.run_for(1.5)
    return tone_share(caller.heard(), 1000), tone_share(line.heard(), 440)


async def _nailed_up_scenario(tmp_path: Path) -> dict:
    box, card = make_box(tmp_path, [NAILED], members=("Remote 1",), language="en")
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        before_login = _state(box, "Remote 1")
        await box.commands_table("agent_login", {"agent": "Remote 1"})
        await run_until(box, lambda: remote_call(card) is not None, limit=5)
        line = remote_call(card)
        assert line is not None
        await run_until(box, lambda: line.state == "connected", limit=10)
        await box.run_for(3.5)
        asked = line.heard()
        line.dial(REMOTE_PIN + "#")
        await run_until(box, lambda: any(
            e["type"] == "remote-agent-line" and e["state"] == "idle" for e in events), 40)
        logged_in = _state(box, "Remote 1")

        first = card.pstn.call_in("fxo1", "600100100")
        await run_until(box, lambda: _connected(events) == 1, limit=15)
        first_heard = await _talk(box, first, line)
        first.hang_up()
        await run_until(box, lambda: _ended(events) == 1, limit=5)
        await box.run_for(2.0)
        line_kept = not line.finished
        between = _state(box, "Remote 1")

        second = card.pstn.call_in("fxo2", "600200200")
        await run_until(box, lambda: _connected(events) == 2, limit=15)
        second_heard = await _talk(box, second, line)
        line.dial("*")  # the agent ends this call; the line stays
        await run_until(box, lambda: _ended(events) == 2, limit=5)
        await run_until(box, lambda: second.finished, limit=5)
        await box.run_for(1.0)
        line_kept_after_star = not line.finished

        line.dial("#")  # log out
        await run_until(box, lambda: line.finished, limit=10)
        await box.run_for(1.0)
        after_logout = _state(box, "Remote 1")
        status = box.status()
    finally:
        await box.stop()
    return {
        "before_login": before_login, "asked": asked, "logged_in": logged_in,
        "first_heard": first_heard, "second_heard": second_heard, "line_kept": line_kept,
        "between": between, "line_kept_after_star": line_kept_after_star,
        "after_logout": after_logout, "status": status, "log": queue_log(tmp_path),
        "cdr": cdrs(tmp_path),
    }


def test_nailed_up_agent_logs_in_by_pin_takes_two_calls_on_one_line_and_logs_out(
    tmp_path: Path,
) -> None:
    result = asyncio.run(_nailed_up_scenario(tmp_path))
    # Configured to take calls, but logged out until their line is open.
    assert result["before_login"] == "logged-out"
    # Login speaks the box country's language (PL), whatever the queues speak.
    score, _ = find_prompt(result["asked"], prompt_audio("pl/remote-login-pin"))
    assert score > 0.9
    assert result["logged_in"] == "available"
    for caller_heard, agent_heard in (result["first_heard"], result["second_heard"]):
        assert caller_heard > 0.5 and agent_heard > 0.5
    assert result["line_kept"] and result["between"] == "available"
    assert result["line_kept_after_star"]
    assert result["after_logout"] == "logged-out"
    assert result["status"]["calls"] == []

    answers = [e for e in result["log"] if e.event is QueueEvent.ANSWER]
    completes = [e for e in result["log"] if e.event is QueueEvent.COMPLETE]
    assert [e.agent for e in answers] == ["Remote 1", "Remote 1"]
    assert [e.data.rsplit("|", 1)[1] for e in completes] == ["caller", "agent"]
    assert sorted(c.agent for c in result["cdr"]) == ["Remote 1", "Remote 1"]
    assert all(c.disposition.value == "answered" for c in result["cdr"])


async def _call_in_scenario(tmp_path: Path) -> dict:
    box, card = make_box(tmp_path, [NAILED], members=("Remote 1",), login_line=True)
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        line = card.pstn.call_in("fxo3", REMOTE_NUMBER)
        await run_until(box, lambda: line.state == "connected", limit=15)
        await box.run_for(1.0)
        line.dial("201#")
        await box.run_for(1.5)
        line.dial("9999#")  # a wrong PIN: asked again
        await run_until(
            box, lambda: any(e["type"] == "remote-agent-login-refused" for e in events), 20
        )
        await box.run_for(6.0)  # the notice, then the question again
        after_wrong = _state(box, "Remote 1")
        line.dial("201#")
        await box.run_for(1.5)
        line.dial(REMOTE_PIN + "#")
        await run_until(box, lambda: _state(box, "Remote 1") == "available", limit=40)
        caller = card.pstn.call_in("fxo1", "600100100")
        await run_until(box, lambda: _connected(events) == 1, limit=15)
        heard = await _talk(box, caller, line)
        line.hang_up()  # the agent hangs up: the caller's call and the login end
        await run_until(box, lambda: caller.finished, limit=10)
        await box.run_for(1.0)
        after_hang_up = _state(box, "Remote 1")
        status = box.status()
    finally:
        await box.stop()
    return {"after_wrong": after_wrong, "heard": heard, "after_hang_up": after_hang_up,
            "status": status, "log": queue_log(tmp_path)}


def test_agent_calling_in_logs_in_with_extension_and_pin_and_hanging_up_logs_out(
    tmp_path: Path,
) -> None:
    result = asyncio.run(_call_in_scenario(tmp_path))
    assert result["after_wrong"] == "logged-out"
    caller_heard, agent_heard = result["heard"]
    assert caller_heard > 0.5 and agent_heard > 0.5
    assert result["after_hang_up"] == "logged-out"
    assert result["status"]["calls"] == []
    complete = next(e for e in result["log"] if e.event is QueueEvent.COMPLETE)
    assert complete.agent == "Remote 1" and complete.data.endswith("|agent")
