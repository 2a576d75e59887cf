"""A caller reaches a voicemail node on the sim card, speaks after the beep, hangs up,
and the message is in the store (and on the web UI's list) with the caller's audio."""

import asyncio
import wave
from pathlib import Path

import numpy as np

from firmware.box import Box
from firmware.settings import CardSettings, DaemonSettings
from firmware.store import sync
from hal.clock import ManualClock
from hal.sim.card import SimCard

VOICEMAIL_FLOW = {
    "start": "record",
    "nodes": {
        "record": {"type": "voicemail", "mailbox": "sales", "max_seconds": 30, "next": "bye"},
        "bye": {"type": "hangup", "prompt": "goodbye"},
    },
}


async def run_until(box: Box, condition, limit: float) -> None:
    waited = 0.0
    while not condition():
        assert waited < limit, f"condition not met within {limit} s of box time"
        await box.run_for(0.1)
        waited += 0.1


def route_to_voicemail(database: str) -> None:
    conn = sync.connect(database)
    try:
        flow = sync.save_flow(conn, "messages", VOICEMAIL_FLOW)
        [route] = sync.list_routes(conn)
        sync.save_route(conn, {"port": route.port, "destination": f"ivr:{flow.name}"}, route.id)
    finally:
        conn.close()


async def leave_message(tmp_path: Path) -> dict:
    clock = ManualClock()
    settings = DaemonSettings(data_dir=tmp_path, card=CardSettings(fxs=1, fxo=1))
    card = SimCard(clock, fxs=1, fxo=1, law=settings.card.law)
    box = Box(settings, clock, card)
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        # As the web UI does it: another connection, off the daemon's event loop.
        await asyncio.to_thread(route_to_voicemail, str(settings.database))
        await box.reload()

        call = card.pstn.call_in("fxo1", "600100200", "Jan Kowalski")
        await run_until(box, lambda: call.state == "connected", limit=12)
        await box.run_for(1.0)  # the beep
        t = np.arange(2 * 8000) / 8000
        call.say((8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16))
        await box.run_for(2.5)
        call.hang_up()
        await run_until(box, lambda: any(e["type"] == "voicemail" for e in events), limit=5)
        await box.run_for(0.5)
        status = box.status()
    finally:
        await box.stop()
    conn = sync.connect(str(settings.database))
    try:
        return {"messages": sync.list_voicemail(conn), "cdr": sync.list_cdr(conn), "status": status}
    finally:
        conn.close()


def test_caller_leaves_a_voicemail_that_is_stored_with_their_audio(tmp_path: Path) -> None:
    result = asyncio.run(leave_message(tmp_path))
    [message] = result["messages"]
    assert message.mailbox == "sales" and message.flow == "messages"
    assert message.caller_number == "600100200"
    assert 2.0 <= message.seconds <= 4.0
    with wave.open(message.path) as wav:
        audio = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)
    # The caller's tone is in the message: loud for about two seconds.
    loud = np.convolve(np.abs(audio) > 2000, np.ones(80), "same") > 0
    assert 1.8 <= loud.sum() / 8000 <= 2.6
    [cdr] = result["cdr"]
    assert cdr.caller_number == "600100200" and cdr.destination == "ivr:messages"
    assert result["status"]["calls"] == []
    assert result["status"]["media"]["call_errors"] == 0
