"""The simulated exchange behind the FXO ports, seen from the box's side of the card."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from hal.interface import LoopCurrentDrop, PolarityReversed, RingStarted, RingStopped
from hal.sim import CallState, SimCard, SimError

if TYPE_CHECKING:
    from conftest import Meter, TickLoop

# ITU-T Q.23 pairs, written out here so the box's digits do not come from the sim.
KEYPAD = {
    "0": (941, 1336), "1": (697, 1209), "2": (697, 1336), "3": (697, 1477),
    "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "7": (852, 1209),
    "8": (852, 1336), "9": (852, 1477),
}  # fmt: skip


def box_dtmf(meter: Meter, digits: str) -> np.ndarray:
    gap = np.zeros(800, dtype=np.int16)
    return np.concatenate([np.concatenate([meter.tone(KEYPAD[d], 0.1, 4000), gap]) for d in digits])


def decode_cid(meter: Meter, audio: np.ndarray) -> tuple[int, dict[int, bytes]]:
    """Where an FSK caller ID burst starts in ``audio``, and its MDMF parameters."""
    start = int(np.argmax(np.abs(audio) > 1000)) - 1  # the FSK starts at phase 0
    # V.23: the mark signal after the 300 seizure bits is a steady 1300 Hz.
    assert meter.peaks(audio[start + 2100 : start + 3100], 1) == pytest.approx([1300], abs=10)
    bits = meter.fsk_bits(audio, start, (len(audio) - start - 10) * 1200 // 8000)
    assert np.array_equal(bits[:300], np.arange(300) % 2)  # channel seizure
    assert np.all(bits[300:480] == 1)  # mark signal
    first = 480 + int(np.argmax(bits[480:] == 0))
    frames = bits[first : first + (len(bits) - first) // 10 * 10].reshape(-1, 10)
    data = np.packbits(frames[:, 1:9], axis=1, bitorder="little")[:, 0]
    assert data[0] == 0x80
    message = bytes(data[: data[1] + 3])
    assert np.all(frames[: len(message), 0] == 0) and np.all(frames[: len(message), 9] == 1)
    assert sum(message) % 256 == 0
    params: dict[int, bytes] = {}
    i = 2
    while i < len(message) - 1:
        params[message[i]] = message[i + 2 : i + 2 + message[i + 1]]
        i += 2 + message[i + 1]
    return start, params


def test_inbound_call_rings_with_polish_cadence(box: TickLoop) -> None:
    box.card.pstn.call_in("fxo1", "221234567")
    box.run(12.0)
    assert [e.at for e in box.of(RingStarted)] == pytest.approx([0.0, 5.0, 10.0])
    assert [e.at for e in box.of(RingStopped)] == pytest.approx([1.0, 6.0, 11.0])
    assert {e.port for e in box.events} == {0}


def test_us_line_rings_two_seconds_on_four_off(clock: object) -> None:
    card = SimCard(clock, fxs=0, fxo=1, country="US")  # type: ignore[arg-type]
    card.pstn.call_in("fxo1", None)
    events = []
    for _ in range(400):
        card.wait_tick()
        events += card.poll_events()
    assert [(type(e), e.at) for e in events] == [
        (RingStarted, 0.0),
        (RingStopped, 2.0),
        (RingStarted, 6.0),
    ]


def test_caller_id_is_sent_in_the_first_ring_pause(box: TickLoop, meter: Meter) -> None:
    box.card.pstn.call_in("fxo1", "0221234567", "Jan Kowalski")
    box.run(5.5)
    first_stop = box.of(RingStopped)[0].at
    second_ring = box.of(RingStarted)[1].at
    start, params = decode_cid(meter, box.rx("fxo1", first_stop, second_ring))
    assert start / 8000 == pytest.approx(0.5, abs=0.01)
    assert params == {0x01: b"01010000", 0x02: b"0221234567", 0x07: b"Jan Kowalski"}
    # Nothing but line noise during the first ring or on the other line.
    assert np.max(np.abs(box.rx("fxo1", 0.0, first_stop))) < 100
    assert np.max(np.abs(box.rx("fxo2"))) < 100


def test_withheld_number_sends_private_reason(box: TickLoop, meter: Meter) -> None:
    box.card.pstn.call_in("fxo2", None, withheld=True)
    box.run(5.0)
    _, params = decode_cid(meter, box.rx("fxo2", 1.0, 5.0))
    assert params[0x04] == b"P"
    assert 0x02 not in params


def test_names_with_diacritics_are_sent_in_ia5(box: TickLoop, meter: Meter) -> None:
    call = box.card.pstn.call_in("fxo1", "601234567", "Zofia Wiśniewska-Łukasik")
    box.run(5.0)
    _, params = decode_cid(meter, box.rx("fxo1", 1.0, 5.0))
    assert params[0x07] == b"Zofia Wisniewska-Lukasik"
    assert call.caller_name == "Zofia Wiśniewska-Łukasik"


def test_cid_none_sends_no_fsk(box: TickLoop) -> None:
    box.card.pstn.call_in("fxo1", "123", cid="none")
    box.run(5.0)
    assert np.max(np.abs(box.rx("fxo1"))) < 100


def test_caller_gives_up_after_max_rings(box: TickLoop) -> None:
    call = box.card.pstn.call_in("fxo1", "123", max_rings=2)
    box.run(15.0)
    assert len(box.of(RingStarted)) == 2
    assert call.state == "ended"
    assert call.ended_at == pytest.approx(10.0)


def test_answering_stops_ringing_and_connects(box: TickLoop) -> None:
    call = box.card.pstn.call_in("fxo1", "123")
    box.run(0.5)
    box.card.set_hook(0, True)
    box.run(10.0)
    assert [e.at for e in box.of(RingStarted)] == [0.0]
    assert [e.at for e in box.of(RingStopped)] == pytest.approx([0.5])
    assert call.state == "connected"
    assert call.answered_at == pytest.approx(0.5)
    assert not box.of(PolarityReversed)  # the exchange reverses only for calls the box makes


def test_answered_call_carries_audio_both_ways(box: TickLoop, meter: Meter) -> None:
    call = box.card.pstn.call_in("fxo1", "123")
    box.run(1.2)
    box.card.set_hook(0, True)
    call.say(meter.tone((1000,), 0.5))
    box.send("fxo1", meter.tone((1500,), 0.5))
    box.run(1.0)
    rx = box.rx("fxo1", 1.2, 1.7)
    assert meter.level(rx, 1000) == pytest.approx(6000, rel=0.05)
    heard = call.heard()
    assert len(heard) == 8000
    assert meter.level(heard[:4000], 1500) == pytest.approx(6000, rel=0.05)
    assert np.max(np.abs(heard[4000:])) < 10
    call.clear_heard()
    assert len(call.heard()) == 0


def test_far_hang_up_drops_loop_current_then_plays_busy(box: TickLoop, meter: Meter) -> None:
    box.card.pstn.polarity_on_disconnect = True
    call = box.card.pstn.call_in("fxo1", "123")
    box.run(1.2)
    box.card.set_hook(0, True)
    box.run(1.0)
    call.hang_up()
    box.run(2.3)
    assert call.state == "ended"
    assert [e.at for e in box.of(LoopCurrentDrop)] == pytest.approx([2.2])
    assert [e.at for e in box.of(PolarityReversed)] == pytest.approx([2.2])
    rms = meter.frame_rms(box.rx("fxo1", 2.2, 4.5))
    assert np.all(rms[:15] < 20)  # 300 ms open loop
    on = np.tile(np.repeat([True, False], 25), 2)
    assert np.all(rms[15:115][on] > 1000) and np.all(rms[15:115][~on] < 20)
    assert meter.peaks(box.rx("fxo1", 2.5, 3.0), 1) == pytest.approx([425], abs=2)
    box.card.set_hook(0, False)
    box.run(1.0)
    assert np.max(np.abs(box.rx("fxo1", 4.6))) < 100


def test_box_hanging_up_ends_the_call(box: TickLoop) -> None:
    call = box.card.pstn.call_in("fxo1", "123")
    box.run(1.2)
    box.card.set_hook(0, True)
    box.run(1.0)
    box.card.set_hook(0, False)
    box.run(0.1)
    assert call.state == "ended"
    assert call.ended_at == pytest.approx(2.2)
    assert not box.of(LoopCurrentDrop)
    with pytest.raises(SimError, match="already ended"):
        call.hang_up()


def test_seizure_gives_dial_tone(box: TickLoop, meter: Meter) -> None:
    box.card.set_hook(1, True)
    box.run(1.0)
    rx = box.rx("fxo2")
    assert np.all(meter.frame_rms(rx) > 1000)
    assert meter.peaks(rx, 1) == pytest.approx([425], abs=2)
    call = box.card.pstn.active_call("fxo2")
    assert call is not None and call.state == "dialling" and call.direction == "out"


def test_dialled_number_is_decoded_and_answered_with_polarity_reversal(
    box: TickLoop, meter: Meter
) -> None:
    pstn = box.card.pstn
    box.card.set_hook(0, True)
    box.run(0.5)
    box.send("fxo1", box_dtmf(meter, "0221234567"))
    box.run(2.0)  # 10 digits of 200 ms
    assert np.all(meter.frame_rms(box.rx("fxo1", 0.6, 2.5)) < 100)  # dial tone stopped
    box.run(3.2)
    assert pstn.last_dialled == "0221234567"
    call = pstn.calls[-1]
    assert call.number == "0221234567"
    assert call.state == "ringing"
    ringback = box.rx("fxo1", 5.5, 6.5)
    assert meter.peaks(ringback[:8000], 1) == pytest.approx([425], abs=2)
    box.run(4.0)
    assert call.state == "connected"
    (reversal,) = box.of(PolarityReversed)
    assert reversal.at == pytest.approx(call.answered_at)
    last_digit = 0.5 + 9 * 0.2
    assert call.answered_at == pytest.approx(last_digit + 3.0 + 4.0, abs=0.1)
    assert np.max(np.abs(box.rx("fxo1", call.answered_at + 0.02))) < 100  # ringback stopped


def test_policy_busy_plays_busy_tone_without_answer(box: TickLoop, meter: Meter) -> None:
    pstn = box.card.pstn
    pstn.policy = lambda number: "busy" if number == "555" else "answer"
    pstn.number_length = 3
    box.card.set_hook(0, True)
    box.send("fxo1", box_dtmf(meter, "555"))
    box.run(4.0)
    call = pstn.calls[-1]
    assert call.state == CallState.REJECTED and call.outcome == "busy"
    assert not box.of(PolarityReversed)
    rms = meter.frame_rms(box.rx("fxo1", 1.0, 4.0))
    assert np.sum(rms > 1000) == pytest.approx(75, abs=2)  # half of 3 s
    box.card.set_hook(0, False)
    box.run(0.1)
    assert call.state == "rejected" and call.ended_at == pytest.approx(4.0)


def test_policy_congestion_and_no_answer(box: TickLoop, meter: Meter) -> None:
    pstn = box.card.pstn
    pstn.policy = lambda number: {"1": "congestion", "2": "no-answer"}[number]
    pstn.number_length = 1
    box.card.set_hook(0, True)
    box.card.set_hook(1, True)
    box.send("fxo1", box_dtmf(meter, "1"))
    box.send("fxo2", box_dtmf(meter, "2"))
    box.run(20.0)
    congestion, no_answer = pstn.calls
    assert congestion.state == "rejected" and congestion.outcome == "congestion"
    assert no_answer.state == "ringing" and no_answer.answered_at is None
    on = meter.frame_rms(box.rx("fxo1", 1.0, 5.0)) > 1000
    edges = np.flatnonzero(np.diff(on.astype(int)))
    assert set(np.diff(edges).tolist()) <= {12, 13}  # 0.25 s on, 0.25 s off
    ringback = meter.frame_rms(box.rx("fxo2", 5.0, 20.0)) > 1000
    assert np.sum(ringback) == pytest.approx(150, abs=2)  # 1 s in every 5 s


def test_a_policy_answer_outside_the_list_is_a_clear_error(box: TickLoop, meter: Meter) -> None:
    box.card.pstn.policy = lambda number: "maybe"
    box.card.pstn.number_length = 1
    box.card.set_hook(0, True)
    box.send("fxo1", box_dtmf(meter, "1"))
    with pytest.raises(SimError, match="policy said 'maybe'"):
        box.run(1.0)


def test_far_party_dtmf_reaches_the_box(box: TickLoop, meter: Meter) -> None:
    call = box.card.pstn.call_in("fxo1", "123")
    box.card.set_hook(0, True)
    call.dial("9", on=0.1)
    box.run(0.3)
    rx = box.rx("fxo1", 0.0, 0.1)
    assert meter.peaks(rx, 2) == pytest.approx([852, 1477], abs=5)


def test_ringing_a_seized_line_is_refused(box: TickLoop) -> None:
    box.card.set_hook(0, True)
    with pytest.raises(SimError, match="fxo1 is busy"):
        box.card.pstn.call_in("fxo1", "123")
    with pytest.raises(SimError, match="no line on 'fxs1'"):
        box.card.pstn.call_in("fxs1", "123")
    with pytest.raises(SimError, match="cid must be one of"):
        box.card.pstn.call_in("fxo2", "123", cid="dtmf")


def test_no_dial_tone_on_a_line_in_alarm(box: TickLoop) -> None:
    box.card.set_alarm("fxo1", "no battery")
    box.card.set_hook(0, True)
    box.run(1.0)
    assert np.max(np.abs(box.rx("fxo1"))) < 100
    assert box.card.pstn.calls == []
    with pytest.raises(SimError, match="in alarm"):
        box.card.pstn.call_in("fxo1", "123")
