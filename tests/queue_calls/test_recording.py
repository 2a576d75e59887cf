"""Call recording per queue: the notice first, both parties in the WAV, retention and quota."""

from __future__ import annotations

import asyncio
import random
import wave
from pathlib import Path

import numpy as np
import pytest

from firmware.calls.recording_policy import (
    DAY_SECONDS,
    RecordingPolicy,
    plan_sweep,
    sweep_recordings,
)
from firmware.store import recordings as store
from firmware.store import sync
from firmware.store.models import ConfigError, validate_queue
from firmware.store.recordings import CallRecording, RecordingLimits
from tests.queue_calls.queue_calls_support import (
    find_prompt,
    make_box,
    prompt_audio,
    run_until,
    tone,
    tone_share,
)


async def _recorded_call(tmp_path: Path) -> dict:
    box, card = make_box(tmp_path, language="en", record_percent=100, members=("Agent 1",))
    events: list[dict] = []
    box.listeners.append(events.append)
    agent = card.phones["fxs1"]
    await box.start(threaded=False)
    try:
        caller = card.pstn.call_in("fxo1", "600100200")
        await run_until(box, lambda: caller.state == "connected", limit=12)
        await run_until(box, lambda: agent.ringing, limit=5)
        await box.run_for(6.0)
        greeting = caller.heard()
        agent.off_hook()
        await run_until(box, lambda: any(e["type"] == "call-connected" for e in events), 3)
        await box.run_for(0.5)
        caller.say(tone(440, 2.0))
        await box.run_for(2.5)
        agent.say(tone(1000, 2.0))
        await box.run_for(2.5)
        caller.hang_up()
        await run_until(box, lambda: any(e["type"] == "recording" for e in events), limit=5)
        agent.on_hook()
        await box.run_for(0.5)
        # The row is written off the call path, once the file is complete: wait for it
        # (bounded) before the sweep looks, so the sweep sees what a later one would.
        for _ in range(30):
            await box.writer.drain()
            if await asyncio.to_thread(_recording_rows, tmp_path):
                break
            await box.run_for(0.1)
        swept = await box.commands_table("recordings-sweep", {})
    finally:
        await box.stop()
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        rows = store.list_recordings(conn)
    finally:
        conn.close()
    return {"greeting": greeting, "rows": rows, "swept": swept, "events": events}


def _recording_rows(tmp_path: Path) -> list:
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        return store.list_recordings(conn)
    finally:
        conn.close()


def _channels(path: str) -> tuple[np.ndarray, np.ndarray]:
    with wave.open(path, "rb") as wav:
        assert wav.getnchannels() == 2 and wav.getframerate() == 8000
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    return data[:, 0], data[:, 1]


def test_recorded_queue_call_plays_the_notice_first_and_keeps_both_parties(
    tmp_path: Path,
) -> None:
    result = asyncio.run(_recorded_call(tmp_path))
    notice_score, notice_at = find_prompt(result["greeting"], prompt_audio("en/queue-recorded"))
    hold_score, hold_at = find_prompt(result["greeting"], prompt_audio("please-hold"))
    assert notice_score > 0.9 and hold_score > 0.9
    assert notice_at < hold_at

    [row] = result["rows"]
    call_id = next(e["call_id"] for e in result["events"] if e["type"] == "call-connected")
    assert (row.call_id, row.queue, row.agent, row.caller_number) == (
        call_id, "support", "Agent 1", "600100200")
    assert 4.0 <= row.seconds <= 7.0
    assert Path(row.path).is_file() and row.bytes == Path(row.path).stat().st_size
    caller, agent = _channels(row.path)
    # The caller spoke first, then the agent: each on their own side of the file.
    half = len(caller) // 2
    assert tone_share(caller[:half], 440) > 0.8
    assert tone_share(agent[half:], 1000) > 0.8
    assert tone_share(agent[:half], 440) < 0.1
    assert tone_share(caller[half:], 1000) < 0.1
    # Within the default limits, the sweep keeps it.
    assert result["swept"]["deleted"] == 0 and result["swept"]["kept"] == 1


def test_percentage_policy_records_about_that_share_and_none_records_nothing() -> None:
    def share(percent: int) -> float:
        policy = RecordingPolicy(None, lambda r: None, lambda e: None, lambda: 0.0,  # type: ignore[arg-type]
                                 rng=random.Random(7))
        policy.configure([validate_queue({"name": "q", "record_percent": percent}, [])])
        return sum(policy.decide(f"c{i}", "q") for i in range(2000)) / 2000

    assert share(0) == 0.0
    assert share(100) == 1.0
    assert 0.27 < share(30) < 0.33


def _recording(i: int, started: float, size: int, path: Path) -> CallRecording:
    return CallRecording(i, f"c{i}", "support", "Agent 1", None, started, 10.0, size, str(path))


def test_sweep_plan_drops_expired_then_oldest_until_under_quota() -> None:
    now = 100 * DAY_SECONDS
    mib = 1024 * 1024
    old = [_recording(1, now - 40 * DAY_SECONDS, mib // 4, Path("a"))]
    fresh = [_recording(i, now - (10 - i) * 3600, 400 * 1024, Path(f"r{i}")) for i in range(2, 6)]
    doomed = plan_sweep(old + fresh, now, RecordingLimits(retention_days=30, quota_mb=1))
    assert [r.id for r in doomed] == [1, 2, 3]


def test_sweep_deletes_files_and_rows_of_the_oldest_recordings(tmp_path: Path) -> None:
    directory = tmp_path / "recordings"
    directory.mkdir()
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes(b"x" * 10)
    database = str(tmp_path / "centrala.db")
    now = 1_700_000_000.0
    conn = sync.connect(database)
    try:
        store.save_limits(conn, {"retention_days": "30", "quota_mb": "1"})
        store.add_recording(conn, _recording(0, now - 31 * DAY_SECONDS, 10, outside))
        for i in range(1, 5):
            path = directory / f"call-c{i}.wav"
            path.write_bytes(b"\0" * (400 * 1024))
            store.add_recording(conn, _recording(i, now - (10 - i) * 3600, 400 * 1024, path))
    finally:
        conn.close()

    result = sweep_recordings(database, directory, now)

    assert (result.deleted, result.kept) == (3, 2)
    assert sorted(p.name for p in directory.iterdir()) == ["call-c3.wav", "call-c4.wav"]
    assert outside.exists()  # a row pointing outside the directory never deletes a file
    conn = sync.connect(database)
    try:
        assert sorted(r.call_id for r in store.list_recordings(conn)) == ["c3", "c4"]
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"retention_days": "0", "quota_mb": "10"}, "retention_days"),
     ({"retention_days": "30", "quota_mb": "lots"}, "quota_mb"),
     ({"retention_days": "30"}, "quota_mb")],
)
def test_recording_limits_refuse_bad_values_and_keep_the_old_ones(
    tmp_path: Path, data: dict, field: str
) -> None:
    conn = sync.connect(str(tmp_path / "centrala.db"))
    try:
        store.save_limits(conn, {"retention_days": "60", "quota_mb": "500"})
        with pytest.raises(ConfigError) as caught:
            store.save_limits(conn, data)
        assert caught.value.field == field
        assert store.get_limits(conn) == RecordingLimits(60, 500)
    finally:
        conn.close()
