"""Flash-hook transfers from an agent's FXS phone: blind, attended, and taken back."""

from __future__ import annotations

import asyncio

from tests.analog.analog_support import cdrs, detected_digits, make_box, run_until

EXTENSIONS = {"fxs1": "101", "fxs2": "102"}


async def _transfer(tmp_path, style: str) -> dict:
    box, card = make_box(tmp_path, fxs=2, fxo=1)
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        caller = card.pstn.call_in("fxo1", "600100200", "Jan Kowalski")
        await run_until(box, lambda: caller.state == "connected", limit=12)
        await box.run_for(5.0)
        caller.dial("2")  # the support queue rings an agent
        phones = card.phones
        await run_until(box, lambda: any(p.ringing for p in phones.values()), limit=10)
        first = next(name for name, p in phones.items() if p.ringing)
        other = "fxs2" if first == "fxs1" else "fxs1"
        agent, colleague = phones[first], phones[other]
        agent.off_hook()
        await run_until(box, lambda: any(e["type"] == "call-connected" for e in events), 2)
        await box.run_for(0.5)

        agent.flash(0.3)  # recall: the caller is held, the agent hears dial tone
        await box.run_for(1.0)
        agent.dial(EXTENSIONS[other])
        await run_until(box, lambda: colleague.ringing, limit=3)
        if style == "blind":
            agent.on_hook()
            await box.run_for(1.0)
            colleague.off_hook()
        elif style == "attended":
            colleague.off_hook()
            await box.run_for(1.0)
            agent.clear_heard()
            colleague.clear_heard()
            colleague.dial("6")  # the colleague speaks to the agent, not the caller
            await box.run_for(1.0)
            consult = detected_digits(agent.heard())
            agent.on_hook()
        else:  # taken back: a second flash while it rings
            agent.flash(0.3)
        await box.run_for(1.0)
        talker = agent if style == "back" else colleague
        caller.clear_heard()
        talker.clear_heard()
        caller.dial("7")
        talker.dial("5")
        await box.run_for(1.0)
        result = {
            "talker_heard": detected_digits(talker.heard()),
            "caller_heard": detected_digits(caller.heard()),
            "colleague_ringing": colleague.ringing,
            "consult": consult if style == "attended" else None,
            "transferred": [e for e in events if e["type"] == "call-transferred"],
        }
        caller.hang_up()
        await box.run_for(1.0)
        for phone in (agent, colleague):
            if phone.offhook:
                phone.on_hook()
        await box.run_for(1.0)
        status = box.status()
        result["states"] = [p["state"] for p in status["ports"]]
        result["agents"] = {a["name"]: a["state"] for a in status["agents"]}
        result["agent_names"] = (f"Agent {first[-1]}", f"Agent {other[-1]}")
    finally:
        await box.stop()
    result["cdr"] = cdrs(tmp_path)
    return result


def test_blind_flash_hook_transfer_puts_the_caller_through_to_the_extension(tmp_path):
    result = asyncio.run(_transfer(tmp_path, "blind"))
    assert result["talker_heard"] == "7" and result["caller_heard"] == "5"
    first, other = result["agent_names"]
    assert result["transferred"][0]["agent"] == other
    [cdr] = result["cdr"]
    assert cdr.agent == other and cdr.disposition == "answered"
    assert result["states"] == ["idle"] * 3
    assert set(result["agents"].values()) == {"available"}


def test_attended_flash_hook_transfer_consults_then_hands_over(tmp_path):
    result = asyncio.run(_transfer(tmp_path, "attended"))
    assert result["consult"] == "6"
    assert result["talker_heard"] == "7" and result["caller_heard"] == "5"
    assert len(result["transferred"]) == 1
    assert result["states"] == ["idle"] * 3


def test_second_flash_takes_the_caller_back_and_stops_the_extension_ringing(tmp_path):
    result = asyncio.run(_transfer(tmp_path, "back"))
    assert result["talker_heard"] == "7" and result["caller_heard"] == "5"
    assert not result["colleague_ringing"]
    assert result["transferred"] == []
    [cdr] = result["cdr"]
    assert cdr.agent == result["agent_names"][0]
    assert result["states"] == ["idle"] * 3
