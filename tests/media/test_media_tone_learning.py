"""Learning an unknown line's disconnect tone, and recognising it afterwards."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.media.levels import DBM0_RMS
from firmware.media.progress import CallProgressDetector, ProgressTone
from firmware.media.tone_learning import (
    DisconnectToneLearner,
    LineToneProfile,
    ToneLearned,
    ToneLearningError,
    ToneLearningFailed,
    measure_tone,
)
from firmware.media.tones import ToneSpec
from hal import g711
from hal.interface import Law

RATE = 8000
TICK = 160


def disconnect_tone(
    freqs: tuple[float, ...],
    level_dbm0: float,
    cadence: tuple[float, ...],
    seconds: float = 8.0,
    lead: float = 0.45,
    noise_dbm0: float = -60.0,
    seed: int = 0,
) -> np.ndarray:
    """Quiet for ``lead`` s, then the tone (each frequency at ``level_dbm0``) and line noise.

    The cadence starts part-way into its first burst, as a recording after a hang-up does.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    amplitude = DBM0_RMS * np.sqrt(2) * 10 ** (level_dbm0 / 20)
    x = sum(amplitude * np.sin(2 * np.pi * f * t + 1.0 + k) for k, f in enumerate(freqs))
    if cadence:
        edges = np.cumsum(cadence)
        phase = np.mod(t - lead + 0.37 * cadence[0], edges[-1])
        gate = (np.searchsorted(edges, phase, side="right") % 2 == 0) & (t >= lead)
    else:
        gate = t >= lead
    return np.where(gate, x, 0.0) + rng.normal(0.0, DBM0_RMS * 10 ** (noise_dbm0 / 20), t.size)


CASES = [
    ((455.0,), -17.0, (0.3, 0.7)),  # a PBX's private disconnect tone
    ((400.0, 450.0), -21.0, (0.4, 0.2, 0.4, 2.0)),  # a double burst on a dual tone
    ((613.0,), -27.5, (0.25, 0.25, 0.25, 1.25)),
    ((350.0, 440.0), -13.0, ()),  # a continuous tone
    ((1004.0,), -8.0, (0.15, 0.15)),
]


@pytest.mark.parametrize(("freqs", "level", "cadence"), CASES)
def test_learning_recovers_frequency_level_and_cadence(freqs, level, cadence):
    profile = measure_tone(disconnect_tone(freqs, level, cadence))
    assert len(profile.freqs) == len(freqs)
    assert np.allclose(profile.freqs, freqs, atol=5.0)
    assert np.allclose(profile.levels_dbm0, level, atol=1.0)
    assert len(profile.cadence) == len(cadence)
    assert np.allclose(profile.cadence, cadence, atol=0.02)


@pytest.mark.parametrize("law", list(Law))
def test_learning_works_through_g711_and_noise(law):
    x = disconnect_tone((480.0, 620.0), -24.0, (0.5, 0.5), noise_dbm0=-48.0, seed=4)
    codes = g711.encode(np.clip(np.rint(x), -32768, 32767).astype(np.int16), law)
    profile = measure_tone(g711.decode(codes, law))
    assert np.allclose(profile.freqs, (480.0, 620.0), atol=5.0)
    assert np.allclose(profile.levels_dbm0, -24.0, atol=1.0)
    assert np.allclose(profile.cadence, (0.5, 0.5), atol=0.02)


def test_the_learned_profile_is_recognised_as_that_lines_disconnect_tone():
    x = disconnect_tone((455.0,), -17.0, (0.3, 0.7), seconds=8.0)
    profile = measure_tone(x)
    detector = CallProgressDetector(3, "PL")
    detector.set_line_profile(0, profile)
    later = disconnect_tone((455.0,), -17.0, (0.3, 0.7), seconds=5.0, seed=9)
    pl_busy = disconnect_tone((425.0,), -10.0, (0.5, 0.5), seconds=5.0)
    audio = np.stack([later, later, pl_busy])
    found: dict[int, list[ProgressTone]] = {0: [], 1: [], 2: []}
    for k in range(audio.shape[1] // TICK):
        for event in detector.process(audio[:, k * TICK : (k + 1) * TICK], k * 0.02):
            found[event.channel].append(event.tone)
    assert found[0] == [ProgressTone.DISCONNECT]
    assert found[1] == []  # another line without the profile: an unknown tone
    assert found[2] == [ProgressTone.BUSY]  # the national tones still work


def test_a_profile_survives_the_store_round_trip():
    profile = LineToneProfile((400.0, 450.0), (-21.0, -20.5), (0.4, 0.2, 0.4, 2.0))
    data = profile.to_dict()
    assert data == {
        "freqs": [400.0, 450.0],
        "levels_dbm0": [-21.0, -20.5],
        "cadence": [0.4, 0.2, 0.4, 2.0],
    }
    assert LineToneProfile.from_dict(data) == profile
    assert profile.to_tone_spec() == ToneSpec((400.0, 450.0), -20.75, (0.4, 0.2, 0.4, 2.0))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"freqs": [425.0]}, "field 'levels_dbm0'"),
        ({"freqs": ["425"], "levels_dbm0": [-10.0]}, "field 'freqs'"),
        ({"freqs": [425.0], "levels_dbm0": [-10.0], "cadence": [0.5]}, "on/off pairs"),
        ({"freqs": [425.0, 450.0], "levels_dbm0": [-10.0]}, "one level per frequency"),
        ({"freqs": [20.0], "levels_dbm0": [-10.0]}, "must lie in 100..3500 Hz"),
        ({"freqs": [425.0], "levels_dbm0": [-10.0], "colour": "red"}, "unknown fields"),
        ([425.0], "a mapping"),
    ],
)
def test_a_broken_stored_profile_is_refused_with_the_reason(data, message):
    with pytest.raises(ToneLearningError, match=message):
        LineToneProfile.from_dict(data)


def test_recordings_without_a_tone_are_refused_with_the_reason():
    rng = np.random.default_rng(1)
    with pytest.raises(ToneLearningError, match="below -45 dBm0"):
        measure_tone(np.zeros(3 * RATE))
    with pytest.raises(ToneLearningError, match="noise or speech|no steady tone"):
        measure_tone(rng.normal(0.0, 3000.0, 3 * RATE))
    with pytest.raises(ToneLearningError, match="too short"):
        measure_tone(disconnect_tone((425.0,), -10.0, (0.5, 0.5), seconds=0.5))
    with pytest.raises(ToneLearningError, match="NaN"):
        measure_tone(np.full(3 * RATE, np.nan))
    with pytest.raises(ToneLearningError, match="did not repeat"):
        measure_tone(disconnect_tone((425.0,), -10.0, (0.4, 1.6), seconds=2.5))


def test_the_learner_records_for_the_asked_time_then_reports():
    learner = DisconnectToneLearner(2)
    learner.start(1, seconds=6.0)
    assert learner.learning == (1,)
    x = disconnect_tone((455.0,), -17.0, (0.3, 0.7), seconds=7.0)
    audio = np.stack([np.zeros_like(x), x])
    events = []
    for k in range(audio.shape[1] // TICK):
        events += [(k, e) for e in learner.process(audio[:, k * TICK : (k + 1) * TICK], k * 0.02)]
    assert len(events) == 1
    k, event = events[0]
    assert k == 6 * RATE // TICK - 1
    assert isinstance(event, ToneLearned) and event.channel == 1
    assert np.allclose(event.profile.freqs, (455.0,), atol=5.0)
    assert learner.learning == ()


def test_the_learner_reports_a_failure_and_can_be_cancelled():
    learner = DisconnectToneLearner(2)
    learner.start(0, seconds=1.0)
    learner.start(1, seconds=1.0)
    learner.reset(1)
    events = []
    for k in range(RATE // TICK):
        events += learner.process(np.zeros((2, TICK)), k * 0.02)
    assert len(events) == 1
    assert isinstance(events[0], ToneLearningFailed) and events[0].channel == 0
    assert "below -45 dBm0" in events[0].reason
    with pytest.raises(ToneLearningError, match="1 to 60 seconds"):
        learner.start(0, seconds=0.2)
    with pytest.raises(ToneLearningError, match="no channel 5"):
        learner.start(5)
