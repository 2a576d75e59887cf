"""Call recording: the media tick taps audio into chunks, a writer outside the tick files them.

A recording taps one channel: what the line received on it (the party on that
channel speaking) and what the engine sent it (what that party heard: for a bridged
call, the other party). Stereo puts the two side by side, received on the left
(channel 0 of the WAV) and sent on the right (channel 1); so recording the caller's
channel of a call gives the caller left and the agent right. Mono is their sum,
clipped to 16 bits: the conversation as one listener on the line hears it.

The tick copies 160 samples per recording into a preallocated chunk of
``CHUNK_TICKS`` ticks; a full chunk is handed to the :class:`RecordingSink` and a
fresh chunk taken, so the tick allocates once a second per recording and never
touches a file. :class:`WavFileSink` writes 8 kHz 16-bit WAV files with the standard
``wave`` module, from its own writer thread or from whoever calls :meth:`pump`.
"""

from __future__ import annotations

import queue
import re
import threading
import wave
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

import numpy as np

RATE = 8000
CHUNK_TICKS = 50  # one second of audio per chunk handed to the sink
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class RecordingError(Exception):
    """A recording that cannot be started or written, with the reason in plain words."""


@dataclass(frozen=True)
class FinishedRecording:
    """A recording whose file is complete: ``path`` is None and ``error`` says why on failure."""

    key: str
    path: str | None
    seconds: float
    error: str | None = None


class RecordingSink(Protocol):
    """Where recorded audio goes. The tick calls ``write``, ``end`` and ``finished``.

    Those three must return at once (queue the work, never block on a disk);
    ``begin`` is called from the thread that starts the recording and may refuse it.
    """

    def begin(self, key: str, channels: int) -> None:
        """Prepare the recording ``key`` of 1 or 2 channels; RecordingError if it cannot be."""
        ...

    def write(self, key: str, block: np.ndarray) -> None:
        """Take ownership of ``block``, (frames, channels) int16, the next audio of ``key``."""
        ...

    def end(self, key: str) -> None:
        """No more audio for ``key``: finish its file."""
        ...

    def finished(self) -> list[FinishedRecording]:
        """Recordings whose files were completed since the last call."""
        ...


class ChannelRecording:
    """One recording as the tick sees it: chunks filled frame by frame, handed to the sink."""

    def __init__(self, key: str, channel: int, stereo: bool, sink: RecordingSink, frame: int):
        self.key = key
        self.channel = channel
        self.stereo = stereo
        self._sink = sink
        self._frame = frame
        self._chunk = self._new_chunk()
        self._fill = 0
        self._sum = np.empty(frame, dtype=np.int32)

    def _new_chunk(self) -> np.ndarray:
        return np.empty((CHUNK_TICKS * self._frame, 2 if self.stereo else 1), dtype=np.int16)

    def add(self, received: np.ndarray, sent: np.ndarray) -> None:
        """Append one frame of what the channel received and what it was sent (int16)."""
        rows = self._chunk[self._fill : self._fill + self._frame]
        if self.stereo:
            rows[:, 0] = received
            rows[:, 1] = sent
        else:
            np.add(received, sent, out=self._sum, dtype=np.int32)
            np.clip(self._sum, -32768, 32767, out=self._sum)
            rows[:, 0] = self._sum
        self._fill += self._frame
        if self._fill == self._chunk.shape[0]:
            self._sink.write(self.key, self._chunk)
            self._chunk = self._new_chunk()
            self._fill = 0

    def close(self) -> None:
        """Hand over the last partial chunk and tell the sink the recording is over."""
        if self._fill:
            self._sink.write(self.key, self._chunk[: self._fill])
            self._chunk = self._new_chunk()
            self._fill = 0
        self._sink.end(self.key)


def _reason(exc: Exception) -> str:
    """The plain-words part of an I/O error."""
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


@dataclass
class _OpenFile:
    path: Path
    file: BinaryIO | None = None
    wav: wave.Wave_write | None = None
    frames: int = 0
    error: str | None = None


class WavFileSink:
    """Writes each recording to ``<directory>/<key>.wav``, 8 kHz 16-bit PCM, off the tick.

    The tick's calls only queue work. :meth:`start` runs a writer thread that does it;
    without the thread, whoever polls calls :meth:`pump`. A write that fails (disk
    full, directory gone) marks that recording failed and the others go on.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._work: queue.SimpleQueue[tuple[str, str, object]] = queue.SimpleQueue()
        self._open: dict[str, _OpenFile] = {}
        self._keys: set[str] = set()  # begun and not yet finished, for begin's check
        self._keys_lock = threading.Lock()
        self._done: deque[FinishedRecording] = deque()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def __str__(self) -> str:
        return f"WAV recordings in {self.directory}"

    # -- the sink protocol ------------------------------------------------------------

    def begin(self, key: str, channels: int) -> None:
        """Check the key (it names a file, so no paths) and queue the file's creation."""
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise RecordingError(
                f"a recording key is 1 to 128 letters, digits, '_', '.' or '-', "
                f"starting with a letter or digit, not {key!r}"
            )
        if channels not in (1, 2):
            raise RecordingError(f"a recording has 1 or 2 channels, not {channels}")
        if not self.directory.is_dir():
            raise RecordingError(f"the recordings directory {self.directory} does not exist")
        with self._keys_lock:
            if key in self._keys:
                raise RecordingError(f"a recording {key!r} is already being written")
            self._keys.add(key)
        self._put("begin", key, channels)

    def write(self, key: str, block: np.ndarray) -> None:
        """Queue ``block`` for the file of ``key``."""
        self._put("write", key, block)

    def end(self, key: str) -> None:
        """Queue the closing of the file of ``key``."""
        self._put("end", key, None)

    def finished(self) -> list[FinishedRecording]:
        """Recordings whose files the writer has completed since the last call."""
        out: list[FinishedRecording] = []
        while self._done:
            out.append(self._done.popleft())
        return out

    # -- doing the work ---------------------------------------------------------------

    def _put(self, op: str, key: str, arg: object) -> None:
        with self._idle:
            self._pending += 1
        self._work.put((op, key, arg))

    def pump(self) -> int:
        """Do all queued work on this thread; returns how many items were handled."""
        count = 0
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                return count
            self._handle(item)
            count += 1

    def _handle(self, item: tuple[str, str, object]) -> None:
        op, key, arg = item
        try:
            if op == "begin":
                self._begin(key, cast(int, arg))
            elif op == "write":
                self._write(key, cast(np.ndarray, arg))
            elif op == "end":
                self._end(key)
        finally:
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def _begin(self, key: str, channels: int) -> None:
        path = self.directory / f"{key}.wav"
        record = _OpenFile(path)
        try:
            # Opened here rather than by wave.open, which leaves a half-made writer
            # behind when the file cannot be created.
            record.file = path.open("wb")  # noqa: SIM115 - stays open until end()
            wav = wave.open(record.file, "wb")  # noqa: SIM115 - stays open until end()
            wav.setnchannels(channels)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            record.wav = wav
        except (OSError, wave.Error) as exc:
            record.error = f"cannot create {path}: {_reason(exc)}"
            if record.file is not None:
                record.file.close()
                record.file = None
        self._open[key] = record

    def _write(self, key: str, block: np.ndarray) -> None:
        record = self._open.get(key)
        if record is None or record.wav is None or record.error is not None:
            return
        try:
            record.wav.writeframes(np.ascontiguousarray(block, dtype="<i2").tobytes())
            record.frames += block.shape[0]
        except (OSError, wave.Error) as exc:
            record.error = f"cannot write {record.path}: {_reason(exc)}"

    def _end(self, key: str) -> None:
        record = self._open.pop(key, None)
        if record is None:
            return
        try:
            if record.wav is not None:
                record.wav.close()  # writes the final header sizes
            if record.file is not None:
                record.file.close()
        except (OSError, wave.Error) as exc:
            record.error = record.error or f"cannot finish {record.path}: {_reason(exc)}"
        with self._keys_lock:
            self._keys.discard(key)
        seconds = record.frames / RATE
        if record.error is None:
            self._done.append(FinishedRecording(key, str(record.path), seconds))
        else:
            self._done.append(FinishedRecording(key, None, seconds, record.error))

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until all queued work is done; True if it is.

        Without the writer thread, the work is done here and now.
        """
        if self._thread is None:
            self.pump()
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def start(self) -> None:
        """Run a writer thread that does the queued work as it comes."""
        if self._thread is not None and self._thread.is_alive():
            raise RecordingError("the recording writer is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="recording", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._work.get(timeout=0.2)
            except queue.Empty:
                continue
            self._handle(item)

    def close(self, timeout: float = 2.0) -> bool:
        """Finish queued work, stop the writer thread; True if it ended within ``timeout``."""
        self.flush(timeout)
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()
