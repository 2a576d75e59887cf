"""DTMF generation: level, twist and on/off timing as asked, to the sample."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.media.dtmf import DIGITS, HIGH_FREQS, LOW_FREQS, DtmfError, generate_dtmf
from firmware.media.levels import power_to_dbm0

RATE = 8000


def tone_levels(audio: np.ndarray, digit: str) -> tuple[float, float]:
    """dBm0 of the digit's low and high tone, from a DFT over a whole second of tone."""
    assert audio.size == RATE
    spectrum = np.fft.rfft(audio.astype(np.float64)) / RATE  # 1 Hz bins
    index = DIGITS.index(digit)
    low, high = LOW_FREQS[index // 4], HIGH_FREQS[index % 4]
    return tuple(power_to_dbm0(2.0 * abs(spectrum[int(f)]) ** 2) for f in (low, high))


@pytest.mark.parametrize(
    ("level", "twist"), [(-6.0, 2.0), (-20.0, 0.0), (-12.0, -3.0), (-25.0, 6.0)]
)
def test_generated_tones_have_the_requested_level_and_twist(level, twist):
    for digit in "1D*9":
        audio = generate_dtmf(digit, level_dbm0=level, twist_db=twist, on_ms=1000, off_ms=0)
        low, high = tone_levels(audio, digit)
        assert low == pytest.approx(level, abs=0.02)
        assert high - low == pytest.approx(twist, abs=0.02)


def test_generated_tones_carry_nothing_but_their_two_frequencies():
    audio = generate_dtmf("5", level_dbm0=-10.0, on_ms=1000, off_ms=0).astype(np.float64)
    power = np.abs(np.fft.rfft(audio)) ** 2
    power[[770, 1336]] = 0.0
    assert power_to_dbm0(2.0 * power.sum() / RATE**2) < -50.0  # only rounding noise left


@pytest.mark.parametrize(("on_ms", "off_ms"), [(40, 40), (47, 33), (100, 0), (65, 95)])
def test_generated_timing_is_sample_exact(on_ms, off_ms):
    digits = "0#7B"
    audio = generate_dtmf(digits, level_dbm0=-8.0, twist_db=2.0, on_ms=on_ms, off_ms=off_ms)
    on, off = on_ms * 8, off_ms * 8
    assert audio.dtype == np.int16 and audio.size == len(digits) * (on + off)
    periods = audio.reshape(len(digits), on + off).astype(np.float64)
    assert not periods[:, on:].any()
    t = np.arange(on) / RATE
    for row, digit in zip(periods, digits, strict=True):
        index = DIGITS.index(digit)
        peak_low = 32768 * 10 ** ((-8.0 - 3.14) / 20)  # G.711 §4: 0 dBm0 is 3.14 dB down
        expected = peak_low * np.sin(2 * np.pi * LOW_FREQS[index // 4] * t)
        expected += peak_low * 10 ** (2.0 / 20) * np.sin(2 * np.pi * HIGH_FREQS[index % 4] * t)
        assert np.abs(row[:on] - expected).max() <= 0.5  # sample for sample, up to rounding


def test_generation_at_another_rate_scales_the_timing():
    audio = generate_dtmf("12", on_ms=50, off_ms=30, rate=16000)
    assert audio.size == 2 * 80 * 16
    assert not audio[800:1280].any() and audio[1281:1300].any()


def test_no_digits_make_no_samples():
    assert generate_dtmf("").size == 0


@pytest.mark.parametrize(("on_ms", "off_ms"), [(0, 50), (-5, 50), (50, -1)])
def test_impossible_timings_are_refused(on_ms, off_ms):
    with pytest.raises(DtmfError, match="on time must be > 0"):
        generate_dtmf("1", on_ms=on_ms, off_ms=off_ms)
