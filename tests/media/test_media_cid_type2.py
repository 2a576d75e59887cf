"""Call-waiting (type II) caller ID: the CAS handshake with a phone, acknowledged or not."""

from __future__ import annotations

import numpy as np
import pytest

from firmware.media.dtmf import generate_dtmf
from firmware.media.engine import MediaEngine, MediaError
from firmware.media.events import DigitDetected, OffhookCallerIdFinished
from firmware.media.fsk import CAS_SECONDS, SAS_SECONDS, CallerId, decode_caller_id
from firmware.media.levels import dbm0_to_peak
from hal import g711
from hal.interface import Law

TICK = 0.02
RATE = 8000
LAW = Law.ALAW
CID = CallerId(number="0221234567", name="Anna Nowak", datetime="06011230")
PHONE, PARTNER = 0, 1


def level_at(samples: np.ndarray, freq: float) -> float:
    t = np.arange(samples.size) / RATE
    return 2 * abs(np.sum(samples * np.exp(-2j * np.pi * freq * t))) / samples.size


class Phone:
    """A call-waiting phone: hears the CAS end, answers ``ack`` after ``delay_ticks``.

    ``ack`` None never answers. Everything the phone hears is kept for decoding.
    """

    def __init__(self, ack: str | None, delay_ticks: int = 0) -> None:
        self.ack = ack
        self.delay_ticks = delay_ticks
        self.heard: list[np.ndarray] = []
        self.cas_frames = 0
        self.countdown: int | None = None
        self.sending = np.zeros(0, dtype=np.int16)

    def hear(self, frame: np.ndarray) -> None:
        audio = g711.decode(frame, LAW).astype(np.float64)
        self.heard.append(audio)
        cas = min(level_at(audio, 2130), level_at(audio, 2750)) > 1000
        if cas:
            self.cas_frames += 1
        elif self.cas_frames and self.countdown is None and self.ack is not None:
            self.countdown = self.delay_ticks

    def speak(self) -> np.ndarray:
        if self.countdown is not None:
            if self.countdown == 0:
                self.sending = generate_dtmf(self.ack, on_ms=65, off_ms=0)
                self.countdown = -1
            elif self.countdown > 0:
                self.countdown -= 1
        frame = np.zeros(160)
        chunk = self.sending[:160]
        frame[: chunk.size] = chunk
        self.sending = self.sending[160:]
        return g711.encode(frame, LAW)


def run(engine: MediaEngine, phone: Phone, ticks: int, partner_audio: bool = True) -> list:
    """Tick with the phone on PHONE and a talking partner bridged to it on PARTNER."""
    voice = g711.encode(dbm0_to_peak(-15) * np.sin(2 * np.pi * 400 * np.arange(160) / RATE), LAW)
    events = []
    for k in range(ticks):
        rx = np.full((2, 160), g711.SILENCE[LAW], dtype=np.uint8)
        rx[PHONE] = phone.speak()
        if partner_audio:
            rx[PARTNER] = voice
        tx, ev = engine.tick(rx, (k + 1) * TICK)
        phone.hear(tx[PHONE])
        events += [(k, e) for e in ev]
    return events


def bridged_engine() -> MediaEngine:
    engine = MediaEngine(2, LAW)
    engine.bridge(PHONE, PARTNER)
    return engine


@pytest.mark.parametrize(("standard", "ack"), [("etsi", "D"), ("bell", "A"), ("bell", "D")])
def test_acknowledged_cas_is_followed_by_the_caller_id(standard, ack):
    engine = bridged_engine()
    phone = Phone(ack)
    run(engine, phone, 10)
    engine.send_caller_id_offhook(PHONE, CID, standard)
    events = run(engine, phone, 150)
    finished = [(k, e) for k, e in events if isinstance(e, OffhookCallerIdFinished)]
    assert len(finished) == 1 and finished[0][1].acknowledged and finished[0][1].channel == PHONE
    heard = np.concatenate(phone.heard)
    assert decode_caller_id(heard) == [CID]
    # The acknowledgement belongs to the handshake: it is not reported as a key press.
    assert not any(isinstance(e, DigitDetected) for _, e in events)
    # The call's audio was replaced by the alert and comes back after the data.
    assert phone.cas_frames == round(CAS_SECONDS / TICK)
    alert = round(((SAS_SECONDS if standard == "bell" else 0.0) + CAS_SECONDS) * RATE)
    start = 10 * 160
    assert level_at(heard[start : start + alert], 400) < 20
    after = heard[-20 * 160 :]
    assert level_at(after, 400) > 1000


def test_bell_alert_starts_with_the_440_hz_subscriber_alerting_signal():
    engine = bridged_engine()
    phone = Phone("A")
    engine.send_caller_id_offhook(PHONE, CID, "bell")
    run(engine, phone, 20, partner_audio=False)
    sas = np.concatenate(phone.heard)[: round(SAS_SECONDS * RATE)]
    assert level_at(sas, 440) > 1000 and level_at(sas, 2130) < 50


def test_unanswered_cas_sends_nothing_and_the_call_resumes():
    engine = bridged_engine()
    phone = Phone(None)
    engine.send_caller_id_offhook(PHONE, CID, "etsi")
    events = run(engine, phone, 40)
    # 4 ticks of CAS (the last is tick 3), then the 160 ms window and 80 ms margin.
    assert [e for _, e in events] == [OffhookCallerIdFinished(PHONE, False, 16 * TICK)]
    assert events[0][0] == 3 + 12
    heard = np.concatenate(phone.heard)
    assert decode_caller_id(heard) == []
    gave_up = events[0][0] + 1
    assert level_at(heard[gave_up * 160 :], 400) > 1000  # the partner is heard again
    assert np.abs(heard[4 * 160 : gave_up * 160]).max() < 16  # silence while waiting


@pytest.mark.parametrize(("delay_ticks", "in_time"), [(6, True), (7, False), (10, False)])
def test_acknowledgement_must_begin_within_160_ms_of_the_cas_end(delay_ticks, in_time):
    # The phone hears the silence after the CAS one tick after it is sent and answers
    # in the tick after that, so its digit begins 20 ms + delay after the CAS ends:
    # 140 ms for a delay of 6 ticks, 160 ms plus the detector's 2 ms lead for 7.
    engine = bridged_engine()
    phone = Phone("D", delay_ticks=delay_ticks)
    engine.send_caller_id_offhook(PHONE, CID, "etsi")
    events = [e for _, e in run(engine, phone, 60)]
    finished = [e for e in events if isinstance(e, OffhookCallerIdFinished)]
    assert [e.acknowledged for e in finished] == [in_time]
    digits = [e.digit for e in events if isinstance(e, DigitDetected)]
    assert digits == ([] if in_time else ["D"])  # a late answer is a plain key press
    assert decode_caller_id(np.concatenate(phone.heard)) == ([CID] if in_time else [])


def test_a_wrong_digit_does_not_acknowledge_the_cas():
    engine = bridged_engine()
    phone = Phone("A")  # ETSI phones must answer D
    engine.send_caller_id_offhook(PHONE, CID, "etsi")
    events = [e for _, e in run(engine, phone, 40)]
    assert [type(e) for e in events] == [DigitDetected, OffhookCallerIdFinished]
    assert events[1].acknowledged is False


def test_stopping_the_playout_abandons_the_handshake_without_a_report():
    engine = bridged_engine()
    phone = Phone("D")
    engine.send_caller_id_offhook(PHONE, CID, "etsi")
    run(engine, phone, 2)
    engine.stop_playout(PHONE)
    events = run(engine, phone, 40)
    assert not any(isinstance(e, OffhookCallerIdFinished) for _, e in events)
    assert decode_caller_id(np.concatenate(phone.heard)) == []


def test_offhook_caller_id_requests_are_checked():
    engine = bridged_engine()
    with pytest.raises(MediaError, match="'etsi' or 'bell'"):
        engine.send_caller_id_offhook(PHONE, CID, "dtmf")  # type: ignore[arg-type]
    with pytest.raises(MediaError, match="8 digits"):
        engine.send_caller_id_offhook(PHONE, CallerId(number="1", datetime="1"), "etsi")
    with pytest.raises(MediaError, match="no channel"):
        engine.send_caller_id_offhook(7, CID, "etsi")
