"""Line diagnostics in the web UI, against a real box on the sim card through its socket."""

from __future__ import annotations

import asyncio

from hal.clock import ManualClock
from tests.analog.analog_support import make_box, run_until
from webui import create_app

PASSWORD = "correct horse battery"


async def _diagnostics(tmp_path) -> dict:
    box, card = make_box(tmp_path, fxs=1, fxo=1)
    await box.start(threaded=False)
    app = create_app({
        "TESTING": True,
        "DATABASE": str(tmp_path / "centrala.db"),
        "CONTROL_SOCKET": str(box.settings.socket_path),
        "WTF_CSRF_ENABLED": False,
        "CLOCK": ManualClock(),
        "SECRET_KEY": "test",  # made here, not in the store the running box holds
    })
    client = app.test_client()
    seen: dict = {}
    try:
        await asyncio.to_thread(
            client.post, "/setup", data={"password": PASSWORD, "confirm": PASSWORD}
        )
        call = card.pstn.call_in("fxo1", "600100200", "Jan Kowalski")
        await run_until(box, lambda: call.state == "connected", limit=12)
        seen["page"] = (await asyncio.to_thread(client.get, "/diagnostics")).get_data(True)

        reply = await asyncio.to_thread(
            client.post, "/diagnostics/ring", data={"port": "fxs1", "seconds": "5"},
            follow_redirects=True,
        )
        seen["ring_reply"] = reply.get_data(True)
        await box.run_for(0.5)
        seen["ringing"] = card.phones["fxs1"].ringing
        await box.run_for(5.0)
        seen["ringing_after"] = card.phones["fxs1"].ringing
        refused = await asyncio.to_thread(
            client.post, "/diagnostics/ring", data={"port": "fxs9", "seconds": "5"},
            follow_redirects=True,
        )
        seen["refused"] = refused.get_data(True)

        bad = await asyncio.to_thread(
            client.post, "/diagnostics/ports/fxo1",
            data={"answer_detection": "polarity", "max_silence": "-5",
                  "disconnect_by": ["loop-current", "tone"]},
        )
        seen["bad"] = (bad.status_code, bad.get_data(True))
        good = await asyncio.to_thread(
            client.post, "/diagnostics/ports/fxo1",
            data={"answer_detection": "progress", "max_silence": "120",
                  "disconnect_by": ["loop-current", "tone"]},
        )
        seen["good"] = good.status_code
        call.hang_up()
        await box.run_for(1.0)
        port = box.manager.ports[0]
        seen["config"] = port.machine.config
    finally:
        await box.stop()
    return seen


def test_diagnostics_show_live_lines_ring_a_phone_and_save_line_settings(tmp_path):
    seen = asyncio.run(_diagnostics(tmp_path))
    page = seen["page"]
    assert "fxo1" in page and "fxs1" in page and "connected" in page
    assert "600100200" in page and "Jan Kowalski" in page and "after-first-ring" in page
    assert "fxs1 is ringing for 5 s." in seen["ring_reply"]
    assert seen["ringing"] and not seen["ringing_after"]
    assert "no phone port" in seen["refused"]
    status, body = seen["bad"]
    assert status == 400 and 'id="max_silence-error"' in body
    assert seen["good"] == 302
    config = seen["config"]  # applied by the reload once the call on the line ended
    assert config.max_silence == 120.0
    assert config.disconnect_by == frozenset({"loop-current", "tone"})
    assert config.answer_detection.value == "progress"
