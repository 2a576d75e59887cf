"""Paging from a phone to the line-out, and the box with and without a sound device."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import numpy as np

from firmware.calls.dialplan import DialPlan, NumberKind
from firmware.media.paging import PagingSink
from firmware.media.prompts import save_wav
from firmware.store import audio as audio_store
from firmware.store import sync
from hal.audio import AudioError, AudioSettings, SimAudio
from hal.clock import ManualClock
from tests.analog.analog_support import make_box, run_until


def _speech(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * 8000)) / 8000
    return np.rint(6000 * np.sin(2 * np.pi * 523 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))
                   ).astype(np.int16)


def _with_audio(box_and_card, device: str = "sim"):
    box, card = box_and_card
    settings = replace(box.settings, audio=AudioSettings(device))
    from firmware.box import Box

    return Box(settings, box.clock, card), card


def _save_audio(tmp_path, **values) -> None:
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        audio_store.save_audio(conn, audio_store.validate_audio(values))
    finally:
        conn.close()


async def _page(tmp_path) -> dict:
    box, card = _with_audio(make_box(tmp_path, fxs=2, fxo=1))
    await box.start(threaded=False)
    try:
        line_out: SimAudio = box.audio.device
        pager, other = card.phones["fxs1"], card.phones["fxs2"]
        pager.off_hook()
        await box.run_for(0.5)
        pager.dial("*80")
        await run_until(box, lambda: bool(box.audio.paging.active), limit=3.0)
        other.off_hook()
        await box.run_for(0.5)
        other.clear_heard()
        other.dial("*80")  # a second page while the first runs
        await box.run_for(1.5)
        second_state = box.manager.ports[2].state
        other.on_hook()
        pager.say(_speech(2.0))
        await box.run_for(2.0)
        pager.on_hook()
        await box.run_for(2.0)
        view = box.status()["audio"]
    finally:
        await box.stop()
    return {"line_out": line_out.line_out(), "second": second_state, "view": view,
            "playing_after": line_out.playing}


def test_paging_extension_dialled_from_a_phone_reaches_the_line_out(tmp_path):
    result = asyncio.run(_page(tmp_path))
    out = result["line_out"].astype(np.float64)
    frames = out[: out.size // 160 * 160].reshape(-1, 160)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    voice = frames[rms > 1000]  # the spoken part (the rest is line silence and the digit's tail)
    # All two seconds of it, delayed but not cut short by the hang-up.
    assert 95 <= len(voice) <= 105
    spoken = _speech(2.0).astype(np.float64)
    # Through G.711 and out at the level it was spoken, carrying the same tone.
    level = np.sqrt(np.mean(voice**2)) / np.sqrt(np.mean(spoken**2))
    assert abs(level - 1) < 0.1
    spectrum = np.abs(np.fft.rfft(voice.reshape(-1)[:8000]))
    assert abs(np.argmax(spectrum) - 523) <= 2  # 1 Hz bins over one second
    assert result["second"] == "released"  # the second phone heard busy
    assert not result["playing_after"]  # the line-out closed once the page played out
    assert result["view"]["paging"]["pages"] == 1
    assert result["view"]["paging_extension"] == "*80"


async def _no_device(tmp_path) -> dict:
    box, card = make_box(tmp_path, fxs=2, fxo=1)  # settings built in code: audio "none"
    await box.start(threaded=False)
    try:
        phone = card.phones["fxs1"]
        phone.off_hook()
        await box.run_for(0.5)
        phone.dial("*80")
        await box.run_for(1.5)
        state = box.manager.ports[1].state
        status = box.status()
        frame = box.audio.moh.frame(box.clock.now())
    finally:
        await box.stop()
    return {"state": state, "status": status, "frame": frame}


def test_box_without_a_sound_device_starts_and_has_no_paging(tmp_path):
    result = asyncio.run(_no_device(tmp_path))
    assert result["status"]["audio"]["device"] is None
    assert result["status"]["audio"]["paging_extension"] is None
    assert result["state"] == "released"  # *80 is not a number of this box
    assert not result["frame"].any()  # no playlist, no line-in: silence, not an error


async def _moh_from_store(tmp_path) -> dict:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    save_wav(prompts / "tune.wav", _speech(0.5))
    box, _card = _with_audio(make_box(tmp_path, fxs=1, fxo=1))
    _save_audio(tmp_path, moh_source="files", moh_playlist=["tune", "missing"],
                paging_extension="")
    await box.start(threaded=False)
    try:
        first = box.audio.moh.frame(box.clock.now()).copy()
        view = box.status()["audio"]
        # As the web UI would, from outside the daemon's event loop.
        await asyncio.to_thread(_save_audio, tmp_path, moh_source="line-in",
                                moh_playlist=["tune", "missing"], paging_extension="*80")
        reloaded = await box.reload()
        after = box.status()["audio"]
    finally:
        await box.stop()
    return {"first": first, "view": view, "reloaded": reloaded, "after": after}


def test_box_plays_the_stored_playlist_and_applies_a_reload(tmp_path):
    result = asyncio.run(_moh_from_store(tmp_path))
    assert np.array_equal(result["first"], _speech(0.5)[:160])
    assert result["view"]["moh"]["tracks"] == ["tune"]
    assert result["view"]["paging_extension"] is None  # paging switched off
    assert any("missing" in e for e in result["reloaded"]["config_errors"])
    assert result["after"]["moh"]["source"] == "line-in"
    assert result["after"]["paging_extension"] == "*80"


def test_paging_extension_that_is_an_agents_extension_switches_paging_off(tmp_path):
    async def run() -> list[str]:
        box, _card = _with_audio(make_box(tmp_path, fxs=2, fxo=1))
        _save_audio(tmp_path, paging_extension="101")  # Agent 1's extension
        await box.start(threaded=False)
        try:
            errors = list(box.manager.config_errors)
            plan = box.manager.stations.plan
        finally:
            await box.stop()
        return errors, plan

    errors, plan = asyncio.run(run())
    assert any("paging extension 101" in e and "paging is off" in e for e in errors)
    assert plan.classify("101").kind is NumberKind.EXTENSION


def test_dial_plan_completes_the_paging_extension_at_once():
    plan = DialPlan({"101": "fxs1"}, paging="*80")
    assert plan.classify("*8").kind is NumberKind.INCOMPLETE
    assert plan.classify("*80").kind is NumberKind.PAGING
    assert plan.classify("101").kind is NumberKind.EXTENSION


def test_line_out_that_fails_drops_the_page_and_keeps_the_box_going():
    clock = ManualClock()
    device = SimAudio(clock)
    sink = PagingSink(device)
    sink.begin("page-fxs1-1", 1)
    sink.write("page-fxs1-1", np.ones((8000, 1), dtype=np.int16))
    device.fail_next = AudioError("USB sound device unplugged")
    sink.pump(clock.now())
    assert sink.view()["failures"] == 1
    sink.write("page-fxs1-1", np.ones((8000, 1), dtype=np.int16))
    sink.pump(clock.now())
    assert device.played == []  # the rest of the failed page is dropped, not retried
    sink.end("page-fxs1-1")
    assert [f.key for f in sink.finished()] == ["page-fxs1-1"]
