"""The sim's line signal generators and its exchange DTMF receiver."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pytest

from hal.sim import signals

if TYPE_CHECKING:
    from conftest import Meter


def test_tone_render_is_phase_continuous_across_frames() -> None:
    spec = signals.country_tones("US").dial
    whole = spec.render(0, 1600)
    pieces = np.concatenate([spec.render(k, 160) for k in range(0, 1600, 160)])
    assert np.array_equal(whole, pieces)


def test_busy_tone_follows_its_cadence(meter: Meter) -> None:
    busy = signals.country_tones("PL").busy.samples(2.0)
    rms = meter.frame_rms(busy)
    on = np.tile(np.repeat([True, False], 25), 2)  # 0.5 s on, 0.5 s off, in 20 ms frames
    assert np.all(rms[on] > 1000)
    assert np.all(rms[~on] == 0)
    assert meter.peaks(busy[:4000], 1) == [425.0]


def test_us_tones_are_dual_frequency(meter: Meter) -> None:
    us = signals.country_tones("us")
    assert meter.peaks(us.dial.samples(1.0), 2) == pytest.approx([350, 440], abs=2)
    assert meter.peaks(us.ringback.samples(1.0), 2) == pytest.approx([440, 480], abs=2)
    assert meter.peaks(us.busy.samples(0.5), 2) == pytest.approx([480, 620], abs=2)
    assert us.ring_cadence == (2.0, 4.0)


def test_unknown_country_is_refused() -> None:
    with pytest.raises(signals.SignalError, match="no tone plan for country 'XX'"):
        signals.country_tones("XX")


def test_odd_cadence_is_refused() -> None:
    with pytest.raises(signals.SignalError, match="on/off pairs"):
        signals.ToneSpec((425.0,), (0.5, 0.5, 0.5))


def test_dtmf_digits_carry_their_q23_frequencies(meter: Meter) -> None:
    audio = signals.dtmf("5#", on=0.1, off=0.05)
    assert len(audio) == 2 * 1200
    assert meter.peaks(audio[:800], 2) == [770.0, 1336.0]
    assert meter.peaks(audio[1200:2000], 2) == [941.0, 1477.0]
    assert np.all(audio[800:1200] == 0)


def test_dtmf_refuses_a_letter_that_is_no_key() -> None:
    with pytest.raises(signals.SignalError, match="not DTMF digits: 'X'"):
        signals.dtmf("12X")


def test_dtmf_decoder_reads_a_number_in_odd_chunks() -> None:
    audio = signals.dtmf("0123456789*#ABCD1", on=0.06, off=0.05)
    decoder = signals.DtmfDecoder()
    digits: list[str] = []
    for chunk in np.array_split(audio, 97):
        digits += decoder.feed(chunk)
    assert "".join(digits) == "0123456789*#ABCD1"


def test_dtmf_decoder_reports_a_long_digit_once_and_a_repeat_after_a_pause() -> None:
    audio = signals.dtmf("77", on=0.5, off=0.06)
    assert signals.DtmfDecoder().feed(audio) == ["7", "7"]


def test_dtmf_decoder_ignores_dial_tone_and_speech_band_noise() -> None:
    rng = np.random.default_rng(1)
    audio = np.concatenate(
        [signals.country_tones("PL").dial.samples(1.0), rng.normal(0, 3000, 8000)]
    )
    assert signals.DtmfDecoder().feed(audio) == []


def test_mdmf_message_has_etsi_layout_and_checksum() -> None:
    cid = signals.CallerId("0221234567", "Jan Kowalski", datetime(2026, 3, 7, 9, 5))
    message = cid.message()
    body = b"\x01\x0803070905" + b"\x02\x0a0221234567" + b"\x07\x0cJan Kowalski"
    assert message[:2] == bytes([0x80, len(body)])
    assert message[2:-1] == body
    assert sum(message) % 256 == 0


def test_missing_number_sends_its_absence_reason() -> None:
    assert b"\x04\x01P" in signals.CallerId(None, absence="P").message()
    assert b"\x04\x01O" in signals.CallerId(None).message()


def test_caller_id_refuses_letters_in_a_number() -> None:
    with pytest.raises(signals.SignalError, match="caller number"):
        signals.CallerId("12AB")


def test_fsk_bits_frame_each_byte_lsb_first() -> None:
    bits = signals.fsk_bits(b"\x80\x01", seizure_bits=4, mark_bits=3)
    expected = [0, 1, 0, 1] + [1, 1, 1]
    expected += [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]  # 0x80: start, LSB first, stop
    expected += [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]  # 0x01
    assert bits.tolist() == expected


def test_fsk_mark_and_space_are_v23_frequencies(meter: Meter) -> None:
    mark = signals.v23_fsk(np.ones(1200, dtype=np.uint8))
    space = signals.v23_fsk(np.zeros(1200, dtype=np.uint8))
    assert meter.peaks(mark, 1) == pytest.approx([1300], abs=2)
    assert meter.peaks(space, 1) == pytest.approx([2100], abs=2)


def test_fsk_audio_decodes_back_to_its_bits(meter: Meter) -> None:
    bits = signals.fsk_bits(b"Centrala", seizure_bits=300, mark_bits=180)
    audio = signals.v23_fsk(bits)
    assert np.array_equal(meter.fsk_bits(audio, 0, len(bits) - 1), bits[:-1])
    level = np.sqrt(np.mean(audio.astype(float) ** 2))
    assert level == pytest.approx(signals.amplitude(-13.0) / np.sqrt(2), rel=0.02)
