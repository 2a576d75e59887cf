"""A telephone on a simulated FXS port: hook switch, keypad, mouthpiece and earpiece."""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence

import numpy as np

from hal.interface import SAMPLE_RATE, HalError, HookChanged, PortInfo
from hal.sim import signals
from hal.sim.audio_queue import AudioQueue, Recording
from hal.sim.world import SimError, SimWorld

_EPS = 1e-9
# What an on-hook phone keeps of the line (caller ID and alerting arrive on-hook):
# the last few seconds only, so a phone left on its hook for hours holds nothing more.
ON_HOOK_KEEP_SECONDS = 12.0
# ETSI EN 300 659-2 §5.2 / GR-30: the CPE alerting signal (CAS) is 2130 + 2750 Hz;
# the phone answers with DTMF D (ETSI) once the alert ends.
CAS_FREQS = (2130.0, 2750.0)
CAS_MIN_DBM0 = -32.0


class SimPhone:
    """A phone plugged into one FXS port of the simulated card.

    Tests and the demo's synthetic agents pick it up, dial and talk through it;
    the box sees exactly what a real phone would give it: hook changes as
    :class:`~hal.interface.HookChanged` events and the phone's audio in the
    port's receive frames. Picking up while ringing trips the ring, as a SLIC does.

    On-hook, the phone keeps the last seconds of what the line carried (the caller
    ID a display would show, :meth:`heard_on_hook`). With ``acknowledges_cas`` set
    it behaves as a call-waiting caller ID phone (type II): after hearing the CAS
    alert in a call, it answers with DTMF ``D`` and counts it in ``cas_acks``.
    """

    def __init__(self, port: PortInfo, world: SimWorld) -> None:
        self.port = port
        self._world = world
        self._offhook = False
        self._flash_return: int | None = None
        self._outgoing = AudioQueue()
        self._heard = Recording()
        self._ring_cadence: tuple[float, ...] = ()
        self._ring_started: float | None = None
        self._ring_stopped: float | None = None
        self._on_hook_heard: collections.deque[np.ndarray] = collections.deque()
        self._on_hook_samples = 0
        self.acknowledges_cas = False
        self.cas_acks = 0
        self._cas_on = False
        self._cas_bins = np.array(CAS_FREQS, dtype=np.int64)
        self._cas_min_power = signals.amplitude(CAS_MIN_DBM0) ** 2 / 2

    @property
    def name(self) -> str:
        return self.port.name

    def __str__(self) -> str:
        return f"SimPhone({self.name}, {'off-hook' if self._offhook else 'on-hook'})"

    # -- what a person does with the phone -------------------------------------------

    def off_hook(self) -> None:
        """Lift the handset."""
        self._world.catch_up()
        if self._offhook:
            raise SimError(f"the phone on {self.name} is already off-hook")
        self._set_hook(True, self._world.now())

    def on_hook(self) -> None:
        """Hang up (also ends a flash in progress: the handset stays down)."""
        self._world.catch_up()
        if not self._offhook and self._flash_return is None:
            raise SimError(f"the phone on {self.name} is already on-hook")
        self._flash_return = None
        if self._offhook:
            self._set_hook(False, self._world.now())

    def flash(self, seconds: float = 0.1) -> None:
        """Press the recall button: on-hook now, off-hook again after ``seconds`` of sim time."""
        self._world.catch_up()
        if not (math.isfinite(seconds) and seconds > 0):
            raise SimError(f"a flash lasts a positive time, got {seconds} s")
        if not self._offhook:
            raise SimError(f"the phone on {self.name} is on-hook; a flash needs it off-hook")
        now = self._world.now()
        self._set_hook(False, now)
        self._flash_return = self._world.sample_at(now + seconds)

    def dial(self, digits: str, on: float = 0.08, off: float = 0.08) -> None:
        """Key ``digits``: their DTMF tones are queued after anything already queued."""
        try:
            audio = signals.dtmf(digits, on, off)
        except signals.SignalError as exc:
            raise SimError(str(exc)) from None
        self._queue_audio(audio)

    def say(self, samples: np.ndarray) -> None:
        """Speak ``samples`` (8 kHz linear audio) into the mouthpiece, after anything queued."""
        self._queue_audio(samples)

    def heard(self) -> np.ndarray:
        """Everything the box sent to the earpiece while off-hook since :meth:`clear_heard`."""
        return self._heard.samples()

    def clear_heard(self) -> None:
        self._heard.clear()
        self._on_hook_heard.clear()
        self._on_hook_samples = 0

    def heard_on_hook(self) -> np.ndarray:
        """The last seconds the line carried while the phone was on its hook (int16)."""
        if not self._on_hook_heard:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self._on_hook_heard)

    @property
    def offhook(self) -> bool:
        return self._offhook

    @property
    def ringing(self) -> bool:
        """Whether ring voltage is on right now, following the cadence the box asked for."""
        elapsed = self._ring_elapsed()
        if elapsed is None or (self._ring_stopped is not None) or self._offhook:
            return False
        offset = elapsed % sum(self._ring_cadence)
        starts = np.cumsum((0.0, *self._ring_cadence[:-1]))[0::2]
        ons = np.array(self._ring_cadence[0::2])
        return bool(np.any((offset >= starts - _EPS) & (offset < starts + ons - _EPS)))

    @property
    def rings(self) -> int:
        """Ring bursts started since the box last started ringing this phone."""
        elapsed = self._ring_elapsed()
        if elapsed is None:
            return 0
        period = sum(self._ring_cadence)
        starts = np.cumsum((0.0, *self._ring_cadence[:-1]))[0::2]
        cycles = math.floor((elapsed + _EPS) / period)
        offset = elapsed - cycles * period
        # A burst due at the very moment the ring stopped never began.
        stopped = self._ring_stopped is not None
        started = starts < offset - _EPS if stopped else starts <= offset + _EPS
        return cycles * len(starts) + int(np.count_nonzero(started))

    # -- what the card does to the phone -----------------------------------------------

    def start_ring(self, cadence: Sequence[float]) -> None:
        """Apply ring voltage with ``cadence`` (on, off, … seconds, repeating)."""
        values = tuple(float(v) for v in cadence)
        if not values:
            raise HalError(f"{self.name}: a ring cadence needs at least one on/off pair")
        try:
            signals.check_cadence(values, "ring")
        except signals.SignalError as exc:
            raise HalError(f"{self.name}: {exc}") from None
        self._ring_cadence = values
        if self._offhook:
            # A SLIC trips the ring at once on an off-hook line: no burst starts.
            self._ring_started = None
        else:
            self._ring_started = self._world.now()
        self._ring_stopped = None

    def stop_ring(self) -> None:
        if self._ring_started is not None and self._ring_stopped is None:
            self._ring_stopped = self._world.now()

    def render(self, start: int, n: int) -> np.ndarray:
        """The phone's audio for samples ``start`` .. ``start + n`` (int16)."""
        if self._flash_return is not None and self._flash_return < start + n:
            at = self._world.time_at(max(self._flash_return, start))
            self._flash_return = None
            self._set_hook(True, at)
        if not self._offhook:
            return np.zeros(n, dtype=np.int16)
        return self._outgoing.pull(n)

    def hear(self, samples: np.ndarray) -> None:
        """Take the box's 20 ms for this port (int16): the earpiece only works off-hook."""
        if self._offhook:
            self._heard.append(samples)
            if self.acknowledges_cas:
                self._listen_for_cas(samples)
            return
        self._on_hook_heard.append(np.array(samples, dtype=np.int16))
        self._on_hook_samples += len(samples)
        keep = round(ON_HOOK_KEEP_SECONDS * SAMPLE_RATE)
        while self._on_hook_samples - len(self._on_hook_heard[0]) >= keep:
            self._on_hook_samples -= len(self._on_hook_heard.popleft())

    def _listen_for_cas(self, samples: np.ndarray) -> None:
        """Answer the end of a CAS burst with DTMF D, as a type II display phone does."""
        frame = np.asarray(samples, dtype=np.float64)
        # An 8000-point FFT of a frame puts both CAS frequencies on whole-hertz bins.
        spectrum = np.abs(np.fft.rfft(frame, n=SAMPLE_RATE))
        power = (2.0 * spectrum[self._cas_bins] / len(frame)) ** 2 / 2
        total = float(np.mean(frame**2))
        present = bool(np.all(power >= self._cas_min_power) and power.sum() >= 0.6 * total)
        if self._cas_on and not present:
            self.cas_acks += 1
            self._outgoing.push(signals.dtmf("D", 0.065, 0.0))
        self._cas_on = present

    # -- inside ------------------------------------------------------------------------

    def _queue_audio(self, samples: np.ndarray) -> None:
        self._world.catch_up()
        if not self._offhook:
            raise SimError(f"the phone on {self.name} is on-hook; it sends audio only off-hook")
        self._outgoing.push(samples)

    def _set_hook(self, offhook: bool, at: float) -> None:
        self._offhook = offhook
        if not offhook:
            self._outgoing.clear()
        elif self._ring_started is not None and self._ring_stopped is None:
            self._ring_stopped = at  # ring trip
        self._world.emit(HookChanged(self.port.index, offhook, at))

    def _ring_elapsed(self) -> float | None:
        if self._ring_started is None:
            return None
        end = self._world.now() if self._ring_stopped is None else self._ring_stopped
        return max(0.0, end - self._ring_started)
