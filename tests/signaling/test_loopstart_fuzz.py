"""Random line input never breaks a loop-start machine.

A line can do anything (bounces, rings out of place, noise decoded as digits);
the machines must shrug it off. Requests from above may be refused, but only
with LocalProtocolError, and a refusal must leave the machine as it was.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.signaling.loopstart import FxoConfig, FxoLine, FxsLine, LocalProtocolError
from firmware.signaling.loopstart.events import DTMF_DIGITS, Action, Event, Output, SetHook

deltas = st.floats(min_value=0.0, max_value=8.0, allow_nan=False)
digits = st.sampled_from(sorted(DTMF_DIGITS))

FxsStep = Callable[[FxsLine, float], list[Output]]
FxoStep = Callable[[FxoLine, float], list[Output]]


def fxs_line_step() -> st.SearchStrategy[FxsStep]:
    return st.one_of(
        st.booleans().map(lambda off: lambda line, now: line.hook(off, now)),
        digits.map(lambda d: lambda line, now: line.digit(d, now)),
        st.just(lambda line, now: line.handle_timer(now)),
    )


def fxs_request_step() -> st.SearchStrategy[FxsStep]:
    return st.sampled_from(
        [
            lambda line, now: line.ring(now),
            lambda line, now: line.stop_ring(now),
            lambda line, now: line.connect(now),
            lambda line, now: line.release(now),
        ]
    )


FXO_LINE_STEPS: list[FxoStep] = [
    lambda line, now: line.ring_started(now),
    lambda line, now: line.ring_stopped(now),
    lambda line, now: line.polarity_reversed(now),
    lambda line, now: line.loop_current_drop(now),
    lambda line, now: line.caller_id("0215551234", None, None, now),
    lambda line, now: line.caller_id(None, None, None, now),
    lambda line, now: line.disconnect_tone(now),
    lambda line, now: line.digits_sent(now),
    lambda line, now: line.handle_timer(now),
]

FXO_REQUEST_STEPS: list[FxoStep] = [
    lambda line, now: line.answer(now),
    lambda line, now: line.dial("123", now),
    lambda line, now: line.hangup(now),
    lambda line, now: line.flash(now),
]


def check_outputs(out: list[Output], deadline: float | None, now: float) -> None:
    assert all(isinstance(o, Action | Event) for o in out)
    # Every input fires the timers already due, so nothing is left overdue.
    assert deadline is None or deadline > now


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(deltas, fxs_line_step()), max_size=60))
def test_random_line_input_never_raises_on_fxs(steps: list[tuple[float, FxsStep]]) -> None:
    line = FxsLine()
    now = 0.0
    for delta, step in steps:
        now += delta
        check_outputs(step(line, now), line.next_deadline(), now)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(deltas, st.one_of(fxs_line_step(), fxs_request_step())),
        max_size=60,
    )
)
def test_refused_requests_leave_the_fxs_machine_unchanged(
    steps: list[tuple[float, FxsStep]],
) -> None:
    line = FxsLine()
    now = 0.0
    for delta, step in steps:
        now += delta
        line.handle_timer(now)
        before = (line.state, line.tone, line.next_deadline())
        try:
            out = step(line, now)
        except LocalProtocolError:
            assert (line.state, line.tone, line.next_deadline()) == before
            continue
        check_outputs(out, line.next_deadline(), now)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(deltas, st.sampled_from(FXO_LINE_STEPS)), max_size=60))
def test_random_line_input_never_raises_on_fxo(steps: list[tuple[float, FxoStep]]) -> None:
    line = FxoLine()
    now = 0.0
    for delta, step in steps:
        now += delta
        check_outputs(step(line, now), line.next_deadline(), now)


@settings(max_examples=300, deadline=None)
@given(
    st.booleans(),
    st.lists(
        st.tuples(deltas, st.sampled_from(FXO_LINE_STEPS + FXO_REQUEST_STEPS)),
        max_size=60,
    ),
)
def test_refused_requests_leave_the_fxo_machine_unchanged(
    by_polarity: bool, steps: list[tuple[float, FxoStep]]
) -> None:
    line = FxoLine(FxoConfig(answer_by_polarity=by_polarity))
    now = 0.0
    seized = False
    for delta, step in steps:
        now += delta
        line.handle_timer(now)
        before = (line.state, line.next_deadline())
        try:
            out = step(line, now)
        except LocalProtocolError:
            assert (line.state, line.next_deadline()) == before
            continue
        check_outputs(out, line.next_deadline(), now)
        # The hook actions alternate: the machine never seizes twice or releases twice.
        for o in out:
            if isinstance(o, SetHook):
                assert o.offhook is not seized
                seized = o.offhook
