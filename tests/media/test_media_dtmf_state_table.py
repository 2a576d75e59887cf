"""The batched digit-timing table against the timing rules it is built from."""

from __future__ import annotations

import numpy as np

from firmware.media.dtmf import _IDLE, _INPUTS, _digit_step, _digit_table


def window_digits(n_channels: int, windows: int, rng: np.random.Generator) -> np.ndarray:
    """(windows, n_channels) digits, -1 for none: runs of 1-12 windows of one digit or of
    nothing, so starts, drop-outs, pauses and changes of digit all occur."""
    out = np.empty((windows, n_channels), dtype=np.int64)
    for ch in range(n_channels):
        at = 0
        while at < windows:
            length = int(rng.integers(1, 13))
            out[at : at + length, ch] = -1 if rng.random() < 0.4 else int(rng.integers(16))
            at += length
    return out


def test_table_lookups_follow_the_digit_timing_rules_on_every_channel():
    rng = np.random.default_rng(24)
    digits = window_digits(200, 400, rng)
    table = _digit_table()
    code = np.zeros(digits.shape[1], dtype=np.int32)
    started_by_table = np.zeros(digits.shape, dtype=bool)
    for w, row in enumerate(digits):
        index = code + row + 1
        code = table.next_code[index]
        started_by_table[w] = table.starts[index]

    started_by_rules = np.zeros(digits.shape, dtype=bool)
    for ch in range(digits.shape[1]):
        state = _IDLE
        for w, digit in enumerate(digits[:, ch].tolist()):
            state, started_by_rules[w, ch] = _digit_step(state, digit)
        reported = state.active if state.active >= 0 and state.misses == 0 else -1
        assert table.hold[code[ch]] == reported
    assert started_by_table.any()
    assert np.array_equal(started_by_table, started_by_rules)
    assert table.next_code.size % _INPUTS == 0


def test_a_digit_starts_on_its_fifth_window_and_ends_after_nine_without_it():
    state, starts = _IDLE, []
    for digit in [3] * 6 + [-1] * 8 + [3] * 2 + [-1] * 9 + [3] * 5:
        state, started = _digit_step(state, digit)
        starts.append(started)
    # Started on the 5th window; held across 8 missing windows; ended by 9; started again.
    assert [i for i, s in enumerate(starts) if s] == [4, 29]
