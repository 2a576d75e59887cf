"""Answering-machine detection for the dialer: human, machine or unsure, and when.

When an outbound call is answered the dialer must know at once whether a person
said "hello?" (put an agent on) or a machine is reciting its greeting (hang up, or
wait for the beep and leave a message). People answer briefly and then wait for
the caller; machines talk on for seconds, and end with a beep. So the detector
follows the energy envelope of the first seconds after answer and decides by the
rules the industry has long used (those of Asterisk's ``app_amd``, for one):

* a beep (a steady single tone) before any decision: **machine**;
* speech that runs on, pauses shorter than ``after_greeting_silence`` included,
  for longer than ``greeting``: **machine**; more than ``max_words`` words: **machine**;
* a short utterance followed by ``after_greeting_silence`` of quiet: **human**;
* nothing said for ``initial_silence``, or no verdict within ``total``: **unsure**
  (dead air may be a person holding the phone; the dialer's policy decides).

After a *machine* verdict the detector keeps listening for the beep and reports
its end, which is when a message can start.

Per tick, and only for the channels being judged: the block's power against a
noise floor that follows the line (quickly down, slowly up) says voice or quiet;
the block's spectrum says whether it is a beep (one peak holding nearly all the
energy, which speech never does). Words are runs of voice of ``min_word`` or more,
apart by ``between_words`` of quiet.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields

import numpy as np

from firmware.media.levels import dbm0_to_power

RATE = 8000
FRAME = 160  # samples per tick (hal.interface.FRAME_SAMPLES)
BLOCK_SECONDS = FRAME / RATE

VOICE_MIN_DBM0 = -48.0  # quieter blocks are never voice, whatever the noise floor
VOICE_OVER_NOISE_DB = 9.0  # voice stands this far above the line's noise floor
NOISE_FLOOR_DBM0 = -80.0  # the floor estimate never drops below this (digital silence)
NOISE_RISE_PER_BLOCK = 1.01  # the floor estimate climbs 2.2 dB/s; it drops at once
BEEP_MIN_DBM0 = -40.0
BEEP_PEAK_SHARE = 0.95  # energy within ±100 Hz of the peak; speech stays below 0.92
BEEP_MIN_HZ = 300.0
BEEP_MAX_HZ = 3000.0
BEEP_BLOCKS = 4  # 80 ms of the same steady tone make a beep


class AmdError(ValueError):
    """A request or an audio block the answering-machine detector cannot take as given."""


class AmdResult(enum.Enum):
    """Who answered."""

    HUMAN = "human"
    MACHINE = "machine"
    UNSURE = "unsure"


class AmdReason(enum.Enum):
    """Which rule decided."""

    SHORT_GREETING = "short_greeting"  # a few words, then quiet: human
    LONG_GREETING = "long_greeting"  # talk running past the greeting limit: machine
    MANY_WORDS = "many_words"
    BEEP = "beep"
    INITIAL_SILENCE = "initial_silence"  # nothing said: unsure
    TIMEOUT = "timeout"  # no rule decided in time: unsure


@dataclass(frozen=True)
class AmdSettings:
    """Timings of the rules, in seconds (``max_words`` a count).

    The timings are app_amd's defaults; words must be 100 ms apart rather than 50 ms
    and up to four are allowed, because a person's "yes, speaking" often breaks
    into three runs of voice at its stop consonants.
    """

    initial_silence: float = 2.5
    greeting: float = 1.5
    after_greeting_silence: float = 0.8
    total: float = 5.0
    min_word: float = 0.1
    between_words: float = 0.1
    max_words: int = 4
    beep_listen: float = 30.0  # after a machine verdict, how long to wait for the beep

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AmdError(f"AMD setting {f.name} must be a number, not {value!r}")
            if not (math.isfinite(value) and value > 0):
                raise AmdError(f"AMD setting {f.name} must be positive, not {value}")
        if self.total < self.initial_silence:
            raise AmdError(
                f"AMD total ({self.total} s) must not be shorter than initial_silence "
                f"({self.initial_silence} s)"
            )

    def blocks(self, seconds: float) -> int:
        return max(1, round(seconds / BLOCK_SECONDS))


@dataclass(frozen=True)
class AmdDecision:
    """The verdict on ``channel``; ``decision_time`` is seconds from answer to verdict."""

    channel: int
    result: AmdResult
    reason: AmdReason
    at: float
    decision_time: float


@dataclass(frozen=True)
class BeepDetected:
    """A machine's beep on ``channel`` ended at ``at``: a message may start now."""

    channel: int
    at: float
    duration: float


AmdEvent = AmdDecision | BeepDetected

# Which verdict each reason gives.
_RESULT = {
    AmdReason.SHORT_GREETING: AmdResult.HUMAN,
    AmdReason.LONG_GREETING: AmdResult.MACHINE,
    AmdReason.MANY_WORDS: AmdResult.MACHINE,
    AmdReason.BEEP: AmdResult.MACHINE,
    AmdReason.INITIAL_SILENCE: AmdResult.UNSURE,
    AmdReason.TIMEOUT: AmdResult.UNSURE,
}
_REASONS = tuple(_RESULT)
_MACHINE_REASONS = np.array(
    [i for i, r in enumerate(_REASONS) if _RESULT[r] is AmdResult.MACHINE], dtype=np.int64
)


class AnsweringMachineDetector:
    """Judges the first seconds after answer on every channel it was started on.

    One object per media engine: :meth:`start` a channel when its outbound call is
    answered, feed every tick to :meth:`process`, and :meth:`reset` a channel whose
    call ends early. Channels not started cost nothing.
    """

    def __init__(self, n_channels: int, settings: AmdSettings | None = None) -> None:
        if isinstance(n_channels, bool) or not isinstance(n_channels, int) or n_channels < 1:
            raise AmdError(f"a detector needs at least one channel, not {n_channels!r}")
        self.n_channels = n_channels
        self.settings = settings or AmdSettings()
        if not isinstance(self.settings, AmdSettings):
            raise AmdError(f"settings must be AmdSettings, not {self.settings!r}")
        s = self.settings
        self._initial = s.blocks(s.initial_silence)
        self._greeting = s.blocks(s.greeting)
        self._after = s.blocks(s.after_greeting_silence)
        self._total = s.blocks(s.total)
        self._min_word = s.blocks(s.min_word)
        self._between = s.blocks(s.between_words)
        self._beep_listen = s.blocks(s.beep_listen)
        self._voice_min = dbm0_to_power(VOICE_MIN_DBM0)
        self._noise_floor = dbm0_to_power(NOISE_FLOOR_DBM0)
        self._beep_min = dbm0_to_power(BEEP_MIN_DBM0)
        self._over_noise = 10.0 ** (VOICE_OVER_NOISE_DB / 10.0)
        self._hann = np.hanning(FRAME).astype(np.float32)
        bins = np.fft.rfftfreq(FRAME, 1.0 / RATE)
        self._beep_bins = (bins >= BEEP_MIN_HZ) & (bins <= BEEP_MAX_HZ)
        n = n_channels
        self._listening = np.zeros(n, dtype=bool)
        self._deciding = np.zeros(n, dtype=bool)
        self._start = np.zeros(n)
        self._blocks = np.zeros(n, dtype=np.int64)
        self._noise = np.zeros(n)
        self._voiced_run = np.zeros(n, dtype=np.int64)
        self._quiet_run = np.zeros(n, dtype=np.int64)
        self._in_word = np.zeros(n, dtype=bool)
        self._words = np.zeros(n, dtype=np.int64)
        self._first_word = np.full(n, -1, dtype=np.int64)
        self._beep_run = np.zeros(n, dtype=np.int64)
        self._beep_bin = np.full(n, -1, dtype=np.int64)

    # -- commands --------------------------------------------------------------------

    def start(self, channel: int, now: float) -> None:
        """The call on ``channel`` was answered at ``now``: judge what follows."""
        ch = self._check_channel(channel)
        if not math.isfinite(now):
            raise AmdError(f"start time must be a finite number, not {now}")
        self._clear(ch)
        self._listening[ch] = True
        self._deciding[ch] = True
        self._start[ch] = now

    def reset(self, channel: int) -> None:
        """Stop judging ``channel`` without a verdict (its call ended)."""
        self._clear(self._check_channel(channel))

    @property
    def listening(self) -> tuple[int, ...]:
        """Channels still being judged or still waiting for a machine's beep."""
        return tuple(int(ch) for ch in np.flatnonzero(self._listening))

    # -- the tick --------------------------------------------------------------------

    def process(
        self, block: np.ndarray, now: float, active: np.ndarray | None = None
    ) -> list[AmdEvent]:
        """Take one tick, ``block`` (n_channels, 160) linear samples ending at ``now``.

        Raises :class:`AmdError` for a block of the wrong shape or with NaN, before
        anything changes.
        """
        arr = self._check_block(block, active)
        listening = self._listening if active is None else self._listening & active
        idx = np.flatnonzero(listening)
        if not idx.size:
            return []
        x = arr[idx].astype(np.float32)
        power = np.einsum("cn,cn->c", x, x, dtype=np.float64) / FRAME
        beep_like, peak = self._beep_like(x, power)

        blocks = self._blocks[idx] + 1
        self._blocks[idx] = blocks
        first = blocks == 1
        noise = np.where(first, power, np.minimum(power, self._noise[idx] * NOISE_RISE_PER_BLOCK))
        noise = np.maximum(noise, self._noise_floor)
        self._noise[idx] = noise
        threshold = np.maximum(self._voice_min, noise * self._over_noise)
        voiced = (power >= threshold) & ~beep_like & ~first

        # Words: runs of voice of min_word or more, apart by between_words of quiet.
        voiced_run = np.where(voiced, self._voiced_run[idx] + 1, 0)
        quiet_run = np.where(voiced, 0, self._quiet_run[idx] + 1)
        in_word = self._in_word[idx]
        begins = ~in_word & (voiced_run >= self._min_word)
        ends = in_word & (quiet_run >= self._between)
        in_word = (in_word | begins) & ~ends
        words = self._words[idx] + begins
        first_word = self._first_word[idx]
        first_word = np.where(begins & (first_word < 0), blocks - voiced_run + 1, first_word)
        self._voiced_run[idx], self._quiet_run[idx] = voiced_run, quiet_run
        self._in_word[idx], self._words[idx], self._first_word[idx] = in_word, words, first_word

        # Beep: the same steady tone in BEEP_BLOCKS blocks in a row.
        same = beep_like & (np.abs(peak - self._beep_bin[idx]) <= 1)
        beep_run = np.where(beep_like, np.where(same, self._beep_run[idx] + 1, 1), 0)
        beep_ended = (self._beep_run[idx] >= BEEP_BLOCKS) & (beep_run == 0)
        beep_duration = self._beep_run[idx] * BLOCK_SECONDS
        self._beep_run[idx] = beep_run
        self._beep_bin[idx] = np.where(beep_like, peak, -1)

        # The rules, first that applies wins (index into _REASONS; len = none yet).
        deciding = self._deciding[idx]
        spoke = first_word >= 0
        talking = spoke & (quiet_run < self._after)
        last_voice = blocks - quiet_run  # the greeting runs from first_word to here
        reason = np.full(idx.size, len(_REASONS))
        rules = (
            (AmdReason.BEEP, beep_run >= BEEP_BLOCKS),
            (AmdReason.LONG_GREETING, talking & (last_voice - first_word + 1 > self._greeting)),
            (AmdReason.MANY_WORDS, words > self.settings.max_words),
            (AmdReason.SHORT_GREETING, spoke & ~talking),
            (AmdReason.INITIAL_SILENCE, ~spoke & (blocks >= self._initial)),
            (AmdReason.TIMEOUT, blocks >= self._total),
        )
        for rule, applies in reversed(rules):
            reason = np.where(applies, _REASONS.index(rule), reason)
        decided = deciding & (reason < len(_REASONS))

        events: list[AmdEvent] = []
        for j in np.flatnonzero(decided):
            why = _REASONS[int(reason[j])]
            ch = int(idx[j])
            events.append(AmdDecision(ch, _RESULT[why], why, now, now - float(self._start[ch])))
        machine = decided & np.isin(reason, _MACHINE_REASONS)
        self._deciding[idx[decided]] = False
        # Human and unsure verdicts end the listening; a machine's beep is awaited.
        stop = decided & ~machine
        waiting = ~deciding | machine
        for j in np.flatnonzero(waiting & beep_ended):
            events.append(BeepDetected(int(idx[j]), now, float(beep_duration[j])))
        stop |= waiting & (beep_ended | (blocks >= self._beep_listen))
        for ch in idx[stop]:
            self._clear(int(ch))
        return events

    def _beep_like(self, x: np.ndarray, power: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Blocks that are one steady tone (nearly all energy near one peak), and the peak bin."""
        spectrum = np.abs(np.fft.rfft(x * self._hann)) ** 2
        peak = np.argmax(spectrum, axis=1)
        bins = np.arange(spectrum.shape[1])[None, :]
        near = np.abs(bins - peak[:, None]) <= 2
        share = np.where(near, spectrum, 0.0).sum(axis=1) / np.maximum(spectrum.sum(axis=1), 1e-9)
        like = (share >= BEEP_PEAK_SHARE) & (power >= self._beep_min) & self._beep_bins[peak]
        return like, peak

    # -- checks and state ------------------------------------------------------------

    def _check_block(self, block: np.ndarray, active: np.ndarray | None) -> np.ndarray:
        arr = np.asarray(block)
        if arr.shape != (self.n_channels, FRAME):
            raise AmdError(
                f"expected a block of shape ({self.n_channels}, {FRAME}), got {arr.shape}"
            )
        if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise AmdError(f"a block holds numbers, not {arr.dtype}")
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            raise AmdError("the block holds NaN or infinite samples")
        if active is not None:
            act = np.asarray(active)
            if act.shape != (self.n_channels,) or act.dtype != bool:
                raise AmdError(
                    f"active must be {self.n_channels} booleans, got {act.dtype} {act.shape}"
                )
        return arr

    def _check_channel(self, channel: int) -> int:
        if isinstance(channel, bool) or not isinstance(channel, int | np.integer):
            raise AmdError(f"a channel is an integer index, not {channel!r}")
        if not 0 <= channel < self.n_channels:
            raise AmdError(
                f"no channel {channel}; the detector has channels 0..{self.n_channels - 1}"
            )
        return int(channel)

    def _clear(self, ch: int) -> None:
        self._listening[ch] = False
        self._deciding[ch] = False
        self._start[ch] = 0.0
        self._blocks[ch] = 0
        self._noise[ch] = 0.0
        self._voiced_run[ch] = self._quiet_run[ch] = 0
        self._in_word[ch] = False
        self._words[ch] = 0
        self._first_word[ch] = -1
        self._beep_run[ch] = 0
        self._beep_bin[ch] = -1
