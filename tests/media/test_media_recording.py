"""Call recording: the tick taps, the sink files, RecordingFinished reports."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from firmware.media.engine import MediaEngine, MediaError
from firmware.media.events import RecordingFinished
from firmware.media.recording import CHUNK_TICKS, WavFileSink
from hal import g711
from hal.interface import Law

TICK = 0.02
LAW = Law.ALAW
CALLER, AGENT = 0, 1


def read_wav(path) -> tuple[np.ndarray, int, int, int]:
    with wave.open(str(path), "rb") as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        channels = wav.getnchannels()
        return frames.reshape(-1, channels), wav.getframerate(), wav.getsampwidth(), channels


def call(engine: MediaEngine, ticks: int, start: int = 0, seed: int = 0) -> tuple[list, list]:
    """Tick a bridged call with random audio both ways; return the rx frames and events."""
    rng = np.random.default_rng(seed)
    sent, events = [], []
    for k in range(ticks):
        rx = np.full((engine.n_channels, 160), g711.SILENCE[LAW], dtype=np.uint8)
        rx[[CALLER, AGENT]] = rng.integers(0, 256, (2, 160), dtype=np.uint8)
        events += engine.tick(rx, (start + k + 1) * TICK)[1]
        sent.append(rx.copy())
    return sent, events


@pytest.fixture
def sink(tmp_path) -> WavFileSink:
    return WavFileSink(tmp_path)


def test_stereo_recording_puts_the_caller_left_and_the_agent_right(sink, tmp_path):
    engine = MediaEngine(3, LAW, recording_sink=sink)
    engine.bridge(CALLER, AGENT)
    engine.start_recording(CALLER, "call-1", stereo=True)
    ticks = CHUNK_TICKS + 17  # a full chunk and a partial one
    sent, events = call(engine, ticks)
    engine.stop_recording("call-1")
    _, events = call(engine, 1, ticks)
    assert events == []  # the file is not complete until the writer has run
    sink.pump()
    _, events = call(engine, 1, ticks + 1)
    path = tmp_path / "call-1.wav"
    assert events == [RecordingFinished("call-1", str(path), ticks * 0.02, CALLER)]
    frames, rate, width, channels = read_wav(path)
    assert (rate, width, channels) == (8000, 2, 2)
    linear = g711.decode(np.stack(sent), LAW)  # (ticks, channels, 160)
    assert np.array_equal(frames[:, 0], linear[:, CALLER].reshape(-1))
    assert np.array_equal(frames[:, 1], linear[:, AGENT].reshape(-1))


def test_mono_recording_is_the_clipped_sum_of_both_directions(sink, tmp_path):
    engine = MediaEngine(2, LAW, recording_sink=sink)
    engine.bridge(CALLER, AGENT)
    engine.start_recording(AGENT, "mono", stereo=False)
    sent, _ = call(engine, 30, seed=3)
    engine.stop_recording("mono")
    call(engine, 1, 30)
    sink.pump()
    _, events = call(engine, 1, 31)
    assert [(e.key, e.seconds, e.channel) for e in events] == [("mono", 0.6, AGENT)]
    frames, _, _, channels = read_wav(tmp_path / "mono.wav")
    linear = g711.decode(np.stack(sent), LAW).astype(np.int32)
    mix = np.clip(linear[:, AGENT] + linear[:, CALLER], -32768, 32767).reshape(-1)
    assert channels == 1 and np.array_equal(frames[:, 0], mix)
    assert np.any(np.abs(linear[:, AGENT] + linear[:, CALLER]) > 32767)  # clipping was needed


def test_recording_includes_prompts_the_engine_plays_to_the_channel(sink, tmp_path):
    engine = MediaEngine(1, LAW, recording_sink=sink)
    prompt = (np.arange(480) * 50 - 12000).astype(np.int16)
    engine.start_recording(0, "ivr", stereo=True)
    engine.play_prompt(0, prompt, "menu")
    call_audio = np.full((1, 160), g711.SILENCE[LAW], dtype=np.uint8)
    for k in range(3):
        engine.tick(call_audio, (k + 1) * TICK)
    engine.stop_recording("ivr")
    engine.tick(call_audio, 4 * TICK)
    sink.flush(timeout=5.0)
    frames, *_ = read_wav(tmp_path / "ivr.wav")
    quiet = g711.decode(call_audio[0], LAW)[0]  # A-law's quietest code is not zero
    assert np.array_equal(frames[:, 1], prompt) and np.all(frames[:, 0] == quiet)


def test_the_tick_never_writes_files_and_the_writer_thread_does(sink, tmp_path):
    engine = MediaEngine(2, LAW, recording_sink=sink)
    engine.bridge(CALLER, AGENT)
    engine.start_recording(CALLER, "threaded", stereo=True)
    call(engine, CHUNK_TICKS + 5)
    engine.stop_recording("threaded")
    call(engine, 1, CHUNK_TICKS + 5)
    assert list(tmp_path.iterdir()) == []  # everything is still queued
    sink.start()
    try:
        assert sink.flush(timeout=5.0)
    finally:
        assert sink.close(timeout=5.0)
    _, events = call(engine, 1, CHUNK_TICKS + 6)
    assert [e.key for e in events] == ["threaded"]
    assert read_wav(tmp_path / "threaded.wav")[0].shape == ((CHUNK_TICKS + 5) * 160, 2)


def test_hanging_up_ends_the_recording(sink, tmp_path):
    engine = MediaEngine(2, LAW, recording_sink=sink)
    engine.bridge(CALLER, AGENT)
    engine.start_recording(AGENT, "hangup", stereo=False)
    call(engine, 10)
    engine.reset(AGENT)
    call(engine, 1, 10)
    sink.pump()
    _, events = call(engine, 1, 11)
    assert [(e.key, e.seconds) for e in events] == [("hangup", 0.2)]
    with pytest.raises(MediaError, match="no recording 'hangup'"):
        engine.stop_recording("hangup")
    engine.start_recording(AGENT, "hangup", stereo=False)  # the key is free again


def test_a_file_that_cannot_be_written_is_reported_with_the_reason(sink, tmp_path):
    engine = MediaEngine(2, LAW, recording_sink=sink)
    engine.start_recording(0, "lost", stereo=True)
    tmp_path.rmdir()  # the disk went away before the writer ran
    call(engine, 3)
    engine.stop_recording("lost")
    call(engine, 1, 3)
    sink.pump()
    _, events = call(engine, 1, 4)
    assert len(events) == 1 and events[0].path is None and "cannot create" in events[0].error


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("../escape", "letters, digits"),
        ("", "non-empty"),
        (".hidden", "letters, digits"),
        ("a/b", "letters, digits"),
    ],
)
def test_bad_recording_keys_are_refused(sink, tmp_path, key, match):
    engine = MediaEngine(1, LAW, recording_sink=sink)
    with pytest.raises(MediaError, match=match):
        engine.start_recording(0, key, stereo=True)
    sink.pump()
    assert list(tmp_path.iterdir()) == []


def test_recording_requests_are_checked(sink, tmp_path):
    with pytest.raises(MediaError, match="no recording sink"):
        MediaEngine(1, LAW).start_recording(0, "x", stereo=True)
    engine = MediaEngine(2, LAW, recording_sink=sink)
    engine.start_recording(0, "twice", stereo=True)
    with pytest.raises(MediaError, match="already running"):
        engine.start_recording(1, "twice", stereo=True)
    with pytest.raises(MediaError, match="no recording 'never'"):
        engine.stop_recording("never")
    with pytest.raises(MediaError, match="True or False"):
        engine.start_recording(0, "y", stereo="yes")  # type: ignore[arg-type]
    with pytest.raises(MediaError, match="does not exist"):
        MediaEngine(1, LAW, recording_sink=WavFileSink(tmp_path / "nowhere")).start_recording(
            0, "z", stereo=False
        )
