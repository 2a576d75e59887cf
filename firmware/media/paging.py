"""Overhead paging: a phone's voice to the sound device's line-out (the paging amplifier).

The engine already knows how to take a channel's audio off the media tick: a
recording. A page is a mono recording of the paging phone's channel whose key
starts with ``page-``; :class:`RoutedSink` hands those keys to the
:class:`PagingSink` and every other recording to the file writer as before. The
engine delivers recorded audio a second at a time (``recording.CHUNK_TICKS``),
so the loudspeakers speak about one second after the phone: the delayed paging
of commercial systems, which also keeps a handset held near a loudspeaker from
howling.

:meth:`PagingSink.pump` runs every tick on the media thread: it opens the
line-out when a page has audio, keeps its buffer filled without ever waiting on
it, and closes it once the page has been played out. One page at a time: a
second phone dialling the paging extension meanwhile is refused (busy tone).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from typing import Any

import numpy as np

from firmware.media.recording import FinishedRecording, RecordingError, RecordingSink
from hal.audio.interface import AudioDevice, AudioError
from hal.interface import FRAME_SAMPLES, FRAME_SECONDS, SAMPLE_RATE

log = logging.getLogger(__name__)

PAGE_KEY_PREFIX = "page-"
MAX_QUEUE_SECONDS = 10.0  # a line-out that stalls loses the oldest audio beyond this
DRAIN_SECONDS = 0.2  # after the last frame, the device's own buffer plays out first


class PagingSink:
    """The line-out as a recording sink, pumped by the media tick."""

    def __init__(self, device: AudioDevice) -> None:
        if not device.has_line_out:
            raise AudioError(f"{device} has no line-out to page on")
        self.device = device
        self._lock = threading.Lock()
        self._key: str | None = None  # the page being taken (begun, not ended)
        self._failed: str | None = None  # the page whose line-out failed: its audio is dropped
        self._frames: deque[np.ndarray] = deque()
        self._max_frames = round(MAX_QUEUE_SECONDS / FRAME_SECONDS)
        self._done: deque[FinishedRecording] = deque()
        self._received = 0
        self._last_write: float | None = None
        self.pages = 0
        self.dropped_frames = 0
        self.failures = 0

    # -- RecordingSink ---------------------------------------------------------------------

    def begin(self, key: str, channels: int) -> None:
        if channels != 1:
            raise RecordingError("a page is mono audio")
        with self._lock:
            if self._key is not None:
                raise RecordingError("the line-out is already carrying a page")
            self._key = key
            self._failed = None
            self._received = 0
            self.pages += 1

    def write(self, key: str, block: np.ndarray) -> None:
        with self._lock:
            if key != self._key:
                return
            self._received += np.asarray(block).shape[0]
            if key == self._failed:
                return
            samples = np.asarray(block, dtype=np.int16).reshape(-1)
            whole = samples.size - samples.size % FRAME_SAMPLES
            self._frames.extend(samples[:whole].reshape(-1, FRAME_SAMPLES))
            excess = len(self._frames) - self._max_frames
            for _ in range(max(0, excess)):
                self._frames.popleft()
                self.dropped_frames += 1

    def end(self, key: str) -> None:
        with self._lock:
            if key != self._key:
                return
            self._key = None
            # A page leaves no file: path None and no error.
            self._done.append(FinishedRecording(key, None, self._received / SAMPLE_RATE))

    def finished(self) -> list[FinishedRecording]:
        out: list[FinishedRecording] = []
        while self._done:
            out.append(self._done.popleft())
        return out

    # -- the line-out (media thread) ---------------------------------------------------------

    def pump(self, now: float) -> None:
        """Feed the line-out what it will take; close it once the page has played out."""
        with self._lock:
            device = self.device
            try:
                if self._frames and not device.playing:
                    device.start_playback()
                while self._frames and device.write_frame(self._frames[0]):
                    self._frames.popleft()
                    self._last_write = now
                if (
                    device.playing and not self._frames and self._key is None
                    and (self._last_write is None or now - self._last_write >= DRAIN_SECONDS)
                ):
                    device.stop_playback()
            except AudioError as exc:
                self.failures += 1
                self.dropped_frames += len(self._frames)
                self._frames.clear()
                log.error("paging: the line-out failed (%s); this page is lost", exc)
                # The rest of this page is dropped too, rather than failing every tick.
                self._failed = self._key
                with contextlib.suppress(AudioError):
                    device.stop_playback()

    def view(self) -> dict[str, Any]:
        with self._lock:
            return {
                "paging": self._key is not None,
                "queued_seconds": round(len(self._frames) * FRAME_SECONDS, 2),
                "pages": self.pages,
                "dropped_frames": self.dropped_frames,
                "failures": self.failures,
            }


class RoutedSink:
    """Recordings whose key starts with ``page-`` go to the line-out, all others to ``files``."""

    def __init__(self, files: RecordingSink, pages: PagingSink) -> None:
        self.files = files
        self.pages = pages

    def _for(self, key: str) -> RecordingSink:
        return self.pages if key.startswith(PAGE_KEY_PREFIX) else self.files

    def begin(self, key: str, channels: int) -> None:
        self._for(key).begin(key, channels)

    def write(self, key: str, block: np.ndarray) -> None:
        self._for(key).write(key, block)

    def end(self, key: str) -> None:
        self._for(key).end(key)

    def finished(self) -> list[FinishedRecording]:
        return self.files.finished() + self.pages.finished()
