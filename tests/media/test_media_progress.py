"""Call-progress detection: national tones, SIT, voice, silence, and what must be rejected.

The tones are made here, by a generator of this file, from this file's own copy of
the ITU-T E.180 Supplement 2 values (BT SIN 350 for the UK), so the detector is
checked against the standard and not against the engine's table alone.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np
import pytest
from scipy import signal

from firmware.media.dtmf import generate_dtmf
from firmware.media.levels import DBM0_RMS
from firmware.media.progress import (
    CallProgressDetected,
    CallProgressDetector,
    ProgressError,
    ProgressTone,
)
from hal import g711
from hal.interface import Law

RATE = 8000
TICK = 160

# country: tone -> (frequencies, level per frequency dBm0, cadence on/off seconds)
E180: dict[str, dict[str, tuple[tuple[float, ...], float, tuple[float, ...]]]] = {
    "PL": {
        "dial": ((425,), -10, ()),
        "ringback": ((425,), -10, (1.0, 4.0)),
        "busy": ((425,), -10, (0.5, 0.5)),
        "congestion": ((425,), -10, (0.5, 0.5)),
    },
    "DE": {
        "dial": ((425,), -10, ()),
        "ringback": ((425,), -10, (1.0, 4.0)),
        "busy": ((425,), -10, (0.48, 0.48)),
        "congestion": ((425,), -10, (0.24, 0.24)),
    },
    "FR": {
        "dial": ((440,), -10, ()),
        "ringback": ((440,), -10, (1.5, 3.5)),
        "busy": ((440,), -10, (0.5, 0.5)),
        "congestion": ((440,), -10, (0.25, 0.25)),
    },
    "UK": {
        "dial": ((350, 440), -19, ()),
        "ringback": ((400, 450), -19, (0.4, 0.2, 0.4, 2.0)),
        "busy": ((400,), -19, (0.375, 0.375)),
        "congestion": ((400,), -19, (0.4, 0.35, 0.225, 0.525)),
    },
    "IT": {
        "dial": ((425,), -10, (0.2, 0.2, 0.6, 1.0)),
        "ringback": ((425,), -10, (1.0, 4.0)),
        "busy": ((425,), -10, (0.5, 0.5)),
        "congestion": ((425,), -10, (0.2, 0.2)),
    },
    "ES": {
        "dial": ((425,), -10, ()),
        "ringback": ((425,), -10, (1.5, 3.0)),
        "busy": ((425,), -10, (0.2, 0.2)),
        "congestion": ((425,), -10, (0.2, 0.2, 0.2, 0.2, 0.2, 0.6)),
    },
    "NL": {
        "dial": ((425,), -10, ()),
        "ringback": ((425,), -10, (1.0, 4.0)),
        "busy": ((425,), -10, (0.5, 0.5)),
        "congestion": ((425,), -10, (0.25, 0.25)),
    },
    "US": {
        "dial": ((350, 440), -13, ()),
        "ringback": ((440, 480), -19, (2.0, 4.0)),
        "busy": ((480, 620), -24, (0.5, 0.5)),
        "congestion": ((480, 620), -24, (0.25, 0.25)),
    },
}
# Poland's busy and congestion tones are the same (425 Hz, 0.5 s on, 0.5 s off):
# a line cannot tell them apart, and the detector names both "busy".
SAME_AS = {("PL", "congestion"): "busy"}
SIT_STEPS = ((950.0, 0.33), (1400.0, 0.33), (1800.0, 0.33))


def tone(
    freqs: tuple[float, ...],
    level_dbm0: float,
    cadence: tuple[float, ...],
    seconds: float,
    lead: float = 0.3,
) -> np.ndarray:
    """``lead`` seconds of quiet, then the tone gated by its cadence, as float samples."""
    t = np.arange(round(seconds * RATE)) / RATE
    amplitude = DBM0_RMS * np.sqrt(2) * 10 ** (level_dbm0 / 20)
    wave_ = sum(amplitude * np.sin(2 * np.pi * f * t + 0.5 * k) for k, f in enumerate(freqs))
    if not cadence:
        gate = t >= lead
    else:
        edges = np.cumsum(cadence)
        phase = np.mod(t - lead, edges[-1])
        gate = (np.searchsorted(edges, phase, side="right") % 2 == 0) & (t >= lead)
    return np.where(gate, wave_, 0.0)


def steps(parts: list[tuple[float, float]], level_dbm0: float = -20.0) -> np.ndarray:
    """Consecutive single-frequency bursts (frequency 0 is quiet) of given lengths."""
    amplitude = DBM0_RMS * np.sqrt(2) * 10 ** (level_dbm0 / 20)
    out = []
    for freq, seconds in parts:
        t = np.arange(round(seconds * RATE)) / RATE
        out.append(amplitude * np.sin(2 * np.pi * freq * t) if freq else np.zeros(t.size))
    return np.concatenate(out)


def detect(
    signals: list[np.ndarray],
    country: str = "PL",
    detector: CallProgressDetector | None = None,
) -> list[list[tuple[ProgressTone, float]]]:
    """Every signal as one channel of one detector, tick by tick; what each reported."""
    length = max(s.size for s in signals)
    length += (-length) % TICK
    audio = np.zeros((len(signals), length))
    for row, s in enumerate(signals):
        audio[row, : s.size] = s
    detector = detector or CallProgressDetector(len(signals), country)
    found: list[list[tuple[ProgressTone, float]]] = [[] for _ in signals]
    for k in range(length // TICK):
        for event in detector.process(audio[:, k * TICK : (k + 1) * TICK], (k + 1) * 0.02):
            assert isinstance(event, CallProgressDetected)
            found[event.channel].append((event.tone, event.at))
    return found


def kinds(found: list[tuple[ProgressTone, float]]) -> list[ProgressTone]:
    return [kind for kind, _ in found]


def scaled(cadence: tuple[float, ...], factor: float) -> tuple[float, ...]:
    return tuple(factor * v for v in cadence)


@pytest.mark.parametrize("country", sorted(E180))
def test_each_countrys_tones_are_recognised_within_ten_percent_of_their_cadence(country):
    signals, expected = [], []
    for name, (freqs, level, cadence) in E180[country].items():
        for factor in (0.9, 1.0, 1.1) if cadence else (1.0,):
            signals.append(tone(freqs, level, scaled(cadence, factor), 12.0))
            expected.append(ProgressTone(SAME_AS.get((country, name), name)))
    for want, got in zip(expected, detect(signals, country), strict=True):
        assert kinds(got) == [want]


@pytest.mark.parametrize("country", sorted(E180))
def test_a_tone_with_the_wrong_cadence_is_not_taken_for_it(country):
    signals, names = [], []
    for name, (freqs, level, cadence) in E180[country].items():
        wrong = [scaled(cadence, 0.6), scaled(cadence, 1.5)] if cadence else [(0.3, 0.3)]
        for c in wrong:
            signals.append(tone(freqs, level, c, 12.0))
            names.append(ProgressTone(SAME_AS.get((country, name), name)))
    for name, got in zip(names, detect(signals, country), strict=True):
        assert name not in kinds(got)


@pytest.mark.parametrize("country", sorted(E180))
def test_frequency_off_by_two_percent_is_accepted_and_by_five_percent_rejected(country):
    tones = E180[country]
    signals, expected = [], []
    for name in ("busy", "dial"):
        freqs, level, cadence = tones[name]
        for factor, ok in ((0.98, True), (1.02, True), (0.95, False), (1.05, False)):
            signals.append(tone(tuple(f * factor for f in freqs), level, cadence, 5.0))
            expected.append(ProgressTone(name) if ok else None)
    for want, got in zip(expected, detect(signals, country), strict=True):
        assert kinds(got) == ([want] if want else [])


def test_the_busy_tone_is_recognised_at_the_end_of_its_second_burst():
    found = detect([tone((425,), -10, (0.5, 0.5), 3.0, lead=0.3)])[0]
    assert kinds(found) == [ProgressTone.BUSY]
    # lead 0.3 s, then on, off, on: the third segment ends at 1.8 s, plus 40 ms to be sure
    assert 1.8 <= found[0][1] <= 1.9


def test_spains_busy_waits_until_it_cannot_be_the_start_of_congestion():
    busy, congestion = E180["ES"]["busy"], E180["ES"]["congestion"]
    found = detect([tone(*busy, 6.0), tone(*congestion, 6.0)], "ES")
    assert kinds(found[0]) == [ProgressTone.BUSY]
    assert kinds(found[1]) == [ProgressTone.CONGESTION]


def test_tones_are_recognised_after_g711_and_line_noise_at_lower_levels():
    rng = np.random.default_rng(3)
    signals = []
    for level in (-20.0, -32.0):  # PL busy sent at -10 dBm0, after 10 and 22 dB of loss
        x = tone((425,), level, (0.5, 0.5), 5.0)
        noise = rng.normal(0.0, DBM0_RMS * 10 ** ((level - 20.0) / 20), x.size)  # 20 dB SNR
        for law in Law:
            codes = g711.encode(np.clip(np.rint(x + noise), -32768, 32767).astype(np.int16), law)
            signals.append(g711.decode(codes, law))
    for got in detect(signals):
        assert kinds(got) == [ProgressTone.BUSY]


def test_a_tone_below_the_minimum_level_is_not_a_tone():
    found = detect([tone((425,), -45.0, (0.5, 0.5), 5.0)])[0]
    assert ProgressTone.BUSY not in kinds(found)


def test_sit_is_recognised_in_its_european_and_north_american_forms():
    europe = steps([(950, 0.33), (1400, 0.33), (1800, 0.33), (0, 1.0)] * 2)
    america = steps([(913.8, 0.274), (1370.6, 0.274), (1776.7, 0.38), (0, 1.0)] * 2, -24.0)
    for got in detect([europe, america]):
        assert kinds(got) == [ProgressTone.SIT]


def test_sit_tones_in_the_wrong_order_or_too_long_are_not_sit():
    shuffled = steps([(1400, 0.33), (950, 0.33), (1800, 0.33), (0, 1.0)] * 2)
    too_long = steps([(950, 0.6), (1400, 0.6), (1800, 0.6), (0, 1.0)] * 2)
    for got in detect([shuffled, too_long]):
        assert ProgressTone.SIT not in kinds(got)


def test_silence_is_reported_after_the_configured_time():
    detector = CallProgressDetector(1, silence_seconds=3.0)
    found = detect([np.zeros(5 * RATE)], detector=detector)[0]
    assert kinds(found) == [ProgressTone.SILENCE]
    assert found[0][1] == pytest.approx(3.0, abs=0.021)


def test_ringback_gaps_do_not_count_as_silence():
    found = detect([tone(*E180["PL"]["ringback"], 16.0)])[0]
    assert kinds(found) == [ProgressTone.RINGBACK]


def test_dtmf_and_white_noise_are_neither_tones_nor_voice():
    digits = generate_dtmf("1234567890*#", on_ms=100, off_ms=100).astype(np.float64)
    noise = np.random.default_rng(0).normal(0.0, DBM0_RMS * 10 ** (-25 / 20), 3 * RATE)
    found = detect([np.concatenate([digits, np.zeros(RATE)]), noise])
    assert found == [[], []]


def speech(text: str, voice: str, level_dbm0: float) -> np.ndarray:
    """espeak-ng's rendering of ``text`` at 8 kHz, with its active level set."""
    raw = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True
    ).stdout
    with wave.open(io.BytesIO(raw)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    x = signal.resample_poly(x, RATE, rate)
    active = x[np.abs(x) > 0.01 * np.abs(x).max()]
    return x * DBM0_RMS * 10 ** (level_dbm0 / 20) / np.sqrt(np.mean(active**2))


needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng makes the speech for this test"
)


@needs_espeak
def test_speech_is_voice_and_no_tone_in_polish_french_and_english():
    signals = [
        speech("Dzień dobry, tu biuro obsługi klienta. Proszę czekać.", "pl", -20),
        speech("Bonjour, vous êtes bien chez Marie. Laissez un message.", "fr-fr", -28),
        speech("Hello, you have reached the office. Please hold the line.", "en-gb", -14),
    ]
    for got in detect(signals):
        assert kinds(got) == [ProgressTone.VOICE]


@needs_espeak
def test_voice_then_busy_tone_reports_both_in_order():
    words = speech("Hello? Hello, is anybody there?", "en-us", -18)
    x = np.concatenate([words, tone((425,), -10, (0.5, 0.5), 4.0, lead=0.2)])
    assert kinds(detect([x])[0]) == [ProgressTone.VOICE, ProgressTone.BUSY]


def test_inactive_channels_keep_still_and_report_nothing():
    x = tone((425,), -10, (0.5, 0.5), 4.0)
    detector = CallProgressDetector(2)
    audio = np.stack([x, x])
    active = np.array([True, False])
    found = []
    for k in range(x.size // TICK):
        found += detector.process(audio[:, k * TICK : (k + 1) * TICK], k * 0.02, active)
    assert {e.channel for e in found} == {0}


def test_reset_forgets_a_channels_progress():
    detector = CallProgressDetector(1)
    x = tone((425,), -10, (0.5, 0.5), 1.5)
    ticks = x.reshape(1, -1, TICK)
    for k in range(ticks.shape[1]):  # on, off, and most of the second burst
        detector.process(ticks[:, k], k * 0.02)
    detector.reset(0)
    rest = tone((425,), -10, (0.5, 0.5), 1.0, lead=0.0)[None]  # on, off: not enough alone
    events = []
    for k in range(rest.shape[1] // TICK):
        events += detector.process(rest[:, k * TICK : (k + 1) * TICK], 2 + k * 0.02)
    assert events == []


def test_bad_blocks_are_refused_and_change_nothing():
    detector = CallProgressDetector(2)
    x = tone((425,), -10, (0.5, 0.5), 3.0)
    ticks = np.stack([x, x]).reshape(2, -1, TICK)
    events = []
    for k in range(ticks.shape[1]):
        with pytest.raises(ProgressError, match="NaN"):
            detector.process(np.full((2, TICK), np.nan), k * 0.02)
        with pytest.raises(ProgressError, match="shape"):
            detector.process(np.zeros((3, TICK)), k * 0.02)
        events += detector.process(ticks[:, k], k * 0.02)
    assert kinds([(e.tone, e.at) for e in events]) == [ProgressTone.BUSY] * 2


def test_bad_requests_get_clear_errors():
    with pytest.raises(ProgressError, match="country 'XX'"):
        CallProgressDetector(1, "XX")
    with pytest.raises(ProgressError, match="at least one channel"):
        CallProgressDetector(0)
    detector = CallProgressDetector(2)
    with pytest.raises(ProgressError, match="no channel 2"):
        detector.reset(2)
    with pytest.raises(ProgressError, match="LineToneProfile"):
        detector.set_line_profile(0, {"freqs": [425.0]})  # type: ignore[arg-type]
    with pytest.raises(ProgressError, match="booleans"):
        detector.process(np.zeros((2, TICK)), 0.0, np.array([1, 0]))


def test_changing_country_changes_what_is_recognised():
    detector = CallProgressDetector(1, "pl")
    assert detector.country == "PL"
    detector.set_country("US")
    us_busy = tone(*E180["US"]["busy"], 3.0)
    assert kinds(detect([us_busy], detector=detector)[0]) == [ProgressTone.BUSY]
