"""DTMF caller ID: the message forms, round trips through encoder and decoder, the engine."""

from __future__ import annotations

import json

import numpy as np
import pytest

from firmware.media.cid_dtmf import (
    DtmfCallerIdCollector,
    decode_dtmf_caller_id,
    dtmf_caller_id_digits,
    encode_dtmf_caller_id,
    find_dtmf_caller_id,
    parse_dtmf_caller_id,
)
from firmware.media.cli import cid_command
from firmware.media.dtmf import generate_dtmf
from firmware.media.engine import MediaEngine
from firmware.media.events import CallerIdReceived, DigitDetected
from firmware.media.fsk import CallerId, CallerIdError, encode_caller_id
from firmware.media.prompts import save_wav
from hal import g711
from hal.interface import Law

TICK = 0.02
NUMBER = CallerId(number="0612345678")
PRIVATE = CallerId(absence_reason="private")
UNAVAILABLE = CallerId(absence_reason="unavailable")


def on_the_line(audio: np.ndarray, law: Law, seed: int = 0) -> np.ndarray:
    """Quiet before and after, line noise at about -45 dBm0, the card's codec."""
    rng = np.random.default_rng(seed)
    padded = np.concatenate([np.zeros(1600), audio, np.zeros(1600)])
    noisy = padded + rng.normal(0.0, 90.0, padded.size)
    return g711.decode(g711.encode(noisy, law), law)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A0612345678C", NUMBER),
        ("A0612345678#", NUMBER),  # Danish and Dutch end symbol
        ("D0612345678C", NUMBER),  # Taiwanese start letter
        ("A0612345678D0229999B00C", NUMBER),  # redirecting number and code after it
        ("B00C", UNAVAILABLE),
        ("B10C", PRIVATE),
        ("AB10C", PRIVATE),
        ("D1C", PRIVATE),  # caller restricted the number
        ("D2C", UNAVAILABLE),  # international call
        ("D3#", UNAVAILABLE),  # technical reasons
    ],
)
def test_each_dtmf_caller_id_form_parses_to_its_meaning(text, expected):
    assert parse_dtmf_caller_id(text) == expected


@pytest.mark.parametrize(
    "text", ["A0612345678", "0612345678#", "A06*12C", "B11C", "D4C", "D1B00C", "AC", "C", "A#1C"]
)
def test_malformed_or_unknown_digit_strings_are_no_caller_id(text):
    assert parse_dtmf_caller_id(text) is None


@pytest.mark.parametrize(
    ("cid", "options", "digits"),
    [
        (NUMBER, {}, "A0612345678C"),
        (NUMBER, {"end": "#"}, "A0612345678#"),
        (NUMBER, {"start": "D"}, "D0612345678C"),
        (PRIVATE, {}, "B10C"),
        (UNAVAILABLE, {}, "B00C"),
        (PRIVATE, {"absence_form": "D"}, "D1C"),
        (UNAVAILABLE, {"absence_form": "D", "end": "#"}, "D3#"),
        (CallerId(number="0612345678", name="Jan", datetime="01011200"), {}, "A0612345678C"),
    ],
)
def test_dtmf_caller_id_forms_round_trip_through_audio(cid, options, digits):
    assert dtmf_caller_id_digits(cid, **options) == digits
    expected = CallerId(number=cid.number, absence_reason=cid.absence_reason)
    for law in Law:
        line = on_the_line(encode_dtmf_caller_id(cid, **options), law)
        assert decode_dtmf_caller_id(line) == [expected]


def test_encoded_digits_keep_the_documented_timing():
    audio = encode_dtmf_caller_id(NUMBER).astype(np.float64)
    assert audio.size == len("A0612345678C") * 140 * 8  # 70 ms tone + 70 ms pause per digit
    rms = np.sqrt(np.mean(audio.reshape(-1, 80) ** 2, axis=1))  # per 10 ms
    assert list(rms > 1000) == ([True] * 7 + [False] * 7) * 12


@pytest.mark.parametrize(
    ("cid", "options", "match"),
    [
        (CallerId(number="+48221234567"), {}, "digits 0-9"),
        (CallerId(number="1"), {"start": "D"}, "reason code"),
        (CallerId(), {}, "number or a reason"),
        (CallerId(absence_reason="secret"), {}, "absence reason"),
        (NUMBER, {"start": "B"}, "'A' or 'D'"),
        (NUMBER, {"end": "*"}, "'C' or '#'"),
        (PRIVATE, {"absence_form": "X"}, "absence_form"),
    ],
)
def test_dtmf_encoder_refuses_what_cannot_be_sent(cid, options, match):
    with pytest.raises(CallerIdError, match=match):
        encode_dtmf_caller_id(cid, **options)


def test_collector_ignores_stray_digits_and_drops_a_message_whose_digits_come_late():
    collector = DtmfCallerIdCollector()
    assert collector.feed("5", 0.0) is None  # no start letter: not caller ID
    for k, digit in enumerate("A061"):
        assert collector.feed(digit, 1.0 + 0.14 * k) is None
    assert collector.feed("2", 10.0) is None  # a long gap: the message is dropped
    assert collector.feed("C", 10.14) is None
    for k, digit in enumerate("A42"):
        collector.feed(digit, 20.0 + 0.14 * k)
    assert collector.feed("C", 20.42) == (20.0, CallerId(number="42"))


def test_speech_like_digits_and_ordinary_key_presses_give_no_caller_id():
    keys = generate_dtmf("123#456*", on_ms=80, off_ms=120)
    assert find_dtmf_caller_id(on_the_line(keys, Law.ALAW)) == []


def test_two_messages_are_found_with_their_start_times():
    gap = np.zeros(8000)
    audio = np.concatenate(
        [gap, encode_dtmf_caller_id(NUMBER), gap, encode_dtmf_caller_id(PRIVATE), gap]
    )
    found = find_dtmf_caller_id(audio)
    assert [cid for _, cid in found] == [NUMBER, PRIVATE]
    assert found[0][0] == pytest.approx(1.0, abs=0.01)
    second = 2.0 + encode_dtmf_caller_id(NUMBER).size / 8000
    assert found[1][0] == pytest.approx(second, abs=0.01)


def test_engine_receiver_reports_dtmf_caller_id_before_the_first_ring():
    law = Law.ALAW
    audio = on_the_line(encode_dtmf_caller_id(NUMBER, end="#"), law)
    frames = g711.encode(np.concatenate([audio, np.zeros((-audio.size) % 160)]), law)
    engine = MediaEngine(2, law)
    engine.enable_caller_id(1, True)
    events = []
    for k, frame in enumerate(frames.reshape(-1, 160)):
        rx = np.full((2, 160), g711.SILENCE[law], dtype=np.uint8)
        rx[1] = frame
        events += engine.tick(rx, (k + 1) * TICK)[1]
    received = [e for e in events if isinstance(e, CallerIdReceived)]
    assert [(e.channel, e.caller_id) for e in received] == [(1, NUMBER)]
    assert "".join(e.digit for e in events if isinstance(e, DigitDetected)) == "A0612345678#"


def test_cid_command_reports_fsk_and_dtmf_messages_in_order(tmp_path, capsys):
    gap = np.zeros(4000, dtype=np.int16)
    fsk = encode_caller_id(CallerId(number="221234567", name="Biuro", datetime="06011230"))
    audio = np.concatenate([gap, encode_dtmf_caller_id(PRIVATE, absence_form="D"), gap, fsk, gap])
    audio = np.concatenate([audio, encode_dtmf_caller_id(NUMBER), gap])
    save_wav(tmp_path / "cid.wav", audio)
    assert cid_command(str(tmp_path / "cid.wav")) == 0
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {"number": None, "name": None, "datetime": None},
        {"number": "221234567", "name": "Biuro", "datetime": "06011230"},
        {"number": "0612345678", "name": None, "datetime": None},
    ]
