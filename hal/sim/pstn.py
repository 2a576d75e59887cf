"""The simulated exchange behind the card's FXO ports.

It behaves as a central office line does: it rings the line with the country's
cadence and sends FSK caller ID in the first pause, gives dial tone when the box
seizes the line, receives the box's DTMF digits, plays ringback, busy or congestion
tone, reverses polarity on answer, and signals a far-end hang-up by opening the loop
and then playing busy tone. Tests and the demo play the far party through
:class:`SimPstnCall`.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import math
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Protocol

import numpy as np

from hal.interface import (
    SAMPLE_RATE,
    LoopCurrentDrop,
    PolarityReversed,
    PortInfo,
    PortKind,
    RingStarted,
    RingStopped,
)
from hal.sim import signals
from hal.sim.audio_queue import AudioQueue, Recording
from hal.sim.world import SimError, SimWorld

# How long the exchange keeps the loop open to signal a far-end clear (the box
# sees LoopCurrentDrop), before it plays busy tone to a line left off-hook.
OPEN_LOOP_SECONDS = 0.3
# EN 300 659-1 §5.2 (first-ring class): the FSK starts at least 500 ms after the first ring.
CID_DELAY_SECONDS = 0.5
# EN 300 659-1 §6.2.1 (prior to ringing, line reversal): the data follows the
# reversal after a pause, and the first ring follows the data.
REVERSAL_TO_CID_SECONDS = 0.3
CID_TO_RING_SECONDS = 0.5


class CallState(enum.StrEnum):
    """Where a call stands, as the far party and the exchange see it."""

    DIALLING = "dialling"
    RINGING = "ringing"
    CONNECTED = "connected"
    REJECTED = "rejected"
    ENDED = "ended"


class Direction(enum.StrEnum):
    """Who placed the call: the network (in) or the box (out)."""

    INBOUND = "in"
    OUTBOUND = "out"


class Outcome(enum.StrEnum):
    """What the exchange does with a number the box dialled (the ``policy`` answer)."""

    ANSWER = "answer"
    BUSY = "busy"
    CONGESTION = "congestion"
    NO_ANSWER = "no-answer"


class CidMode(enum.StrEnum):
    """How an inbound call presents caller ID (EN 300 659-1 §6.2)."""

    BETWEEN_RINGS = "between_rings"  # in the pause after the first ring
    BEFORE_RING = "before_ring"  # line reversal, the data, then the first ring (as in the UK)
    NONE = "none"


class ClearSignal(enum.StrEnum):
    """What the exchange plays to a line left off-hook after the far end cleared."""

    BUSY = "busy"
    CONGESTION = "congestion"
    DIAL = "dial"
    NONE = "none"  # silence


class _LineState(enum.Enum):
    IDLE = "idle"
    ALERTING = "alerting"  # inbound, ringing the box
    DIAL_TONE = "dial tone"
    COLLECTING = "collecting digits"
    PROGRESS = "call progress"  # ringback, busy or congestion to the box
    CONNECTED = "connected"
    CLEARED = "cleared"  # far end gone, box still off-hook
    DEAD = "dead"  # seized but the line is in alarm


class _Source(Protocol):
    def render(self, start: int, n: int) -> np.ndarray: ...


class _Silence:
    def render(self, start: int, n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.float64)


class _Tone:
    def __init__(self, spec: signals.ToneSpec, origin: int) -> None:
        self._spec = spec
        self._origin = origin

    def render(self, start: int, n: int) -> np.ndarray:
        return self._spec.render(start - self._origin, n)


class _Burst:
    """A fixed recording (caller ID FSK) placed at an absolute sample."""

    def __init__(self, samples: np.ndarray, origin: int) -> None:
        self._samples = samples.astype(np.float64)
        self._origin = origin

    def render(self, start: int, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float64)
        lo = max(start, self._origin)
        hi = min(start + n, self._origin + len(self._samples))
        if hi > lo:
            out[lo - start : hi - start] = self._samples[lo - self._origin : hi - self._origin]
        return out


class _Voice:
    def __init__(self, queue: AudioQueue) -> None:
        self._queue = queue

    def render(self, start: int, n: int) -> np.ndarray:
        return self._queue.pull(n).astype(np.float64)


def presentable_name(name: str) -> str:
    """The name as an exchange sends it: IA5 only (EN 300 659-3 §5.3.6), at most 50 characters.

    Letters with diacritics lose them (Wiśniewska -> Wisniewska) rather than the
    call losing its name, as exchanges do.
    """
    spelled = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    plain = "".join(c for c in spelled if not unicodedata.combining(c))
    return "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in plain)[:50]


class SimPstnCall:
    """One call through the simulated exchange, with the far party's controls.

    ``number`` is the number the box dialled (outbound calls); ``caller_number``
    and ``caller_name`` are what the exchange presented (inbound calls).
    """

    def __init__(
        self,
        line: _Line,
        direction: Direction,
        started_at: float,
        *,
        caller_number: str | None = None,
        caller_name: str | None = None,
    ) -> None:
        self._line = line
        self.port: str = line.port.name
        self.direction = direction
        self.state = CallState.RINGING if direction is Direction.INBOUND else CallState.DIALLING
        self.number: str | None = None
        self.caller_number = caller_number
        self.caller_name = caller_name
        self.outcome: Outcome | None = None
        self.started_at = started_at
        self.answered_at: float | None = None
        self.ended_at: float | None = None
        self.flashes = 0
        self._outgoing = AudioQueue()
        self._heard = Recording()

    def __repr__(self) -> str:
        who = self.number if self.direction is Direction.OUTBOUND else self.caller_number
        return f"SimPstnCall({self.port}, {self.direction.value}, {who!r}, {self.state.value})"

    @property
    def finished(self) -> bool:
        return self.state in (CallState.ENDED, CallState.REJECTED)

    def say(self, samples: np.ndarray) -> None:
        """The far party speaks ``samples``; heard by the box once the call is connected."""
        self._check_live("speak")
        self._outgoing.push(samples)

    def dial(self, digits: str, on: float = 0.08, off: float = 0.08) -> None:
        """The far party keys DTMF ``digits`` into the line."""
        self._check_live("dial")
        try:
            self._outgoing.push(signals.dtmf(digits, on, off))
        except signals.SignalError as exc:
            raise SimError(str(exc)) from None

    def heard(self) -> np.ndarray:
        """What the box sent the far party while connected, since :meth:`clear_heard`."""
        return self._heard.samples()

    def clear_heard(self) -> None:
        self._heard.clear()

    def hang_up(self) -> None:
        """The far party hangs up (a caller who gives up while it still rings, too)."""
        self._line.far_hang_up(self)

    def _check_live(self, what: str) -> None:
        self._line.catch_up()  # audio queued now starts after the frames already due
        if self.finished:
            raise SimError(
                f"the call on {self.port} is {self.state.value}; nobody is there to {what}"
            )


class _Line:
    """The exchange side of one FXO port."""

    def __init__(self, port: PortInfo, world: SimWorld, pstn: SimPstn) -> None:
        self.port = port
        self._world = world
        self._pstn = pstn
        self.state = _LineState.IDLE
        self.seized = False
        self.alarm: str | None = None
        self.call: SimPstnCall | None = None
        self._source: _Source = _Silence()
        self._timers: list[tuple[int, int, Callable[[int], None]]] = []
        self._seq = itertools.count()
        self._ring_on = False
        self._reversed = False
        self._decoder = signals.DtmfDecoder()
        self._digits = ""

    # -- time line ---------------------------------------------------------------------

    def render(self, start: int, n: int) -> np.ndarray:
        """What the exchange sends for samples ``start`` .. ``start + n``, running due timers."""
        out = np.zeros(n, dtype=np.float64)
        pos = start
        end = start + n
        while self._timers and self._timers[0][0] < end:
            sample, _, action = heapq.heappop(self._timers)
            sample = max(sample, pos)
            if sample > pos:
                out[pos - start : sample - start] = self._source.render(pos, sample - pos)
                pos = sample
            action(sample)
        if end > pos:
            out[pos - start :] = self._source.render(pos, end - pos)
        return out

    def catch_up(self) -> None:
        self._world.catch_up()

    def _at(self, sample: int, action: Callable[[int], None]) -> None:
        heapq.heappush(self._timers, (sample, next(self._seq), action))

    def _after(self, sample: int, seconds: float, action: Callable[[int], None]) -> None:
        self._at(sample + round(seconds * SAMPLE_RATE), action)

    def _now_sample(self) -> int:
        return self._world.sample_at(self._world.now())

    def _enter(self, state: _LineState, source: _Source) -> None:
        """A new line state: earlier timers no longer apply."""
        self.state = state
        self._source = source
        self._timers.clear()

    # -- inbound -----------------------------------------------------------------------

    def ring_in(
        self, call: SimPstnCall, max_rings: int, fsk: np.ndarray | None, before_ring: bool = False
    ) -> None:
        self.call = call
        self._enter(_LineState.ALERTING, _Silence())
        cadence = self._pstn.ring_cadence or self._pstn.tones.ring_cadence
        period = sum(cadence)
        offsets = np.cumsum((0.0, *cadence[:-1]))
        first = self._now_sample()
        if before_ring and fsk is not None:
            # Reversal now, the data after a pause, the first ring after the data.
            self._reverse(self._world.time_at(first))
            cid_at = first + round(REVERSAL_TO_CID_SECONDS * SAMPLE_RATE)
            self._at(cid_at, self._send_cid(fsk))
            first = cid_at + len(fsk) + round(CID_TO_RING_SECONDS * SAMPLE_RATE)
            fsk = None

        def burst_times(k: int) -> tuple[int, int]:
            cycle, j = divmod(k, len(cadence) // 2)
            on_at = cycle * period + offsets[2 * j]
            return (
                first + round(on_at * SAMPLE_RATE),
                first + round((on_at + cadence[2 * j]) * SAMPLE_RATE),
            )

        def ring_on(k: int) -> Callable[[int], None]:
            def action(sample: int) -> None:
                self._ring_on = True
                self._world.emit(RingStarted(self.port.index, self._world.time_at(sample)))
                self._at(burst_times(k)[1], ring_off(k))

            return action

        def ring_off(k: int) -> Callable[[int], None]:
            def action(sample: int) -> None:
                self._ring_on = False
                self._world.emit(RingStopped(self.port.index, self._world.time_at(sample)))
                if k == 0 and fsk is not None:
                    self._after(sample, CID_DELAY_SECONDS, self._send_cid(fsk))
                next_on = burst_times(k + 1)[0]
                self._at(next_on, ring_on(k + 1) if k + 1 < max_rings else self._give_up)

            return action

        self._at(first, ring_on(0))

    def _send_cid(self, fsk: np.ndarray) -> Callable[[int], None]:
        def action(sample: int) -> None:
            self._source = _Burst(fsk, sample)

        return action

    def _give_up(self, sample: int) -> None:
        """The caller stopped waiting: no more rings."""
        self._end_call(self._world.time_at(sample))
        self._enter(_LineState.IDLE, _Silence())

    def _stop_ringing(self, at: float) -> None:
        if self._ring_on:
            self._ring_on = False
            self._world.emit(RingStopped(self.port.index, at))

    # -- the box's hook and audio ------------------------------------------------------

    def box_hook(self, offhook: bool) -> None:
        if offhook == self.seized:
            return
        self.seized = offhook
        now = self._world.now()
        if offhook:
            if self.state is _LineState.ALERTING:
                self._answer_inbound(now)
            else:
                self._seize(now)
            return
        if self.call is not None and not self.call.finished:
            self._end_call(now)
        elif self.call is not None and self.call.ended_at is None:
            self.call.ended_at = now
        # The exchange restores normal polarity on an idle line, quietly: the
        # reversal back happens with the loop open, where no card can see it.
        self._reversed = False
        self._enter(_LineState.IDLE, _Silence())

    def box_flash(self) -> None:
        if self.call is not None and self.state is _LineState.CONNECTED:
            self.call.flashes += 1

    def box_audio(self, samples: np.ndarray) -> None:
        if self.state is _LineState.CONNECTED and self.call is not None:
            self.call._heard.append(samples)
        elif self.state in (_LineState.DIAL_TONE, _LineState.COLLECTING):
            for digit in self._decoder.feed(samples):
                if self.state not in (_LineState.DIAL_TONE, _LineState.COLLECTING):
                    break  # the number is complete; later digits go nowhere
                self._digit(digit)

    def _answer_inbound(self, now: float) -> None:
        assert self.call is not None
        self._stop_ringing(now)
        self._connect(now)

    def _connect(self, at: float) -> None:
        assert self.call is not None
        self.call.state = CallState.CONNECTED
        self.call.answered_at = at
        self._enter(_LineState.CONNECTED, _Voice(self.call._outgoing))

    def _seize(self, now: float) -> None:
        if self.alarm is not None:
            self._enter(_LineState.DEAD, _Silence())
            return
        call = SimPstnCall(self, Direction.OUTBOUND, now)
        self.call = call
        self._pstn.calls.append(call)
        sample = self._now_sample()
        self._enter(_LineState.DIAL_TONE, _Tone(self._pstn.tones.dial, sample))
        self._decoder.reset()
        self._digits = ""
        self._after(sample, self._pstn.dial_tone_timeout, self._dial_timeout)

    # -- outbound ----------------------------------------------------------------------

    def _digit(self, digit: str) -> None:
        sample = self._now_sample()
        # Dial tone stops at the first digit, as on any exchange.
        self._enter(_LineState.COLLECTING, _Silence())
        self._digits += digit
        limit = self._pstn.number_length
        if limit is not None and len(self._digits) >= limit:
            self._route(sample)
        else:
            self._after(sample, self._pstn.interdigit_timeout, self._route)

    def _dial_timeout(self, sample: int) -> None:
        assert self.call is not None
        self.call.outcome = Outcome.CONGESTION
        self.call.state = CallState.REJECTED
        self._enter(_LineState.PROGRESS, _Tone(self._pstn.tones.congestion, sample))

    def _route(self, sample: int) -> None:
        assert self.call is not None
        number = self._digits
        self.call.number = number
        self._pstn.last_dialled = number
        answer = self._pstn.policy(number)
        try:
            outcome = Outcome(answer)
        except ValueError:
            choices = ", ".join(o.value for o in Outcome)
            raise SimError(
                f"the exchange policy said {answer!r} for {number!r}; it must say one of {choices}"
            ) from None
        self.call.outcome = outcome
        tones = self._pstn.tones
        if outcome is Outcome.BUSY:
            self.call.state = CallState.REJECTED
            self._enter(_LineState.PROGRESS, _Tone(tones.busy, sample))
        elif outcome is Outcome.CONGESTION:
            self.call.state = CallState.REJECTED
            self._enter(_LineState.PROGRESS, _Tone(tones.congestion, sample))
        else:
            self.call.state = CallState.RINGING
            self._enter(_LineState.PROGRESS, _Tone(tones.ringback, sample))
            if outcome is Outcome.ANSWER:
                self._after(sample, self._pstn.answer_delay, self._far_answer)

    def _far_answer(self, sample: int) -> None:
        at = self._world.time_at(sample)
        self._connect(at)
        if self._pstn.polarity_on_answer:
            self._reverse(at)

    def _reverse(self, at: float) -> None:
        self._reversed = not self._reversed
        self._world.emit(PolarityReversed(self.port.index, at))

    # -- the far end clears ------------------------------------------------------------

    def far_hang_up(self, call: SimPstnCall) -> None:
        self._world.catch_up()
        if call.finished:
            raise SimError(f"the call on {call.port} is already {call.state.value}")
        if call.state is CallState.DIALLING:
            raise SimError(f"the call on {call.port} is still being dialled; nobody to hang up")
        now = self._world.now()
        if self.state is _LineState.ALERTING:
            self._stop_ringing(now)
            self._end_call(now)
            self._enter(_LineState.IDLE, _Silence())
            return
        self._end_call(now)
        self._clear_forward(now)

    def _clear_forward(self, now: float) -> None:
        """Signal the clear as this exchange does: open loop, reversal, then a tone or silence."""
        pstn = self._pstn
        if pstn.loop_drop_on_disconnect:
            self._world.emit(LoopCurrentDrop(self.port.index, now))
        if pstn.polarity_on_disconnect:
            self._reverse(now)
        sample = self._now_sample()
        self._enter(_LineState.CLEARED, _Silence())
        try:
            signal = ClearSignal(pstn.clear_signal)
        except ValueError:
            choices = ", ".join(c.value for c in ClearSignal)
            raise SimError(
                f"clear_signal must be one of {choices}, not {pstn.clear_signal!r}"
            ) from None
        spec = {
            ClearSignal.BUSY: pstn.tones.busy,
            ClearSignal.CONGESTION: pstn.tones.congestion,
            ClearSignal.DIAL: pstn.tones.dial,
            ClearSignal.NONE: None,
        }[signal]
        if spec is None:
            return

        def tone(at: int) -> None:
            self._source = _Tone(spec, at)

        self._after(sample, OPEN_LOOP_SECONDS if pstn.loop_drop_on_disconnect else 0.0, tone)

    def _end_call(self, at: float) -> None:
        if self.call is not None and not self.call.finished:
            self.call.state = CallState.ENDED
            self.call.ended_at = at

    # -- alarms ------------------------------------------------------------------------

    def set_alarm(self, alarm: str | None) -> None:
        self.alarm = alarm
        now = self._world.now()
        if alarm is not None:
            # A dead line drops whatever it carried.
            self._stop_ringing(now)
            self._end_call(now)
            self._enter(_LineState.DEAD if self.seized else _LineState.IDLE, _Silence())
        elif self.state is _LineState.DEAD:
            self._seize(now)  # battery is back under a seized loop: dial tone


class SimPstn:
    """The exchange behind every FXO port of a :class:`~hal.sim.card.SimCard`.

    Settings are plain attributes, changed by tests between calls: ``policy``
    (number -> "answer" | "busy" | "congestion" | "no-answer"), ``answer_delay``,
    ``number_length``, ``interdigit_timeout``, ``dial_tone_timeout``,
    ``polarity_on_answer``, ``polarity_on_disconnect``, ``cid_tz``.

    How the far end's clear reaches the line, to model lines that offer only some
    of the signals: ``loop_drop_on_disconnect`` (a short loop-current break) and
    ``clear_signal`` (what is then played: busy, congestion, dial or none, i.e.
    silence). ``ring_cadence`` overrides the country's ringing (other countries'
    exchanges, or a line with an odd cadence).
    """

    def __init__(
        self,
        world: SimWorld,
        ports: Sequence[PortInfo],
        tones: signals.CountryTones,
        *,
        seed: int = 0,
        noise_dbm0: float = -70.0,
    ) -> None:
        if any(p.kind is not PortKind.FXO for p in ports):
            raise SimError("the exchange connects to FXO ports only")
        self.tones = tones
        self.calls: list[SimPstnCall] = []
        self.last_dialled: str | None = None
        self.policy: Callable[[str], str] = lambda number: Outcome.ANSWER.value
        self.answer_delay = 4.0
        self.number_length: int | None = None
        self.interdigit_timeout = 3.0
        self.dial_tone_timeout = 15.0
        self.polarity_on_answer = True
        self.polarity_on_disconnect = False
        self.loop_drop_on_disconnect = True
        self.clear_signal: str = ClearSignal.BUSY.value
        self.ring_cadence: tuple[float, ...] | None = None
        self.cid_tz: tzinfo = UTC
        self._world = world
        self._lines = {p.name: _Line(p, world, self) for p in ports}
        self._rng = np.random.default_rng(seed)
        self._noise_rms = signals.amplitude(noise_dbm0) / math.sqrt(2.0)

    def __str__(self) -> str:
        return f"SimPstn({self.tones.country}, lines {', '.join(self._lines)})"

    def call_in(
        self,
        port: str,
        caller_number: str | None,
        caller_name: str | None = None,
        *,
        max_rings: int = 10,
        cid: str = "between_rings",
        withheld: bool = False,
    ) -> SimPstnCall:
        """A call from the network to the box on ``port`` (an FXO port name).

        Rings with the country's cadence (or ``ring_cadence``) and sends on-hook
        caller ID: 0.5 s after the first ring (``cid="between_rings"``), or before
        it after a line reversal (``cid="before_ring"``), or not at all
        (``cid="none"``); with no ``caller_number`` the ID says the number is
        unavailable (or private, if ``withheld``). After ``max_rings`` unanswered
        rings the caller gives up.
        """
        line = self._line(port)
        self._world.catch_up()
        try:
            mode = CidMode(cid)
        except ValueError:
            choices = ", ".join(m.value for m in CidMode)
            raise SimError(f"cid must be one of {choices}, got {cid!r}") from None
        if not isinstance(max_rings, int) or max_rings < 1:
            raise SimError(f"max_rings must be a whole number >= 1, got {max_rings!r}")
        if line.alarm is not None:
            raise SimError(f"{port} is in alarm ({line.alarm}); a dead line cannot ring")
        if line.seized or line.state is not _LineState.IDLE:
            raise SimError(f"{port} is busy ({line.state.value}); the exchange cannot ring it")
        fsk: np.ndarray | None = None
        if mode is not CidMode.NONE:
            when = datetime.fromtimestamp(self._world.clock.wall(), tz=self.cid_tz)
            try:
                message = signals.CallerId(
                    caller_number,
                    presentable_name(caller_name) if caller_name else None,
                    when,
                    absence="P" if withheld else "O",
                )
            except signals.SignalError as exc:
                raise SimError(str(exc)) from None
            fsk = signals.caller_id_fsk(message)
        call = SimPstnCall(
            line,
            Direction.INBOUND,
            self._world.now(),
            caller_number=caller_number,
            caller_name=caller_name,
        )
        self.calls.append(call)
        line.ring_in(call, max_rings, fsk, before_ring=mode is CidMode.BEFORE_RING)
        return call

    def active_call(self, port: str) -> SimPstnCall | None:
        """The call on ``port`` that is not over yet, if any."""
        call = self._line(port).call
        return call if call is not None and not call.finished else None

    # -- the card's side ---------------------------------------------------------------

    def render(self, start: int, n: int) -> np.ndarray:
        """(n_lines, n) int16: what every line sends the box, with its line noise."""
        out = self._rng.normal(0.0, self._noise_rms, (len(self._lines), n))
        for row, line in enumerate(self._lines.values()):
            out[row] += line.render(start, n)
        return signals.pcm16(out)

    def hear(self, samples: np.ndarray) -> None:
        """Take the box's audio for every line, (n_lines, n) int16."""
        for row, line in enumerate(self._lines.values()):
            line.box_audio(samples[row])

    def box_hook(self, port: str, offhook: bool) -> None:
        """The box seized (True) or released (False) the line: answer, dial tone or clear."""
        self._line(port).box_hook(offhook)

    def box_flash(self, port: str) -> None:
        """The box flashed the hook; the exchange only counts it on a connected call."""
        self._line(port).box_flash()

    def seized(self, port: str) -> bool:
        """Whether the box holds the line off-hook."""
        return self._line(port).seized

    def set_alarm(self, port: str, alarm: str | None) -> None:
        """A line in alarm is dead: its call drops; clearing it restores the line."""
        self._line(port).set_alarm(alarm)

    def _line(self, port: str) -> _Line:
        try:
            return self._lines[port]
        except KeyError:
            known = ", ".join(self._lines) or "none"
            raise SimError(f"the exchange has no line on {port!r}; FXO ports: {known}") from None
