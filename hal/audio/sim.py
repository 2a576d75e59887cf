"""The sound device's sim twin: a line-in fed by the test, a line-out that keeps what it played.

Paced by the injected clock like the real card: captured frames become
available one per 20 ms of clock time while the capture runs, and a capture left
unread loses its oldest audio once its buffer is full (an overrun), as ALSA's
does. The line-out drains one frame per 20 ms from a buffer of
``buffer_frames``; a write to a full buffer is refused.
"""

from __future__ import annotations

import math

import numpy as np

from hal.audio.interface import (
    FRAME_SAMPLES,
    FRAME_SECONDS,
    AudioDevice,
    AudioError,
    check_frame,
    no_frames,
)
from hal.clock import Clock


class SimAudio(AudioDevice):
    """In-memory line-in and line-out on ``clock``; ``line_in`` is what plays into the box.

    ``line_in`` (8 kHz int16) loops for as long as the capture runs; with None the
    line-in is silent until :meth:`feed` gives it audio.
    """

    def __init__(
        self,
        clock: Clock,
        line_in: np.ndarray | None = None,
        *,
        buffer_frames: int = 4,
        has_line_in: bool = True,
        has_line_out: bool = True,
        name: str = "sim",
    ) -> None:
        if buffer_frames < 1:
            raise AudioError(f"the sim's buffer holds at least one frame, not {buffer_frames}")
        self.name = name
        self._clock = clock
        self._buffer_frames = buffer_frames
        self._has_in = has_line_in
        self._has_out = has_line_out
        self._source = np.zeros(0, dtype=np.int16)
        self._source_pos = 0
        if line_in is not None:
            self.feed(line_in)
        self._capture_start: float | None = None
        self._captured_ticks = 0  # frames of clock time the capture has produced so far
        self._pending: list[np.ndarray] = []
        self._play_start: float | None = None
        self._queued = 0
        self._drained_ticks = 0
        self.played: list[np.ndarray] = []  # every frame the line-out accepted, in order
        self.overruns = 0
        self.underruns = 0
        self.refused_writes = 0
        self.fail_next: AudioError | None = None  # raised by the next call, for fault tests

    # -- what the test does -------------------------------------------------------------

    def feed(self, samples: np.ndarray) -> None:
        """Use ``samples`` (8 kHz int16) as the line-in's audio from now on, looped."""
        arr = np.asarray(samples)
        if arr.ndim != 1 or arr.dtype != np.int16 or arr.size == 0:
            raise AudioError("the sim's line-in takes a non-empty 1-D int16 array")
        self._source = arr.copy()
        self._source_pos = 0

    def line_out(self) -> np.ndarray:
        """Everything the line-out was given, as one array (what the amplifier heard)."""
        if not self.played:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self.played)

    # -- AudioDevice ----------------------------------------------------------------------

    @property
    def has_line_in(self) -> bool:
        return self._has_in

    @property
    def has_line_out(self) -> bool:
        return self._has_out

    @property
    def capturing(self) -> bool:
        return self._capture_start is not None

    @property
    def playing(self) -> bool:
        return self._play_start is not None

    def _fault(self) -> None:
        error, self.fail_next = self.fail_next, None
        if error is not None:
            raise error

    def start_capture(self) -> None:
        self._fault()
        if not self._has_in:
            raise AudioError(f"{self} has no line-in")
        if self._capture_start is None:
            self._capture_start = self._clock.now()
            self._captured_ticks = 0
            self._pending = []

    def stop_capture(self) -> None:
        self._capture_start = None
        self._pending = []

    def read_frames(self) -> np.ndarray:
        self._fault()
        if self._capture_start is None:
            return no_frames()
        due = _ticks(self._clock.now() - self._capture_start)
        for _ in range(due - self._captured_ticks):
            self._pending.append(self._next_source_frame())
        self._captured_ticks = max(due, self._captured_ticks)
        lost = len(self._pending) - self._buffer_frames
        if lost > 0:
            self.overruns += 1
            del self._pending[:lost]
        if not self._pending:
            return no_frames()
        out = np.stack(self._pending)
        self._pending = []
        return out

    def _next_source_frame(self) -> np.ndarray:
        if self._source.size == 0:
            return np.zeros(FRAME_SAMPLES, dtype=np.int16)
        index = (self._source_pos + np.arange(FRAME_SAMPLES)) % self._source.size
        self._source_pos = (self._source_pos + FRAME_SAMPLES) % self._source.size
        return self._source[index]

    def start_playback(self) -> None:
        self._fault()
        if not self._has_out:
            raise AudioError(f"{self} has no line-out")
        if self._play_start is None:
            self._play_start = self._clock.now()
            self._queued = 0
            self._drained_ticks = 0

    def stop_playback(self) -> None:
        self._play_start = None
        self._queued = 0

    def write_frame(self, frame: np.ndarray) -> bool:
        self._fault()
        arr = check_frame(frame)
        if self._play_start is None:
            raise AudioError(f"the line-out of {self} is not open")
        due = _ticks(self._clock.now() - self._play_start)
        drained = due - self._drained_ticks
        if drained > self._queued:
            self.underruns += 1
        self._queued = max(0, self._queued - drained)
        self._drained_ticks = due
        if self._queued >= self._buffer_frames:
            self.refused_writes += 1
            return False
        self._queued += 1
        self.played.append(arr.copy())
        return True

    def close(self) -> None:
        self.stop_capture()
        self.stop_playback()


def _ticks(seconds: float) -> int:
    """Whole 20 ms periods in ``seconds`` (a hair of float slack, so 0.06 s is 3)."""
    return max(0, math.floor(seconds / FRAME_SECONDS + 1e-6))
