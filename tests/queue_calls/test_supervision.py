"""Listen, whisper and barge from the control command, heard (or not) by each party, and logged."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from firmware.control.protocol import CommandError
from firmware.store import recordings as store
from firmware.store import sync
from tests.queue_calls.queue_calls_support import make_box, run_until, tone, tone_share

CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 440.0, 700.0, 1300.0


async def _supervised_call(tmp_path: Path) -> dict:
    box, card = make_box(tmp_path, fxs=2, fxo=1, members=("Agent 1",))
    events: list[dict] = []
    box.listeners.append(events.append)
    agent, supervisor = card.phones["fxs1"], card.phones["fxs2"]
    heard: dict[str, dict[str, object]] = {}
    errors: list[str] = []
    await box.start(threaded=False)
    try:
        caller = card.pstn.call_in("fxo1", "600100200")
        await run_until(box, lambda: agent.ringing, limit=15)
        agent.off_hook()
        await run_until(box, lambda: any(e["type"] == "call-connected" for e in events), 3)
        call_id = next(e["call_id"] for e in events if e["type"] == "call-connected")
        table = box.commands_table
        for bad in ({"supervisor": "102", "call_id": "c99", "mode": "listen"},
                    {"supervisor": "102", "call_id": call_id, "mode": "shout"},
                    {"supervisor": "109", "call_id": call_id, "mode": "listen"},
                    {"supervisor": "101", "call_id": call_id, "mode": "listen"}):
            with pytest.raises(CommandError) as caught:
                await table("supervise", bad)
            errors.append(str(caught.value))

        await table("supervise", {"supervisor": "102", "call_id": call_id, "mode": "listen"})
        await run_until(box, lambda: supervisor.ringing, limit=3)
        supervisor.off_hook()
        await box.run_for(1.0)
        for mode in ("listen", "whisper", "barge"):
            if mode != "listen":
                await table("supervise-mode", {"supervisor": "102", "mode": mode})
            await box.run_for(0.5)
            for party in (caller, agent, supervisor):
                party.clear_heard()
            caller.say(tone(CALLER_HZ, 1.0))
            agent.say(tone(AGENT_HZ, 1.0))
            supervisor.say(tone(SUPERVISOR_HZ, 1.0))
            await box.run_for(1.5)
            heard[mode] = {"caller": caller.heard(), "agent": agent.heard(),
                           "supervisor": supervisor.heard()}
        await table("supervise-stop", {"supervisor": "102"})
        await box.run_for(0.5)
        supervisor.on_hook()
        caller.hang_up()
        await run_until(box, lambda: any(e["type"] == "call-ended" for e in events), 3)
        agent.on_hook()
        await box.run_for(0.5)
    finally:
        await box.stop()
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        log = list(reversed(store.list_supervision(conn)))
    finally:
        conn.close()
    return {"heard": heard, "log": log, "call_id": call_id, "errors": errors}


# Who hears whom in each mode: (listener, speaker) pairs.
HEARS = {
    "listen": {("supervisor", "caller"), ("supervisor", "agent")},
    "whisper": {("supervisor", "caller"), ("supervisor", "agent"), ("agent", "supervisor")},
    "barge": {("supervisor", "caller"), ("supervisor", "agent"), ("agent", "supervisor"),
              ("caller", "supervisor")},
}
FREQ = {"caller": CALLER_HZ, "agent": AGENT_HZ, "supervisor": SUPERVISOR_HZ}


def test_supervisor_listens_whispers_and_barges_with_audio_per_mode_and_a_log(
    tmp_path: Path,
) -> None:
    result = asyncio.run(_supervised_call(tmp_path))
    assert result["errors"] == [
        "no call 'c99' in progress",
        "mode must be listen, whisper or barge, not 'shout'",
        "no phone has extension or port '109'",
        "a supervisor cannot supervise a call on their own phone",
    ]
    for mode, heard in result["heard"].items():
        for listener in ("caller", "agent", "supervisor"):
            for speaker in ("caller", "agent", "supervisor"):
                if listener == speaker:
                    continue
                share = tone_share(heard[listener], FREQ[speaker])
                # Caller and agent always hear each other; the rest depends on the mode.
                expected = {listener, speaker} == {"caller", "agent"} or (
                    (listener, speaker) in HEARS[mode]
                )
                assert (share > 0.15) == expected, (mode, listener, speaker, share)
                assert expected or share < 0.01, (mode, listener, speaker, share)

    rows = [(e.supervisor, e.call_id, e.agent, e.mode.value, e.event.value)
            for e in result["log"]]
    call_id = result["call_id"]
    assert rows == [
        ("102", call_id, "Agent 1", "listen", "ring"),
        ("102", call_id, "Agent 1", "listen", "start"),
        ("102", call_id, "Agent 1", "whisper", "mode"),
        ("102", call_id, "Agent 1", "barge", "mode"),
        ("102", call_id, "Agent 1", "barge", "stop"),
    ]


async def _call_ends_under_supervision(tmp_path: Path) -> dict:
    box, card = make_box(tmp_path, fxs=2, fxo=1, members=("Agent 1",))
    events: list[dict] = []
    box.listeners.append(events.append)
    agent, supervisor = card.phones["fxs1"], card.phones["fxs2"]
    await box.start(threaded=False)
    try:
        caller = card.pstn.call_in("fxo1", "600100200")
        await run_until(box, lambda: agent.ringing, limit=15)
        agent.off_hook()
        await run_until(box, lambda: any(e["type"] == "call-connected" for e in events), 3)
        call_id = next(e["call_id"] for e in events if e["type"] == "call-connected")
        await box.commands_table(
            "supervise", {"supervisor": "fxs2", "call_id": call_id, "mode": "barge"}
        )
        await run_until(box, lambda: supervisor.ringing, limit=3)
        supervisor.off_hook()
        await box.run_for(1.0)
        during = await box.commands_table("supervisions", {})
        caller.hang_up()
        await run_until(box, lambda: any(e["type"] == "call-ended" for e in events), 3)
        await box.run_for(1.0)
        after = await box.commands_table("supervisions", {})
        supervisor.on_hook()
        agent.on_hook()
        await box.run_for(1.5)
        status = box.status()
    finally:
        await box.stop()
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        log = list(reversed(store.list_supervision(conn)))
    finally:
        conn.close()
    return {"during": during, "after": after, "log": log, "status": status}


def test_supervisor_leaves_with_the_call_and_the_stop_is_logged(tmp_path: Path) -> None:
    result = asyncio.run(_call_ends_under_supervision(tmp_path))
    [session] = result["during"]["supervisions"]
    assert (session["port"], session["mode"], session["state"]) == ("fxs2", "barge", "on-call")
    assert result["after"]["supervisions"] == []
    assert [e.event.value for e in result["log"]] == ["ring", "start", "stop"]
    assert {p["name"]: p["state"] for p in result["status"]["ports"]}["fxs2"] == "idle"
