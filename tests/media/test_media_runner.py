"""The media runner drives a card and the engine and hands every tick's events up."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from firmware.media.dtmf import generate_dtmf
from firmware.media.engine import MediaEngine, MediaError
from firmware.media.events import DigitDetected
from firmware.media.runner import MediaRunner
from hal import g711
from hal.clock import ManualClock
from hal.interface import Card, HalEvent, HookChanged, Law, PortInfo, PortKind


class ScriptedCard(Card):
    """A card whose clock moves 20 ms per tick and whose frames and events are scripted."""

    def __init__(self, n_ports: int, law: Law) -> None:
        ports = [PortInfo(i, PortKind.FXS, i + 1) for i in range(n_ports)]
        super().__init__(ports, law, ManualClock())
        self.frames: list[np.ndarray] = []
        self.events: list[list[HalEvent]] = []
        self.written: list[np.ndarray] = []

    def wait_tick(self) -> float:
        return self.clock.advance(0.02)

    def read_frames(self) -> np.ndarray:
        if self.frames:
            return self.frames.pop(0)
        return np.full((len(self.ports), 160), g711.SILENCE[self.law], dtype=np.uint8)

    def write_frames(self, frames: np.ndarray) -> None:
        self.written.append(np.array(frames))

    def poll_events(self) -> list[HalEvent]:
        return self.events.pop(0) if self.events else []

    def set_hook(self, port: int, offhook: bool) -> None:
        raise NotImplementedError

    def flash(self, port: int, seconds: float = 0.1) -> None:
        raise NotImplementedError

    def start_ring(self, port: int, cadence: Sequence[float]) -> None:
        raise NotImplementedError

    def stop_ring(self, port: int) -> None:
        raise NotImplementedError


def test_step_delivers_line_and_media_events_every_tick():
    law = Law.ALAW
    card = ScriptedCard(2, law)
    audio = g711.encode(np.concatenate([generate_dtmf("8"), np.zeros(160)]), law)
    for frame in audio.reshape(-1, 160):
        rx = np.full((2, 160), g711.SILENCE[law], dtype=np.uint8)
        rx[0] = frame
        card.frames.append(rx)
    card.events = [[HookChanged(1, True, 0.02)]]
    delivered = []
    runner = MediaRunner(card, MediaEngine(2, law), lambda *args: delivered.append(args))

    for _ in range(len(audio) // 160):
        runner.step()

    assert runner.ticks == len(delivered) == 9 and runner.errors == 0
    assert delivered[0][:2] == (0.02, [HookChanged(1, True, 0.02)])
    digits = [e for _, _, media in delivered for e in media]
    assert [(e.channel, e.digit) for e in digits] == [(0, "8")]
    assert isinstance(digits[0], DigitDetected)
    assert all(h == [] for _, h, _ in delivered[1:])
    assert len(card.written) == 9


def test_a_bad_frame_is_counted_answered_with_silence_and_the_loop_goes_on():
    law = Law.ULAW
    card = ScriptedCard(2, law)
    card.frames = [np.zeros((3, 160), dtype=np.uint8)]
    card.events = [[HookChanged(0, True, 0.02)]]
    delivered = []
    runner = MediaRunner(card, MediaEngine(2, law), lambda *args: delivered.append(args))

    runner.step()
    runner.step()

    assert runner.errors == 1 and isinstance(runner.last_error, MediaError)
    assert np.all(card.written[0] == g711.SILENCE[law])
    assert delivered[0] == (0.02, [HookChanged(0, True, 0.02)], [])
    assert runner.ticks == 2 and len(delivered) == 2


def test_a_failing_deliver_is_counted_and_does_not_stop_the_ticks():
    card = ScriptedCard(1, Law.ALAW)

    def deliver(now, hal_events, media_events):
        raise RuntimeError("upper layer broke")

    runner = MediaRunner(card, MediaEngine(1, Law.ALAW), deliver)
    runner.step()
    runner.step()
    assert runner.errors == 2 and str(runner.last_error) == "upper layer broke"
    assert runner.ticks == 2 and len(card.written) == 2


def test_thread_runs_ticks_until_stopped():
    card = ScriptedCard(1, Law.ALAW)
    enough = threading.Event()
    times: list[float] = []

    def deliver(now, hal_events, media_events):
        times.append(now)
        if len(times) >= 5:
            enough.set()

    runner = MediaRunner(card, MediaEngine(1, Law.ALAW), deliver)
    runner.start()
    try:
        assert enough.wait(timeout=5.0)
    finally:
        assert runner.stop(timeout=5.0)
    assert not runner.running and runner.errors == 0
    assert runner.ticks == len(times) >= 5
    assert np.allclose(np.diff(times), 0.02)
    assert runner.last_tick_duration >= 0.0
