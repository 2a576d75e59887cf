"""Calls the box's phones make: extension to extension, outside lines, emergency numbers."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import numpy as np

from firmware.calls.analog import FxsPort
from tests.analog.analog_support import (
    cdrs,
    detected_digits,
    make_box,
    run_until,
    save_port_settings,
)


async def _extension_call(tmp_path) -> dict:
    box, card = make_box(tmp_path, fxs=2, fxo=1)
    await box.start(threaded=False)
    try:
        caller, callee = card.phones["fxs1"], card.phones["fxs2"]
        caller.off_hook()
        await box.run_for(0.5)
        caller.dial("102")  # Agent 2's extension: complete the moment it is dialled
        rang_after = await run_until(box, lambda: callee.ringing, limit=3.0)
        caller.clear_heard()
        await box.run_for(1.0)
        ringback_heard = caller.heard().std()
        callee.off_hook()
        await box.run_for(0.5)
        caller.clear_heard()
        callee.clear_heard()
        caller.dial("4")
        callee.dial("9")
        await box.run_for(1.0)
        heard = detected_digits(callee.heard()), detected_digits(caller.heard())
        caller.on_hook()
        await box.run_for(1.5)
        callee_state = box.manager.ports[2].state
        callee.on_hook()
        await box.run_for(1.0)
        states = [p.state for p in box.manager.ports]
    finally:
        await box.stop()
    return {"rang_after": rang_after, "ringback": ringback_heard, "heard": heard,
            "callee_after_caller_left": callee_state, "states": states}


def test_extension_to_extension_call_rings_bridges_and_releases(tmp_path):
    result = asyncio.run(_extension_call(tmp_path))
    # Complete at the third digit, with no interdigit wait.
    assert result["rang_after"] < 1.5
    assert result["ringback"] > 100  # the caller heard ringback while it rang
    assert result["heard"] == ("4", "9")
    assert result["callee_after_caller_left"] == "released"  # busy tone until on-hook
    assert result["states"] == ["idle", "idle", "idle"]


async def _outside_call(tmp_path, number: str) -> dict:
    box, card = make_box(tmp_path, fxs=2, fxo=1)
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        card.pstn.answer_delay = 3.0
        phone = card.phones["fxs1"]
        phone.off_hook()
        await box.run_for(0.5)
        phone.dial(number)
        await run_until(box, lambda: card.pstn.last_dialled is not None, limit=15)
        far = card.pstn.active_call("fxo1")
        await run_until(box, lambda: far.state == "connected", limit=10)
        await box.run_for(0.5)
        far.clear_heard()
        phone.clear_heard()
        phone.dial("3")
        far.dial("8")
        await box.run_for(1.0)
        heard = detected_digits(far.heard()), detected_digits(phone.heard())
        phone.on_hook()
        await box.run_for(1.0)
        result = {"dialled": card.pstn.last_dialled, "heard": heard,
                  "seized": card.pstn.seized("fxo1"),
                  "events": [e for e in events if e["type"] == "outside-call"]}
    finally:
        await box.stop()
    result["cdr"] = cdrs(tmp_path)
    return result


def test_outside_prefix_seizes_a_line_and_the_phone_talks_to_the_far_end(tmp_path):
    result = asyncio.run(_outside_call(tmp_path, "0226001122"))
    assert result["dialled"] == "226001122"  # prefix removed, complete at 9 digits
    assert result["heard"] == ("3", "8")
    assert not result["seized"]
    [cdr] = result["cdr"]
    assert cdr.direction == "out" and cdr.port == "fxo1"
    assert cdr.destination == "226001122" and cdr.caller_number == "101"
    assert cdr.disposition == "answered" and cdr.billsec > 1.0


def test_emergency_number_goes_out_at_once_without_the_prefix(tmp_path):
    result = asyncio.run(_outside_call(tmp_path, "112"))
    assert result["dialled"] == "112"
    assert result["events"][0]["emergency"] is True


async def _busy_extension(tmp_path) -> list[str]:
    box, card = make_box(tmp_path, fxs=2, fxo=1)
    await box.start(threaded=False)
    try:
        card.phones["fxs2"].off_hook()  # the colleague is lifting the phone
        await box.run_for(0.5)
        phone = card.phones["fxs1"]
        phone.off_hook()
        await box.run_for(0.5)
        phone.dial("102")
        await box.run_for(1.0)
        unknown = card.phones["fxs2"]
        unknown.on_hook()
        await box.run_for(1.0)
        states = [box.manager.ports[1].state]
        phone.on_hook()
        await box.run_for(1.0)
        phone.off_hook()
        await box.run_for(0.3)
        phone.dial("555")  # nothing on this box starts with 5
        await box.run_for(1.0)
        states.append(box.manager.ports[1].state)
        port = box.manager.ports[1]
        assert isinstance(port, FxsPort)
        states.append(str(port.machine.tone))
    finally:
        await box.stop()
    return states


def test_busy_or_unknown_extension_gives_busy_tone_at_once(tmp_path):
    assert asyncio.run(_busy_extension(tmp_path)) == ["released", "released", "busy"]


def _frame_levels(samples) -> list[float]:
    usable = len(samples) // 160 * 160
    frames = samples[:usable].reshape(-1, 160).astype(float)
    return [float(v) for v in np.sqrt(np.mean(frames**2, axis=1))]


async def _lift_and_listen(tmp_path, waiting: bool) -> tuple[list[float], float]:
    save_port_settings(tmp_path, port="fxs1", howler_after=5)
    box, card = make_box(tmp_path, fxs=1, fxo=1)
    await box.start(threaded=False)
    try:
        if waiting:
            await box.commands_table("message-waiting", {"port": "fxs1", "waiting": True})
        phone = card.phones["fxs1"]
        phone.off_hook()
        await box.run_for(1.5)
        levels = _frame_levels(phone.heard()[1600:])  # past the first 0.2 s
        await box.run_for(15.0)  # congestion at 10 s, the howler 5 s later
        phone.clear_heard()
        await box.run_for(1.0)
        spectrum = np.abs(np.fft.rfft(phone.heard()[:8000].astype(float)))
        howler = float(spectrum[2600] / (spectrum.sum() + 1.0))
    finally:
        await box.stop()
    return levels, howler


def test_messages_waiting_give_stutter_dial_tone(tmp_path):
    levels, _ = asyncio.run(_lift_and_listen(tmp_path, waiting=True))
    assert min(levels) < 10 < max(levels)  # 100 ms bursts with silent gaps


def test_steady_dial_tone_without_messages_and_the_howler_for_a_phone_left_off_hook(tmp_path):
    levels, howler = asyncio.run(_lift_and_listen(tmp_path, waiting=False))
    assert min(levels) > 100  # steady dial tone
    assert howler > 0.05  # 2600 Hz, one of the howler's four tones, dominates


async def _clashing_plan(tmp_path) -> tuple[list[str], str]:
    box, card = make_box(tmp_path, fxs=2, fxo=1)
    await box.start(threaded=False)
    try:
        config = box.manager.config
        clash = replace(config.agents[1], extension="1125")  # begins with 112
        errors = box.manager.configure(replace(config, agents=(config.agents[0], clash)))
        phone = card.phones["fxs1"]
        phone.off_hook()
        await box.run_for(0.3)
        phone.dial("0226001122")
        await run_until(box, lambda: card.pstn.last_dialled is not None, limit=15)
        dialled = card.pstn.last_dialled
    finally:
        await box.stop()
    return errors, dialled


def test_an_extension_the_dial_plan_refuses_is_reported_and_the_rest_still_works(tmp_path):
    errors, dialled = asyncio.run(_clashing_plan(tmp_path))
    assert any("1125 begins with the emergency number 112" in e for e in errors)
    assert dialled == "226001122"
