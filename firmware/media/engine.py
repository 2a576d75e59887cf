"""The media engine: one call of :meth:`MediaEngine.tick` is 20 ms of audio for every port.

A tick decodes the G.711 frames of all channels as one array, runs DTMF detection
on all of them at once, feeds the caller ID receivers that are switched on, builds
what each channel sends (its bridge partner's audio, or the tone, prompt or digits it
is playing), and encodes everything back to G.711. Channels with nothing to send
carry G.711 silence.

Commands come from other threads (the asyncio loop, the control socket); they are
checked at once, so a bad request raises :class:`MediaError` in the caller and
changes nothing, and are then queued and applied at the start of the next tick, so
the tick never sees a half-made change.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from firmware.media.dtmf import DtmfDetector, DtmfError, generate_dtmf
from firmware.media.events import (
    CallerIdReceived,
    DigitDetected,
    DigitsSent,
    MediaEvent,
    PromptFinished,
)
from firmware.media.fsk import CallerIdReceiver
from firmware.media.tones import COUNTRIES, DEFAULT_COUNTRY, render_tone, tone_spec
from hal import g711
from hal.interface import FRAME_SAMPLES, SAMPLE_RATE, Law


class MediaError(Exception):
    """A media command that cannot be carried out as asked (bad channel, tone, audio)."""


class PlayoutKind(enum.Enum):
    """What a channel is playing, which decides how it ends and what it reports."""

    TONE = "tone"  # loops until stopped
    PROMPT = "prompt"  # plays once, then PromptFinished
    DIGITS = "digits"  # plays once, then DigitsSent


@dataclass
class _Playout:
    """A channel's current playout; mutable, owned by the tick thread."""

    kind: PlayoutKind
    samples: np.ndarray
    tag: str = ""
    position: int = 0


class MediaEngine:
    """DTMF, caller ID, tones, prompts and two-party bridges for ``n_channels`` ports."""

    def __init__(self, n_channels: int, law: Law, country: str = DEFAULT_COUNTRY) -> None:
        if n_channels < 1:
            raise MediaError(f"the engine needs at least one channel, not {n_channels}")
        if not isinstance(law, Law):
            raise MediaError(f"law must be a hal.interface.Law, not {law!r}")
        self.n_channels = n_channels
        self.law = law
        self._country = self._check_country(country)
        self._detector = DtmfDetector(n_channels, SAMPLE_RATE)
        self._commands: deque[Callable[[], None]] = deque()
        self._partner = np.full(n_channels, -1, dtype=np.int64)
        self._playing: dict[int, _Playout] = {}
        self._cid: dict[int, CallerIdReceiver] = {}
        self._tone_cache: dict[tuple[str, str], np.ndarray] = {}
        self._out = np.zeros((n_channels, FRAME_SAMPLES), dtype=np.int16)
        self._ramp = np.arange(FRAME_SAMPLES, dtype=np.int64)
        self._index = np.zeros(FRAME_SAMPLES, dtype=np.int64)

    # -- commands (any thread) ------------------------------------------------------

    @property
    def country(self) -> str:
        """The country whose tone table ``play_tone`` uses."""
        return self._country

    def set_country(self, country: str) -> None:
        """Use ``country``'s tones for tones started from now on."""
        self._country = self._check_country(country)

    def play_tone(self, ch: int, name: str) -> None:
        """Play the call-progress tone ``name`` on ``ch``, following its cadence, until stopped."""
        ch = self._check_channel(ch)
        country = self._country
        key = (country, name)
        samples = self._tone_cache.get(key)
        if samples is None:
            try:
                spec = tone_spec(country, name)
            except KeyError as exc:
                raise MediaError(exc.args[0]) from None
            samples = render_tone(spec, SAMPLE_RATE)
            self._tone_cache[key] = samples
        self._queue(ch, _Playout(PlayoutKind.TONE, samples, name))

    def play_prompt(self, ch: int, samples: np.ndarray, tag: str) -> None:
        """Play ``samples`` (8 kHz int16) once on ``ch``, replacing any playout.

        :class:`PromptFinished` with ``tag`` follows in the tick that sends the last
        sample (the next tick for an empty prompt).
        """
        ch = self._check_channel(ch)
        arr = np.asarray(samples)
        if arr.ndim != 1 or arr.dtype != np.int16:
            raise MediaError(
                f"a prompt is 1-D int16 samples at 8 kHz, got {arr.dtype} of shape {arr.shape}"
            )
        self._queue(ch, _Playout(PlayoutKind.PROMPT, arr.copy(), tag))

    def send_dtmf(self, ch: int, digits: str) -> None:
        """Send ``digits`` as DTMF on ``ch`` (replacing any playout); DigitsSent follows."""
        ch = self._check_channel(ch)
        try:
            samples = generate_dtmf(digits)
        except DtmfError as exc:
            raise MediaError(str(exc)) from None
        self._queue(ch, _Playout(PlayoutKind.DIGITS, samples, digits))

    def stop_playout(self, ch: int) -> None:
        """Stop whatever ``ch`` plays; its bridge audio, if any, resumes."""
        ch = self._check_channel(ch)
        self._commands.append(lambda: self._playing.pop(ch, None))

    def bridge(self, a: int, b: int) -> None:
        """Connect ``a`` and ``b`` both ways, breaking any bridge either was in."""
        a = self._check_channel(a)
        b = self._check_channel(b)
        if a == b:
            raise MediaError(f"cannot bridge channel {a} to itself")
        self._commands.append(lambda: self._apply_bridge(a, b))

    def unbridge(self, ch: int) -> None:
        """Break ``ch``'s bridge, for both ends."""
        ch = self._check_channel(ch)
        self._commands.append(lambda: self._apply_unbridge(ch))

    def enable_caller_id(self, ch: int, on: bool) -> None:
        """Switch ``ch``'s caller ID receiver on (collecting audio) or off (dropping it)."""
        ch = self._check_channel(ch)
        self._commands.append(lambda: self._apply_caller_id(ch, on))

    def reset(self, ch: int) -> None:
        """Return ``ch`` to idle: no playout, no bridge, fresh detectors, caller ID off."""
        ch = self._check_channel(ch)
        self._commands.append(lambda: self._apply_reset(ch))

    # -- the tick (media thread) ----------------------------------------------------

    def tick(self, rx: np.ndarray, now: float) -> tuple[np.ndarray, list[MediaEvent]]:
        """Process 20 ms: ``rx`` (n, 160) uint8 G.711 in, tx (n, 160) uint8 and events out."""
        if not isinstance(rx, np.ndarray) or rx.dtype != np.uint8:
            raise MediaError("received frames must be a uint8 numpy array of G.711 codes")
        if rx.shape != (self.n_channels, FRAME_SAMPLES):
            raise MediaError(
                f"received frames must have shape ({self.n_channels}, {FRAME_SAMPLES}), "
                f"got {rx.shape}"
            )
        while self._commands:
            self._commands.popleft()()

        linear = g711.decode(rx, self.law)
        events: list[MediaEvent] = [
            DigitDetected(ch, digit, start)
            for ch, digit, start in self._detector.process(linear, now)
        ]
        for ch, receiver in self._cid.items():
            for caller_id in receiver.feed(linear[ch]):
                events.append(CallerIdReceived(ch, caller_id, now))

        out = self._out
        out.fill(0)
        bridged = np.flatnonzero(self._partner >= 0)
        if bridged.size:
            out[bridged] = linear[self._partner[bridged]]
        finished: list[int] = []
        for ch, playout in self._playing.items():
            if self._play(out[ch], playout):
                finished.append(ch)
                if playout.kind is PlayoutKind.PROMPT:
                    events.append(PromptFinished(ch, playout.tag, now))
                else:
                    events.append(DigitsSent(ch, now))
        for ch in finished:
            del self._playing[ch]
        return g711.encode(out, self.law), events

    def _play(self, row: np.ndarray, playout: _Playout) -> bool:
        """Write the next frame of ``playout`` into ``row``; True once it has all been sent."""
        samples = playout.samples
        if playout.kind is PlayoutKind.TONE:
            np.add(self._ramp, playout.position, out=self._index)
            np.take(samples, self._index, mode="wrap", out=row)
            playout.position = (playout.position + FRAME_SAMPLES) % samples.size
            return False
        start = playout.position
        count = min(FRAME_SAMPLES, samples.size - start)
        row[:count] = samples[start : start + count]
        row[count:] = 0
        playout.position = start + count
        return playout.position >= samples.size

    # -- applying queued commands (media thread) ------------------------------------

    def _queue(self, ch: int, playout: _Playout) -> None:
        def apply() -> None:
            self._playing[ch] = playout

        self._commands.append(apply)

    def _apply_bridge(self, a: int, b: int) -> None:
        self._apply_unbridge(a)
        self._apply_unbridge(b)
        self._partner[a] = b
        self._partner[b] = a

    def _apply_unbridge(self, ch: int) -> None:
        partner = int(self._partner[ch])
        if partner >= 0:
            self._partner[partner] = -1
        self._partner[ch] = -1

    def _apply_caller_id(self, ch: int, on: bool) -> None:
        if on:
            self._cid.setdefault(ch, CallerIdReceiver(SAMPLE_RATE))
        else:
            self._cid.pop(ch, None)

    def _apply_reset(self, ch: int) -> None:
        self._playing.pop(ch, None)
        self._apply_unbridge(ch)
        self._detector.reset(ch)
        self._cid.pop(ch, None)

    # -- checks (caller's thread) ---------------------------------------------------

    def _check_channel(self, ch: int) -> int:
        if isinstance(ch, bool) or not isinstance(ch, int | np.integer):
            raise MediaError(f"a channel is an integer index, not {ch!r}")
        if not 0 <= ch < self.n_channels:
            raise MediaError(f"no channel {ch}; this engine has channels 0..{self.n_channels - 1}")
        return int(ch)

    @staticmethod
    def _check_country(country: str) -> str:
        code = str(country).upper()
        if code not in COUNTRIES:
            raise MediaError(
                f"no tone table for country {country!r}; known: {', '.join(COUNTRIES)}"
            )
        return code
