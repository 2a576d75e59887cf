"""DTMF detection against the Q.24 reception requirements, and DTMF generation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from firmware.media.dtmf import (
    DIGITS,
    HIGH_FREQS,
    LOW_FREQS,
    DtmfDetector,
    DtmfError,
    generate_dtmf,
)
from firmware.media.levels import DBM0_RMS, dbm0_to_peak
from hal import g711
from hal.interface import Law

RATE = 8000


def detect_many(signals: list[np.ndarray]) -> list[list[tuple[str, float]]]:
    """Run each signal as one channel of a single detector, in 20 ms ticks.

    Returns, per signal, the (digit, start seconds) found.
    """
    length = max(s.size for s in signals)
    length += (-length) % 160 + 1600  # room for the last digit to be confirmed
    audio = np.zeros((len(signals), length))
    for row, s in enumerate(signals):
        audio[row, : s.size] = s
    detector = DtmfDetector(len(signals))
    found: list[list[tuple[str, float]]] = [[] for _ in signals]
    for k in range(length // 160):
        for ch, digit, start in detector.process(audio[:, k * 160 : (k + 1) * 160], (k + 1) * 0.02):
            found[ch].append((digit, start))
    return found


def detect(audio: np.ndarray) -> list[tuple[str, float]]:
    return detect_many([audio])[0]


def digits_of(audio: np.ndarray) -> str:
    return "".join(d for d, _ in detect(audio))


def digits_of_each(signals: list[np.ndarray]) -> list[str]:
    return ["".join(d for d, _ in found) for found in detect_many(signals)]


def add_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White noise whose power is ``snr_db`` below the power of the tones."""
    power = np.mean(audio[audio != 0].astype(np.float64) ** 2)
    sigma = np.sqrt(power / 10 ** (snr_db / 10))
    return audio + rng.normal(0.0, sigma, audio.size)


def through(law: Law, audio: np.ndarray) -> np.ndarray:
    return g711.decode(g711.encode(audio, law), law)


def tone_pair(low: float, high: float, ms: float, level: float = -10.0, twist: float = 2.0):
    t = np.arange(int(ms * RATE / 1000)) / RATE
    return dbm0_to_peak(level) * np.sin(2 * np.pi * low * t) + dbm0_to_peak(level + twist) * np.sin(
        2 * np.pi * high * t + 1.0
    )


def lead(rng: np.random.Generator) -> np.ndarray:
    """Silence of random length so tones fall at every alignment to the 20 ms ticks."""
    return np.zeros(int(rng.integers(0, 400)))


@pytest.mark.parametrize("law", [Law.ALAW, Law.ULAW])
@pytest.mark.parametrize("on_ms", [40, 50, 100])
def test_every_digit_of_40ms_or_longer_at_minus_25_dbm0_in_noise_is_detected(law, on_ms):
    rng = np.random.default_rng(on_ms)
    tones = generate_dtmf(DIGITS, level_dbm0=-25.0, on_ms=on_ms, off_ms=60)
    audio = np.concatenate([lead(rng), tones])
    start = audio.size - tones.size
    found = detect(through(law, add_noise(audio, 15.0, rng)))
    assert "".join(d for d, _ in found) == DIGITS
    expected = (start + np.arange(16) * (on_ms + 60) * 8) / RATE
    errors = np.abs(np.array([t for _, t in found]) - expected)
    assert errors.max() < 0.006


@pytest.mark.parametrize("level", [-3.0, -10.0, -25.0])
@pytest.mark.parametrize("on_ms", [20, 23])
def test_tones_of_23ms_or_shorter_are_rejected(level, on_ms):
    # Q.24 Annex A: non-operate duration 20 ms or 23 ms depending on the administration.
    rng = np.random.default_rng(on_ms)
    trials = []
    for _ in range(12):
        for digit in "159D":
            tone = generate_dtmf(digit, level_dbm0=level, on_ms=on_ms, off_ms=100)
            trials.append(add_noise(np.concatenate([lead(rng), tone]), 25.0, rng))
    assert digits_of_each(trials) == [""] * len(trials)


@pytest.mark.parametrize("level", [-3.0, -25.0])
def test_40ms_tones_are_accepted_at_every_alignment(level):
    rng = np.random.default_rng(41)
    trials = []
    for shift in range(0, 160, 8):  # every 1 ms offset to the 20 ms tick across a tick
        for digit in "2580":
            tone = generate_dtmf(digit, level_dbm0=level, on_ms=40, off_ms=100)
            trials.append(add_noise(np.concatenate([np.zeros(shift), tone]), 20.0, rng))
    assert digits_of_each(trials) == [d for _ in range(0, 160, 8) for d in "2580"]


@pytest.mark.parametrize("offset", [-0.035, 0.035])
@pytest.mark.parametrize("which", ["both", "low", "high"])
def test_tones_3_5_percent_off_frequency_are_rejected(offset, which):
    rng = np.random.default_rng(35)
    trials = []
    for low in LOW_FREQS:
        for high in HIGH_FREQS:
            f_low = low * (1 + offset) if which != "high" else low
            f_high = high * (1 + offset) if which != "low" else high
            audio = np.concatenate([lead(rng), tone_pair(f_low, f_high, 100)])
            trials.append(add_noise(audio, 20.0, rng))
    assert digits_of_each(trials) == [""] * 16


@pytest.mark.parametrize(("low_offset", "high_offset"), [(-1, -1), (1, 1), (1, -1), (-1, 1)])
def test_tones_1_5_percent_off_frequency_are_accepted(low_offset, high_offset):
    # Q.24: deviations within 1.5 % (plus the sender's 2 Hz) must be accepted.
    rng = np.random.default_rng(15)
    trials = []
    for low in LOW_FREQS:
        for high in HIGH_FREQS:
            f_low = low * (1 + 0.015 * low_offset)
            f_high = high * (1 + 0.015 * high_offset)
            audio = tone_pair(f_low, f_high, 60)
            trials.append(add_noise(np.concatenate([lead(rng), audio]), 20.0, rng))
    assert digits_of_each(trials) == list(DIGITS)


@pytest.mark.parametrize("offset", [-0.035, 0.035])
def test_one_tone_3_5_percent_off_with_the_other_also_off_is_rejected(offset):
    rng = np.random.default_rng(36)
    trials = []
    for low in LOW_FREQS:
        for high in HIGH_FREQS:
            audio = tone_pair(low * (1 + offset), high * (1 - 0.015 * np.sign(offset)), 100)
            trials.append(add_noise(np.concatenate([lead(rng), audio]), 20.0, rng))
            audio = tone_pair(low * (1 - 0.015 * np.sign(offset)), high * (1 + offset), 100)
            trials.append(add_noise(np.concatenate([lead(rng), audio]), 20.0, rng))
    assert digits_of_each(trials) == [""] * 32


@pytest.mark.parametrize("twist_db", [-4.5, -6.0, 8.5, 10.0])
@pytest.mark.parametrize("level", [-8.0, -18.0])
def test_twist_beyond_limits_is_rejected(twist_db, level):
    # Q.24: normal twist (high group louder) up to 8 dB, reverse twist up to 4 dB.
    rng = np.random.default_rng(7)
    trials = []
    for digit in DIGITS:
        tone = generate_dtmf(digit, level_dbm0=level, twist_db=twist_db, on_ms=100)
        trials.append(add_noise(np.concatenate([lead(rng), tone]), 25.0, rng))
    assert digits_of_each(trials) == [""] * 16


@pytest.mark.parametrize("twist_db", [-3.5, -3.0, 0.0, 6.0, 7.5])
@pytest.mark.parametrize("level", [-8.0, -18.0])
def test_twist_within_limits_is_accepted(twist_db, level):
    rng = np.random.default_rng(8)
    trials = []
    for digit in DIGITS:
        tone = generate_dtmf(digit, level_dbm0=level, twist_db=twist_db, on_ms=60)
        trials.append(add_noise(np.concatenate([lead(rng), tone]), 25.0, rng))
    assert digits_of_each(trials) == list(DIGITS)


@pytest.mark.parametrize("level", [-3.0, -28.0])
def test_tones_across_the_level_range_are_accepted(level):
    # Q.24 operate range: every digit from -25 dBm0 per tone (here a little lower) up.
    tones = generate_dtmf(DIGITS, level_dbm0=level, twist_db=0.0, on_ms=50, off_ms=50)
    assert digits_of(through(Law.ALAW, tones)) == DIGITS


def test_tones_below_the_minimum_level_are_rejected():
    # MIN_TONE_DBM0 is -30 dBm0; one tone 1.5 dB under it spoils the digit.
    quiet_low = generate_dtmf(DIGITS, level_dbm0=-31.5, twist_db=3.0, on_ms=100, off_ms=50)
    quiet_high = generate_dtmf(DIGITS, level_dbm0=-28.5, twist_db=-3.0, on_ms=100, off_ms=50)
    both = generate_dtmf(DIGITS, level_dbm0=-31.5, twist_db=0.0, on_ms=100, off_ms=50)
    found = digits_of_each([through(Law.ALAW, a) for a in (quiet_low, quiet_high, both)])
    assert found == ["", "", ""]


def test_silence_and_near_silence_produce_no_digits():
    rng = np.random.default_rng(3)
    assert digits_of(np.zeros(8000)) == ""
    hiss = rng.normal(0.0, DBM0_RMS * 10 ** (-45 / 20), 8000)
    assert digits_of(hiss) == ""
    faint = generate_dtmf("123", level_dbm0=-35.0, twist_db=0.0, on_ms=200)
    assert digits_of(faint) == ""


def test_a_single_tone_is_not_a_digit():
    t = np.arange(4000) / RATE
    trials = [dbm0_to_peak(-10.0) * np.sin(2 * np.pi * f * t) for f in LOW_FREQS + HIGH_FREQS]
    assert digits_of_each(trials) == [""] * 8


def speech_like(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Voiced and unvoiced segments through vowel formant resonators, gliding pitch."""
    vowels = [(730, 1090, 2440), (270, 2290, 3010), (660, 1720, 2410), (570, 840, 2410)]
    vowels += [(700, 1220, 2600), (490, 1350, 1690), (300, 870, 2240)]
    n, seg = int(seconds * RATE), int(0.12 * RATE)
    out = np.zeros(n)
    phase = 0.0
    for start in range(0, n, seg):
        m = min(seg, n - start)
        f0 = rng.uniform(85, 260)
        ph = phase + 2 * np.pi * np.cumsum(np.linspace(f0, f0 * rng.uniform(0.8, 1.25), m)) / RATE
        phase = float(ph[-1])
        x = signal.sawtooth(ph, 0.9) if rng.random() > 0.2 else rng.normal(0, 1, m)
        for fc in vowels[rng.integers(len(vowels))]:
            w = 2 * np.pi * fc * rng.uniform(0.9, 1.1) / RATE
            x = signal.lfilter([0.03], [1, -2 * 0.97 * np.cos(w), 0.97**2], x) + 0.3 * x
        out[start : start + m] = x * np.hanning(m) ** 0.5
    return out * DBM0_RMS * 10 ** (-12 / 20) / np.sqrt(np.mean(out**2))


def test_speech_like_audio_produces_no_digits():
    rng = np.random.default_rng(11)
    assert digits_of(through(Law.ALAW, speech_like(10.0, rng))) == ""


@pytest.mark.parametrize("gap_ms", [10, 20])
def test_a_short_dropout_does_not_split_a_digit(gap_ms):
    rng = np.random.default_rng(gap_ms)
    first = generate_dtmf("7", level_dbm0=-15.0, on_ms=60, off_ms=gap_ms)
    second = generate_dtmf("7", level_dbm0=-15.0, on_ms=60, off_ms=100)
    trials = [add_noise(np.concatenate([lead(rng), first, second]), 20.0, rng) for _ in range(16)]
    assert digits_of_each(trials) == ["7"] * 16


def test_40ms_pauses_separate_repeated_digits():
    rng = np.random.default_rng(40)
    tones = generate_dtmf("1111", on_ms=40, off_ms=40)
    trials = [add_noise(np.concatenate([lead(rng), tones]), 20.0, rng) for _ in range(16)]
    assert digits_of_each(trials) == ["1111"] * 16


def test_channels_are_detected_independently_in_one_batch():
    block = np.zeros((3, 4800))
    block[0, 800 : 800 + 2 * 1280] = generate_dtmf("12", on_ms=80, off_ms=80)
    block[2, 1600 : 1600 + 1280] = generate_dtmf("9", on_ms=80, off_ms=80)
    detector = DtmfDetector(3)
    found = []
    for k in range(30):
        found += detector.process(block[:, k * 160 : (k + 1) * 160], (k + 1) * 0.02)
    assert sorted((ch, d) for ch, d, _ in found) == [(0, "1"), (0, "2"), (2, "9")]


def test_reset_forgets_a_digit_in_progress():
    detector = DtmfDetector(1)
    tone = generate_dtmf("5", on_ms=400, off_ms=0).astype(np.float64)
    assert [d for _, d, _ in detector.process(tone[None, :160], 0.02)] == []
    assert [d for _, d, _ in detector.process(tone[None, 160:320], 0.04)] == ["5"]
    assert detector.process(tone[None, 320:480], 0.06) == []
    detector.reset(0)
    found = detector.process(tone[None, 480:640], 0.08) + detector.process(tone[None, 640:800], 0.1)
    assert [d for _, d, _ in found] == ["5"]


def test_detector_rejects_blocks_of_the_wrong_shape():
    detector = DtmfDetector(2)
    with pytest.raises(DtmfError, match="shape"):
        detector.process(np.zeros((3, 160)), 0.02)
    with pytest.raises(DtmfError, match="multiple of 40"):
        detector.process(np.zeros((2, 150)), 0.02)
    with pytest.raises(DtmfError, match="no channel 2"):
        detector.reset(2)


def test_generated_digits_have_the_requested_level_and_timing():
    audio = generate_dtmf("5#", level_dbm0=-10.0, twist_db=0.0, on_ms=50, off_ms=30)
    assert audio.dtype == np.int16 and audio.size == 2 * 80 * 8
    on = audio[:400].astype(np.float64)
    level = 10 * np.log10(np.mean(on**2) / DBM0_RMS**2)
    assert level == pytest.approx(-10.0 + 10 * np.log10(2), abs=0.1)  # two tones
    assert not audio[400:640].any()


@pytest.mark.parametrize("bad", ["12x", "a", " ", "E"])
def test_generate_dtmf_refuses_characters_that_are_not_digits(bad):
    with pytest.raises(ValueError, match="not DTMF digits"):
        generate_dtmf(bad)


@pytest.mark.parametrize("harmonic_db", [-20.0, -10.0])
def test_tones_with_strong_harmonics_are_rejected_and_q23_distortion_is_not(harmonic_db):
    # Q.23 lets a sender's distortion products reach 20 dB under the tones; a note of
    # music or voice has harmonics far stronger (MAX_HARMONIC_DB is -16 dB).
    t = np.arange(int(0.1 * RATE)) / RATE
    trials = []
    for low in LOW_FREQS:
        for high in HIGH_FREQS:
            for f, n in ((low, 3), (high, 2)):
                amp = dbm0_to_peak(-10.0)
                pair = amp * (np.sin(2 * np.pi * low * t) + np.sin(2 * np.pi * high * t))
                trials.append(pair + amp * 10 ** (harmonic_db / 20) * np.sin(2 * np.pi * n * f * t))
    expected = [d for d in DIGITS for _ in range(2)] if harmonic_db < -16 else [""] * 32
    assert digits_of_each(trials) == expected


def test_block_length_does_not_change_what_is_found():
    rng = np.random.default_rng(9)
    audio = add_noise(generate_dtmf("1590*#", level_dbm0=-20.0, on_ms=45, off_ms=45), 20.0, rng)
    audio = np.concatenate([np.zeros(88), audio, np.zeros(1000)])
    audio = audio[: audio.size // 960 * 960]
    results = []
    for length in (40, 80, 120, 160, 320, 480):
        detector = DtmfDetector(1)
        found = []
        for k in range(audio.size // length):
            block = audio[None, k * length : (k + 1) * length]
            now = (k + 1) * length / RATE
            found += [(d, round(s, 6)) for _, d, s in detector.process(block, now)]
        results.append(found)
    assert [d for d, _ in results[0]] == list("1590*#")
    assert all(r == results[0] for r in results)


def test_a_block_with_nan_raises_and_changes_nothing():
    tone = generate_dtmf("8", on_ms=200, off_ms=100).astype(np.float64)
    blocks = np.stack([tone, tone])[:, :2400].reshape(2, 15, 160)
    spoiled = np.full((2, 160), np.nan)
    reference, detector = DtmfDetector(2), DtmfDetector(2)
    expected, found = [], []
    for k in range(15):
        now = (k + 1) * 0.02
        if k == 2:
            with pytest.raises(DtmfError, match="not finite"):
                detector.process(spoiled, now)
        expected += reference.process(blocks[:, k], now)
        found += detector.process(blocks[:, k], now)
    assert found == expected and [d for _, d, _ in found] == ["8", "8"]
