"""DTMF (ITU-T Q.23) detection over all channels at once, and DTMF generation.

The detector follows the reception requirements of ITU-T Q.24 and ETSI ES 201 235-3:
accept tones of 40 ms and longer from about -25 dBm0 per tone up, with frequencies
within 1.5 % + 2 Hz; reject tones of 20 ms and shorter, frequencies off by 3.5 %,
twist beyond 8 dB (normal) or 4 dB (reverse), near-silence and speech.

How it works: every block is cut into analysis windows of 120 samples (15 ms) that
start every 40 samples (5 ms), with 120 samples of history so windows straddle blocks.
One matrix product gives, for every channel and window, the DFT at the eight DTMF
frequencies (a batched Goertzel). A window is a *hit* for a digit when

* the strongest tone of each group is above an absolute level (-30 dBm0),
* it beats the other tones of its group by a margin,
* the twist is within limits,
* the two tones carry most of the window's energy (talk-off guard: speech and music
  spread their energy over many frequencies; a tone that fills only part of the
  window also fails it, which is what makes duration checks sharp), and
* the phase advance of each tone between this window and the one 40 samples earlier
  matches its nominal frequency (this measures the frequency to a few hertz, which
  a 15 ms window cannot do by magnitude alone).

A digit starts after ``HITS_TO_START`` consecutive hits of the same digit and ends
after ``MISSES_TO_END`` consecutive windows without it; the counts are chosen so that
every 40 ms tone and no 20 ms tone reaches the start count, and every drop-out of up
to 20 ms is bridged while every pause of 40 ms ends the digit.
"""

from __future__ import annotations

import numpy as np

from firmware.media.levels import dbm0_to_peak, dbm0_to_power

DIGITS = "123A456B789C*0#D"
LOW_FREQS = (697.0, 770.0, 852.0, 941.0)  # Q.23: rows
HIGH_FREQS = (1209.0, 1336.0, 1477.0, 1633.0)  # Q.23: columns
_KEYPAD = np.array(list(DIGITS)).reshape(4, 4)  # [row, column] -> digit

WINDOW = 120  # samples per analysis window (15 ms): resolves 697 from 770 Hz
HOP = 40  # samples between window starts (5 ms): the time resolution
HITS_TO_START = 4
MISSES_TO_END = 9

MIN_TONE_DBM0 = -30.0  # each tone; Q.24 leaves -30 dBm0 and below to be rejected
GROUP_MARGIN_DB = 8.0  # strongest tone of a group over the next one
MAX_NORMAL_TWIST_DB = 8.0  # high group louder than low group
MAX_REVERSE_TWIST_DB = 4.0  # low group louder than high group
MIN_TONE_FRACTION = 0.75  # share of the window energy the two tones must hold
FREQ_TOLERANCE = 0.025  # relative; halfway between Q.24's 1.5 % accept and 3.5 % reject
FREQ_TOLERANCE_HZ = 1.0

# A window hits once the tone fills MIN_TONE_FRACTION of it, so the first hit window
# starts up to a quarter window before the tone; the reported start splits the difference.
_START_LEAD = round(WINDOW * (1.0 - MIN_TONE_FRACTION) / 2)


class DtmfError(ValueError):
    """A DTMF request or an audio block that cannot be handled as given."""


def _dft_basis(rate: int) -> np.ndarray:
    """Columns: rectangular DFT at the 8 frequencies, then the same with a Hann window.

    The rectangular window separates neighbouring DTMF frequencies best (its nulls
    fall near them); the Hann window's low side lobes keep the other group's tone
    out of the phase used for the frequency check.
    """
    n = np.arange(WINDOW)
    freqs = np.array(LOW_FREQS + HIGH_FREQS)
    rect = np.exp(-2j * np.pi * np.outer(n, freqs) / rate)
    hann = np.hanning(WINDOW + 2)[1:-1]
    return np.concatenate([rect, rect * hann[:, None]], axis=1)


class DtmfDetector:
    """Detects DTMF digits on every channel of a block with one batch of numpy operations.

    Feed consecutive blocks of each channel's received audio; the detector keeps the
    history it needs between blocks, so tones across block edges are found.
    """

    def __init__(self, n_channels: int, rate: int = 8000) -> None:
        if n_channels < 1:
            raise DtmfError(f"a detector needs at least one channel, not {n_channels}")
        if rate != 8000:
            raise DtmfError(f"the detector works on 8000 Hz audio, not {rate} Hz")
        self.n_channels = n_channels
        self.rate = rate
        self._basis = _dft_basis(rate)
        freqs = np.array(LOW_FREQS + HIGH_FREQS)
        self._rotation = np.exp(-2j * np.pi * freqs * HOP / rate)  # undoes the nominal step
        self._tolerance_hz = FREQ_TOLERANCE * freqs + FREQ_TOLERANCE_HZ
        self._accept_hz = 0.015 * freqs + 2.0  # Q.24: offsets that must be accepted
        self._min_power = dbm0_to_power(MIN_TONE_DBM0)
        self._margin = 10.0 ** (GROUP_MARGIN_DB / 10.0)
        self._max_normal = 10.0 ** (MAX_NORMAL_TWIST_DB / 10.0)
        self._max_reverse = 10.0 ** (MAX_REVERSE_TWIST_DB / 10.0)
        self._buffer = np.zeros((n_channels, WINDOW + 160), dtype=np.float64)
        self._candidate = np.full(n_channels, -1, dtype=np.int64)
        self._hits = np.zeros(n_channels, dtype=np.int64)
        self._candidate_start = np.zeros(n_channels, dtype=np.float64)
        self._active = np.full(n_channels, -1, dtype=np.int64)
        self._misses = np.zeros(n_channels, dtype=np.int64)

    def reset(self, channel: int) -> None:
        """Forget the channel's history and any digit in progress (a new call)."""
        if not 0 <= channel < self.n_channels:
            raise DtmfError(f"no channel {channel}; the detector has {self.n_channels}")
        self._buffer[channel, :WINDOW] = 0.0
        self._candidate[channel] = -1
        self._hits[channel] = 0
        self._active[channel] = -1
        self._misses[channel] = 0

    def process(self, block: np.ndarray, now: float) -> list[tuple[int, str, float]]:
        """Detect digits in ``block``, the (n_channels, L) samples ending at time ``now``.

        L is 160 for a tick and may be any positive multiple of 40. Returns
        ``(channel, digit, start_seconds)`` for each digit whose start was confirmed in
        this block, in time order; the start is accurate to about 5 ms.
        """
        block = np.asarray(block)
        if block.ndim != 2 or block.shape[0] != self.n_channels:
            raise DtmfError(f"expected a block of shape ({self.n_channels}, L), got {block.shape}")
        length = block.shape[1]
        if length == 0 or length % HOP:
            raise DtmfError(f"block length must be a positive multiple of {HOP}, not {length}")
        if not (np.issubdtype(block.dtype, np.integer) or np.issubdtype(block.dtype, np.floating)):
            raise DtmfError(f"block must hold numbers, not {block.dtype}")
        if self._buffer.shape[1] != WINDOW + length:
            history = self._buffer[:, -WINDOW:].copy()
            self._buffer = np.empty((self.n_channels, WINDOW + length), dtype=np.float64)
            self._buffer[:, :WINDOW] = history
        buf = self._buffer
        buf[:, WINDOW:] = block

        hits = self._classify(buf)  # (channels, windows) digit index or -1
        # Window j (1..) starts (WINDOW + length - j*HOP) samples before the end of block.
        n_windows = hits.shape[1]
        starts = now - (WINDOW + length - HOP * np.arange(1, n_windows + 1)) / self.rate
        starts = starts + _START_LEAD / self.rate
        found: list[tuple[int, str, float]] = []
        for j in range(n_windows):
            for ch in self._advance(hits[:, j], float(starts[j])):
                found.append((int(ch), DIGITS[self._active[ch]], float(self._candidate_start[ch])))
        buf[:, :WINDOW] = buf[:, -WINDOW:]
        return found

    def _classify(self, buf: np.ndarray) -> np.ndarray:
        """For every channel and window, the digit index (0..15) the window hits, or -1."""
        windows = np.lib.stride_tricks.sliding_window_view(buf, WINDOW, axis=1)[:, ::HOP]
        spectrum = windows @ self._basis  # (ch, windows+1, 16): rect then Hann
        power = 2.0 * np.abs(spectrum[..., :8]) ** 2 / WINDOW**2  # mean square per tone
        total = np.einsum("cwn,cwn->cw", windows, windows) / WINDOW

        low, high = power[:, 1:, :4], power[:, 1:, 4:]
        row = np.argmax(low, axis=-1)
        col = np.argmax(high, axis=-1)
        low_best = np.take_along_axis(low, row[..., None], -1)[..., 0]
        high_best = np.take_along_axis(high, col[..., None], -1)[..., 0]
        low_next = np.partition(low, 2, axis=-1)[..., 2]
        high_next = np.partition(high, 2, axis=-1)[..., 2]

        # Frequency of each tone from its phase step since the window HOP samples earlier.
        hann = spectrum[..., 8:]
        step = hann[:, 1:] * np.conj(hann[:, :-1]) * self._rotation
        offset_hz = np.angle(step) * self.rate / (2 * np.pi * HOP)  # (ch, windows, 8)
        low_off = np.take_along_axis(offset_hz[..., :4], row[..., None], -1)[..., 0]
        high_off = np.take_along_axis(offset_hz[..., 4:], col[..., None], -1)[..., 0]
        low_tol = self._tolerance_hz[:4][row]
        high_tol = self._tolerance_hz[4:][col]
        ok = (np.abs(low_off) <= low_tol) & (np.abs(high_off) <= high_tol)
        # A tone off its nominal frequency loses power in the rectangular DFT bin
        # (sinc-shaped); undo that so twist and energy share judge the real tone.
        # The correction stops at Q.24's acceptance range so it never lifts a doubtful window.
        low_acc = self._accept_hz[:4][row]
        high_acc = self._accept_hz[4:][col]
        bins_low = np.minimum(np.abs(low_off), low_acc) * WINDOW / self.rate
        bins_high = np.minimum(np.abs(high_off), high_acc) * WINDOW / self.rate
        low_true = low_best / np.sinc(bins_low) ** 2
        high_true = high_best / np.sinc(bins_high) ** 2

        ok &= (low_best >= self._min_power) & (high_best >= self._min_power)
        ok &= low_best >= self._margin * low_next
        ok &= high_best >= self._margin * high_next
        ok &= high_true <= self._max_normal * low_true
        ok &= low_true <= self._max_reverse * high_true
        ok &= (low_true + high_true) >= MIN_TONE_FRACTION * total[:, 1:]
        return np.where(ok, row * 4 + col, -1)

    def _advance(self, digit: np.ndarray, start: float) -> np.ndarray:
        """Run one window through every channel's digit state; return channels that start."""
        hit = digit >= 0
        same = hit & (digit == self._candidate)
        self._hits = np.where(same, self._hits + 1, np.where(hit, 1, 0))
        fresh = hit & ~same
        self._candidate_start = np.where(fresh, start, self._candidate_start)
        self._candidate = np.where(hit, digit, -1)

        holding = hit & (digit == self._active)
        self._misses = np.where(holding, 0, self._misses + 1)
        ended = (self._active >= 0) & (self._misses >= MISSES_TO_END)
        self._active = np.where(ended, -1, self._active)

        started = hit & (self._hits >= HITS_TO_START) & (digit != self._active)
        self._active = np.where(started, digit, self._active)
        self._misses = np.where(started, 0, self._misses)
        return np.flatnonzero(started)


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
