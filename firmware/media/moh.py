"""Music on hold: one stream that every waiting caller hears, from the line-in or from files.

Two sources, chosen in the web UI:

* **files**: uploaded prompts played as a playlist, one after the other, looped
  for ever. Each file is read and resampled to 8 kHz once (by
  :func:`firmware.media.prompts.load_prompt`, off the media tick) and the tracks
  are joined into one array, so the loop is seamless: the frame that crosses the
  end carries the last samples of the last track and the first of the first.
* **line-in**: whatever plays into the sound device (a radio, a CD player),
  captured only while somebody listens (started by the first :meth:`frame`,
  stopped by :meth:`expire` once nobody has listened for ``IDLE_SECONDS``). A
  short buffer rides out jitter between the sound card's clock and the
  telephony card's; it is topped up before play starts and trimmed when the
  sound card runs fast, so the delay stays bounded. The level is normalised
  (a slow automatic gain towards ``TARGET_DBM0``) because a radio's line-out is
  anything from a whisper to clipping.

One stream, not one per caller: :meth:`MusicOnHold.frame` returns the same 160
samples for every call with the same ``now``, and moves on when ``now`` does. The
array is read-only, so no listener can spoil it for the others. If the line-in
fails (a USB dongle pulled) callers hear the playlist until it is back.
"""

from __future__ import annotations

import enum
import logging
import math
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from firmware.media.levels import DBM0_RMS
from firmware.media.prompts import PromptError, load_prompt
from hal.audio.interface import AudioDevice, AudioError
from hal.interface import FRAME_SAMPLES, FRAME_SECONDS

log = logging.getLogger(__name__)

# Music on hold sits a little under speech (ITU-T P.800-style speech is near -20 dBm0
# active level; hold music is commonly set around -18 to -22 dBm0 so callers are
# neither startled nor straining).
TARGET_DBM0 = -20.0
MAX_GAIN_DB = 24.0  # a quiet radio is lifted, but hiss is not turned into a roar
MIN_GAIN_DB = -24.0
GATE_DBM0 = -55.0  # below this the line-in is taken as silence and the gain is held
ATTACK = 0.3  # per frame, towards a lower gain: loud passages are tamed within ~60 ms
RELEASE = 0.02  # per frame, towards a higher gain: ~1 s, so quiet passages stay quiet

PREFILL_FRAMES = 3  # 60 ms buffered before the line-in is heard
MAX_BUFFER_FRAMES = 10  # beyond 200 ms the oldest audio is dropped (sound card runs fast)
IDLE_SECONDS = 2.0  # nobody listened this long: the capture stops
RETRY_SECONDS = 10.0  # a failed line-in is tried again after this


class MohSource(enum.StrEnum):
    """Where the music comes from."""

    FILES = "files"
    LINE_IN = "line-in"


class MohError(Exception):
    """A music-on-hold request that cannot be carried out, in plain words."""


@dataclass(frozen=True)
class Playlist:
    """The tracks that loaded, joined into one 8 kHz int16 array; ``skipped`` says why not."""

    names: tuple[str, ...] = ()
    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    skipped: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return self.audio.size * FRAME_SECONDS / FRAME_SAMPLES


def load_playlist(tracks: Sequence[tuple[str, Path]]) -> Playlist:
    """Read every track once (resampled to 8 kHz); a track that cannot be used is skipped.

    Slow (file reading and resampling): call it off the media tick and the event
    loop, then hand the result to :meth:`MusicOnHold.configure`.
    """
    names: list[str] = []
    parts: list[np.ndarray] = []
    skipped: list[str] = []
    for name, path in tracks:
        try:
            samples = load_prompt(path)
        except PromptError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        names.append(name)
        parts.append(samples)
    audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
    audio.setflags(write=False)
    for reason in skipped:
        log.warning("music on hold: track skipped: %s", reason)
    return Playlist(tuple(names), audio, tuple(skipped))


class LevelNormaliser:
    """A slow automatic gain towards ``target_dbm0``, one frame at a time.

    The gain is measured over each frame and moves smoothly inside it (a linear
    ramp from the last frame's gain), so there is no zipper noise; frames below
    the gate (silence between tracks) hold the gain instead of pumping it up.
    """

    def __init__(self, target_dbm0: float = TARGET_DBM0) -> None:
        self.target_rms = DBM0_RMS * 10.0 ** (target_dbm0 / 20.0)
        self._gate_power = (DBM0_RMS * 10.0 ** (GATE_DBM0 / 20.0)) ** 2
        self.gain_db = 0.0
        self._ramp = np.arange(1, FRAME_SAMPLES + 1, dtype=np.float64) / FRAME_SAMPLES
        self._work = np.empty(FRAME_SAMPLES, dtype=np.float64)

    def process(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` (160 int16) at the normalised level, as a new int16 array."""
        x = self._work
        np.copyto(x, frame)
        power = float(np.dot(x, x)) / FRAME_SAMPLES
        before = self.gain_db
        if power > self._gate_power:
            wanted = 20.0 * math.log10(self.target_rms / math.sqrt(power))
            wanted = min(MAX_GAIN_DB, max(MIN_GAIN_DB, wanted))
            rate = ATTACK if wanted < before else RELEASE
            self.gain_db = before + rate * (wanted - before)
        g0 = 10.0 ** (before / 20.0)
        g1 = 10.0 ** (self.gain_db / 20.0)
        x *= g0 + (g1 - g0) * self._ramp
        np.rint(x, out=x)
        np.clip(x, -32768, 32767, out=x)
        return x.astype(np.int16)

    def reset(self) -> None:
        self.gain_db = 0.0


class _LineIn:
    """The captured stream: a jitter buffer in front of the device, topped up and trimmed."""

    def __init__(self, device: AudioDevice) -> None:
        self.device = device
        self.frames: deque[np.ndarray] = deque()
        self.filling = True
        self.dropped = 0
        self.starved = 0
        self.level = LevelNormaliser()

    def start(self) -> None:
        self.device.start_capture()

    def stop(self) -> None:
        self.device.stop_capture()
        self.frames.clear()
        self.filling = True
        self.level.reset()

    def next_frame(self) -> np.ndarray | None:
        """The next frame to play, or None while the buffer fills (AudioError passes up)."""
        block = self.device.read_frames()
        self.frames.extend(block)
        excess = len(self.frames) - MAX_BUFFER_FRAMES
        if excess > 0:
            self.dropped += excess
            for _ in range(excess):
                self.frames.popleft()
        if self.filling:
            if len(self.frames) < PREFILL_FRAMES:
                return None
            self.filling = False
        if not self.frames:
            self.starved += 1
            self.filling = True
            return None
        return self.level.process(self.frames.popleft())


def _silence() -> np.ndarray:
    frame = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    frame.setflags(write=False)
    return frame


class MusicOnHold:
    """The box's one music-on-hold stream; the call side reads it with :meth:`frame`.

    Thread-safe: the call side may read from the media thread or the event loop,
    and :meth:`configure` comes from the event loop after a reload.
    """

    def __init__(self, device: AudioDevice | None = None) -> None:
        self.device = device
        self._lock = threading.Lock()
        self._source = MohSource.FILES
        self._playlist = Playlist()
        self._position = 0
        self._index = np.arange(FRAME_SAMPLES, dtype=np.int64)
        self._ramp = np.arange(FRAME_SAMPLES, dtype=np.int64)
        usable = device is not None and device.has_line_in
        self._line_in = _LineIn(device) if usable and device is not None else None
        self._live = False  # the capture runs
        self._failed_until: float | None = None
        self._last_now: float | None = None
        self._last_heard: float | None = None
        self._current = _silence()
        self.playing = "silence"  # what the last frame came from: line-in, files or silence

    # -- configuration (event loop) ---------------------------------------------------------

    @property
    def source(self) -> MohSource:
        return self._source

    @property
    def current_playlist(self) -> Playlist:
        return self._playlist

    @property
    def line_in_available(self) -> bool:
        """Whether a line-in exists to choose in the web UI."""
        return self._line_in is not None

    @property
    def available(self) -> bool:
        """Whether callers would hear music rather than silence."""
        with self._lock:
            live = self._source is MohSource.LINE_IN and self._line_in is not None
            return live or self._playlist.audio.size > 0

    def configure(self, source: MohSource, playlist: Playlist) -> None:
        """Play ``source`` from the next frame; the playlist starts from its beginning.

        Choosing the line-in on a box without one is refused with :class:`MohError`
        and changes nothing.
        """
        source = MohSource(source)
        if source is MohSource.LINE_IN and self._line_in is None:
            raise MohError("this box has no sound device with a line-in; use files")
        with self._lock:
            if source is not self._source and self._live:
                self._stop_live()
            self._source = source
            if playlist is not self._playlist:
                self._playlist = playlist
                self._position = 0
            self._failed_until = None

    # -- the stream ----------------------------------------------------------------------

    def frame(self, now: float) -> np.ndarray:
        """The 160 samples (int16, read-only) every waiting caller hears in the tick at ``now``."""
        with self._lock:
            if now == self._last_now:
                return self._current
            self._last_now = now
            self._last_heard = now
            out = None
            if self._source is MohSource.LINE_IN:
                out = self._live_frame(now)
                if out is not None:
                    self.playing = "line-in"
                elif self._live and self._failed_until is None:
                    out = self._current_silence("line-in")  # filling: a moment of quiet
            if out is None:
                out = self._file_frame()
            out.setflags(write=False)
            self._current = out
            return out

    def expire(self, now: float) -> None:
        """Stop the line-in when nobody has listened for ``IDLE_SECONDS`` (call every tick)."""
        with self._lock:
            if self._live and (self._last_heard is None or now - self._last_heard >= IDLE_SECONDS):
                self._stop_live()

    def close(self) -> None:
        with self._lock:
            if self._live:
                self._stop_live()

    def view(self) -> dict[str, Any]:
        """What the web UI and the status command show."""
        with self._lock:
            line_in = self._line_in
            return {
                "source": self._source.value,
                "playing": self.playing,
                "line_in": line_in is not None,
                "capturing": self._live,
                "tracks": list(self._playlist.names),
                "skipped": list(self._playlist.skipped),
                "seconds": round(self._playlist.seconds, 1),
                "line_in_failed": self._failed_until is not None,
                "dropped_frames": line_in.dropped if line_in is not None else 0,
                "starved_frames": line_in.starved if line_in is not None else 0,
            }

    # -- inside (under the lock) ---------------------------------------------------------------

    def _live_frame(self, now: float) -> np.ndarray | None:
        line_in = self._line_in
        if line_in is None:
            return None
        if self._failed_until is not None:
            if now < self._failed_until:
                return None
            self._failed_until = None
        try:
            if not self._live:
                line_in.start()
                self._live = True
            return line_in.next_frame()
        except AudioError as exc:
            log.error("music on hold: the line-in failed (%s); playing the files, "
                      "trying again in %.0f s", exc, RETRY_SECONDS)
            self._stop_live()
            self._failed_until = now + RETRY_SECONDS
            return None

    def _stop_live(self) -> None:
        assert self._line_in is not None
        self._live = False
        try:
            self._line_in.stop()
        except AudioError as exc:
            log.warning("music on hold: stopping the line-in: %s", exc)

    def _current_silence(self, playing: str) -> np.ndarray:
        self.playing = playing
        return np.zeros(FRAME_SAMPLES, dtype=np.int16)

    def _file_frame(self) -> np.ndarray:
        audio = self._playlist.audio
        if audio.size == 0:
            return self._current_silence("silence")
        self.playing = "files"
        np.add(self._ramp, self._position, out=self._index)
        out = np.take(audio, self._index, mode="wrap")
        self._position = (self._position + FRAME_SAMPLES) % audio.size
        return out
