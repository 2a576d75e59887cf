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
chunks of 40 samples (5 ms) and one float32 matrix product gives every chunk's DFT at
the eight DTMF frequencies, all referred to the block's start. An analysis window is
three consecutive chunks (120 samples, 15 ms, enough to resolve 697 from 770 Hz); its
DFT is the plain sum of its chunks' DFTs, so overlapping windows cost no extra
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
most windows of a long key press.
"""

from __future__ import annotations

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


def _chunk_bases(rate: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """DFT bases for the chunks of a block of ``length`` samples, float32.

    ``own[i]`` (16, HOP) times chunk i (as a column) gives its DFT at the eight
    frequencies, real parts then imaginary parts, referred to the block's first sample;
    ``carry[i]`` does the same for the block's last two chunks, referred to the *next*
    block's first sample. With every chunk of a window referred to the same instant, a
    window's DFT is the plain sum of its chunks' DFTs: no complex rotation per tick.
    """
    k = length // HOP
    m = np.arange(HOP)
    lead = CHUNKS_PER_WINDOW - 1

    def basis(offset: int) -> np.ndarray:
        phase = 2.0 * np.pi * np.outer(m + offset, _FREQS) / rate
        return np.concatenate([np.cos(phase), -np.sin(phase)], axis=1)

    own = np.stack([basis(HOP * i).T for i in range(k)])
    carry = np.stack([basis(HOP * i - length).T for i in range(max(0, k - lead), k)])
    return own.astype(np.float32), carry.astype(np.float32)


def _hann_basis(rate: int, freqs: np.ndarray) -> np.ndarray:
    """(WINDOW, 2 * len(freqs)) float32: Hann-windowed DFT columns, re and im interleaved.

    A window times this matrix, viewed as complex64, is its Hann DFT at ``freqs``.
    """
    n = np.arange(WINDOW)
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / WINDOW)  # periodic Hann
    phase = 2.0 * np.pi * np.outer(n, freqs) / rate
    basis = np.empty((WINDOW, 2 * len(freqs)), dtype=np.float64)
    basis[:, 0::2] = hann[:, None] * np.cos(phase)
    basis[:, 1::2] = -hann[:, None] * np.sin(phase)
    return basis.astype(np.float32)


def _sinc(x: np.ndarray) -> np.ndarray:
    """sin(pi x) / (pi x) for x >= 0, without numpy.sinc's special-casing cost."""
    s = np.maximum(np.pi * x, 1e-9)
    return np.sin(s) / s


class DtmfDetector:
    """Detects DTMF digits on every channel of a block with one batch of numpy operations.

    Feed consecutive blocks of each channel's received audio; the detector keeps the
    history it needs between blocks, so tones across block edges are found. The cost
    per channel is low because almost all of the work is one float32 matrix product
    per block, and the exact tests run only on the few windows that pass a screen.
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
        # Hann DFT at the eight tones, then at the harmonic each tone is judged by
        # (third for the low group, second for the high group).
        self._hann = _hann_basis(rate, np.concatenate([_FREQS, _FREQS * np.repeat([3, 2], 4)]))
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
        lead = CHUNKS_PER_WINDOW - 1
        # The last WINDOW samples seen, then the block being processed.
        self._samples = np.zeros((n, WINDOW), dtype=np.float32)
        # Chunk DFTs, [chunk, re/im x 8, channel]: the last two chunks of the previous
        # block (referred to this block's start), then this block's chunks. Channels
        # last keeps every whole-batch operation on contiguous rows.
        self._chunks = np.zeros((lead, 16, n), dtype=np.float32)
        self._energy = np.zeros((lead, n), dtype=np.float32)  # sum of squares per chunk
        self._length = 0
        self._alloc(160)
        # Per channel: the digit of the last window (-1: none), how many windows in a
        # row held it, when that run started, the digit reported, windows without it.
        self._candidate = np.full(n, -1, dtype=np.int64)
        self._hits = np.zeros(n, dtype=np.int64)
        self._candidate_start = np.zeros(n, dtype=np.float64)
        self._active = np.full(n, -1, dtype=np.int64)
        self._misses = np.zeros(n, dtype=np.int64)

    def _alloc(self, length: int) -> None:
        """Size the work arrays for blocks of ``length`` samples, keeping the history."""
        n, k = self.n_channels, length // HOP
        lead = CHUNKS_PER_WINDOW - 1
        self._own_basis, self._carry_basis = _chunk_bases(self.rate, length)
        chunks = np.zeros((lead + k, 16, n), dtype=np.float32)
        chunks[:lead] = self._chunks[:lead]
        energy = np.zeros((lead + k, n), dtype=np.float32)
        energy[:lead] = self._energy[:lead]
        samples = np.zeros((n, WINDOW + length), dtype=np.float32)
        samples[:, :WINDOW] = self._samples[:, :WINDOW]
        self._chunks, self._energy, self._samples = chunks, energy, samples
        self._square = np.empty((n, length), dtype=np.float32)
        self._windows = np.empty((k, 16, n), dtype=np.float32)
        self._ones = np.ones(HOP, dtype=np.float32)
        self._span = np.arange(HOP + WINDOW)
        self._eight = np.arange(8)
        self._rows = np.arange(n * k)
        self._starts = (HOP * np.arange(1, k + 1) - WINDOW - length + _START_LEAD) / self.rate
        self._length = length

    def reset(self, channel: int) -> None:
        """Forget the channel's history and any digit in progress (a new call)."""
        if isinstance(channel, bool) or not isinstance(channel, int | np.integer):
            raise DtmfError(f"a channel is an integer index, not {channel!r}")
        if not 0 <= channel < self.n_channels:
            raise DtmfError(f"no channel {channel}; the detector has {self.n_channels}")
        self._samples[channel] = 0.0
        self._chunks[:, :, channel] = 0.0
        self._energy[:, channel] = 0.0
        self._candidate[channel] = -1
        self._hits[channel] = 0
        self._active[channel] = -1
        self._misses[channel] = 0

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
        if not (np.issubdtype(block.dtype, np.integer) or np.issubdtype(block.dtype, np.floating)):
            raise DtmfError(f"block must hold numbers, not {block.dtype}")
        if length != self._length:
            self._alloc(length)
        n, k = self.n_channels, length // HOP
        lead = CHUNKS_PER_WINDOW - 1
        samples = self._samples
        cur = samples[:, WINDOW:]  # scratch until the block is known to be good
        np.copyto(cur, block, casting="unsafe")
        sq = np.square(cur, out=self._square)
        energy = sq.reshape(-1, HOP) @ self._ones  # (n * k,) per chunk
        if not np.isfinite(energy.sum(dtype=np.float64)):
            raise DtmfError("the block holds values that are not finite numbers (NaN or inf)")

        # From here on nothing can fail: update the history in place.
        chunks, energies = self._chunks, self._energy
        by_chunk = cur.reshape(n, k, HOP).transpose(1, 2, 0)  # (k, HOP, n) view
        np.matmul(self._own_basis, by_chunk, out=chunks[lead:])
        energies[lead:] = energy.reshape(n, k).T
        window_bins, digits = self._classify(k)
        found = self._run_states(window_bins, digits, k, now)

        # Keep what the next block needs: its first windows' chunks, the last samples.
        if k >= lead:
            np.matmul(self._carry_basis, by_chunk[k - lead :], out=chunks[:lead])
        else:
            self._carry_short(k, length)
        energies[:lead] = energies[-lead:]
        samples[:, :WINDOW] = samples[:, length:]
        return found

    def _carry_short(self, k: int, length: int) -> None:
        """Carry chunk DFTs over a block shorter than the window's lead (one chunk)."""
        lead = CHUNKS_PER_WINDOW - 1
        chunks = self._chunks
        # Chunks kept from before this block move from its start to the next block's.
        old = chunks[k:lead, :8] + 1j * chunks[k:lead, 8:]
        old = old * np.exp(2j * np.pi * _FREQS * length / self.rate)[:, None]
        by_chunk = self._samples[:, WINDOW:].reshape(-1, k, HOP).transpose(1, 2, 0)
        chunks[: lead - k, :8] = old.real
        chunks[: lead - k, 8:] = old.imag
        chunks[lead - k : lead] = np.matmul(self._carry_basis, by_chunk)

    def _classify(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The windows of this block that hit: flat (window * n + channel) indices, digits."""
        c, e = self._chunks, self._energy
        win = self._windows
        # Window j covers chunks j, j+1, j+2 of the history-plus-block chunk array.
        np.add(c[:k], c[1 : k + 1], out=win)
        np.add(win, c[2 : k + 2], out=win)
        sq = np.square(win, out=win)
        power = sq[:, :8] + sq[:, 8:]  # |DFT|^2, (k, 8, channels)
        total = e[:k] + e[1 : k + 1] + e[2 : k + 2]  # window energy (sum of squares)

        # Screen: both groups strong and together most of the energy. Loose on purpose.
        low_best = np.maximum(
            np.maximum(power[:, 0], power[:, 1]), np.maximum(power[:, 2], power[:, 3])
        )
        high_best = np.maximum(
            np.maximum(power[:, 4], power[:, 5]), np.maximum(power[:, 6], power[:, 7])
        )
        screen = (low_best >= self._screen_power) & (high_best >= self._screen_power)
        screen &= (low_best + high_best) >= self._screen_share * total
        cand = np.flatnonzero(screen)
        if cand.size == 0:
            return cand, cand
        n = self.n_channels
        j, channel = np.divmod(cand, n)
        cand_power = power[j[:, None], self._eight, channel[:, None]]  # (candidates, 8)
        row = np.argmax(cand_power[:, :4], axis=1)
        col = np.argmax(cand_power[:, 4:], axis=1)
        digit = row * 4 + col
        cand_total = total.ravel()[cand]
        rows = self._rows[: cand.size]
        pair = cand_power[rows, row] + cand_power[rows, 4 + col]

        # A digit already reported holds while its tones go on: windows that continue it
        # without a break from the start of the block need only the screen (receivers
        # hold a digit on looser terms than they start one). Everything else, and every
        # start of a digit, takes the full test.
        holding = (self._active >= 0) & (self._misses == 0)
        continues = np.zeros((self._windows.shape[0], n), dtype=bool)
        # The pair must fill the window as for a start, so pauses end digits as sharply.
        continues.ravel()[cand] = (
            holding[channel]
            & (digit == self._active[channel])
            & (pair >= self._hold_share * cand_total)
        )
        np.logical_and.accumulate(continues, axis=0, out=continues)
        held = continues.ravel()[cand]
        if held.all():
            return cand, digit
        fresh = ~held
        hit, hit_digit = self._full_test(cand[fresh], cand_power[fresh], cand_total[fresh])
        return np.concatenate([cand[held], hit]), np.concatenate([digit[held], hit_digit])

    def _full_test(
        self, cand: np.ndarray, power: np.ndarray, total: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Apply every Q.24 check to the screened windows ``cand``; return those that hit."""
        m = cand.size
        rows = np.arange(m)
        row = np.argmax(power[:, :4], axis=1)
        col = 4 + np.argmax(power[:, 4:], axis=1)
        tone = np.concatenate([row, col])  # low tones then high tones, (2m,)
        rows2 = np.concatenate([rows, rows])
        best = power[rows2, tone]
        others = power.copy()
        others[rows2, tone] = 0.0
        runner_up = np.concatenate(
            [
                np.maximum(np.maximum(others[:, 0], others[:, 1]), others[:, 2:4].max(axis=1)),
                np.maximum(np.maximum(others[:, 4], others[:, 5]), others[:, 6:].max(axis=1)),
            ]
        )
        beats = best >= self._margin * runner_up
        ok = beats[:m] & beats[m:]

        # Hann DFTs of this window and of the one HOP samples earlier, from one gather
        # of the HOP + WINDOW samples that hold both.
        j = cand // self.n_channels
        channel = cand - j * self.n_channels
        first = channel * self._samples.shape[1] + HOP * j
        span = self._samples.ravel()[first[:, None] + self._span]  # (m, HOP + WINDOW)
        spectra = (span[:, HOP:] @ self._hann).view(np.complex64)  # (m, 16): tones, harmonics
        before = (span[:, :WINDOW] @ self._hann[:, :16]).view(np.complex64)
        now = spectra[rows2, tone].astype(np.complex128)
        was = before[rows2, tone]
        harmonic = spectra[rows2, 8 + tone]

        # Frequency of each tone from its phase step since the window HOP samples earlier.
        offset = np.angle(now * np.conj(was) * self._rotation[tone]) * (
            self.rate / (2.0 * np.pi * HOP)
        )
        ok &= np.all((np.abs(offset) <= self._tolerance_hz[tone]).reshape(2, m), axis=0)

        # A tone off its nominal frequency loses power in both DFTs; undo that so level,
        # twist and energy share judge the real tone. The correction stops at Q.24's
        # acceptance range so it never lifts a doubtful window.
        bins = np.minimum(np.abs(offset) * (WINDOW / self.rate), self._accept_bins[tone])
        rect_gain = _sinc(bins) ** 2
        hann_gain = rect_gain / (1.0 - bins**2) ** 2
        now_power = now.real**2 + now.imag**2
        # Mean square of a sine from its periodic-Hann DFT: 8 |X|^2 / N^2.
        level = (8.0 / WINDOW**2) * now_power / hann_gain
        low_level, high_level = level[:m], level[m:]
        ok &= (low_level >= self._min_power) & (high_level >= self._min_power)
        ok &= high_level <= self._max_normal * low_level  # Q.24: normal twist
        ok &= low_level <= self._max_reverse * high_level  # Q.24: reverse twist

        # Talk-off guards: each tone nearly a pure sine, and the pair most of the energy.
        pure = np.abs(harmonic) ** 2 <= self._max_harmonic * now_power
        ok &= pure[:m] & pure[m:]
        rect = best / rect_gain
        ok &= (rect[:m] + rect[m:]) >= MIN_TONE_FRACTION * (WINDOW / 2.0) * total
        return cand[ok], (row * 4 + col - 4)[ok]

    def _run_states(
        self, window_bins: np.ndarray, digits: np.ndarray, k: int, now: float
    ) -> list[tuple[int, str, float]]:
        """Advance the digit state of every channel with a hit or a digit in progress."""
        n = self.n_channels
        involved = (self._active >= 0) | (self._candidate >= 0)
        involved[window_bins % n] = True
        busy = np.flatnonzero(involved)
        if busy.size == 0:
            return []
        hits = np.full((k, n), -1, dtype=np.int64)
        hits.ravel()[window_bins] = digits
        hits = hits[:, busy]
        active = self._active[busy]

        # Two common cases in bulk: a digit held through the whole block, and a block
        # with no hit at all. Only channels where something changes go window by window.
        steady = (active >= 0) & np.all(hits == active, axis=0)
        silent = np.all(hits < 0, axis=0)
        if steady.any():
            ch = busy[steady]
            run_on = self._candidate[ch] == self._active[ch]
            self._hits[ch] = np.where(run_on, self._hits[ch] + k, k)
            self._candidate_start[ch] = np.where(
                run_on, self._candidate_start[ch], now + self._starts[0]
            )
            self._candidate[ch] = self._active[ch]
            self._misses[ch] = 0
        if silent.any():
            ch = busy[silent]
            self._hits[ch] = 0
            self._candidate[ch] = -1
            self._misses[ch] += k
            self._active[ch] = np.where(self._misses[ch] >= MISSES_TO_END, -1, self._active[ch])
        changing = ~(steady | silent)
        if not changing.any():
            return []
        busy, hits, active = busy[changing], hits[:, changing], active[changing]
        starts = now + self._starts
        candidate = self._candidate[busy]
        count = self._hits[busy]
        since = self._candidate_start[busy]
        misses = self._misses[busy]
        found: list[tuple[int, str, float]] = []
        for j in range(k):
            digit = hits[j]
            hit = digit >= 0
            same = hit & (digit == candidate)
            count = np.where(same, count + 1, hit)
            since = np.where(hit > same, starts[j], since)  # a new run begins here
            candidate = digit

            misses = np.where(hit & (digit == active), 0, misses + 1)
            active = np.where(misses >= MISSES_TO_END, -1, active)
            # A run that long implies a hit in this window.
            started = (count >= HITS_TO_START) & (digit != active)
            if started.any():
                active = np.where(started, digit, active)
                misses = np.where(started, 0, misses)
                for i in np.flatnonzero(started):
                    found.append((int(busy[i]), DIGITS[digit[i]], float(since[i])))
        self._candidate[busy] = candidate
        self._hits[busy] = count
        self._candidate_start[busy] = since
        self._active[busy] = active
        self._misses[busy] = misses
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
