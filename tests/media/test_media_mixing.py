"""Listen, whisper, barge and conferences: who hears whom, tick by tick."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.media.engine import MediaEngine, MediaError
from firmware.media.levels import dbm0_to_peak
from firmware.media.mixing import MAX_CONFERENCE
from hal import g711
from hal.interface import Law

TICK = 0.02
RATE = 8000
LAW = Law.ALAW
CALLER, AGENT, SUPERVISOR, OTHER = 0, 1, 2, 3
# Whole cycles in one 160-sample frame, so each tone is exactly orthogonal to the others.
VOICE = {CALLER: 500.0, AGENT: 1000.0, SUPERVISOR: 1500.0, OTHER: 2000.0}


def tone(freq: float, level: float = -12.0) -> np.ndarray:
    return dbm0_to_peak(level) * np.sin(2 * np.pi * freq * np.arange(160) / RATE)


def level_at(samples: np.ndarray, freq: float) -> float:
    t = np.arange(samples.size) / RATE
    return 2 * abs(np.sum(samples * np.exp(-2j * np.pi * freq * t))) / samples.size


def talk(n: int, voices: dict[int, float]) -> np.ndarray:
    rx = np.full((n, 160), g711.SILENCE[LAW], dtype=np.uint8)
    for ch, freq in voices.items():
        rx[ch] = g711.encode(tone(freq), LAW)
    return rx


def who_hears_whom(engine: MediaEngine, voices: dict[int, float], tick: int = 1) -> dict:
    """For each channel, the set of channels whose tone is in what it is sent."""
    tx, _ = engine.tick(talk(engine.n_channels, voices), tick * TICK)
    heard = {}
    for ch in range(engine.n_channels):
        audio = g711.decode(tx[ch], LAW).astype(np.float64)
        levels = {other: level_at(audio, freq) for other, freq in voices.items()}
        assert all(v > 2000 or v < 200 for v in levels.values()), levels  # in or out
        heard[ch] = {other for other, v in levels.items() if v > 1000}
    return heard


MODE_TABLE = {
    "listen": {CALLER: {AGENT}, AGENT: {CALLER}, SUPERVISOR: {CALLER, AGENT}},
    "whisper": {CALLER: {AGENT}, AGENT: {CALLER, SUPERVISOR}, SUPERVISOR: {CALLER, AGENT}},
    "barge": {
        CALLER: {AGENT, SUPERVISOR},
        AGENT: {CALLER, SUPERVISOR},
        SUPERVISOR: {CALLER, AGENT},
    },
}


@pytest.mark.parametrize("mode", list(MODE_TABLE))
def test_each_monitor_mode_gives_exactly_its_paths(mode):
    engine = MediaEngine(5, LAW)
    engine.bridge(CALLER, AGENT)
    engine.monitor(SUPERVISOR, (CALLER, AGENT), mode)
    heard = who_hears_whom(engine, VOICE)
    assert {ch: heard[ch] for ch in MODE_TABLE[mode]} == MODE_TABLE[mode]
    assert heard[OTHER] == set() and heard[4] == set()


def test_the_supervisor_hears_the_exact_sum_of_both_parties():
    engine = MediaEngine(3, LAW)
    engine.bridge(CALLER, AGENT)
    engine.monitor(SUPERVISOR, (CALLER, AGENT), "barge")
    rx = np.random.default_rng(5).integers(0, 256, (3, 160)).astype(np.uint8)
    tx, _ = engine.tick(rx, TICK)
    linear = g711.decode(rx, LAW).astype(np.int32)
    for listener, talkers in MODE_TABLE["barge"].items():
        mix = np.clip(sum(linear[t] for t in talkers), -32768, 32767)
        assert np.array_equal(tx[listener], g711.encode(mix, LAW))


def test_switching_modes_and_stopping_restores_the_plain_call():
    engine = MediaEngine(4, LAW)
    engine.bridge(CALLER, AGENT)
    engine.monitor(SUPERVISOR, (CALLER, AGENT), "listen")
    assert who_hears_whom(engine, VOICE)[AGENT] == {CALLER}
    engine.monitor(SUPERVISOR, (CALLER, AGENT), "whisper")
    assert who_hears_whom(engine, VOICE, 2)[AGENT] == {CALLER, SUPERVISOR}
    engine.stop_monitor(SUPERVISOR)
    heard = who_hears_whom(engine, VOICE, 3)
    assert heard == {CALLER: {AGENT}, AGENT: {CALLER}, SUPERVISOR: set(), OTHER: set()}


def test_hanging_up_a_monitored_call_ends_the_monitoring():
    engine = MediaEngine(4, LAW)
    engine.bridge(CALLER, AGENT)
    engine.monitor(SUPERVISOR, (CALLER, AGENT), "barge")
    engine.reset(CALLER)
    heard = who_hears_whom(engine, VOICE)
    assert heard == {CALLER: set(), AGENT: set(), SUPERVISOR: set(), OTHER: set()}
    engine.monitor(SUPERVISOR, (OTHER, AGENT), "listen")  # free to monitor again


def test_a_prompt_to_the_agent_replaces_what_it_would_hear_during_a_whisper():
    engine = MediaEngine(3, LAW)
    engine.bridge(CALLER, AGENT)
    engine.monitor(SUPERVISOR, (CALLER, AGENT), "whisper")
    engine.play_prompt(AGENT, np.rint(tone(3000.0)).astype(np.int16), "beep")
    tx, _ = engine.tick(talk(3, {CALLER: 500.0, SUPERVISOR: 1500.0}), TICK)
    audio = g711.decode(tx[AGENT], LAW).astype(np.float64)
    assert level_at(audio, 3000.0) > 1000
    assert level_at(audio, 500.0) < 200 and level_at(audio, 1500.0) < 200


def test_conference_gives_each_party_everyone_but_itself():
    n = MAX_CONFERENCE + 1
    voices = {ch: 250.0 * (ch + 1) for ch in range(MAX_CONFERENCE)}
    engine = MediaEngine(n, LAW)
    engine.conference("room-1", list(range(MAX_CONFERENCE)))
    heard = who_hears_whom(engine, voices)
    for ch in range(MAX_CONFERENCE):
        assert heard[ch] == set(range(MAX_CONFERENCE)) - {ch}
    assert heard[MAX_CONFERENCE] == set()


def test_conference_sums_exactly_and_saturates_by_clipping():
    engine = MediaEngine(4, LAW)
    engine.conference("loud", [0, 1, 2, 3])
    rx = np.random.default_rng(6).integers(0, 256, (4, 160)).astype(np.uint8)
    loudest = g711.encode(np.array([32767.0]), LAW)[0]
    rx[:, :20] = loudest  # every party at full scale: three of them sum far past 16 bits
    tx, _ = engine.tick(rx, TICK)
    linear = g711.decode(rx, LAW).astype(np.int32)
    for ch in range(4):
        mix = np.clip(linear.sum(axis=0) - linear[ch], -32768, 32767)
        assert np.array_equal(tx[ch], g711.encode(mix, LAW))
        assert np.all(g711.decode(tx[ch, :20], LAW) > 30000)  # clipped, never wrapped


def test_parties_join_and_leave_a_conference():
    engine = MediaEngine(4, LAW)
    engine.bridge(0, 1)
    engine.conference("r", [0, 2])
    engine.conference("r", [3])
    heard = who_hears_whom(engine, {0: 500.0, 1: 1000.0, 2: 1500.0, 3: 2000.0})
    assert heard == {0: {2, 3}, 1: set(), 2: {0, 3}, 3: {0, 2}}  # 0's bridge was broken
    engine.leave_conference(2)
    heard = who_hears_whom(engine, {0: 500.0, 2: 1500.0, 3: 2000.0}, 2)
    assert heard == {0: {3}, 1: set(), 2: set(), 3: {0}}
    engine.bridge(0, 1)  # a bridge takes a party out of its conference
    heard = who_hears_whom(engine, {0: 500.0, 1: 1000.0, 3: 2000.0}, 3)
    assert heard == {0: {1}, 1: {0}, 2: set(), 3: set()}


def test_a_ninth_party_is_refused_and_changes_nothing():
    engine = MediaEngine(10, LAW)
    engine.conference("full", list(range(MAX_CONFERENCE)))
    with pytest.raises(MediaError, match="at most 8 parties; room 'full' would have 9"):
        engine.conference("full", [8])
    with pytest.raises(MediaError, match="already in conference 'full'"):
        engine.conference("other", [8, 9, 0])
    heard = who_hears_whom(engine, {0: 500.0, 8: 1000.0})
    assert heard[1] == {0} and heard[0] == set() and heard[8] == set() and heard[9] == set()


def listening(e: MediaEngine) -> None:
    e.monitor(2, (0, 1), "listen")


@pytest.mark.parametrize(
    ("setup", "command", "match"),
    [
        ([], lambda e: e.monitor(2, (0, 1), "spy"), "listen"),
        ([], lambda e: e.monitor(0, (0, 1), "listen"), "three different"),
        ([], lambda e: e.monitor(2, (0,), "listen"), "pair"),
        ([], lambda e: e.monitor(2, (0, 9), "listen"), "no channel 9"),
        ([lambda e: e.conference("r", [0])], lambda e: e.monitor(2, (0, 1), "barge"), "in conf"),
        ([listening], lambda e: e.conference("r", [1]), "monitored"),
        ([listening], lambda e: e.monitor(0, (2, 3), "barge"), "on a monitored call"),
        ([listening], lambda e: e.monitor(3, (2, 1), "barge"), "is supervising"),
        ([lambda e: e.conference("a", [3])], lambda e: e.conference("b", [3]), "already in"),
        ([], lambda e: e.conference("", [1]), "non-empty name"),
        ([], lambda e: e.conference("r", [1, 1]), "twice"),
        ([], lambda e: e.conference("r", []), "at least one"),
    ],
)
def test_contradictory_mixing_requests_raise_and_change_nothing(setup, command, match):
    engine = MediaEngine(4, LAW)
    engine.bridge(0, 1)
    for step in setup:
        step(engine)
    before = who_hears_whom(engine, VOICE)
    with pytest.raises(MediaError, match=match):
        command(engine)
    assert who_hears_whom(engine, VOICE, 2) == before


def test_plain_bridges_are_untouched_when_a_conference_runs_elsewhere():
    engine = MediaEngine(6, LAW)
    engine.bridge(0, 1)
    engine.conference("r", [2, 3, 4])
    rx = np.random.default_rng(7).integers(0, 256, (6, 160)).astype(np.uint8)
    expected = g711.encode(g711.decode(rx, LAW), LAW)
    tx, _ = engine.tick(rx, TICK)
    assert np.array_equal(tx[0], expected[1]) and np.array_equal(tx[1], expected[0])
    assert np.all(tx[5] == g711.SILENCE[LAW])
