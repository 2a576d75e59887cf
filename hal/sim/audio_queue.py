"""Audio waiting to be sent into a line by a simulated phone or far party."""

from __future__ import annotations

import collections

import numpy as np

from hal.sim.world import SimError


def as_pcm16(samples: np.ndarray) -> np.ndarray:
    """A 1-D int16 copy of ``samples``; floats are rounded and clipped."""
    arr = np.asarray(samples)
    if arr.ndim != 1:
        raise SimError(f"audio must be a 1-D array of samples, got shape {arr.shape}")
    if arr.dtype == np.int16:
        return arr.copy()
    if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isfinite(arr)):
        raise SimError("audio samples must be finite numbers")
    return np.clip(np.rint(arr.astype(np.float64)), -32768, 32767).astype(np.int16)


class AudioQueue:
    """A FIFO of int16 audio, pulled a frame at a time; silence when it runs dry."""

    def __init__(self) -> None:
        self._chunks: collections.deque[np.ndarray] = collections.deque()
        self._offset = 0
        self.pending = 0

    def push(self, samples: np.ndarray) -> None:
        chunk = as_pcm16(samples)
        if len(chunk):
            self._chunks.append(chunk)
            self.pending += len(chunk)

    def pull(self, n: int) -> np.ndarray:
        """The next ``n`` samples, zero-padded when fewer are queued."""
        out = np.zeros(n, dtype=np.int16)
        filled = 0
        while filled < n and self._chunks:
            head = self._chunks[0]
            take = min(n - filled, len(head) - self._offset)
            out[filled : filled + take] = head[self._offset : self._offset + take]
            filled += take
            self._offset += take
            if self._offset == len(head):
                self._chunks.popleft()
                self._offset = 0
        self.pending -= filled
        return out

    def clear(self) -> None:
        self._chunks.clear()
        self._offset = 0
        self.pending = 0


class Recording:
    """Everything a simulated listener heard, kept as int16 chunks until asked for."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []

    def append(self, samples: np.ndarray) -> None:
        self._chunks.append(np.array(samples, dtype=np.int16))

    def samples(self) -> np.ndarray:
        if not self._chunks:
            return np.zeros(0, dtype=np.int16)
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0].copy()

    def clear(self) -> None:
        self._chunks = []
