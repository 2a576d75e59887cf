"""Learning a line's disconnect tone on a running box, and using it afterwards."""

from __future__ import annotations

import asyncio
import json

import pytest

from firmware.control.protocol import CommandError
from firmware.store import analog as analog_store
from firmware.store import sync
from tests.analog.analog_support import make_box, run_until, save_port_settings


async def _learn(tmp_path):
    box, card = make_box(tmp_path, fxs=1, fxo=1)
    # A line that signals the end of a call only by tone, as some PBX extensions do.
    save_port_settings(tmp_path, port="fxo1", disconnect_by=["silence"])
    events: list[dict] = []
    box.listeners.append(events.append)
    await box.start(threaded=False)
    try:
        with pytest.raises(CommandError, match="idle"):
            await box._cmd_learn_tone("fxo1", 4)
        call = card.pstn.call_in("fxo1", "600100200")
        await run_until(box, lambda: call.state == "connected", limit=12)
        call.hang_up()  # the exchange now plays busy tone to the line we keep seized
        await box.run_for(1.0)
        answer = await box._cmd_learn_tone("fxo1", 4)
        await run_until(box, lambda: any(e["type"] == "tone-learned" for e in events), limit=8)
        await box.run_for(0.2)
        await asyncio.sleep(0.05)
    finally:
        await box.stop()
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        stored = analog_store.get_analog_port(conn, "fxo1").disconnect_profile
    finally:
        conn.close()
    learned = next(e for e in events if e["type"] == "tone-learned")
    return answer, learned, stored


def test_learned_tone_is_measured_published_and_stored(tmp_path):
    answer, learned, stored = asyncio.run(_learn(tmp_path))
    assert answer == {"port": "fxo1", "learning": True, "seconds": 4}
    profile = learned["profile"]
    assert abs(profile["freqs"][0] - 425.0) <= 5.0  # the Polish busy tone the sim plays
    assert stored is not None and json.loads(stored) == profile
