"""Music on hold: files looped seamlessly, the line-in passed through, one stream for all."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.media.levels import DBM0_RMS
from firmware.media.moh import (
    IDLE_SECONDS,
    PREFILL_FRAMES,
    LevelNormaliser,
    MohError,
    MohSource,
    MusicOnHold,
    load_playlist,
)
from firmware.media.prompts import save_wav
from hal.audio import AudioError, SimAudio
from hal.clock import ManualClock


def _tone(freq: float, seconds: float, amplitude: float = 8000.0, rate: int = 8000) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.rint(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def _tracks(tmp_path):
    a, b = _tone(440, 0.31), _tone(660, 0.17)  # not whole frames: the seams fall mid-frame
    save_wav(tmp_path / "a.wav", a)
    save_wav(tmp_path / "b.wav", b)
    return [("a", tmp_path / "a.wav"), ("b", tmp_path / "b.wav")], np.concatenate([a, b])


def _play(moh: MusicOnHold, ticks: int, start: float = 0.0) -> np.ndarray:
    return np.concatenate([moh.frame(start + i * 0.02).copy() for i in range(ticks)])


def test_files_play_in_order_and_loop_without_a_gap(tmp_path):
    tracks, joined = _tracks(tmp_path)
    moh = MusicOnHold()
    moh.configure(MohSource.FILES, load_playlist(tracks))
    out = _play(moh, 40)  # 0.8 s: the 0.48 s playlist and most of a second round
    expected = np.take(joined, np.arange(out.size), mode="wrap")
    assert np.array_equal(out, expected)
    assert moh.playing == "files"


def test_playlist_resamples_a_44k_file_once_and_skips_a_broken_one(tmp_path):
    save_wav(tmp_path / "cd.wav", _tone(500, 0.5, rate=44100), rate=44100)
    (tmp_path / "junk.wav").write_bytes(b"not a wav file")
    playlist = load_playlist([("cd", tmp_path / "cd.wav"), ("junk", tmp_path / "junk.wav")])
    assert playlist.names == ("cd",)
    assert abs(playlist.seconds - 0.5) < 0.01  # now at 8 kHz
    assert len(playlist.skipped) == 1 and playlist.skipped[0].startswith("junk:")


def test_every_listener_in_a_tick_gets_the_same_read_only_frame(tmp_path):
    tracks, joined = _tracks(tmp_path)
    moh = MusicOnHold()
    moh.configure(MohSource.FILES, load_playlist(tracks))
    first, second = moh.frame(1.0), moh.frame(1.0)
    assert first is second
    assert np.array_equal(first, joined[:160])
    with pytest.raises(ValueError):
        first[0] = 1
    assert np.array_equal(moh.frame(1.02), joined[160:320])  # the stream moved on once


def test_line_in_is_passed_through_after_a_short_fill(tmp_path):
    clock = ManualClock()
    music = _tone(300, 2.0, amplitude=DBM0_RMS * np.sqrt(2) * 10 ** (-20 / 20))  # -20 dBm0
    audio = SimAudio(clock, music, buffer_frames=16)
    moh = MusicOnHold(audio)
    moh.configure(MohSource.LINE_IN, load_playlist([]))
    out = []
    for _ in range(50):
        clock.advance(0.02)
        out.append(moh.frame(clock.now()).copy())
    assert audio.capturing
    assert moh.playing == "line-in"
    played = np.concatenate(out)
    # The first frames wait for the buffer to fill: a bounded, short delay.
    silent = int(np.flatnonzero(played)[0]) // 160 * 160
    assert silent <= (PREFILL_FRAMES + 1) * 160
    heard = played[silent:]
    # Already at the target level, so the normaliser leaves it (nearly) untouched.
    assert np.max(np.abs(heard.astype(int) - music[: heard.size])) <= 2 * 8000 * 0.02


def test_line_in_stops_when_nobody_listens_and_starts_again_on_demand():
    clock = ManualClock()
    audio = SimAudio(clock, _tone(300, 1.0))
    moh = MusicOnHold(audio)
    moh.configure(MohSource.LINE_IN, load_playlist([]))
    assert not audio.capturing  # nobody waits yet
    moh.frame(clock.now())
    assert audio.capturing
    clock.advance(IDLE_SECONDS - 0.02)
    moh.expire(clock.now())
    assert audio.capturing
    clock.advance(0.04)
    moh.expire(clock.now())
    assert not audio.capturing
    moh.frame(clock.now())
    assert audio.capturing


def test_failed_line_in_falls_back_to_the_files(tmp_path):
    tracks, joined = _tracks(tmp_path)
    clock = ManualClock()
    audio = SimAudio(clock, _tone(300, 1.0))
    moh = MusicOnHold(audio)
    moh.configure(MohSource.LINE_IN, load_playlist(tracks))
    audio.fail_next = AudioError("USB sound device unplugged")
    frame = moh.frame(clock.now())
    assert moh.playing == "files"
    assert np.array_equal(frame, joined[:160])
    assert moh.view()["line_in_failed"]


def test_line_in_cannot_be_chosen_without_a_sound_device():
    moh = MusicOnHold(None)
    with pytest.raises(MohError, match="no sound device"):
        moh.configure(MohSource.LINE_IN, load_playlist([]))
    assert moh.source is MohSource.FILES


def test_normaliser_lifts_a_quiet_line_in_towards_the_target_without_clipping():
    level = LevelNormaliser(target_dbm0=-20.0)
    quiet = _tone(400, 4.0, amplitude=300.0)
    out = np.concatenate([level.process(f) for f in quiet.reshape(-1, 160)])
    tail = out[-8000:].astype(np.float64)
    target = DBM0_RMS * 10 ** (-20 / 20)
    assert abs(20 * np.log10(np.sqrt(np.mean(tail**2)) / target)) < 1.0
    loud = _tone(400, 1.0, amplitude=32000.0)
    out = np.concatenate([level.process(f) for f in loud.reshape(-1, 160)])
    assert np.sqrt(np.mean(out[-4000:].astype(np.float64) ** 2)) < 1.5 * target
