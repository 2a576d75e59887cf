"""The box's sound device as the firmware sees it: a line-in and a line-out, 20 ms at a time.

Some boards carry a small sound chip (or a USB dongle): its line-in takes a CD
player or a radio for music on hold, its line-out feeds the office's paging
amplifier. Both sides speak the telephone format the rest of the box uses, 8 kHz
16-bit mono in frames of 160 samples, so the media code never converts.

Every call returns at once. The media thread drives the line-out and the call
layer pulls the line-in once per tick; neither may wait on a sound card, so a
capture that has nothing new gives no frames and a full playback buffer refuses
the frame (the caller decides what to drop).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from hal.interface import FRAME_SAMPLES, SAMPLE_RATE

__all__ = [
    "FRAME_BYTES", "FRAME_SAMPLES", "FRAME_SECONDS", "SAMPLE_RATE", "AudioDevice", "AudioError",
    "check_frame", "no_frames",
]


class AudioError(Exception):
    """The sound device cannot do what was asked (missing, unplugged, refuses the format)."""


def no_frames() -> np.ndarray:
    """An empty (0, 160) block: what a capture returns when nothing new has arrived."""
    return np.zeros((0, FRAME_SAMPLES), dtype=np.int16)


class AudioDevice(ABC):
    """A line-in to capture and a line-out to play, both opened only while in use.

    Opening on demand matters on small boards: a running capture costs an
    interrupt every period, and an idle line-out keeps the amplifier's hiss away.
    """

    name: str

    @property
    @abstractmethod
    def has_line_in(self) -> bool:
        """Whether the device can capture at all (some USB dongles only play)."""

    @property
    @abstractmethod
    def has_line_out(self) -> bool:
        """Whether the device can play at all."""

    @property
    @abstractmethod
    def capturing(self) -> bool: ...

    @property
    @abstractmethod
    def playing(self) -> bool: ...

    @abstractmethod
    def start_capture(self) -> None:
        """Start the line-in (nothing if it runs); AudioError if the device refuses."""

    @abstractmethod
    def stop_capture(self) -> None:
        """Stop the line-in and drop what it had buffered (nothing if it is stopped)."""

    @abstractmethod
    def read_frames(self) -> np.ndarray:
        """Every whole frame captured since the last call, (k, 160) int16, oldest first.

        k is 0 when nothing new has arrived or the capture is stopped.
        """

    @abstractmethod
    def start_playback(self) -> None:
        """Open the line-out (nothing if it is open); AudioError if the device refuses."""

    @abstractmethod
    def stop_playback(self) -> None:
        """Close the line-out; frames still queued in it are dropped."""

    @abstractmethod
    def write_frame(self, frame: np.ndarray) -> bool:
        """Queue one frame (160 int16) on the line-out; False when its buffer is full."""

    @abstractmethod
    def close(self) -> None:
        """Stop both sides; the device may be opened again by the start calls."""

    def __str__(self) -> str:
        return f"sound device {self.name}"


def check_frame(frame: np.ndarray) -> np.ndarray:
    """``frame`` as 160 int16 samples, or AudioError saying what was wrong with it."""
    arr = np.asarray(frame)
    if arr.shape != (FRAME_SAMPLES,) or arr.dtype != np.int16:
        raise AudioError(
            f"a line-out frame is {FRAME_SAMPLES} int16 samples, got {arr.dtype} {arr.shape}"
        )
    return arr


FRAME_BYTES = FRAME_SAMPLES * 2
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE
