"""DTMF (ITU-T Q.23) detection over all channels at once, and DTMF generation.

The receiver meets ITU-T Q.24 (Annex A, the administrations' reception values) and
ETSI ES 201 235-3 on every limit; each limit below is a module constant and the
tests check both sides of each:

* frequency: tones within 1.5 % + 2 Hz of nominal are accepted, tones 3.5 % off are
  rejected (Q.24 §A: the operate/non-operate frequency tolerances);
* duration: tones of 40 ms and longer are accepted; tones of 23 ms and shorter are
  rejected (Q.24 Annex A lists a non-operate duration of 20 ms for some
  administrations and 23 ms for others; rejecting up to 23 ms meets both);
* twist: the high-group tone may be up to 8 dB louder (normal twist) or 4 dB
  quieter (reverse twist) than the low-group tone; more is rejected;
* level: tones from -25 dBm0 per tone up are accepted; a tone below -30 dBm0
  (``MIN_TONE_DBM0``) is never part of a digit, so line noise and near-silence
  give nothing;
* interruptions of up to 20 ms inside a tone do not split a digit, and a pause of
  40 ms separates two digits (Q.24 §A: signal interruption and pause);
* talk-off: speech and music spread their energy over many frequencies, glide in
  pitch and carry harmonics, so the share-of-energy, frequency and harmonic checks
  below reject them (tested on espeak-ng speech in Polish, French and English and
  on synthetic chords and arpeggios).

How it works, per block and for all channels in one batch: the block is cut into
chunks of 40 samples (5 ms) and a square and a matrix-vector product give every
chunk's energy. A channel whose windows are all too quiet to hold two tones at the
minimum level (a bound from the Cauchy-Schwarz inequality, so nothing is lost) goes no
further; line noise and silence cost little else. For the other channels, one float32
matrix product gives the DFT at the eight DTMF frequencies of every chunk from two
chunks before the block to its end, all referred to one instant. An analysis window
is three consecutive chunks (120 samples, 15 ms, enough to resolve 697 from 770 Hz);
its DFT is the plain sum of its chunks' DFTs, so overlapping windows cost no extra
product. A cheap screen (two strong tones holding most of the energy) leaves the few
windows that may hold a digit; only those get the full test. A window is a *hit* for
a digit when

* each group's strongest tone is at least ``MIN_TONE_DBM0``,
* it beats the other tones of its group by ``GROUP_MARGIN_DB``,
* the twist, measured through a Hann window (whose low side lobes keep one group's
  tone out of the other's level) and corrected for the tone's frequency offset, is
  within limits,
* the two tones carry ``MIN_TONE_FRACTION`` of the window's energy (the talk-off
  guard; a tone that fills only part of the window fails it too, which is what
  makes the duration limits sharp),
* neither tone has a harmonic within ``MAX_HARMONIC_DB`` of it, and
* the phase advance of each tone between this window and the one 40 samples earlier
  matches its nominal frequency (this measures the frequency to a few hertz, which
  a 15 ms window cannot do by magnitude alone).

A digit starts after ``HITS_TO_START`` consecutive hits of the same digit and ends
after ``MISSES_TO_END`` consecutive windows without it. A window hits once a tone
fills three quarters of it, so a tone of d ms gives about (8 d - 60) / 40 + 1 hit
windows: five in a row need at least 27.5 ms of tone (so 23 ms is always rejected)
and 32.5 ms always get them (so 40 ms is always accepted, with a window to spare on
each side for noise). A pause of 40 ms spoils at least nine windows and a drop-out
of 20 ms at most six. Once a digit has started, windows that carry on its two tones
without a break, at the same energy share, hold it on the screen alone: receivers
hold a digit on looser terms than they start one, and this spares the full test on
most windows of a long key press. These timing rules are one small function
(:func:`_digit_step`); its table over every reachable state is built once, and one
lookup per window moves every channel's state at once.
"""

from __future__ import annotations

import collections
import functools
from dataclasses import dataclass

import numpy as np

from firmware.media.levels import dbm0_to_peak, dbm0_to_power

DIGITS = "123A456B789C*0#D"
LOW_FREQS = (697.0, 770.0, 852.0, 941.0)  # Q.23: rows
HIGH_FREQS = (1209.0, 1336.0, 1477.0, 1633.0)  # Q.23: columns
_KEYPAD = np.array(list(DIGITS)).reshape(4, 4)  # [row, column] -> digit

HOP = 40  # samples per chunk and between window starts (5 ms): the time resolution
CHUNKS_PER_WINDOW = 3
WINDOW = HOP * CHUNKS_PER_WINDOW  # samples per analysis window (15 ms)
HITS_TO_START = 5
MISSES_TO_END = 9

MIN_TONE_DBM0 = -30.0  # each tone; Q.24 asks for -25 dBm0 to work, we take 5 dB of margin
GROUP_MARGIN_DB = 8.0  # strongest tone of a group over the next one
MAX_NORMAL_TWIST_DB = 8.0  # Q.24: high group up to 8 dB louder than the low group
MAX_REVERSE_TWIST_DB = 4.0  # Q.24: low group up to 4 dB louder than the high group
MIN_TONE_FRACTION = 0.75  # share of the window energy the two tones must hold
# Q.23 asks senders to keep distortion products 20 dB under the tones; a musical note
# or a voiced sound has harmonics far stronger. Second harmonics of the low group fall
# among the high-group tones, so the low group is judged by its third harmonic.
MAX_HARMONIC_DB = -16.0
ACCEPT_TOLERANCE = 0.015  # Q.24: relative offset that must be accepted...
ACCEPT_TOLERANCE_HZ = 2.0  # ...plus this
FREQ_TOLERANCE = 0.025  # relative; halfway between Q.24's 1.5 % accept and 3.5 % reject
FREQ_TOLERANCE_HZ = 1.0

# A window hits once the tone fills MIN_TONE_FRACTION of it, so the first hit window
# starts up to a quarter window before the tone; the reported start splits the difference.
_START_LEAD = round(WINDOW * (1.0 - MIN_TONE_FRACTION) / 2)
_FREQS = np.array(LOW_FREQS + HIGH_FREQS)


class DtmfError(ValueError):
    """A DTMF request or an audio block that cannot be handled as given."""


def _chunk_bases(rate: int, chunks: int) -> np.ndarray:
    """(chunks, 16, HOP) float32: DFT bases for the consecutive chunks of a span.

    Entry i, times chunk i of a span (as a column), gives the chunk's DFT at the eight
    frequencies, real parts then imaginary parts, referred to the span's first sample.
    With every chunk referred to the same instant, a window's DFT is the plain sum of
    its chunks' DFTs.
    """
    n = HOP * np.arange(chunks)[:, None, None] + np.arange(HOP)  # (chunks, 1, HOP)
    phase = 2.0 * np.pi * _FREQS[:, None] * n / rate  # (chunks, 8, HOP)
    return np.concatenate([np.cos(phase), -np.sin(phase)], axis=1).astype(np.float32)


def _hann_basis(rate: int) -> np.ndarray:
    """(HOP + WINDOW, 48) float32: Hann-windowed DFT columns for a span, re and im
    interleaved.

    A span is a window and the HOP samples before it. Times this matrix, viewed as
    complex64, it gives 24 values: the window's Hann DFT at the eight tones, then at the
    harmonic each tone is judged by (third for the low group, second for the high
    group), then the Hann DFT at the eight tones of the window HOP samples earlier.
    """
    n = np.arange(WINDOW)
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / WINDOW)  # periodic Hann

    def columns(freqs: np.ndarray) -> np.ndarray:
        phase = 2.0 * np.pi * np.outer(n, freqs) / rate
        basis = np.empty((WINDOW, 2 * len(freqs)), dtype=np.float64)
        basis[:, 0::2] = hann[:, None] * np.cos(phase)
        basis[:, 1::2] = -hann[:, None] * np.sin(phase)
        return basis

    harmonics = _FREQS * np.repeat([3, 2], 4)
    span = np.zeros((HOP + WINDOW, 48), dtype=np.float64)
    span[HOP:, :32] = columns(np.concatenate([_FREQS, harmonics]))
    span[:WINDOW, 32:] = columns(_FREQS)
    return span.astype(np.float32)


def _sinc(x: np.ndarray) -> np.ndarray:
    """sin(pi x) / (pi x) for x >= 0, without numpy.sinc's special-casing cost."""
    s = np.maximum(np.pi * x, 1e-9)
    return np.sin(s) / s


@dataclass(frozen=True, slots=True)
class _DigitState:
    """One channel's digit state between windows."""

    candidate: int  # the digit of the last window, -1 for none
    run: int  # windows in a row that held it, counted up to HITS_TO_START
    active: int  # the digit reported and not yet ended, -1 for none
    misses: int  # windows since the active digit was last heard (0 with none active)


_IDLE = _DigitState(-1, 0, -1, 0)
_INPUTS = len(DIGITS) + 1  # a window holds no digit (input 0) or digit i (input i + 1)


def _digit_step(state: _DigitState, digit: int) -> tuple[_DigitState, bool]:
    """The rules of digit timing: the state after a window with ``digit`` (-1: none),
    and whether a digit starts there.

    A digit starts after HITS_TO_START windows in a row that hold it unless it is the
    digit already reported; the reported digit ends after MISSES_TO_END windows in a
    row without it (Q.24: a short interruption does not split a digit, a pause does).
    """
    hit = digit >= 0
    run = min(state.run + 1, HITS_TO_START) if hit and digit == state.candidate else int(hit)
    active = state.active
    misses = 0 if hit and digit == active else state.misses + 1
    if misses >= MISSES_TO_END:
        active = -1
    # A run as long as that implies a hit in this window.
    started = run >= HITS_TO_START and digit != active
    if started:
        active, misses = digit, 0
    if active < 0:
        misses = 0  # nothing to miss; keeps the idle state unique
    return _DigitState(digit, run, active, misses), started


@dataclass(frozen=True)
class _DigitTable:
    """:func:`_digit_step` over every reachable state, for a whole batch of channels.

    A channel's state is held as its *code*, the state's number times ``_INPUTS``, so
    that code + input indexes the table directly. The idle state has code 0.
    """

    next_code: np.ndarray  # int32 (states * _INPUTS,): code after the window
    starts: np.ndarray  # bool (states * _INPUTS,): a digit starts in the window
    hold: np.ndarray  # int8, by code: the active digit if heard in the last window, else -1


@functools.cache
def _digit_table() -> _DigitTable:
    """Build the state table once per process (about 6500 states)."""
    number = {_IDLE: 0}
    order = [_IDLE]
    moves: list[tuple[_DigitState, bool]] = []
    for state in order:  # grows as new states are reached
        for digit in range(-1, len(DIGITS)):
            after, started = _digit_step(state, digit)
            if after not in number:
                number[after] = len(order)
                order.append(after)
            moves.append((after, started))
    next_code = np.array([number[after] * _INPUTS for after, _ in moves], dtype=np.int32)
    starts = np.array([started for _, started in moves], dtype=bool)
    hold = [s.active if s.active >= 0 and s.misses == 0 else -1 for s in order]
    hold_by_code = np.repeat(np.array(hold, dtype=np.int8), _INPUTS)
    return _DigitTable(next_code, starts, hold_by_code)


# Samples of history the detector keeps per channel before it moves the last window's
# worth back to the front: moving rarely is cheaper than shifting every block.
_HISTORY_SAMPLES = 320


class DtmfDetector:
    """Detects DTMF digits on every channel of a block with one batch of numpy operations.

    Feed consecutive blocks of each channel's received audio; the detector keeps the
    history it needs between blocks, so tones across block edges are found. The cost
    per channel is low because quiet channels stop after an energy sum, almost all of
    the rest is one float32 matrix product per block, the exact tests run only on the
    few windows that pass a screen, and one table lookup per window advances the digit
    state of every channel.
    """

    def __init__(self, n_channels: int, rate: int = 8000) -> None:
        if isinstance(n_channels, bool) or not isinstance(n_channels, int | np.integer):
            raise DtmfError(f"the number of channels must be an integer, not {n_channels!r}")
        if n_channels < 1:
            raise DtmfError(f"a detector needs at least one channel, not {n_channels}")
        if rate != 8000:
            raise DtmfError(f"the detector works on 8000 Hz audio, not {rate} Hz")
        self.n_channels = n = int(n_channels)
        self.rate = rate
        self._hann = _hann_basis(rate)
        # Undoes a tone's nominal phase advance from one window to the next.
        self._rotation = np.exp(-2j * np.pi * _FREQS * HOP / rate)
        self._tolerance_hz = FREQ_TOLERANCE * _FREQS + FREQ_TOLERANCE_HZ
        self._accept_bins = (ACCEPT_TOLERANCE * _FREQS + ACCEPT_TOLERANCE_HZ) * WINDOW / rate
        self._min_power = dbm0_to_power(MIN_TONE_DBM0)
        self._margin = 10.0 ** (GROUP_MARGIN_DB / 10.0)
        self._max_normal = 10.0 ** (MAX_NORMAL_TWIST_DB / 10.0)
        self._max_reverse = 10.0 ** (MAX_REVERSE_TWIST_DB / 10.0)
        self._max_harmonic = 10.0 ** (MAX_HARMONIC_DB / 10.0)
        # The screen reads |rectangular DFT|^2, where a sine of mean square p reads
        # p * WINDOW^2 / 2. It must pass every window the full test could accept, so
        # it allows for the largest loss of a tone at the edge of Q.24's acceptance.
        worst = float(np.min(_sinc(self._accept_bins) ** 2))
        self._screen_power = np.float32(self._min_power * WINDOW**2 / 2.0 * worst)
        self._screen_share = np.float32(MIN_TONE_FRACTION * WINDOW / 2.0 * worst)
        self._hold_share = np.float32(MIN_TONE_FRACTION * WINDOW / 2.0)
        self._groups = np.array([[0], [4]])  # first tone of the low and of the high group
        self._twist = np.array([[self._max_normal], [self._max_reverse]])
        self._tone_offsets = np.arange(8)[:, None]
        self._spectrum_offsets = np.array([0, 8, 16])[:, None, None]
        # A tone's |DFT|^2 over a window is at most WINDOW times the window's energy
        # (Cauchy-Schwarz), so a channel under this in every window passes no screen.
        self._gate = np.float32(self._screen_power / WINDOW)
        lead = CHUNKS_PER_WINDOW - 1
        # Per channel, the last samples seen; blocks are appended at ``_used``.
        self._samples = np.zeros((n, WINDOW), dtype=np.float32)
        self._used = WINDOW
        # Sum of squares per chunk: the last two chunks of the previous block, then this
        # block's chunks. Channels last keeps every whole-batch operation on rows.
        self._energy = np.zeros((lead, n), dtype=np.float32)
        self._length = 0
        self._alloc(160)
        # Per channel, the code of its digit state in the table; 0 is idle.
        self._table = _digit_table()
        self._code = np.zeros(n, dtype=np.int32)
        # Start times of the windows of the last few blocks, oldest first: a digit's run
        # may have begun in an earlier block.
        self._window_times: collections.deque[np.ndarray] = collections.deque(
            maxlen=HITS_TO_START
        )

    def _alloc(self, length: int) -> None:
        """Size the work arrays for blocks of ``length`` samples, keeping the history."""
        n, k = self.n_channels, length // HOP
        lead = CHUNKS_PER_WINDOW - 1
        self._bases = _chunk_bases(self.rate, lead + k)
        energy = np.zeros((lead + k, n), dtype=np.float32)
        energy[:lead] = self._energy[:lead]
        width = WINDOW + max(2, _HISTORY_SAMPLES // length) * length
        samples = np.zeros((n, width), dtype=np.float32)
        samples[:, :WINDOW] = self._samples[:, self._used - WINDOW : self._used]
        self._energy, self._samples = energy, samples
        self._used = WINDOW
        # Every span (a window and the HOP samples before it) of every channel, as a view.
        item = samples.itemsize
        self._spans = np.lib.stride_tricks.as_strided(
            samples,
            shape=(n, width - (HOP + WINDOW) + 1, HOP + WINDOW),
            strides=(samples.strides[0], item, item),
            writeable=False,
        )
        self._square = np.empty((n, length), dtype=np.float32)
        self._total = np.empty((k, n), dtype=np.float32)
        # Work space for the chunk DFTs, window DFTs and tone powers of the live channels.
        self._chunk_space = np.empty((lead + k) * 16 * n, dtype=np.float32)
        self._window_space = np.empty(k * 16 * n, dtype=np.float32)
        self._power_space = np.empty(k * 8 * n, dtype=np.float32)
        self._continues = np.empty((k, n), dtype=bool)
        self._heard = np.empty((k, n), dtype=np.int64)
        self._started = np.empty((k, n), dtype=bool)
        self._rows = np.arange(k * n)
        self._rows24 = 24 * self._rows  # a window's first value among the spectra
        self._ones = np.ones(HOP, dtype=np.float32)
        self._starts = (HOP * np.arange(1, k + 1) - WINDOW - length + _START_LEAD) / self.rate
        self._length = length

    def reset(self, channel: int) -> None:
        """Forget the channel's history and any digit in progress (a new call)."""
        if isinstance(channel, bool) or not isinstance(channel, int | np.integer):
            raise DtmfError(f"a channel is an integer index, not {channel!r}")
        if not 0 <= channel < self.n_channels:
            raise DtmfError(f"no channel {channel}; the detector has {self.n_channels}")
        self._samples[channel] = 0.0
        self._energy[:, channel] = 0.0
        self._code[channel] = 0  # idle

    def process(self, block: np.ndarray, now: float) -> list[tuple[int, str, float]]:
        """Detect digits in ``block``, the (n_channels, L) samples ending at time ``now``.

        L is 160 for a tick and may be any positive multiple of 40. Returns
        ``(channel, digit, start_seconds)`` for each digit whose start was confirmed in
        this block, in time order; the start is accurate to about 5 ms. A block that is
        not finite numbers raises :class:`DtmfError` and leaves the detector as it was.
        """
        block = np.asarray(block)
        if block.ndim != 2 or block.shape[0] != self.n_channels:
            raise DtmfError(f"expected a block of shape ({self.n_channels}, L), got {block.shape}")
        length = block.shape[1]
        if length == 0 or length % HOP:
            raise DtmfError(f"block length must be a positive multiple of {HOP}, not {length}")
        if block.dtype.kind not in "iuf":
            raise DtmfError(f"block must hold numbers, not {block.dtype}")
        if length != self._length:
            self._alloc(length)
        n, k = self.n_channels, length // HOP
        lead = CHUNKS_PER_WINDOW - 1
        samples = self._samples
        at = self._used
        if at + length > samples.shape[1]:  # move the last window's worth to the front
            samples[:, :WINDOW] = samples[:, at - WINDOW : at]
            at = self._used = WINDOW
        cur = samples[:, at : at + length]  # scratch until the block is known to be good
        np.copyto(cur, block, casting="unsafe")
        sq = np.square(cur, out=self._square)
        energy = sq.reshape(-1, HOP) @ self._ones  # (n * k,) per chunk
        # 16-bit samples are always finite and their squares cannot overflow.
        if (block.dtype.kind == "f" or block.dtype.itemsize > 2) and not np.isfinite(
            energy.sum(dtype=np.float64)
        ):
            raise DtmfError("the block holds values that are not finite numbers (NaN or inf)")

        # From here on nothing can fail: update the history in place.
        self._used = at + length
        energies = self._energy
        energies[lead:] = energy.reshape(n, k).T
        found = self._run_states(*self._classify(k, at), k, now)
        energies[:lead] = energies[k:]  # the next block's first windows need these
        return found

    def _classify(self, k: int, at: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Judge the windows of the block at ``at``: the screened ones (flat indices,
        window * n + channel), their channels, and their digits (-1 for a miss)."""
        e = self._energy
        total = np.add(e[:k], e[1 : k + 1], out=self._total)
        total += e[2 : k + 2]  # window energy (sum of squares), (k, channels)
        live = np.flatnonzero(total.max(axis=0) >= self._gate)
        if live.size == 0:
            return live, live, live
        n, a = self.n_channels, live.size
        lead = CHUNKS_PER_WINDOW - 1
        chunks = self._chunk_space[: (lead + k) * 16 * a].reshape(lead + k, 16, a)
        # The live channels' last two chunks before the block and the block's chunks.
        span = self._samples[live, at - lead * HOP : at + k * HOP]
        np.matmul(self._bases, span.reshape(a, lead + k, HOP).transpose(1, 2, 0), out=chunks)
        # Window j covers chunks j, j+1, j+2.
        win = self._window_space[: k * 16 * a].reshape(k, 16, a)
        np.add(chunks[:k], chunks[1 : k + 1], out=win)
        win += chunks[2 : k + 2]
        sq = np.square(win, out=win)
        power = self._power_space[: k * 8 * a].reshape(k, 8, a)
        np.add(sq[:, :8], sq[:, 8:], out=power)  # |DFT|^2
        live_total = total[:, live]

        # Screen: both groups strong and together most of the energy. Loose on purpose.
        strongest = power.reshape(k, 2, 4, a).max(axis=2)  # (k, low/high group, a)
        screen = strongest.min(axis=1) >= self._screen_power
        screen &= strongest.sum(axis=1) >= self._screen_share * live_total
        found = np.flatnonzero(screen)
        if found.size == 0:
            return found, found, found
        m = found.size
        j, index = np.divmod(found, a)
        channel = live[index]
        cand = j * n + channel
        # The eight tone powers of each screened window, (8, candidates).
        cand_power = power.ravel()[self._tone_offsets * a + (found + (7 * a) * j)]
        groups = cand_power.reshape(2, 4, m)
        top = groups.argmax(axis=1)  # (2, candidates): row, column
        digit = top[0] * 4 + top[1]
        tone = top + self._groups  # indices of the (low, high) tones among the eight
        at_tone = tone * m + self._rows[:m]
        best = cand_power.ravel()[at_tone]  # (2, candidates)
        cand_power.ravel()[at_tone] = 0.0
        runner_up = groups.max(axis=1)
        pair = best[0] + best[1]
        cand_total = live_total.ravel()[found]
        start = HOP * j + (at - WINDOW)  # each window's span in the sample history

        # A digit already reported holds while its tones go on: windows that continue it
        # without a break from the start of the block need only the screen (receivers
        # hold a digit on looser terms than they start one). Everything else, and every
        # start of a digit, takes the full test.
        # The pair must fill the window as for a start, so pauses end digits as sharply.
        hold = self._table.hold[self._code[channel]]
        continues = (hold == digit) & (pair >= self._hold_share * cand_total)
        # The strongest tone of each group beats the group's other tones by the margin.
        beats = best >= self._margin * runner_up
        test = beats[0] & beats[1]
        if continues.any():
            grid = self._continues
            grid.fill(False)
            grid.ravel()[cand] = continues
            for i in range(1, k):
                np.logical_and(grid[i], grid[i - 1], out=grid[i])
            hit = grid.ravel()[cand]
            if hit.all():
                return cand, channel, digit
            test &= ~hit
        else:
            hit = np.zeros(m, dtype=bool)
        tested = np.flatnonzero(test)
        if tested.size:
            hit[tested] = self._full_test(
                start[tested], channel[tested], tone[:, tested], best[:, tested], cand_total[tested]
            )
        return cand, channel, np.where(hit, digit, -1)

    def _full_test(
        self,
        start: np.ndarray,
        channel: np.ndarray,
        tone: np.ndarray,
        best: np.ndarray,
        total: np.ndarray,
    ) -> np.ndarray:
        """Apply the remaining Q.24 checks to screened windows; True where a window hits.

        ``start`` is where each window's span begins in the sample history; ``tone`` and
        ``best`` are (2, windows): the index of the strongest tone of the low and of the
        high group and its rectangular power; ``total`` is each window's energy.
        """
        m = channel.size
        passed = np.empty((9, m), dtype=bool)

        # Hann DFTs of this window and of the one HOP samples earlier, from one gather
        # of the HOP + WINDOW samples that hold both: 24 values per window.
        span = self._spans[channel, start]  # (m, HOP + WINDOW)
        spectra = (span @ self._hann).view(np.complex64)  # (m, 24)
        # The tones, their harmonics and the tones before, (3, 2, m).
        picked = spectra.ravel()[(tone + self._rows24[:m]) + self._spectrum_offsets]
        now = picked[0].astype(np.complex128)  # (2, m)
        harmonic = picked[1]
        was = picked[2]
        tolerance = self._tolerance_hz[tone]
        accept = self._accept_bins[tone]

        # Frequency of each tone from its phase step since the window HOP samples earlier.
        turn = now * np.conj(was) * self._rotation[tone]
        offset = np.arctan2(turn.imag, turn.real) * (self.rate / (2.0 * np.pi * HOP))
        distance = np.abs(offset)
        np.less_equal(distance, tolerance, out=passed[0:2])

        # A tone off its nominal frequency loses power in both DFTs; undo that so level,
        # twist and energy share judge the real tone. The correction stops at Q.24's
        # acceptance range so it never lifts a doubtful window.
        bins = np.minimum(distance * (WINDOW / self.rate), accept)
        rect_gain = _sinc(bins) ** 2
        hann_gain = rect_gain / (1.0 - bins**2) ** 2
        now_power = now.real**2 + now.imag**2
        # Mean square of a sine from its periodic-Hann DFT: 8 |X|^2 / N^2.
        level = (8.0 / WINDOW**2) * now_power / hann_gain
        np.greater_equal(level, self._min_power, out=passed[2:4])
        # Q.24 twist: high <= normal limit x low, and low <= reverse limit x high.
        np.less_equal(level[::-1], self._twist * level, out=passed[4:6])

        # Talk-off guards: each tone nearly a pure sine, and the pair most of the energy.
        np.less_equal(np.abs(harmonic) ** 2, self._max_harmonic * now_power, out=passed[6:8])
        rect = best / rect_gain
        share = MIN_TONE_FRACTION * (WINDOW / 2.0) * total
        np.greater_equal(rect[0] + rect[1], share, out=passed[8])
        return passed.all(axis=0)

    def _run_states(
        self, cand: np.ndarray, channel: np.ndarray, digits: np.ndarray, k: int, now: float
    ) -> list[tuple[int, str, float]]:
        """Advance the digit state of every channel through the block's windows.

        One lookup in the state table per window moves all channels at once; the table
        holds the rules (see :func:`_digit_step`).
        """
        if cand.size == 0 and not self._code.any():
            self._window_times.append(now + self._starts)
            return []
        table = self._table
        heard = self._heard  # (k, n): the digit of each window plus one, 0 for none
        heard.fill(0)
        heard.ravel()[cand] = digits + 1
        code, started = self._code, self._started
        for w in range(k):
            index = code + heard[w]
            code = table.next_code[index]
            started[w] = table.starts[index]
        self._code = code
        times = self._window_times
        times.append(now + self._starts)
        if not started.any():
            return []
        window, ch = np.divmod(np.flatnonzero(started), self.n_channels)
        digit = heard[window, ch] - 1
        found: list[tuple[int, str, float]] = []
        for w, c, d in zip(window.tolist(), ch.tolist(), digit.tolist(), strict=True):
            # A digit starts on the HITS_TO_START-th window of its run.
            first, block = w - (HITS_TO_START - 1), len(times) - 1
            while first < 0:
                block -= 1
                first += times[block].size
            found.append((c, DIGITS[d], float(times[block][first])))
        return found


def generate_dtmf(
    digits: str,
    *,
    level_dbm0: float = -6.0,
    twist_db: float = 2.0,
    on_ms: int = 80,
    off_ms: int = 80,
    rate: int = 8000,
) -> np.ndarray:
    """Render ``digits`` as DTMF, int16: each digit ``on_ms`` of tone then ``off_ms`` quiet.

    ``level_dbm0`` is the low-group tone's level; the high-group tone is ``twist_db``
    louder (Q.23 senders use a small positive twist to offset line loss at high
    frequencies). Raises :class:`DtmfError` (a ValueError) for anything but
    0-9, *, #, A-D, or for impossible timings.
    """
    bad = sorted({d for d in digits if d not in DIGITS})
    if bad:
        raise DtmfError(f"not DTMF digits: {''.join(bad)!r}; use 0-9, *, #, A-D")
    if on_ms <= 0 or off_ms < 0:
        raise DtmfError(f"tone on time must be > 0 and off time >= 0, got {on_ms}/{off_ms} ms")
    if rate <= 0:
        raise DtmfError(f"sample rate must be positive, not {rate}")
    on = on_ms * rate // 1000
    period = on + off_ms * rate // 1000
    if not digits:
        return np.zeros(0, dtype=np.int16)
    index = np.array([DIGITS.index(d) for d in digits])
    low = np.array(LOW_FREQS)[index // 4]
    high = np.array(HIGH_FREQS)[index % 4]
    t = np.arange(on) / rate
    tones = dbm0_to_peak(level_dbm0) * np.sin(2 * np.pi * np.outer(low, t))
    tones += dbm0_to_peak(level_dbm0 + twist_db) * np.sin(2 * np.pi * np.outer(high, t))
    out = np.zeros((len(digits), period), dtype=np.float64)
    out[:, :on] = tones
    return np.clip(np.rint(out.ravel()), -32768, 32767).astype(np.int16)
