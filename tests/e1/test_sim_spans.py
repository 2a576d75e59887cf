"""The sim card's E1 spans: B-channel rows, D-channel frames, alarms, counters, clock."""

import numpy as np
import pytest

from firmware.pri.dchannel import DChannel
from firmware.signaling.q921 import Side
from firmware.signaling.q921 import events as l2
from hal import g711
from hal.clock import ManualClock
from hal.interface import FRAME_SAMPLES, PortKind
from hal.sim.card import SimCard
from hal.sim.world import SimError
from hal.span import SpanAlarm, SpanAlarmChanged, SpanDescription, SpanError


def tick(card: SimCard, tx: np.ndarray | None = None) -> np.ndarray:
    card.wait_tick()
    rx = card.read_frames()
    if tx is None:
        tx = np.full((len(card.ports), FRAME_SAMPLES), g711.SILENCE[card.law], dtype=np.uint8)
    card.write_frames(tx)
    return rx


def test_each_span_adds_thirty_b_channel_rows_named_by_time_slot():
    card = SimCard(ManualClock(), fxs=1, fxo=1, spans=2)
    b = [p for p in card.ports if p.kind is PortKind.E1B]
    assert len(card.ports) == 2 + 60 and len(b) == 60
    assert [p.name for p in b[:2]] == ["span1/b1", "span1/b2"]
    assert "span1/b16" not in {p.name for p in b}
    assert b[-1].name == "span2/b31" and b[-1].index == 61
    assert [p.name for p in card.b_channels(2)][14:16] == ["span2/b15", "span2/b17"]


def test_cabled_spans_carry_audio_row_for_row_one_frame_later():
    card = SimCard(ManualClock(), fxs=0, fxo=0, spans=2)
    card.cable("span1", "span2")
    tx = np.full((len(card.ports), FRAME_SAMPLES), g711.SILENCE[card.law], dtype=np.uint8)
    row = card.port_by_name("span1/b17").index
    tone = (3000 * np.sin(np.arange(FRAME_SAMPLES) * 0.3)).astype(np.int16)
    tx[row] = g711.encode(tone, card.law)
    tick(card, tx)
    rx = tick(card)
    heard = g711.decode(rx[card.port_by_name("span2/b17").index], card.law)
    assert np.abs(heard - tone).max() < 200  # G.711 rounding only
    other = g711.decode(rx[card.port_by_name("span2/b18").index], card.law)
    assert np.abs(other).max() < 10


def test_dchannel_frames_cross_a_cable_and_bring_the_link_up():
    card = SimCard(ManualClock(), fxs=0, fxo=0, spans=2)
    card.cable("span1", "span2")
    te, nt = DChannel(Side.USER), DChannel(Side.NETWORK)
    pending = {1: te.start(0.0), 2: nt.start(0.0)}
    for _ in range(10):
        now = card.wait_tick()
        for number in (1, 2):
            for out in pending[number]:
                if isinstance(out, l2.TransmitFrame):
                    card.write_dchannel(number, out.frame)
            pending[number] = []
        for number, dch in ((1, te), (2, nt)):
            for frame in card.read_dchannel(number):
                pending[number] += dch.receive_frame(frame, now)
    assert te.link_up and nt.link_up


def test_frames_that_cannot_be_lapd_are_refused_and_change_nothing():
    card = SimCard(ManualClock(), fxs=0, fxo=0, spans=1)
    with pytest.raises(SpanError, match="3 to 264 octets"):
        card.write_dchannel(1, b"\x00\x01")
    with pytest.raises(SpanError, match="3 to 264 octets"):
        card.write_dchannel(1, bytes(265))
    with pytest.raises(SimError, match="no span 3"):
        card.write_dchannel(3, bytes(3))


def test_loss_of_signal_is_red_here_and_yellow_at_the_far_end():
    card = SimCard(ManualClock(), fxs=0, fxo=0, spans=2)
    card.cable("span1", "span2")
    card.set_span_alarms("span1", {SpanAlarm.LOS})
    events = [e for e in card.poll_events() if isinstance(e, SpanAlarmChanged)]
    assert {(e.span, frozenset(e.alarms)) for e in events} == {
        (1, frozenset({SpanAlarm.LOS})), (2, frozenset({SpanAlarm.RAI})),
    }
    status = card.span_status(1)
    assert status.colours == ("red",) and not status.ok
    assert status.summary.startswith("red alarm: loss of signal")
    assert card.span_status(2).colours == ("yellow",)
    card.set_span_alarms("span1", ())
    assert card.span_status(1).ok and card.span_status(2).ok


def test_mismatched_line_settings_show_in_the_counters():
    card = SimCard(ManualClock(), fxs=0, fxo=0, spans=2)
    card.cable("span1", "span2")
    card.configure_span(SpanDescription(2, crc4=False, clock_priority=2))
    for _ in range(5):
        tick(card)
    assert card.span_status(1).counters.crc_errors > 0
    assert card.span_status(2).counters.crc_errors == 0
    card.count_span_errors("span2", bpv=7, slips=1)
    counters = card.span_status(2).counters
    assert counters.bpv == 7 and counters.slips == 1


def test_clock_comes_from_the_healthy_span_with_the_best_priority():
    card = SimCard(ManualClock(), fxs=0, fxo=0, spans=[
        SpanDescription(1, clock_priority=2), SpanDescription(2, clock_priority=1),
    ])
    assert card.span_status(2).clock_source and not card.span_status(1).clock_source
    card.set_span_alarms("span2", {SpanAlarm.LOF})
    assert card.span_status(1).clock_source


def test_operator_refuses_to_offer_a_call_while_its_link_is_down():
    card = SimCard(ManualClock(), fxs=0, fxo=0, spans=1)
    with pytest.raises(SimError, match="D-channel of span1 is down"):
        card.far_ends["span1"].call_in("100", "200")
