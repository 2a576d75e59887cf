"""Caller ID captured on a sim line in both ETSI positions; outbound answer detection."""

from __future__ import annotations

import asyncio

import pytest

from firmware.calls.analog import FxoPort
from firmware.control.protocol import CommandError
from tests.analog.analog_support import make_box, run_until, save_port_settings, voice_like


async def _capture(tmp_path, cid: str) -> tuple[dict, list[dict]]:
    box, card = make_box(tmp_path, fxs=0, fxo=1)
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        call = card.pstn.call_in("fxo1", "600100200", "Jan Kowalski", cid=cid)
        await run_until(box, lambda: call.state == "connected", limit=15)
        port = box.manager.ports[0]
        assert isinstance(port, FxoPort)
        capture = dict(port.last_caller_id or {})
        capture["answered_at"] = call.answered_at
        capture["reversals"] = port.reversals
        views = (await box.commands_table("analog-ports", {}))["ports"]
    finally:
        await box.stop()
    started = [e for e in events if e["type"] == "call-started"]
    return capture, started + views


def test_caller_id_between_the_first_and_second_ring_is_captured(tmp_path):
    capture, seen = asyncio.run(_capture(tmp_path, "between_rings"))
    assert capture["number"] == "600100200" and capture["name"] == "Jan Kowalski"
    assert capture["position"] == "after-first-ring"
    assert capture["reversals"] == 0
    assert seen[0]["caller_number"] == "600100200"
    assert seen[1]["last_caller_id"]["number"] == "600100200"


def test_caller_id_before_the_first_ring_after_a_line_reversal_is_captured(tmp_path):
    capture, seen = asyncio.run(_capture(tmp_path, "before_ring"))
    assert capture["number"] == "600100200" and capture["name"] == "Jan Kowalski"
    assert capture["position"] == "before-first-ring"
    assert capture["reversals"] == 1
    assert seen[0]["caller_number"] == "600100200"
    # Offered at the first ring, not the second: answered well within one cadence.
    assert capture["answered_at"] - capture["at"] < 2.5


async def _test_call(tmp_path, *, progress_mode: bool, far_speaks: bool) -> dict:
    if progress_mode:
        save_port_settings(tmp_path, port="fxo1", answer_detection="progress")
    box, card = make_box(tmp_path, fxs=0, fxo=1)
    await box.start(threaded=False)
    try:
        card.pstn.polarity_on_answer = not progress_mode
        # Ringback is recognised once a whole cadence was heard: the far end rings on.
        card.pstn.answer_delay = 12.0
        reply = await box.commands_table(
            "test-call", {"port": "fxo1", "number": "226001122", "hold": 3}
        )
        assert reply["test"]["outcome"] == "dialling"
        await run_until(box, lambda: card.pstn.active_call("fxo1") is not None
                        and card.pstn.active_call("fxo1").state == "connected", limit=25)
        far = card.pstn.active_call("fxo1")
        if far_speaks:
            far.say(voice_like(2.0))
        await box.run_for(8.0)
        port = box.manager.ports[0]
        assert isinstance(port, FxoPort)
        result = {
            "dialled": card.pstn.last_dialled,
            "far_answered": far.answered_at,
            "test": port.last_test.view(),
            "seized": card.pstn.seized("fxo1"),
        }
        with pytest.raises(CommandError, match="no line port"):
            await box.commands_table("test-call", {"port": "fxo9", "number": "1"})
    finally:
        await box.stop()
    return result


def test_outbound_call_is_answered_by_polarity_reversal_and_hung_up_after_the_hold(tmp_path):
    result = asyncio.run(_test_call(tmp_path, progress_mode=False, far_speaks=False))
    assert result["dialled"] == "226001122"
    assert result["test"]["outcome"] == "answered"
    assert result["test"]["answered"] == pytest.approx(result["far_answered"], abs=0.05)
    assert not result["seized"]


def test_line_without_reversal_answers_by_voice_after_ringback(tmp_path):
    result = asyncio.run(_test_call(tmp_path, progress_mode=True, far_speaks=True))
    assert result["test"]["outcome"] == "answered"
    # Voice needs a moment to be recognised; ringback alone never counted as the answer.
    assert result["far_answered"] < result["test"]["answered"] < result["far_answered"] + 1.0
    assert not result["seized"]


def test_line_without_reversal_is_not_answered_while_the_far_end_is_silent(tmp_path):
    result = asyncio.run(_test_call(tmp_path, progress_mode=True, far_speaks=False))
    assert result["test"]["outcome"] == "dialling"
    assert result["seized"]
