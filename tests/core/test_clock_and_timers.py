import pytest

from firmware.calls.timers import Timers
from hal.clock import ManualClock


def test_manual_clock_moves_only_when_advanced():
    clock = ManualClock(start=5.0, epoch=1000.0)
    assert clock.now() == 5.0 and clock.wall() == 1005.0
    clock.advance(0.02)
    assert clock.now() == pytest.approx(5.02)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_timers_run_in_due_order_and_only_when_due():
    timers = Timers()
    fired: list[tuple[str, float]] = []
    timers.call_at(2.0, lambda now: fired.append(("b", now)))
    timers.call_at(1.0, lambda now: fired.append(("a", now)))
    assert timers.run_due(0.5) == 0
    assert timers.next_deadline() == 1.0
    assert timers.run_due(3.0) == 2
    assert [name for name, _ in fired] == ["a", "b"]


def test_cancelled_timer_never_runs():
    timers = Timers()
    fired = []
    handle = timers.call_at(1.0, fired.append)
    handle.cancel()
    timers.run_due(5.0)
    assert fired == [] and timers.next_deadline() is None


def test_timer_scheduled_by_a_timer_for_now_runs_in_same_pass():
    timers = Timers()
    fired = []
    timers.call_at(1.0, lambda now: timers.call_at(now, lambda n: fired.append(n)))
    timers.run_due(1.0)
    assert fired == [1.0]
