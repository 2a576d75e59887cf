"""On-hook caller ID around the rings: alerting signals, sending to phones, receiving on lines."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.media.cid_dtmf import decode_dtmf_caller_id
from firmware.media.engine import MediaEngine, MediaError
from firmware.media.events import CallerIdReceived, CallerIdSent
from firmware.media.fsk import (
    DT_AS_GAP_SECONDS,
    DT_AS_SECONDS,
    RP_AS_GAP_SECONDS,
    CallerId,
    decode_caller_id,
    dual_tone_alert,
    encode_caller_id,
)
from hal import g711
from hal.interface import Law

TICK = 0.02
RATE = 8000
FULL = CallerId(number="0123456789", name="Jan Kowalski", datetime="03141530")
NUMBER_ONLY = CallerId(number="48221234567", datetime="01010000")


def level_at(samples: np.ndarray, freq: float) -> float:
    """Amplitude of the component at ``freq`` (a single-bin DFT)."""
    t = np.arange(samples.size) / RATE
    return 2 * abs(np.sum(samples * np.exp(-2j * np.pi * freq * t))) / samples.size


def run_line(audio: np.ndarray, law: Law, enable_at: int = 0) -> list:
    """Feed ``audio`` to channel 1 of an engine, tick by tick; caller ID on from ``enable_at``."""
    padded = np.concatenate([audio, np.zeros((-audio.size) % 160)])
    frames = g711.encode(padded, law).reshape(-1, 160)
    engine = MediaEngine(2, law)
    events = []
    for k, frame in enumerate(frames):
        if k == enable_at:
            engine.enable_caller_id(1, True)
        rx = np.full((2, 160), g711.SILENCE[law], dtype=np.uint8)
        rx[1] = frame
        events += [e for e in engine.tick(rx, (k + 1) * TICK)[1] if isinstance(e, CallerIdReceived)]
    return events


def test_dual_tone_alert_is_2130_and_2750_hz_for_100_ms():
    alert = dual_tone_alert().astype(np.float64)
    assert alert.size == round(DT_AS_SECONDS * RATE)
    assert level_at(alert, 2130) == pytest.approx(level_at(alert, 2750), rel=0.05)
    assert level_at(alert, 2130) > 100 * level_at(alert, 2440)


@pytest.mark.parametrize("law", [Law.ALAW, Law.ULAW])
@pytest.mark.parametrize("cid", [FULL, NUMBER_ONLY])
def test_etsi_caller_id_after_dt_as_before_the_first_ring_is_received(law, cid):
    # Line reversal (a line event, no audio), DT-AS, 100 ms, the data; then ringing.
    gap = np.zeros(round(DT_AS_GAP_SECONDS * RATE))
    audio = np.concatenate([np.zeros(2400), dual_tone_alert(), gap, encode_caller_id(cid)])
    events = run_line(np.concatenate([audio, np.zeros(4000)]), law)
    assert [(e.channel, e.caller_id) for e in events] == [(1, cid)]


@pytest.mark.parametrize("standard", ["etsi", "bell"])
@pytest.mark.parametrize("message_format", ["mdmf", "sdmf"])
def test_caller_id_in_the_pause_after_the_first_ring_is_received(standard, message_format):
    # The receiver is switched on when the first ring ends; the data follows 500 ms later.
    cid = NUMBER_ONLY
    data = encode_caller_id(cid, standard=standard, message_format=message_format)
    audio = np.concatenate([np.zeros(8000), np.zeros(4000), data, np.zeros(4000)])
    events = run_line(audio, Law.ULAW if standard == "bell" else Law.ALAW, enable_at=50)
    assert [e.caller_id for e in events] == [cid]


def test_etsi_caller_id_after_a_ring_pulse_alert_is_received():
    gap = np.zeros(round(RP_AS_GAP_SECONDS * RATE))
    audio = np.concatenate([np.zeros(2000), gap, encode_caller_id(FULL), np.zeros(4000)])
    assert [e.caller_id for e in run_line(audio, Law.ALAW)] == [FULL]


def sent_audio(engine: MediaEngine, ch: int, ticks: int, law: Law) -> tuple[np.ndarray, list]:
    silent = np.full((engine.n_channels, 160), g711.SILENCE[law], dtype=np.uint8)
    frames, events = [], []
    for k in range(ticks):
        tx, ev = engine.tick(silent, (k + 1) * TICK)
        frames.append(g711.decode(tx[ch], law))
        events += [(k, e) for e in ev]
    return np.concatenate(frames).astype(np.float64), events


@pytest.mark.parametrize(
    ("standard", "alerting", "lead"),
    [
        ("etsi", None, 0.0),
        ("etsi", "dt-as", DT_AS_SECONDS + DT_AS_GAP_SECONDS),
        ("etsi", "rp-as", RP_AS_GAP_SECONDS),
        ("bell", None, 0.0),
    ],
)
def test_send_caller_id_plays_the_alert_then_the_data_and_reports_sent(standard, alerting, lead):
    law = Law.ALAW
    engine = MediaEngine(3, law)
    engine.send_caller_id(2, FULL, standard=standard, alerting=alerting)
    data = encode_caller_id(FULL, standard=standard)
    total = round(lead * RATE) + data.size
    heard, events = sent_audio(engine, 2, total // 160 + 5, law)
    assert decode_caller_id(heard) == [FULL]
    last_tick = (total - 1) // 160
    assert events == [(last_tick, CallerIdSent(2, (last_tick + 1) * TICK))]
    start = heard[: round(DT_AS_SECONDS * RATE)]
    if alerting == "dt-as":
        assert level_at(start, 2130) > 2000 and level_at(start, 2750) > 2000
        gap = heard[round(DT_AS_SECONDS * RATE) : round(lead * RATE)]
        assert np.abs(gap).max() < 16
    elif alerting == "rp-as":
        assert np.abs(heard[: round(lead * RATE)]).max() < 16
    assert np.abs(heard[total + 160 :]).max() < 16  # silence once sent


def test_send_caller_id_as_dtmf_carries_the_number_to_the_phone():
    law = Law.ULAW
    engine = MediaEngine(1, law)
    engine.send_caller_id(0, FULL, standard="dtmf")
    heard, events = sent_audio(engine, 0, 120, law)
    assert decode_dtmf_caller_id(heard) == [CallerId(number=FULL.number)]
    assert [type(e) for _, e in events] == [CallerIdSent]


def test_caller_id_sent_by_one_engine_is_received_by_another():
    law = Law.ALAW
    box = MediaEngine(1, law)  # the FXS side, sending to a phone
    line = MediaEngine(1, law)  # a receiver standing in for the phone's
    line.enable_caller_id(0, True)
    box.send_caller_id(0, FULL, alerting="dt-as")
    received = []
    silent = np.full((1, 160), g711.SILENCE[law], dtype=np.uint8)
    for k in range(150):
        tx, _ = box.tick(silent, (k + 1) * TICK)
        received += [e.caller_id for e in line.tick(tx, (k + 1) * TICK)[1]]
    assert received == [FULL]


def test_a_prompt_replacing_caller_id_stops_it_without_a_report():
    engine = MediaEngine(1, Law.ALAW)
    engine.send_caller_id(0, FULL)
    sent_audio(engine, 0, 5, Law.ALAW)
    engine.play_prompt(0, np.zeros(160, dtype=np.int16), "p")
    _, events = sent_audio(engine, 0, 150, Law.ALAW)
    assert not any(isinstance(e, CallerIdSent) for _, e in events)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"standard": "v21"}, "standard"),
        ({"alerting": "loud"}, "alerting"),
        ({"standard": "bell", "alerting": "dt-as"}, "DT-AS"),
        ({"standard": "bell", "alerting": "rp-as"}, "after the first ring"),
        ({"standard": "dtmf", "alerting": "dt-as"}, "DT-AS"),
        ({"message_format": "sdmf"}, "name"),
    ],
)
def test_bad_caller_id_requests_raise_and_change_nothing(kwargs, match):
    engine = MediaEngine(1, Law.ALAW)
    with pytest.raises(MediaError, match=match):
        engine.send_caller_id(0, FULL, **kwargs)
    with pytest.raises(MediaError, match="CallerId"):
        engine.send_caller_id(0, "0123456789")  # type: ignore[arg-type]
    heard, events = sent_audio(engine, 0, 3, Law.ALAW)
    assert events == [] and np.abs(heard).max() < 16
