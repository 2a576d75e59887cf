"""Call-progress tone tables and their rendering into playout loops."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.media.levels import DBM0_RMS
from firmware.media.tones import (
    COUNTRIES,
    RING_CADENCES,
    TONE_NAMES,
    ToneSpec,
    render_tone,
    tone_spec,
)


def test_every_country_has_every_tone_and_a_ring_cadence():
    assert COUNTRIES[0] == "PL"
    for country in COUNTRIES:
        assert len(RING_CADENCES[country]) % 2 == 0
        for name in TONE_NAMES:
            spec = tone_spec(country, name)
            assert spec.freqs and len(spec.cadence) % 2 == 0


def test_known_values_from_the_tables():
    assert tone_spec("PL", "busy") == ToneSpec((425.0,), -10.0, (0.5, 0.5))
    assert tone_spec("de", "congestion").cadence == (0.24, 0.24)
    assert tone_spec("US", "ringback").freqs == (440.0, 480.0)
    assert tone_spec("UK", "dial").cadence == ()
    assert RING_CADENCES["UK"] == (0.4, 0.2, 0.4, 2.0)
    assert RING_CADENCES["US"] == (2.0, 4.0)
    assert RING_CADENCES["PL"] == (1.0, 4.0)


def test_unknown_country_or_tone_is_a_key_error_that_names_the_choices():
    with pytest.raises(KeyError, match="known: PL"):
        tone_spec("XX", "busy")
    with pytest.raises(KeyError, match="known: dial"):
        tone_spec("PL", "howler")


def rms_dbm0(samples: np.ndarray) -> float:
    return 10 * np.log10(np.mean(samples.astype(np.float64) ** 2) / DBM0_RMS**2)


def test_busy_tone_renders_its_cadence_at_its_level():
    loop = render_tone(tone_spec("PL", "busy"))
    assert loop.shape == (8000,)
    assert rms_dbm0(loop[:4000]) == pytest.approx(-10.0, abs=0.1)
    assert not loop[4000:].any()
    spectrum = np.abs(np.fft.rfft(loop[:4000], 8000))  # 1 Hz per bin
    assert np.argmax(spectrum) == 425


def test_continuous_dial_tone_loops_without_a_jump():
    loop = render_tone(tone_spec("US", "dial")).astype(np.float64)
    joined = np.concatenate([loop[-80:], loop[:80]])
    assert np.max(np.abs(np.diff(joined))) <= np.max(np.abs(np.diff(loop))) + 1


def test_sit_steps_through_its_three_frequencies():
    loop = render_tone(tone_spec("FR", "sit"))
    peaks = []
    for start in (0, 2880, 5760):  # 330 + 30 ms apart
        spectrum = np.abs(np.fft.rfft(loop[start + 40 : start + 2600], 8000))
        peaks.append(int(np.argmax(spectrum)))
    assert peaks == [950, 1400, 1800]
    assert not loop[-8000:].any()  # a second of silence ends the cycle


def test_a_tone_spec_with_a_broken_cadence_is_refused():
    with pytest.raises(ValueError, match="on/off pairs"):
        ToneSpec((425.0,), -10.0, (0.5,))
