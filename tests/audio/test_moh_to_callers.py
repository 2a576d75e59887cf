"""Waiting callers hear the box's music on hold from the sound device's playlist."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import numpy as np

from firmware.box import Box
from firmware.media.prompts import save_wav
from firmware.store import audio as audio_store
from firmware.store import sync
from hal.audio import AudioSettings
from tests.analog.analog_support import make_box, run_until


def _tune(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * 8000)) / 8000
    return np.rint(6000 * np.sin(2 * np.pi * 523 * t)).astype(np.int16)


def _dominant(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(float) * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum))])


async def _wait_in_queue(tmp_path, playlist: bool) -> float:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    save_wav(prompts / "tune.wav", _tune(2.0))
    box, card = make_box(tmp_path, fxs=1, fxo=1)
    box = Box(replace(box.settings, audio=AudioSettings("sim")), box.clock, card)
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        if playlist:
            audio_store.save_audio(conn, audio_store.validate_audio(
                {"moh_source": "files", "moh_playlist": ["tune"], "paging_extension": ""}))
        [agent] = sync.list_agents(conn)
        sync.save_agent(conn, {"name": agent.name, "extension": agent.extension,
                               "port": agent.port, "logged_in": False}, agent.id)
    finally:
        conn.close()
    await box.start(threaded=False)
    try:
        call = card.pstn.call_in("fxo1", "600100200")
        await run_until(box, lambda: call.state == "connected", limit=12)
        await box.run_for(5.0)
        call.dial("1")
        await box.run_for(8.0)  # "please hold", then the music
        call.clear_heard()
        await box.run_for(5.0)  # a whole ringback cadence (1 s on, 4 s off)
        return _dominant(call.heard())
    finally:
        await box.stop()


def test_waiting_caller_hears_the_playlist(tmp_path):
    assert abs(asyncio.run(_wait_in_queue(tmp_path, playlist=True)) - 523) < 10


def test_without_music_on_hold_the_caller_hears_ringback(tmp_path):
    assert abs(asyncio.run(_wait_in_queue(tmp_path, playlist=False)) - 425) < 10
