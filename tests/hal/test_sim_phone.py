"""Phones on the simulated FXS ports, seen from the box's side of the card."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from hal.interface import HalError, HookChanged
from hal.sim import SimError

if TYPE_CHECKING:
    from conftest import Meter, TickLoop


def test_hook_changes_arrive_as_events_at_their_time(box: TickLoop) -> None:
    phone = box.card.phones["fxs2"]
    box.run(0.4)
    phone.off_hook()
    box.run(1.0)
    phone.on_hook()
    box.run(0.1)
    events = box.of(HookChanged)
    assert [(e.port, e.offhook) for e in events] == [(3, True), (3, False)]
    assert [e.at for e in events] == pytest.approx([0.4, 1.4])
    assert not phone.offhook


def test_lifting_a_lifted_handset_is_refused(box: TickLoop) -> None:
    phone = box.card.phones["fxs1"]
    phone.off_hook()
    with pytest.raises(SimError, match="already off-hook"):
        phone.off_hook()


def test_dialled_digits_reach_the_box_as_dtmf(box: TickLoop, meter: Meter) -> None:
    phone = box.card.phones["fxs1"]
    phone.off_hook()
    phone.dial("19", on=0.1, off=0.1)
    box.run(0.6)
    rx = box.rx("fxs1")
    assert meter.peaks(rx[:800], 2) == pytest.approx([697, 1209], abs=5)
    assert np.all(rx[800:1600] == rx[800])  # the pause is silent
    assert meter.peaks(rx[1600:2400], 2) == pytest.approx([852, 1477], abs=5)
    assert np.all(rx[3200:] == rx[800])


def test_phone_speaks_only_off_hook(box: TickLoop, meter: Meter) -> None:
    phone = box.card.phones["fxs1"]
    with pytest.raises(SimError, match="on-hook"):
        phone.say(meter.tone((800,), 0.1))
    phone.off_hook()
    phone.say(meter.tone((800,), 0.2))
    box.run(0.2)
    assert meter.level(box.rx("fxs1"), 800) == pytest.approx(6000, rel=0.05)


def test_phone_hears_what_the_box_sends_while_off_hook(box: TickLoop, meter: Meter) -> None:
    phone = box.card.phones["fxs1"]
    box.send("fxs1", meter.tone((600,), 1.0))
    box.run(0.5)
    phone.off_hook()
    box.run(0.5)
    heard = phone.heard()
    assert len(heard) == 4000
    assert meter.level(heard, 600) == pytest.approx(6000, rel=0.05)
    phone.clear_heard()
    assert len(phone.heard()) == 0


def test_ringing_follows_the_cadence_the_box_asked_for(box: TickLoop) -> None:
    phone = box.card.phones["fxs1"]
    box.card.start_ring(2, (0.4, 0.2, 0.4, 2.0))
    seen = []
    for _ in range(150):  # 3 s
        seen.append(phone.ringing)
        box.run(0.02)
    on = np.array(seen)
    expected = np.zeros(150, dtype=bool)
    expected[0:20] = expected[30:50] = True  # 0.4 on, 0.2 off, 0.4 on, 2.0 off
    assert np.array_equal(on, expected)
    assert phone.rings == 3 and phone.ringing  # the next cycle begins at 3 s
    box.run(0.1)
    box.card.stop_ring(2)
    assert not phone.ringing
    box.run(5.0)
    assert phone.rings == 3


def test_picking_up_trips_the_ring(box: TickLoop) -> None:
    phone = box.card.phones["fxs1"]
    box.card.start_ring(2, (1.0, 4.0))
    box.run(0.3)
    phone.off_hook()
    assert not phone.ringing
    box.run(6.0)
    assert phone.rings == 1


def test_flash_goes_on_hook_and_back_after_its_time(box: TickLoop) -> None:
    phone = box.card.phones["fxs1"]
    phone.off_hook()
    box.run(1.0)
    phone.flash(0.3)
    assert not phone.offhook
    box.run(0.2)
    assert not phone.offhook
    box.run(0.2)
    assert phone.offhook
    events = box.of(HookChanged)
    assert [(e.port, e.offhook) for e in events] == [(2, True), (2, False), (2, True)]
    assert [e.at for e in events] == pytest.approx([0.0, 1.0, 1.3])


def test_flash_needs_a_lifted_handset(box: TickLoop) -> None:
    with pytest.raises(SimError, match="needs it off-hook"):
        box.card.phones["fxs1"].flash()


def test_bad_ring_cadence_is_refused(box: TickLoop) -> None:
    with pytest.raises(HalError, match="on/off pairs"):
        box.card.start_ring(2, (1.0,))
    with pytest.raises(HalError, match="at least one on/off pair"):
        box.card.start_ring(2, ())
    assert box.card.phones["fxs1"].rings == 0
