"""An FXO line on the sim exchange cleared by every means a line offers, and the guard.

Each test places an inbound call that the box answers (the default route takes it
to the main IVR flow), makes the exchange clear it the way one kind of line does,
and checks that the box noticed by that means, hung up, and wrote the CDR.
"""

from __future__ import annotations

import asyncio
import logging

from firmware.calls.analog import FxoPort
from hal.sim.pstn import SimPstnCall
from tests.analog.analog_support import cdrs, make_box, run_until, save_port_settings, voice_like


async def _inbound_call_cleared(tmp_path, setup_line, far_end, limit: float = 40.0) -> dict:
    box, card = make_box(tmp_path, fxs=0, fxo=1)
    await box.start(threaded=False)
    try:
        setup_line(card.pstn)
        call = card.pstn.call_in("fxo1", "600100200", "Jan Kowalski")
        await run_until(box, lambda: call.state == "connected", limit=12)
        far_end(call)
        port = box.manager.ports[0]
        assert isinstance(port, FxoPort)
        took = await run_until(box, lambda: not card.pstn.seized("fxo1"), limit=limit)
        await box.run_for(0.5)
        result = {
            "took": took,
            "disconnect": port.last_disconnect,
            "freed": port.last_freed,
            "state": port.state,
            "calls": box.manager.calls,
        }
    finally:
        await box.stop()
    result["cdr"] = cdrs(tmp_path)
    return result


def _hang_up(call: SimPstnCall) -> None:
    call.hang_up()


def _talk_then_hang_up(call: SimPstnCall) -> None:
    call.say(voice_like(1.5))
    call.hang_up()


def test_loop_current_drop_clears_fxo_call(tmp_path):
    result = asyncio.run(_inbound_call_cleared(tmp_path, lambda pstn: None, _hang_up, 3.0))
    assert result["disconnect"]["reason"] == "loop-current"
    assert result["state"] == "idle" and result["calls"] == {}
    [cdr] = result["cdr"]
    assert cdr.port == "fxo1" and cdr.caller_number == "600100200"


def test_polarity_reversal_clears_fxo_call_on_a_line_without_loop_break(tmp_path):
    def line(pstn) -> None:
        pstn.loop_drop_on_disconnect = False
        pstn.polarity_on_disconnect = True
        pstn.clear_signal = "none"

    result = asyncio.run(_inbound_call_cleared(tmp_path, line, _hang_up, 3.0))
    assert result["disconnect"]["reason"] == "polarity"
    assert len(result["cdr"]) == 1


def test_busy_tone_clears_fxo_call_on_a_line_that_only_plays_a_tone(tmp_path):
    def line(pstn) -> None:
        pstn.loop_drop_on_disconnect = False
        pstn.clear_signal = "busy"

    result = asyncio.run(_inbound_call_cleared(tmp_path, line, _hang_up, 10.0))
    assert result["disconnect"]["reason"] == "tone"
    assert len(result["cdr"]) == 1


def test_dial_tone_after_the_far_end_left_clears_fxo_call(tmp_path):
    def line(pstn) -> None:
        pstn.loop_drop_on_disconnect = False
        pstn.clear_signal = "dial"

    result = asyncio.run(_inbound_call_cleared(tmp_path, line, _hang_up, 10.0))
    assert result["disconnect"]["reason"] == "tone"


def test_long_silence_clears_fxo_call_on_a_line_that_goes_quiet(tmp_path):
    save_port_settings(tmp_path, port="fxo1", silence_disconnect=8)

    def line(pstn) -> None:
        pstn.loop_drop_on_disconnect = False
        pstn.clear_signal = "none"

    result = asyncio.run(_inbound_call_cleared(tmp_path, line, _talk_then_hang_up, 30.0))
    assert result["disconnect"]["reason"] == "silence"
    assert result["freed"] is None
    assert len(result["cdr"]) == 1


def test_disconnect_method_switched_off_is_not_trusted(tmp_path):
    # A line whose tones the technician does not trust: its busy tone is ignored,
    # and as the exchange plays it until the box hangs up, only the guard frees it.
    save_port_settings(
        tmp_path, port="fxo1", disconnect_by="loop-current,polarity", max_call_duration=25
    )

    def line(pstn) -> None:
        pstn.loop_drop_on_disconnect = False
        pstn.clear_signal = "busy"

    result = asyncio.run(_inbound_call_cleared(tmp_path, line, _hang_up, 40.0))
    assert result["disconnect"] is None
    assert result["freed"]["reason"] == "max-duration"


def test_stuck_line_is_freed_by_the_maximum_call_duration_and_logged(tmp_path, caplog):
    save_port_settings(tmp_path, port="fxo1", max_call_duration=20, disconnect_by="")

    def line(pstn) -> None:
        pstn.loop_drop_on_disconnect = False
        pstn.clear_signal = "busy"

    with caplog.at_level(logging.WARNING):
        result = asyncio.run(_inbound_call_cleared(tmp_path, line, _hang_up, 30.0))
    assert result["freed"]["reason"] == "max-duration"
    assert result["freed"]["limit"] == 20.0
    assert any("stuck-line guard" in r.getMessage() and "max-duration" in r.getMessage()
               for r in caplog.records)
    assert result["state"] == "idle" and len(result["cdr"]) == 1


def test_stuck_line_is_freed_by_the_maximum_silence(tmp_path):
    save_port_settings(
        tmp_path, port="fxo1", max_silence=10, disconnect_by="loop-current,polarity,tone"
    )

    def line(pstn) -> None:
        pstn.loop_drop_on_disconnect = False
        pstn.clear_signal = "none"

    result = asyncio.run(_inbound_call_cleared(tmp_path, line, _talk_then_hang_up, 30.0))
    assert result["disconnect"] is None
    assert result["freed"]["reason"] == "max-silence"
    assert len(result["cdr"]) == 1
