"""Call-progress detection over all channels at once: what the far end of a line plays.

An FXO line (or an in-band E1 channel) tells the box how a call is going only by
sound: dial tone, ringback, busy, congestion, a special information tone (SIT),
silence, or a voice. The tones come from the national tables in
:mod:`firmware.media.tones` (ITU-T E.180 Supplement 2), and a line may add its own
learned disconnect tone (:class:`~firmware.media.tone_learning.LineToneProfile`).

How it works, per 20 ms tick and for every channel in one batch:

* **Is a tone on?** Each distinct set of tone frequencies in the table has a
  least-squares basis (a cosine and a sine per frequency over the 160 samples); one
  matrix product gives every channel's fit to every set. A set is *on* in a block
  when the fit holds most of the block's energy, every frequency of the set is above
  a minimum level, the frequencies are within a twist limit of each other, and the
  phase of each frequency advanced since the previous block as its nominal
  frequency says (which measures the frequency to a few hertz, far finer than a
  20 ms block resolves by magnitude).
* **Cadence.** Each frequency set keeps, per channel, the durations of its last
  on and off segments (a flip needs two blocks in a row, so a single odd block
  neither splits nor makes a segment). When a segment ends, the recent segments are
  compared with every rotation of each cadence that uses that set; a tone is
  recognised when a whole period (and at least three segments for short periods)
  matches, unless a longer cadence of the table could still be what is playing.
  A continuous tone is recognised once it has lasted longer than any burst of a
  cadenced tone on the same frequencies could.
* **SIT.** Its three frequencies (each within ±50 Hz) must follow each other in
  order with their durations, which also covers the North American variants.
* **Voice and silence.** A block is silent below -45 dBm0. It is voice when it is
  louder, no tone set is on, and its spectrum is neither a line spectrum (one or
  two peaks holding nearly all the energy, as every tone and beep has, but speech
  never does) nor flat (hiss); voice is recognised after about 0.3 s of such
  blocks, silence after ``silence_seconds`` without a sound. Music on hold counts
  as voice: either way someone answered.

A channel reports each change of what it hears: :class:`CallProgressDetected` is
emitted when a kind is recognised that differs from the one last reported.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np

from firmware.media.levels import dbm0_to_power
from firmware.media.tone_learning import LineToneProfile
from firmware.media.tones import COUNTRIES, DEFAULT_COUNTRY, TONE_NAMES, ToneSpec, tone_spec

RATE = 8000
FRAME = 160  # samples per tick (hal.interface.FRAME_SAMPLES)
BLOCK_SECONDS = FRAME / RATE

MIN_TONE_DBM0 = -38.0  # each frequency of a tone; tables send -10 to -24 dBm0, lines lose more
MIN_TONE_SHARE = 0.8  # share of a block's energy the tone's frequencies must hold
MAX_TWIST_DB = 10.0  # between the frequencies of a dual tone
FREQ_TOLERANCE = 0.025  # relative, plus FREQ_TOLERANCE_HZ: accepts 2 %, rejects 4 %
FREQ_TOLERANCE_HZ = 2.0
SIT_BAND_HZ = 50.0  # E.180/Q.35 SIT: 950, 1400, 1800 Hz, each within ±50 Hz
SIT_ON_TOLERANCE_S = 0.07  # E.180/Q.35 SIT: 330 ± 70 ms per tone
SIT_MAX_GAP_S = 0.03  # E.180/Q.35 SIT: up to 30 ms between the tones
CADENCE_TOLERANCE = 0.15  # relative, plus CADENCE_TOLERANCE_S for the 20 ms blocks
CADENCE_TOLERANCE_S = 0.04
MIN_CONTINUOUS_S = 2.0  # a continuous tone is recognised after this at the soonest
SILENCE_DBM0 = -45.0
LINE_SPECTRUM_SHARE = 0.97  # energy in two spectral peaks above which a block is a tone
MAX_FLATNESS = 0.4  # spectral flatness (300-3400 Hz) at and above which a block is hiss
VOICE_BLOCKS = 15.0  # 0.3 s of voice blocks, net of the decay below, recognises voice
VOICE_DECAY = 0.5  # what each silent or tonal block takes off the voice count
DEFAULT_SILENCE_SECONDS = 6.0  # longer than the longest cadence gap (4 s) with tolerance
DEBOUNCE = 2  # blocks in a row that flip a frequency set between on and off
HISTORY = 16  # segment durations kept per frequency set and channel
_VOICE_BAND = slice(6, 69)  # bins of 50 Hz: 300 to 3400 Hz
_BIG = 1 << 30


class ProgressError(ValueError):
    """A request or an audio block the call-progress detector cannot take as given."""


class ProgressTone(enum.Enum):
    """What a line plays, as the call-progress detector reports it."""

    DIAL = "dial"
    RINGBACK = "ringback"
    BUSY = "busy"
    CONGESTION = "congestion"
    CALL_WAITING = "call_waiting"
    SIT = "sit"
    DISCONNECT = "disconnect"  # the line's learned disconnect tone
    SILENCE = "silence"
    VOICE = "voice"


# When two kinds are recognised in the same block, the one whose cadence has more
# segments (more evidence) wins, then the one earlier here: a line's own
# disconnect tone first, since a technician taught it for exactly that line.
_PRIORITY = (
    ProgressTone.DISCONNECT,
    ProgressTone.SIT,
    ProgressTone.BUSY,
    ProgressTone.CONGESTION,
    ProgressTone.RINGBACK,
    ProgressTone.DIAL,
    ProgressTone.CALL_WAITING,
    ProgressTone.VOICE,
    ProgressTone.SILENCE,
)
_KIND_INDEX = {kind: i for i, kind in enumerate(_PRIORITY)}


@dataclass(frozen=True)
class CallProgressDetected:
    """``channel`` now hears ``tone``; ``at`` is the end of the tick that recognised it."""

    channel: int
    tone: ProgressTone
    at: float


Key = tuple[bool, tuple[float, ...]]  # (band set?, frequencies)


def _rank(kind: ProgressTone, segments: int) -> int:
    return (HISTORY - min(segments, HISTORY)) * 32 + _KIND_INDEX[kind]


def _tolerance(seconds: np.ndarray) -> np.ndarray:
    return CADENCE_TOLERANCE * seconds + CADENCE_TOLERANCE_S


def _basis_freqs(key: Key) -> tuple[float, ...]:
    """A tone set is fitted at its own frequencies; a SIT band at three that cover ±50 Hz."""
    band, freqs = key
    if not band:
        return freqs
    f = freqs[0]
    return (f - 0.7 * SIT_BAND_HZ, f, f + 0.7 * SIT_BAND_HZ)


@dataclass
class _Pattern:
    """A cadenced or continuous tone on one frequency set, compiled for matching."""

    kind: ProgressTone
    set: int  # index of its frequency set
    cadence: tuple[float, ...]
    channels: np.ndarray | None  # which channels it applies to; None: all
    required: int = 0
    low: np.ndarray = field(default_factory=lambda: np.zeros((0, HISTORY)))
    high: np.ndarray = field(default_factory=lambda: np.zeros((0, HISTORY)))
    ends_on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    min_run: int = 0  # continuous tones: blocks on before recognition

    @property
    def segments(self) -> int:
        return len(self.cadence)


def _compile_cadence(p: _Pattern) -> None:
    """Bounds of the last HISTORY segments' durations for every rotation of the cadence."""
    cadence = np.asarray(p.cadence)
    period = cadence.size
    rotations = np.arange(period)  # the cadence index of the latest finished segment
    back = np.arange(HISTORY)[::-1]  # column j holds the segment HISTORY-1-j before it
    expected = cadence[(rotations[:, None] - back[None, :]) % period]
    p.low = expected - _tolerance(expected)
    p.high = expected + _tolerance(expected)
    p.ends_on = rotations % 2 == 0
    p.required = period if (period >= 4 or sum(p.cadence) > 3.0) else 3


def _windows_compatible(t: _Pattern, u: _Pattern, length: int) -> bool:
    """Could some stretch of ``u``'s cadence pass for ``length`` segments of ``t``'s?"""
    cols = slice(HISTORY - length, HISTORY)
    for rt in range(t.segments):
        for ru in range(u.segments):
            if t.ends_on[rt] != u.ends_on[ru]:
                continue
            lo = np.maximum(t.low[rt, cols], u.low[ru, cols])
            hi = np.minimum(t.high[rt, cols], u.high[ru, cols])
            if np.all(lo <= hi):
                return True
    return False


def _extend_required(patterns: list[_Pattern]) -> None:
    """Make a cadence wait until no other cadence of its set could be playing instead.

    Spain's busy (0.2 s on, 0.2 off) is also the start of its congestion (five such
    segments, then 0.6 s off): busy must then see six segments before it is sure.
    Where two cadences can pass for each other all the way round within tolerance,
    the check at run time and the preference for the longer match decide instead.
    """
    for t in patterns:
        need = t.required
        for u in patterns:
            if u is t or u.set != t.set or not u.cadence or u.cadence == t.cadence:
                continue
            length = t.required
            while length <= HISTORY and _windows_compatible(t, u, length):
                length += 1
            if length <= HISTORY:
                need = max(need, length)
        t.required = min(need, HISTORY)


@dataclass
class _Tables:
    """All that is compiled from the country table and the line profiles, swapped whole."""

    keys: list[Key]  # tone sets first, then SIT bands
    n_tone_sets: int
    basis: np.ndarray  # (FRAME, columns): orthonormal basis of every set, side by side
    to_coef: np.ndarray  # block diagonal: tone sets' projections to cos/sin amplitudes
    col_starts: np.ndarray
    freq_starts: np.ndarray  # first tone frequency of each tone set
    rotation: np.ndarray  # undoes the nominal phase advance of a block, per tone frequency
    cos_tolerance: np.ndarray  # cosine of the largest accepted phase error, per frequency
    patterns: list[_Pattern]
    sit_sets: list[int]
    sit_on: tuple[int, int]  # least and most blocks of one SIT tone


def _compile_tables(country: str, profiles: dict[int, LineToneProfile], n_channels: int) -> _Tables:
    keys: list[Key] = []

    def set_of(freqs: tuple[float, ...], band: bool = False) -> int:
        key = (band, tuple(round(f, 1) for f in freqs))
        if key not in keys:
            keys.append(key)
        return keys.index(key)

    patterns: list[_Pattern] = []
    sit: ToneSpec | None = None
    for name in TONE_NAMES:
        spec = tone_spec(country, name)
        if spec.on_freqs:
            sit = spec
            continue
        patterns.append(_Pattern(ProgressTone(name), set_of(spec.freqs), spec.cadence, None))
    by_profile: dict[LineToneProfile, np.ndarray] = {}
    for ch, profile in profiles.items():
        by_profile.setdefault(profile, np.zeros(n_channels, dtype=bool))[ch] = True
    for profile, mask in by_profile.items():
        patterns.append(
            _Pattern(ProgressTone.DISCONNECT, set_of(profile.freqs), profile.cadence, mask)
        )
    n_tone_sets = len(keys)
    sit_sets: list[int] = []
    sit_on = (0, 0)
    if sit is not None:
        sit_sets = [set_of(freqs[:1], band=True) for freqs in sit.on_freqs]
        on = np.asarray(sit.cadence[0::2])
        lo = (on.min() - SIT_ON_TOLERANCE_S - CADENCE_TOLERANCE_S) / BLOCK_SECONDS
        hi = (on.max() + SIT_ON_TOLERANCE_S + CADENCE_TOLERANCE_S) / BLOCK_SECONDS
        sit_on = (math.floor(lo), math.ceil(hi))

    for p in patterns:
        if p.cadence:
            _compile_cadence(p)
    _extend_required(patterns)
    for p in patterns:
        if not p.cadence:
            p.min_run = _continuous_blocks(keys[p.set][1], patterns, keys)

    n = np.arange(FRAME)
    bases: list[np.ndarray] = []
    inverses: list[np.ndarray] = []
    col_starts: list[int] = []
    freq_starts: list[int] = []
    tone_freqs: list[float] = []
    column = 0
    for i, key in enumerate(keys):
        freqs = np.asarray(_basis_freqs(key))
        w = 2 * np.pi * np.outer(n, freqs) / RATE
        basis = np.empty((FRAME, 2 * freqs.size))
        basis[:, 0::2] = np.cos(w)
        basis[:, 1::2] = np.sin(w)
        q, r = np.linalg.qr(basis)
        bases.append(q)
        col_starts.append(column)
        if i < n_tone_sets:
            inverses.append(np.linalg.inv(r).T)
            freq_starts.append(len(tone_freqs))
            tone_freqs.extend(freqs)
        column += basis.shape[1]
    n_tone_cols = sum(m.shape[0] for m in inverses)
    to_coef = np.zeros((n_tone_cols, n_tone_cols))
    for start, m in zip(col_starts, inverses, strict=False):
        to_coef[start : start + m.shape[0], start : start + m.shape[0]] = m
    f = np.asarray(tone_freqs)
    tolerance_hz = FREQ_TOLERANCE * f + FREQ_TOLERANCE_HZ
    # A block's phase step is unambiguous up to half a bin (25 Hz); beyond that the
    # energy-share test rejects the tone anyway, so the phase test accepts everything.
    phase = np.minimum(2 * np.pi * tolerance_hz * FRAME / RATE, np.pi)
    return _Tables(
        keys=keys,
        n_tone_sets=n_tone_sets,
        basis=np.concatenate(bases, axis=1).astype(np.float32),
        to_coef=to_coef.astype(np.float32),
        col_starts=np.asarray(col_starts),
        freq_starts=np.asarray(freq_starts, dtype=np.int64),
        rotation=np.exp(2j * np.pi * f * FRAME / RATE).astype(np.complex64),
        cos_tolerance=np.cos(phase).astype(np.float32),
        patterns=patterns,
        sit_sets=sit_sets,
        sit_on=sit_on,
    )


def _continuous_blocks(freqs: tuple[float, ...], patterns: list[_Pattern], keys: list[Key]) -> int:
    """Blocks a continuous tone must last: longer than any burst on similar frequencies."""
    longest = 0.0
    for u in patterns:
        if not u.cadence:
            continue
        near = any(
            abs(f - g) <= FREQ_TOLERANCE * f + FREQ_TOLERANCE_HZ
            for f in freqs
            for g in keys[u.set][1]
        )
        if near:
            longest = max(longest, max(u.cadence[0::2]))
    seconds = max(MIN_CONTINUOUS_S, 1.5 * longest + 0.1)
    return round(seconds / BLOCK_SECONDS)


class CallProgressDetector:
    """Recognises call-progress tones, SIT, silence and voice on every channel of a block.

    One object per media engine. Feed every tick's received audio to
    :meth:`process`; :meth:`reset` a channel when its call starts, and give a line
    its learned disconnect tone with :meth:`set_line_profile`. All methods belong
    to the media thread.
    """

    def __init__(
        self,
        n_channels: int,
        country: str = DEFAULT_COUNTRY,
        *,
        silence_seconds: float = DEFAULT_SILENCE_SECONDS,
    ) -> None:
        if isinstance(n_channels, bool) or not isinstance(n_channels, int | np.integer):
            raise ProgressError(f"the channel count is an integer, not {n_channels!r}")
        if n_channels < 1:
            raise ProgressError(f"a detector needs at least one channel, not {n_channels}")
        if not (math.isfinite(silence_seconds) and silence_seconds > 0):
            raise ProgressError(f"silence_seconds must be positive, not {silence_seconds}")
        self.n_channels = n = int(n_channels)
        self._country = self._check_country(country)
        self._silence_blocks = max(1, round(silence_seconds / BLOCK_SECONDS))
        self._profiles: dict[int, LineToneProfile] = {}
        self._x = np.zeros((n, FRAME), dtype=np.float32)
        self._hann = np.hanning(FRAME).astype(np.float32)
        self._current = np.full(n, -1, dtype=np.int64)
        self._silent = np.zeros(n, dtype=np.int64)
        self._voice = np.zeros(n)
        self._clock = np.zeros(n, dtype=np.int64)  # blocks seen per channel
        self._parity = np.arange(n) % 2
        self._sit_stage = np.zeros(n, dtype=np.int64)
        self._sit_end = np.zeros(n, dtype=np.int64)
        self._min_power = dbm0_to_power(MIN_TONE_DBM0)
        self._silence_power = dbm0_to_power(SILENCE_DBM0)
        self._twist = 10.0 ** (MAX_TWIST_DB / 10.0)
        self._tables = _compile_tables(self._country, self._profiles, n)
        self._alloc_state()

    # -- configuration ---------------------------------------------------------------

    @property
    def country(self) -> str:
        """The country whose tone table the detector recognises."""
        return self._country

    def set_country(self, country: str) -> None:
        """Recognise ``country``'s tones from now on; every channel starts afresh."""
        self._country = self._check_country(country)
        self._tables = _compile_tables(self._country, self._profiles, self.n_channels)
        self._alloc_state()
        for ch in range(self.n_channels):
            self._clear_channel(ch)

    def set_line_profile(self, channel: int, profile: LineToneProfile | None) -> None:
        """Also recognise ``profile`` on ``channel`` as its disconnect tone (None: forget it).

        Other channels carry on undisturbed; ``channel`` starts afresh.
        """
        ch = self._check_channel(channel)
        if profile is not None and not isinstance(profile, LineToneProfile):
            raise ProgressError(f"a line profile is a LineToneProfile, not {profile!r}")
        if profile is None:
            self._profiles.pop(ch, None)
        else:
            self._profiles[ch] = profile
        old = self._tables
        self._tables = _compile_tables(self._country, self._profiles, self.n_channels)
        self._remap_state(old)
        self._clear_channel(ch)

    def reset(self, channel: int) -> None:
        """Forget everything heard on ``channel`` (a new call); its profile stays."""
        self._clear_channel(self._check_channel(channel))

    # -- the tick --------------------------------------------------------------------

    def process(
        self, block: np.ndarray, now: float, active: np.ndarray | None = None
    ) -> list[CallProgressDetected]:
        """Take one tick, ``block`` (n_channels, 160) linear samples ending at ``now``.

        ``active`` (bool per channel) limits the effect to the channels listening for
        call progress: the others keep their state and report nothing. Raises
        :class:`ProgressError` for a block of the wrong shape or with NaN, before
        anything changes.
        """
        act = self._check_block(block, active)
        t = self._tables
        x = self._x
        total = np.einsum("cn,cn->c", x, x) / FRAME
        on = self._sets_on(x, total, act)
        completed = self._advance(on, act)
        self._clock += act

        best = np.full(self.n_channels, _BIG, dtype=np.int64)
        for p in t.patterns:
            if p.cadence:
                self._match_cadence(p, completed, best)
            else:
                self._match_continuous(p, act, best)
        self._match_sit(completed, best)
        self._voice_and_silence(total, on.any(axis=1), act, best)

        events: list[CallProgressDetected] = []
        found = np.flatnonzero(best < _BIG)
        if found.size:
            kinds = best[found] % 32
            new = kinds != self._current[found]
            for ch, kind in zip(found[new], kinds[new], strict=True):
                events.append(CallProgressDetected(int(ch), _PRIORITY[int(kind)], now))
            self._current[found] = kinds
        return events

    # -- per block steps -------------------------------------------------------------

    def _sets_on(self, x: np.ndarray, total: np.ndarray, act: np.ndarray) -> np.ndarray:
        """(channels, sets): which frequency sets hold a tone in this block."""
        t = self._tables
        y = x @ t.basis
        captured = np.add.reduceat(y * y, t.col_starts, axis=1) * (1.0 / FRAME)
        on = captured >= MIN_TONE_SHARE * total[:, None]
        tone_on = on[:, : t.n_tone_sets]
        band_on = on[:, t.n_tone_sets :]
        band_on &= captured[:, t.n_tone_sets :] >= self._min_power

        # Least-squares amplitudes, cos and sin side by side: as complex numbers A·e^{-jφ}.
        amp = (y[:, : t.to_coef.shape[0]] @ t.to_coef).view(np.complex64)
        power = 0.5 * np.abs(amp) ** 2
        # The phase step since the last block, less the nominal one, is the frequency
        # error; it is judged only where the frequency was present in the last block too.
        step = amp * np.conj(self._prev_amp) * t.rotation
        good = (step.real >= t.cos_tolerance * np.abs(step)) | (self._prev_power < self._min_power)
        good &= power >= self._min_power
        tone_on &= np.logical_and.reduceat(good, t.freq_starts, axis=1)
        tone_on &= np.maximum.reduceat(power, t.freq_starts, axis=1) <= self._twist * (
            np.minimum.reduceat(power, t.freq_starts, axis=1)
        )
        np.copyto(self._prev_amp, amp, where=act[:, None])
        np.copyto(self._prev_power, power, where=act[:, None])
        return on

    def _advance(self, on: np.ndarray, act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Move every set's segments one block; return (channel, set) of segments that ended."""
        a = act[:, None]
        contrary = (on != self._on) & a
        self._pending = np.where(contrary, self._pending + 1, np.where(a, 0, self._pending))
        self._run += a
        ch, s = np.nonzero(self._pending >= DEBOUNCE)
        if ch.size:
            duration = (self._run[ch, s] - DEBOUNCE) * BLOCK_SECONDS
            ended_on = self._on[ch, s]
            self._history[ch, s, :-1] = self._history[ch, s, 1:]
            self._history[ch, s, -1] = duration
            self._last_on[ch, s] = ended_on
            # The first segment after a reset was heard only in part: it starts no count.
            fresh = self._fresh[ch, s]
            self._count[ch, s] = np.where(fresh, 0, np.minimum(self._count[ch, s] + 1, HISTORY))
            self._fresh[ch, s] = False
            self._on[ch, s] = ~ended_on
            self._run[ch, s] = DEBOUNCE
            self._pending[ch, s] = 0
        return ch, s

    def _match_cadence(
        self, p: _Pattern, completed: tuple[np.ndarray, np.ndarray], best: np.ndarray
    ) -> None:
        idx = completed[0][completed[1] == p.set]
        if p.channels is not None:
            idx = idx[p.channels[idx]]
        if not idx.size:
            return
        matched, _ = self._judge(p, idx)
        blocked = np.zeros(idx.size, dtype=bool)
        for u in self._tables.patterns:
            if u.set != p.set or u.segments <= p.segments or u.cadence == p.cadence:
                continue
            u_matched, u_possible = self._judge(u, idx)
            applies = True if u.channels is None else u.channels[idx]
            blocked |= applies & u_possible & ~u_matched
        hit = idx[matched & ~blocked]
        best[hit] = np.minimum(best[hit], _rank(p.kind, p.segments))

    def _judge(self, p: _Pattern, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per channel in ``idx``: does the cadence match now, and could it still be playing?"""
        hist = self._history[idx, p.set][:, None, :]
        ok = (hist >= p.low[None]) & (hist <= p.high[None])  # (channels, rotations, HISTORY)
        parity = self._last_on[idx, p.set][:, None] == p.ends_on[None, :]
        count = self._count[idx, p.set]
        matched = (ok[:, :, HISTORY - p.required :].all(axis=2) & parity).any(axis=1)
        matched &= count >= p.required
        seen = np.arange(HISTORY)[None, :] >= (HISTORY - np.minimum(count, p.segments))[:, None]
        possible = ((ok | ~seen[:, None, :]).all(axis=2) & parity).any(axis=1)
        return matched, possible

    def _match_continuous(self, p: _Pattern, act: np.ndarray, best: np.ndarray) -> None:
        s = p.set
        hit = self._on[:, s] & (self._run[:, s] - self._pending[:, s] >= p.min_run) & act
        if p.channels is not None:
            hit &= p.channels
        idx = np.flatnonzero(hit)
        best[idx] = np.minimum(best[idx], _rank(p.kind, 0))

    def _match_sit(self, completed: tuple[np.ndarray, np.ndarray], best: np.ndarray) -> None:
        """E.180/Q.35 SIT: the three tones in order, each 330 ± 70 ms, gaps up to 30 ms."""
        t = self._tables
        lo, hi = t.sit_on
        stage, end = self._sit_stage, self._sit_end
        max_gap = round(SIT_MAX_GAP_S / BLOCK_SECONDS) + DEBOUNCE
        for step, s in enumerate(t.sit_sets):
            pick = (completed[1] == s) & self._last_on[completed[0], completed[1]]
            idx = completed[0][pick]
            if not idx.size:
                continue
            blocks = np.rint(self._history[idx, s, -1] / BLOCK_SECONDS).astype(np.int64)
            seg_end = self._clock[idx] - DEBOUNCE
            if step == 0:
                follows = np.ones(idx.size, dtype=bool)
            else:
                follows = (stage[idx] == step) & (seg_end - blocks - end[idx] <= max_gap)
            advance = follows & (blocks >= lo) & (blocks <= hi)
            stage[idx] = np.where(advance, step + 1, 0)
            end[idx] = np.where(advance, seg_end, end[idx])
            done = idx[advance & (step + 1 == len(t.sit_sets))]
            best[done] = np.minimum(best[done], _rank(ProgressTone.SIT, 6))
            stage[done] = 0

    def _voice_and_silence(
        self, total: np.ndarray, any_on: np.ndarray, act: np.ndarray, best: np.ndarray
    ) -> None:
        loud = total >= self._silence_power
        self._silent = np.where(act, np.where(loud, 0, self._silent + 1), self._silent)
        # Voice needs a spectrum; each channel takes its turn every other block (the
        # count moves twice as far), which halves the cost and still resolves 40 ms.
        turn = act & ((self._clock + self._parity) % 2 == 0)
        voice = np.zeros(self.n_channels, dtype=bool)
        idx = np.flatnonzero(turn & loud & ~any_on)
        if idx.size:
            voice[idx] = self._speech_like(self._x[idx])
        step = np.where(voice, 2.0, -2.0 * VOICE_DECAY)
        # The count stops at the mark, so voice holds only while it goes on.
        score = np.clip(self._voice + step, 0.0, VOICE_BLOCKS)
        self._voice = np.where(turn, score, self._voice)
        idx = np.flatnonzero(act & (self._voice >= VOICE_BLOCKS))
        best[idx] = np.minimum(best[idx], _rank(ProgressTone.VOICE, 0))
        idx = np.flatnonzero(act & (self._silent >= self._silence_blocks))
        best[idx] = np.minimum(best[idx], _rank(ProgressTone.SILENCE, 0))

    def _speech_like(self, x: np.ndarray) -> np.ndarray:
        """Blocks whose spectrum is neither a line spectrum (tones, beeps) nor flat (hiss)."""
        spectrum = np.abs(np.fft.rfft(x * self._hann)) ** 2 + 1e-9
        bins = np.arange(spectrum.shape[1])[None, :]
        first = np.argmax(spectrum, axis=1)[:, None]
        rest = np.where(np.abs(bins - first) <= 3, 0.0, spectrum)
        second = np.argmax(rest, axis=1)[:, None]
        near = (np.abs(bins - first) <= 2) | (np.abs(bins - second) <= 2)
        line_share = np.where(near, spectrum, 0.0).sum(axis=1) / spectrum.sum(axis=1)
        band = spectrum[:, _VOICE_BAND]
        flatness = np.exp(np.log(band).mean(axis=1)) / band.mean(axis=1)
        return (line_share < LINE_SPECTRUM_SHARE) & (flatness < MAX_FLATNESS)

    # -- state -----------------------------------------------------------------------

    def _alloc_state(self) -> None:
        n, f = self.n_channels, len(self._tables.keys)
        k = self._tables.rotation.size
        self._on = np.zeros((n, f), dtype=bool)
        self._run = np.zeros((n, f), dtype=np.int64)
        self._pending = np.zeros((n, f), dtype=np.int64)
        self._history = np.zeros((n, f, HISTORY))
        self._last_on = np.zeros((n, f), dtype=bool)
        self._count = np.zeros((n, f), dtype=np.int64)
        self._fresh = np.ones((n, f), dtype=bool)
        self._prev_amp = np.zeros((n, k), dtype=np.complex64)
        self._prev_power = np.zeros((n, k), dtype=np.float32)

    def _remap_state(self, old: _Tables) -> None:
        """Keep the state of frequency sets that survive a recompile; new sets start fresh."""
        saved = {
            name: getattr(self, name)
            for name in ("_on", "_run", "_pending", "_history", "_last_on", "_count", "_fresh")
        }
        prev_amp, prev_power = self._prev_amp, self._prev_power
        self._alloc_state()
        new = self._tables
        for j, key in enumerate(new.keys):
            if key not in old.keys:
                continue
            i = old.keys.index(key)
            for name, arr in saved.items():
                getattr(self, name)[:, j] = arr[:, i]
            if j < new.n_tone_sets:
                k = len(key[1])
                a, b = new.freq_starts[j], old.freq_starts[i]
                self._prev_amp[:, a : a + k] = prev_amp[:, b : b + k]
                self._prev_power[:, a : a + k] = prev_power[:, b : b + k]

    def _clear_channel(self, ch: int) -> None:
        self._on[ch] = False
        self._run[ch] = self._pending[ch] = self._count[ch] = 0
        self._history[ch] = 0.0
        self._last_on[ch] = False
        self._fresh[ch] = True
        self._prev_amp[ch] = 0.0
        self._prev_power[ch] = 0.0
        self._current[ch] = -1
        self._silent[ch] = 0
        self._voice[ch] = 0.0
        self._clock[ch] = 0
        self._sit_stage[ch] = 0
        self._sit_end[ch] = 0

    # -- checks ----------------------------------------------------------------------

    def _check_block(self, block: np.ndarray, active: np.ndarray | None) -> np.ndarray:
        arr = np.asarray(block)
        if arr.shape != (self.n_channels, FRAME):
            raise ProgressError(
                f"expected a block of shape ({self.n_channels}, {FRAME}), got {arr.shape}"
            )
        if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise ProgressError(f"a block holds numbers, not {arr.dtype}")
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            raise ProgressError("the block holds NaN or infinite samples")
        if active is None:
            act = np.ones(self.n_channels, dtype=bool)
        else:
            act = np.asarray(active)
            if act.shape != (self.n_channels,) or act.dtype != bool:
                raise ProgressError(
                    f"active must be {self.n_channels} booleans, got {act.dtype} {act.shape}"
                )
        self._x[...] = arr
        return act

    def _check_channel(self, channel: int) -> int:
        if isinstance(channel, bool) or not isinstance(channel, int | np.integer):
            raise ProgressError(f"a channel is an integer index, not {channel!r}")
        if not 0 <= channel < self.n_channels:
            raise ProgressError(
                f"no channel {channel}; the detector has channels 0..{self.n_channels - 1}"
            )
        return int(channel)

    @staticmethod
    def _check_country(country: str) -> str:
        code = str(country).upper()
        if code not in COUNTRIES:
            raise ProgressError(
                f"no tone table for country {country!r}; known: {', '.join(COUNTRIES)}"
            )
        return code
