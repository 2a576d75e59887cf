"""A live stream (music on hold) played to many channels: one read a tick, shared."""

import numpy as np
import pytest

from firmware.media.engine import MediaEngine, MediaError
from hal import g711
from hal.interface import FRAME_SAMPLES, Law


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def frame(self, now: float) -> np.ndarray:
        self.calls += 1
        t = (np.arange(FRAME_SAMPLES) + self.calls * FRAME_SAMPLES) / 8000
        return (6000 * np.sin(2 * np.pi * 400 * t)).astype(np.int16)


def test_stream_is_read_once_a_tick_and_heard_by_every_channel_on_it():
    engine = MediaEngine(4, Law.ALAW)
    source = Counter()
    for ch in (0, 2, 3):
        engine.play_stream(ch, source)
    silence = np.full((4, FRAME_SAMPLES), g711.SILENCE[Law.ALAW], dtype=np.uint8)
    for i in range(5):
        tx, _ = engine.tick(silence, (i + 1) * 0.02)
    assert source.calls == 5
    heard = g711.decode(tx, Law.ALAW).astype(int)
    assert np.array_equal(heard[0], heard[2]) and np.array_equal(heard[0], heard[3])
    assert np.abs(heard[0]).max() > 4000 and np.abs(heard[1]).max() < 16
    engine.stop_playout(2)
    tx, _ = engine.tick(silence, 0.12)
    assert np.abs(g711.decode(tx, Law.ALAW)[2].astype(int)).max() < 16


def test_a_source_without_frames_is_refused():
    engine = MediaEngine(2, Law.ALAW)
    with pytest.raises(MediaError):
        engine.play_stream(0, object())
