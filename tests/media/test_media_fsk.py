"""On-hook caller ID: encode/decode round trips, checksum, streaming reception."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.media.fsk import (
    CallerId,
    CallerIdError,
    CallerIdReceiver,
    decode_caller_id,
    encode_caller_id,
)
from firmware.media.levels import dbm0_to_peak
from hal import g711
from hal.interface import Law

RATE = 8000
FULL = CallerId(number="0123456789", name="Jan Kowalski", datetime="03141530")
PRIVATE = CallerId(datetime="12312359", absence_reason="private")
NUMBER_ONLY = CallerId(number="48221234567", datetime="01010000")


def on_the_line(
    audio: np.ndarray, law: Law, rng: np.random.Generator, noise_rms: float = 200.0
) -> np.ndarray:
    """Silence around the burst, line noise (200 is about -38 dBm0), the card's codec."""
    padded = np.concatenate([np.zeros(1234), audio, np.zeros(800)]).astype(np.float64)
    noisy = padded + rng.normal(0.0, noise_rms, padded.size)
    return g711.decode(g711.encode(noisy, law), law)


@pytest.mark.parametrize("standard", ["etsi", "bell"])
@pytest.mark.parametrize("law", [Law.ALAW, Law.ULAW])
@pytest.mark.parametrize("cid", [FULL, PRIVATE, NUMBER_ONLY])
def test_mdmf_caller_id_round_trips(standard, law, cid):
    rng = np.random.default_rng(1)
    audio = encode_caller_id(cid, standard=standard)
    assert decode_caller_id(on_the_line(audio, law, rng)) == [cid]


@pytest.mark.parametrize("standard", ["etsi", "bell"])
@pytest.mark.parametrize("cid", [PRIVATE, NUMBER_ONLY])
def test_sdmf_caller_id_round_trips(standard, cid):
    rng = np.random.default_rng(2)
    audio = encode_caller_id(cid, standard=standard, message_format="sdmf")
    assert decode_caller_id(on_the_line(audio, Law.ALAW, rng)) == [cid]


@pytest.mark.parametrize("standard", ["etsi", "bell"])
def test_a_quiet_caller_id_burst_on_a_quiet_line_is_still_decoded(standard):
    rng = np.random.default_rng(3)
    audio = encode_caller_id(FULL, level_dbm0=-35.0, standard=standard)
    line = on_the_line(audio, Law.ALAW, rng, noise_rms=20.0)  # noise about -58 dBm0
    assert decode_caller_id(line) == [FULL]


def modulate(message: bytes, mark: float = 1300.0, space: float = 2100.0) -> np.ndarray:
    """An independent V.23 modulator for hand-made messages: seizure, marks, bytes."""
    bits = [k % 2 for k in range(300)] + [1] * 180
    for value in message:
        bits += [0] + [(value >> k) & 1 for k in range(8)] + [1]
    bits += [1] * 10
    per_bit = np.repeat(np.asarray(bits), 20)  # 20 samples per bit at 24 kHz
    freq = np.where(per_bit == 1, mark, space)
    wave = dbm0_to_peak(-12.0) * np.sin(2 * np.pi * np.cumsum(freq) / 24000)
    return wave[::3]  # 24 kHz to 8 kHz: 6.67 samples per bit, as on the line


def with_checksum(body: bytes) -> bytes:
    return body + bytes([(-sum(body)) % 256])


def test_a_hand_made_message_with_a_good_checksum_decodes():
    body = bytes([0x80, 14, 0x01, 8]) + b"05061200" + bytes([0x02, 2]) + b"42"
    assert decode_caller_id(modulate(with_checksum(body))) == [
        CallerId(number="42", datetime="05061200")
    ]


def test_a_bad_checksum_yields_no_message():
    body = bytes([0x80, 14, 0x01, 8]) + b"05061200" + bytes([0x02, 2]) + b"42"
    good = with_checksum(body)
    bad = good[:-1] + bytes([(good[-1] + 1) % 256])
    assert decode_caller_id(modulate(bad)) == []
    corrupted = good[:6] + b"9" + good[7:]  # one digit of the date changed on the way
    assert decode_caller_id(modulate(corrupted)) == []


def test_bell_sdmf_from_an_independent_modulator_decodes():
    body = bytes([0x04, 18]) + b"11151845" + b"5551234567"
    assert decode_caller_id(modulate(with_checksum(body), 1200.0, 2200.0)) == [
        CallerId(number="5551234567", datetime="11151845")
    ]


def test_noise_and_silence_hold_no_caller_id():
    rng = np.random.default_rng(4)
    assert decode_caller_id(np.zeros(16000)) == []
    assert decode_caller_id(rng.normal(0.0, 3000.0, 16000)) == []


def test_receiver_reports_a_message_once_in_the_chunk_that_completes_it():
    audio = np.concatenate([np.zeros(800), encode_caller_id(FULL), np.zeros(8000)])
    audio = audio.astype(np.int16)
    receiver = CallerIdReceiver()
    reports = []
    for k in range(audio.size // 160):
        for cid in receiver.feed(audio[k * 160 : (k + 1) * 160]):
            reports.append((k, cid))
    assert [cid for _, cid in reports] == [FULL]
    burst_end_chunk = (800 + encode_caller_id(FULL).size) // 160
    assert burst_end_chunk - 2 <= reports[0][0] <= burst_end_chunk + 1


def test_receiver_reports_two_messages_in_a_row_and_forgets_on_reset():
    first = encode_caller_id(NUMBER_ONLY, standard="bell")
    second = encode_caller_id(PRIVATE, standard="bell")
    audio = np.concatenate([first, np.zeros(4000, dtype=np.int16), second, np.zeros(1600)])
    receiver = CallerIdReceiver()
    found = []
    for k in range(0, audio.size, 160):
        found += receiver.feed(audio[k : k + 160])
    assert found == [NUMBER_ONLY, PRIVATE]
    receiver.reset()
    assert receiver.feed(np.zeros(160, dtype=np.int16)) == []


@pytest.mark.parametrize(
    ("cid", "options", "match"),
    [
        (CallerId(number="123", datetime="1231"), {}, "8 digits"),
        (CallerId(number="123", absence_reason="private"), {}, "not both"),
        (CallerId(absence_reason="secret"), {}, "absence reason"),
        (CallerId(), {}, "at least one field"),
        (CallerId(number="1", name="X", datetime="01010000"), {"message_format": "sdmf"}, "name"),
        (CallerId(number="1"), {"standard": "v21"}, "standard"),
        (CallerId(name="Zoë \u4e2d"), {}, "Latin-1"),
    ],
)
def test_encoder_refuses_what_cannot_be_sent(cid, options, match):
    with pytest.raises(CallerIdError, match=match):
        encode_caller_id(cid, **options)
