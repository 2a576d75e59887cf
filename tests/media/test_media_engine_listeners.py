"""The engine feeds its line listeners (call progress, tone learning, AMD) per channel."""

import numpy as np
import pytest

from firmware.media.amd import AmdDecision
from firmware.media.engine import MediaEngine, MediaError
from firmware.media.progress import CallProgressDetected, ProgressTone
from firmware.media.tone_learning import ToneLearned
from hal import g711
from hal.interface import FRAME_SAMPLES, Law

RATE = 8000


def cadenced_tone(freq, on, off, seconds, level=3000.0):
    t = np.arange(int(seconds * RATE)) / RATE
    gate = (t % (on + off)) < on
    return (level * np.sin(2 * np.pi * freq * t) * gate).astype(np.int16)


def run(engine, line_audio, channel=1, n=3):
    events = []
    frames = len(line_audio) // FRAME_SAMPLES
    silence = np.zeros((n, FRAME_SAMPLES), dtype=np.int16)
    for i in range(frames):
        block = silence.copy()
        block[channel] = line_audio[i * FRAME_SAMPLES:(i + 1) * FRAME_SAMPLES]
        _, found = engine.tick(g711.encode(block, Law.ALAW), (i + 1) * 0.02)
        events += found
    return events


def test_busy_tone_is_reported_only_on_the_channel_listening_for_progress():
    engine = MediaEngine(3, Law.ALAW, "PL")
    engine.detect_progress(1, True)
    busy = cadenced_tone(425.0, 0.5, 0.5, 4.0)
    events = run(engine, busy, channel=1)
    tones = [(e.channel, e.tone) for e in events if isinstance(e, CallProgressDetected)]
    assert (1, ProgressTone.BUSY) in tones
    engine.reset(1)
    events = run(engine, busy, channel=1)
    assert not [e for e in events if isinstance(e, CallProgressDetected)]


def test_learned_disconnect_tone_is_reported_from_the_engine():
    engine = MediaEngine(3, Law.ALAW, "PL")
    engine.learn_disconnect_tone(1, seconds=4.0)
    events = run(engine, cadenced_tone(480.0, 0.3, 0.3, 5.0), channel=1)
    [learned] = [e for e in events if isinstance(e, ToneLearned)]
    assert learned.channel == 1
    assert abs(learned.profile.freqs[0] - 480.0) <= 5.0


def test_bad_learning_time_is_refused_before_the_tick():
    engine = MediaEngine(3, Law.ALAW)
    with pytest.raises(MediaError):
        engine.learn_disconnect_tone(1, seconds=600.0)


def test_answering_machine_detection_decides_after_answer():
    engine = MediaEngine(3, Law.ALAW)
    engine.detect_answering_machine(2)
    # A long unbroken "greeting" of voice-band noise is machine-like; silence is a human
    # waiting: either way a decision must come within the detector's window.
    rng = np.random.default_rng(1)
    greeting = (rng.normal(0, 2500, 8 * RATE)).astype(np.int16)
    events = run(engine, greeting, channel=2)
    decisions = [e for e in events if isinstance(e, AmdDecision)]
    assert len(decisions) == 1 and decisions[0].channel == 2
