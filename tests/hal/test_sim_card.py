"""The simulated card as the daemon sees it: ports, ticks, frames, controls, alarms."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from hal import g711
from hal.clock import ManualClock, MonotonicClock
from hal.interface import AlarmChanged, HalError, Law, PortKind
from hal.sim import SimCard, SimError

if TYPE_CHECKING:
    from conftest import Meter, TickLoop


def test_ports_are_fxo_first_then_fxs(clock: ManualClock) -> None:
    card = SimCard(clock, fxs=3, fxo=2)
    assert [p.name for p in card.ports] == ["fxo1", "fxo2", "fxs1", "fxs2", "fxs3"]
    assert [p.index for p in card.ports] == [0, 1, 2, 3, 4]
    assert card.ports[2].kind is PortKind.FXS
    assert set(card.phones) == {"fxs1", "fxs2", "fxs3"}
    frames = card.read_frames()
    assert frames.shape == (5, 160) and frames.dtype == np.uint8


def test_wait_tick_advances_a_manual_clock_by_one_frame(card: SimCard, clock: ManualClock) -> None:
    assert card.wait_tick() == pytest.approx(0.02)
    assert card.wait_tick() == pytest.approx(0.04)
    assert clock.now() == pytest.approx(0.04)


def test_real_time_wait_tick_paces_like_hardware() -> None:
    wall = MonotonicClock()
    card = SimCard(wall, fxs=1, fxo=0)
    start = wall.now()
    ticks = [card.wait_tick() for _ in range(5)]
    assert wall.now() - start >= 0.08
    assert ticks == sorted(ticks)


def test_read_frames_returns_the_latest_frame_in_the_card_law(clock: ManualClock) -> None:
    card = SimCard(clock, fxs=1, fxo=1, law=Law.ULAW)
    card.phones["fxs1"].off_hook()
    card.phones["fxs1"].say(np.full(160, 1000, dtype=np.int16))
    card.wait_tick()
    frames = card.read_frames()
    assert np.all(
        g711.decode(frames[1], Law.ULAW)
        == g711.decode(g711.encode(np.int16(1000), Law.ULAW), Law.ULAW)
    )
    assert np.array_equal(card.read_frames(), frames)  # no time passed, same frame


def test_controls_on_the_wrong_kind_of_port_are_refused(card: SimCard) -> None:
    with pytest.raises(HalError, match="fxs1 is fxs, not fxo"):
        card.set_hook(2, True)
    with pytest.raises(HalError, match="fxs1 is fxs, not fxo"):
        card.flash(2)
    with pytest.raises(HalError, match="fxo1 is fxo, not fxs"):
        card.start_ring(0, (1.0, 4.0))
    with pytest.raises(HalError, match="fxo2 is fxo, not fxs"):
        card.stop_ring(1)
    with pytest.raises(HalError, match="no port with index 9"):
        card.set_hook(9, True)
    with pytest.raises(HalError, match="unknown port 'fxo7'"):
        card.set_alarm("fxo7", "no battery")
    assert card.pstn.calls == []


def test_flash_on_an_idle_line_is_refused(card: SimCard) -> None:
    with pytest.raises(HalError, match="needs a seized line"):
        card.flash(0, 0.1)
    card.set_hook(0, True)
    with pytest.raises(HalError, match="at most 2.0 s"):
        card.flash(0, 5.0)


def test_flash_on_a_connected_line_is_counted(box: TickLoop) -> None:
    call = box.card.pstn.call_in("fxo1", "123")
    box.card.set_hook(0, True)
    box.run(0.2)
    box.card.flash(0, 0.1)
    assert call.flashes == 1 and call.state == "connected"


def test_wrongly_shaped_frames_change_nothing(card: SimCard, meter: Meter) -> None:
    phone = card.phones["fxs1"]
    phone.off_hook()
    with pytest.raises(HalError, match=r"uint8 of shape \(4, 160\)"):
        card.write_frames(np.zeros((4, 80), dtype=np.uint8))
    with pytest.raises(HalError, match="uint8"):
        card.write_frames(np.zeros((4, 160), dtype=np.int16))
    assert len(phone.heard()) == 0


def test_alarm_raises_and_clears_with_events(box: TickLoop) -> None:
    box.run(0.1)
    box.card.set_alarm("fxo2", "no battery")
    box.card.set_alarm("fxo2", "no battery")  # unchanged: no second event
    box.run(0.1)
    box.card.set_alarm("fxo2", None)
    box.run(0.1)
    assert box.of(AlarmChanged) == [
        AlarmChanged(1, "no battery", pytest.approx(0.1)),
        AlarmChanged(1, None, pytest.approx(0.2)),
    ]
    assert box.card.alarm("fxo2") is None
    with pytest.raises(SimError, match="non-empty description"):
        box.card.set_alarm("fxo2", "")


def test_alarm_drops_the_call_on_its_line(box: TickLoop) -> None:
    call = box.card.pstn.call_in("fxo1", "123")
    box.card.set_hook(0, True)
    box.run(0.5)
    box.card.set_alarm("fxo1", "no battery")
    assert call.state == "ended"
    box.card.set_alarm("fxo1", None)
    box.run(0.5)
    assert box.card.pstn.calls[-1].state == "dialling"  # battery back under the loop


def test_bad_card_shapes_are_refused(clock: ManualClock) -> None:
    with pytest.raises(SimError, match="at least one port"):
        SimCard(clock, fxs=0, fxo=0)
    with pytest.raises(SimError, match="fxs must be a whole number"):
        SimCard(clock, fxs=-1)
    with pytest.raises(SimError, match="no tone plan"):
        SimCard(clock, country="ZZ")


def test_events_come_oldest_first_across_ports(box: TickLoop) -> None:
    box.card.pstn.call_in("fxo1", "1")
    box.run(0.5)
    box.card.phones["fxs1"].off_hook()
    box.run(1.0)
    assert [e.at for e in box.events] == sorted(e.at for e in box.events)
    assert len(box.events) == 3
