"""The media engine tick: bridges, playout, detection and caller ID across channels."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from firmware.media.dtmf import DtmfDetector, generate_dtmf
from firmware.media.engine import MediaEngine, MediaError
from firmware.media.events import (
    CallerIdReceived,
    DigitDetected,
    DigitsSent,
    PromptFinished,
)
from firmware.media.fsk import CallerId, encode_caller_id
from firmware.media.levels import dbm0_to_peak
from hal import g711
from hal.interface import Law

TICK = 0.02


def silent(n: int, law: Law = Law.ALAW) -> np.ndarray:
    return np.full((n, 160), g711.SILENCE[law], dtype=np.uint8)


def frames_of(audio: np.ndarray, law: Law) -> list[np.ndarray]:
    """Cut linear audio into G.711 frames of 160 samples, the last one padded."""
    padded = np.concatenate([audio, np.zeros((-audio.size) % 160)])
    return list(g711.encode(padded, law).reshape(-1, 160))


def sine(freq: float, n: int, level: float = -10.0) -> np.ndarray:
    return dbm0_to_peak(level) * np.sin(2 * np.pi * freq * np.arange(n) / 8000)


@pytest.mark.parametrize("law", [Law.ALAW, Law.ULAW])
def test_every_g711_code_passes_a_bridge_unchanged(law):
    engine = MediaEngine(2, law)
    engine.bridge(0, 1)
    rx = np.zeros((2, 160), dtype=np.uint8)
    codes = np.arange(256, dtype=np.uint8)
    expected = g711.encode(g711.decode(codes, law), law)  # µ-law's -0 becomes +0
    for start in (0, 96):
        rx[0] = np.resize(codes[start:], 160)
        rx[1] = np.resize(codes[::-1][start:], 160)
        tx, _ = engine.tick(rx, TICK)
        assert np.array_equal(tx[1], np.resize(expected[start:], 160))
        assert np.array_equal(tx[0], np.resize(expected[::-1][start:], 160))
    assert np.count_nonzero(expected != codes) == (1 if law is Law.ULAW else 0)


def test_idle_channels_send_g711_silence():
    for law in Law:
        engine = MediaEngine(3, law)
        rx = np.random.default_rng(0).integers(0, 256, (3, 160)).astype(np.uint8)
        tx, events = engine.tick(rx, TICK)
        assert np.all(tx == g711.SILENCE[law]) and events == []


def test_bridge_carries_a_tone_both_ways_and_unbridge_breaks_both_ends():
    law = Law.ALAW
    engine = MediaEngine(4, law)
    engine.bridge(1, 3)
    rx = silent(4)
    rx[1] = g711.encode(sine(1000, 160), law)
    rx[3] = g711.encode(sine(400, 160), law)
    tx, _ = engine.tick(rx, TICK)
    assert np.array_equal(tx[3], rx[1]) and np.array_equal(tx[1], rx[3])
    assert np.all(tx[[0, 2]] == g711.SILENCE[law])
    engine.unbridge(3)
    tx, _ = engine.tick(rx, 2 * TICK)
    assert np.all(tx == g711.SILENCE[law])


def test_bridging_to_a_new_partner_breaks_the_old_bridge():
    engine = MediaEngine(3, Law.ALAW)
    engine.bridge(0, 1)
    engine.bridge(0, 2)
    rx = silent(3)
    rx[0] = g711.encode(sine(1000, 160), Law.ALAW)
    tx, _ = engine.tick(rx, TICK)
    assert np.array_equal(tx[2], rx[0])
    assert np.all(tx[1] == g711.SILENCE[Law.ALAW])


def test_prompt_plays_then_reports_finished_in_the_tick_of_its_last_sample():
    law = Law.ALAW
    engine = MediaEngine(2, law)
    prompt = np.rint(sine(800, 1000, level=-6.0)).astype(np.int16)
    engine.bridge(0, 1)
    engine.play_prompt(0, prompt, "welcome")
    rx = silent(2)
    rx[1] = g711.encode(sine(300, 160), law)
    sent, events = [], []
    for k in range(8):
        tx, ev = engine.tick(rx, (k + 1) * TICK)
        sent.append(tx[0].copy())
        events += [(k, e) for e in ev]
    # 1000 samples fill six frames and 40 samples of the seventh (tick index 6).
    assert events == [(6, PromptFinished(0, "welcome", 7 * TICK))]
    heard = g711.decode(np.concatenate(sent[:7]), law)
    assert np.array_equal(heard[:1000], g711.decode(g711.encode(prompt, law), law))
    assert np.all(np.concatenate(sent[:7])[1000:] == g711.SILENCE[law])
    assert np.array_equal(sent[7], rx[1])  # the bridge audio resumes after the prompt


def test_a_new_prompt_replaces_the_old_one_which_never_reports():
    engine = MediaEngine(1, Law.ALAW)
    engine.play_prompt(0, np.full(800, 1000, dtype=np.int16), "first")
    engine.tick(silent(1), TICK)
    engine.play_prompt(0, np.full(160, -1000, dtype=np.int16), "second")
    tx, events = engine.tick(silent(1), 2 * TICK)
    assert events == [PromptFinished(0, "second", 2 * TICK)]
    assert np.all(g711.decode(tx[0], Law.ALAW) < 0)
    tx, events = engine.tick(silent(1), 3 * TICK)
    assert events == [] and np.all(tx == g711.SILENCE[Law.ALAW])


def test_busy_tone_follows_its_cadence_until_stopped():
    engine = MediaEngine(1, Law.ALAW, country="PL")
    engine.play_tone(0, "busy")
    loud = []
    for k in range(100):
        tx, _ = engine.tick(silent(1), (k + 1) * TICK)
        loud.append(bool(np.abs(g711.decode(tx[0], Law.ALAW)).max() > 1000))
    assert loud == ([True] * 25 + [False] * 25) * 2  # 0.5 s on, 0.5 s off
    engine.stop_playout(0)
    tx, _ = engine.tick(silent(1), 101 * TICK)
    assert np.all(tx == g711.SILENCE[Law.ALAW])


def test_set_country_changes_the_tones_started_afterwards():
    engine = MediaEngine(1, Law.ULAW)
    engine.set_country("us")
    assert engine.country == "US"
    engine.play_tone(0, "busy")
    tx, _ = engine.tick(silent(1, Law.ULAW), TICK)
    audio = np.concatenate(
        [g711.decode(tx[0], Law.ULAW)]
        + [
            g711.decode(engine.tick(silent(1, Law.ULAW), (k + 2) * TICK)[0][0], Law.ULAW)
            for k in range(9)
        ]
    )
    spectrum = np.abs(np.fft.rfft(audio.astype(np.float64), 8000))
    assert sorted(np.argsort(spectrum)[-2:]) == [480, 620]


def test_sent_dtmf_is_detected_and_reported_sent():
    law = Law.ULAW
    engine = MediaEngine(2, law)
    engine.send_dtmf(1, "19#")
    detector = DtmfDetector(1)
    heard, events = [], []
    for k in range(40):
        tx, ev = engine.tick(silent(2, law), (k + 1) * TICK)
        events += ev
        heard += [d for _, d, _ in detector.process(g711.decode(tx[1:2], law), (k + 1) * TICK)]
    assert "".join(heard) == "19#"
    assert events == [DigitsSent(1, 24 * TICK)]  # 3 x (80 + 80) ms = 24 ticks


def test_digits_on_a_line_are_reported_with_their_start_time():
    law = Law.ALAW
    engine = MediaEngine(3, law)
    frames = frames_of(np.concatenate([np.zeros(400), generate_dtmf("42")]), law)
    events = []
    for k, frame in enumerate(frames + [frames[-1]] * 5):
        rx = silent(3)
        rx[2] = frame
        events += engine.tick(rx, (k + 1) * TICK)[1]
    assert [(e.channel, e.digit) for e in events] == [(2, "4"), (2, "2")]
    assert all(isinstance(e, DigitDetected) for e in events)
    assert events[0].at == pytest.approx(0.05, abs=0.006)
    assert events[1].at == pytest.approx(0.21, abs=0.006)


def test_caller_id_receiver_reports_once_and_only_while_enabled():
    law = Law.ALAW
    cid = CallerId(number="221234567", name="Biuro", datetime="06011230")
    burst = np.concatenate([np.zeros(800), encode_caller_id(cid), np.zeros(4000)])
    frames = frames_of(burst, law)

    def run(engine: MediaEngine, start: int) -> list:
        found = []
        for k, frame in enumerate(frames):
            rx = silent(2)
            rx[1] = frame
            found += engine.tick(rx, (start + k) * TICK)[1]
        return found

    engine = MediaEngine(2, law)
    assert run(engine, 0) == []  # receiver off: the burst is ignored
    engine.enable_caller_id(1, True)
    found = run(engine, 100)
    assert len(found) == 1 and isinstance(found[0], CallerIdReceived)
    assert (found[0].channel, found[0].caller_id) == (1, cid)
    engine.enable_caller_id(1, False)
    assert run(engine, 200) == []


def test_reset_returns_a_channel_to_idle():
    law = Law.ALAW
    engine = MediaEngine(2, law)
    engine.bridge(0, 1)
    engine.play_tone(1, "dial")
    engine.enable_caller_id(1, True)
    engine.reset(1)
    rx = silent(2)
    rx[0] = g711.encode(sine(1000, 160), law)
    tx, _ = engine.tick(rx, TICK)
    assert np.all(tx == g711.SILENCE[law])


@pytest.mark.parametrize(
    ("command", "match"),
    [
        (lambda e: e.play_tone(0, "howler"), "no tone 'howler'"),
        (lambda e: e.play_tone(5, "busy"), "no channel 5"),
        (lambda e: e.bridge(1, 1), "itself"),
        (lambda e: e.send_dtmf(0, "12x"), "not DTMF digits"),
        (lambda e: e.play_prompt(0, np.zeros(10), "p"), "int16"),
        (lambda e: e.set_country("XX"), "no tone table"),
        (lambda e: e.unbridge("1"), "integer"),
    ],
)
def test_bad_commands_raise_and_change_nothing(command, match):
    engine = MediaEngine(2, Law.ALAW)
    with pytest.raises(MediaError, match=match):
        command(engine)
    tx, events = engine.tick(silent(2), TICK)
    assert np.all(tx == g711.SILENCE[Law.ALAW]) and events == []
    assert engine.country == "PL"


def test_frames_of_the_wrong_shape_or_type_are_refused():
    engine = MediaEngine(2, Law.ALAW)
    with pytest.raises(MediaError, match="shape"):
        engine.tick(np.zeros((3, 160), dtype=np.uint8), TICK)
    with pytest.raises(MediaError, match="uint8"):
        engine.tick(np.zeros((2, 160), dtype=np.int16), TICK)


def test_commands_from_another_thread_apply_at_the_next_tick():
    law = Law.ALAW
    engine = MediaEngine(8, law)
    commands = threading.Thread(target=lambda: [engine.bridge(2 * k, 2 * k + 1) for k in range(4)])
    commands.start()
    commands.join(timeout=5)
    rx = g711.encode(np.stack([sine(300 + 100 * k, 160) for k in range(8)]), law)
    tx, _ = engine.tick(rx, TICK)
    assert np.array_equal(tx, rx[[1, 0, 3, 2, 5, 4, 7, 6]])
