"""The media engine: one call of :meth:`MediaEngine.tick` is 20 ms of audio for every port.

A tick decodes the G.711 frames of all channels as one array, runs DTMF detection
on all of them at once, feeds the caller ID receivers that are switched on (FSK and
DTMF caller ID), builds what each channel sends (its bridge partner's audio, the
monitoring and conference mixes, or the tone, prompt, digits or caller ID it is
playing), taps the recorded channels, and encodes everything back to G.711.
Channels with nothing to send carry G.711 silence.

Commands come from other threads (the asyncio loop, the control socket); they are
checked at once, so a bad request raises :class:`MediaError` in the caller and
changes nothing, and are then queued and applied at the start of the next tick, so
the tick never sees a half-made change. Monitoring and conferences are planned in
the caller's thread (under a lock, so two callers cannot both take the last seat of
a conference) and the tick only swaps in the finished mixing matrix.

The common tick (bridges, tones, prompts, detection) pays for the other features
only a few empty-collection tests.
"""

from __future__ import annotations

import enum
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from firmware.media.amd import AnsweringMachineDetector
from firmware.media.cid_dtmf import DtmfCallerIdCollector, encode_dtmf_caller_id
from firmware.media.dtmf import DtmfDetector, DtmfError, generate_dtmf
from firmware.media.events import (
    CallerIdReceived,
    CallerIdSent,
    DigitDetected,
    DigitsSent,
    MediaEvent,
    OffhookCallerIdFinished,
    PromptFinished,
    RecordingFinished,
)
from firmware.media.fsk import (
    ACK_DIGITS,
    ACK_TO_DATA_SECONDS,
    ACK_WINDOW_SECONDS,
    DT_AS_GAP_SECONDS,
    RP_AS_GAP_SECONDS,
    CallerId,
    CallerIdError,
    CallerIdReceiver,
    dual_tone_alert,
    encode_caller_id,
    offhook_alert,
)
from firmware.media.mixing import MixError, MixMatrix, MixPlan, MonitorMode
from firmware.media.progress import CallProgressDetector
from firmware.media.recording import ChannelRecording, RecordingError, RecordingSink
from firmware.media.tone_learning import MIN_SECONDS as LEARN_MIN_SECONDS
from firmware.media.tone_learning import DisconnectToneLearner, LineToneProfile
from firmware.media.tones import COUNTRIES, DEFAULT_COUNTRY, render_tone, tone_spec
from hal import g711
from hal.interface import FRAME_SAMPLES, SAMPLE_RATE, Law

# The detector confirms a digit some 40 ms after it begins and the tick adds up to
# 20 ms; a CAS acknowledgement that began right at the end of the window is still
# waited for this long before the handshake is given up.
_ACK_CONFIRM_SECONDS = 0.08


# tone_learning refuses more than this; checked here so a bad request never reaches the tick.
LEARN_MAX_SECONDS = 60.0


class MediaError(Exception):
    """A media command that cannot be carried out as asked (bad channel, tone, audio)."""


class PlayoutKind(enum.Enum):
    """What a channel is playing, which decides how it ends and what it reports."""

    TONE = "tone"  # loops until stopped
    PROMPT = "prompt"  # plays once, then PromptFinished
    DIGITS = "digits"  # plays once, then DigitsSent
    CALLER_ID = "caller_id"  # on-hook caller ID: plays once, then CallerIdSent
    ALERT = "alert"  # the SAS/CAS of a call-waiting handshake; then the wait for its ack
    HOLD = "hold"  # silence while the handshake waits for the phone's ack
    OFFHOOK_CALLER_ID = "offhook_caller_id"  # acknowledged: plays once, then the event
    STREAM = "stream"  # a live source (music on hold) shared by every channel on it


class StreamSource(Protocol):
    """A live audio source many channels can play at once (music on hold)."""

    def frame(self, now: float) -> np.ndarray:
        """The next 20 ms, (160,) int16; called once per tick."""
        ...


@dataclass
class _Playout:
    """A channel's current playout; mutable, owned by the tick thread."""

    kind: PlayoutKind
    samples: np.ndarray
    tag: str = ""
    position: int = 0
    source: StreamSource | None = None


class HandshakeState(enum.Enum):
    """Where a call-waiting caller ID handshake is (EN 300 659-2, GR-30 off-hook)."""

    ALERTING = "alerting"  # the SAS/CAS is playing
    AWAITING_ACK = "awaiting_ack"  # silence; the phone must answer with a DTMF digit
    SENDING = "sending"  # acknowledged; the FSK is playing


@dataclass
class _Handshake:
    """A channel's call-waiting caller ID in progress; owned by the tick thread."""

    standard: str
    data: np.ndarray  # what to send once acknowledged
    state: HandshakeState = HandshakeState.ALERTING
    alert_end: float = 0.0


@dataclass
class _CallerIdListener:
    """A line's caller ID receivers: FSK from the audio, DTMF from the detected digits."""

    fsk: CallerIdReceiver = field(default_factory=lambda: CallerIdReceiver(SAMPLE_RATE))
    dtmf: DtmfCallerIdCollector = field(default_factory=DtmfCallerIdCollector)


CallerIdStandard = Literal["etsi", "bell", "dtmf"]
Alerting = Literal["dt-as", "rp-as"]
Mode = Literal["listen", "whisper", "barge"]


class MediaEngine:
    """DTMF, caller ID, tones, prompts, bridges, monitoring, conferences and recording.

    ``recording_sink`` receives recorded audio (see :mod:`firmware.media.recording`);
    without one, :meth:`start_recording` is refused.
    """

    def __init__(
        self,
        n_channels: int,
        law: Law,
        country: str = DEFAULT_COUNTRY,
        *,
        recording_sink: RecordingSink | None = None,
    ) -> None:
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
        self._cid: dict[int, _CallerIdListener] = {}
        self._tone_cache: dict[tuple[str, str], np.ndarray] = {}
        self._out = np.zeros((n_channels, FRAME_SAMPLES), dtype=np.int16)
        self._ramp = np.arange(FRAME_SAMPLES, dtype=np.int64)
        self._index = np.zeros(FRAME_SAMPLES, dtype=np.int64)
        self._handshakes: dict[int, _Handshake] = {}
        # Planned in the callers' threads under the lock; the tick sees only _mix.
        self._lock = threading.Lock()
        self._plan = MixPlan()
        self._mix: MixMatrix | None = None
        self._sink = recording_sink
        self._recording_keys: dict[str, int] = {}  # callers' view: key -> channel
        self._recordings: dict[str, ChannelRecording] = {}  # the tick's view
        self._finishing: dict[str, int] = {}  # stopped, file not yet complete: key -> channel
        # Line listeners, each fed only the channels switched on for it.
        self._progress = CallProgressDetector(n_channels, self._country)
        self._progress_on = np.zeros(n_channels, dtype=bool)
        self._learner = DisconnectToneLearner(n_channels)
        self._amd = AnsweringMachineDetector(n_channels)
        self._amd_starts: list[int] = []
        self._tick_now = 0.0
        self._stream_frames: dict[int, np.ndarray] = {}

    # -- commands (any thread) ------------------------------------------------------

    @property
    def country(self) -> str:
        """The country whose tone table ``play_tone`` uses."""
        return self._country

    def set_country(self, country: str) -> None:
        """Use ``country``'s tones for tones started from now on, and to recognise tones."""
        self._country = self._check_country(country)
        self._commands.append(lambda: self._progress.set_country(self._country))

    def detect_progress(self, ch: int, on: bool) -> None:
        """Report what ``ch`` hears (dial, ringback, busy, SIT, silence, voice…) while on."""
        ch = self._check_channel(ch)

        def apply() -> None:
            self._progress_on[ch] = on
            if not on:
                self._progress.reset(ch)

        self._commands.append(apply)

    def set_line_profile(self, ch: int, profile: LineToneProfile | None) -> None:
        """Recognise ``profile`` (a learned disconnect tone) on ``ch`` as "disconnect"."""
        ch = self._check_channel(ch)
        self._commands.append(lambda: self._progress.set_line_profile(ch, profile))

    def learn_disconnect_tone(self, ch: int, seconds: float = 10.0) -> None:
        """Measure the tone ``ch`` hears for ``seconds``; ToneLearned or …Failed follows."""
        ch = self._check_channel(ch)
        if not (math.isfinite(seconds) and LEARN_MIN_SECONDS <= seconds <= LEARN_MAX_SECONDS):
            raise MediaError(
                f"learning takes {LEARN_MIN_SECONDS:g} to {LEARN_MAX_SECONDS:g} s, not {seconds!r}"
            )
        self._commands.append(lambda: self._learner.start(ch, seconds))

    def detect_answering_machine(self, ch: int) -> None:
        """Listen to the first seconds after answer on ``ch``; an AmdDecision follows."""
        ch = self._check_channel(ch)
        self._commands.append(lambda: self._amd_starts.append(ch))

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

        def apply() -> None:
            self._playing.pop(ch, None)
            self._handshakes.pop(ch, None)

        self._commands.append(apply)

    def bridge(self, a: int, b: int) -> None:
        """Connect ``a`` and ``b`` both ways, breaking any bridge either was in.

        Either channel leaves its conference and stops supervising a call; a call
        that is being monitored stays monitored.
        """
        a = self._check_channel(a)
        b = self._check_channel(b)
        if a == b:
            raise MediaError(f"cannot bridge channel {a} to itself")
        with self._lock:
            for ch in (a, b):
                self._plan.leave(ch)
                self._plan.stop_monitor(ch)
            mix = self._plan.matrix(FRAME_SAMPLES)

            def apply() -> None:
                self._apply_bridge(a, b)
                self._mix = mix

            self._commands.append(apply)

    def unbridge(self, ch: int) -> None:
        """Break ``ch``'s bridge, for both ends."""
        ch = self._check_channel(ch)
        self._commands.append(lambda: self._apply_unbridge(ch))

    def enable_caller_id(self, ch: int, on: bool) -> None:
        """Switch ``ch``'s caller ID receiver on (collecting audio) or off (dropping it)."""
        ch = self._check_channel(ch)
        self._commands.append(lambda: self._apply_caller_id(ch, on))

    def reset(self, ch: int) -> None:
        """Return ``ch`` to idle: no playout, no bridge, fresh detectors, caller ID off.

        ``ch`` also leaves its conference and any monitoring (as supervisor or as a
        party of the monitored call), and its recordings end (each then reports
        :class:`RecordingFinished`), as a hang-up should.
        """
        ch = self._check_channel(ch)
        with self._lock:
            self._plan.release(ch)
            mix = self._plan.matrix(FRAME_SAMPLES)
            for key in [k for k, c in self._recording_keys.items() if c == ch]:
                del self._recording_keys[key]

            def apply() -> None:
                self._apply_reset(ch)
                self._mix = mix

            self._commands.append(apply)

    # -- caller ID to phones (FXS) ----------------------------------------------------

    def send_caller_id(
        self,
        ch: int,
        caller_id: CallerId,
        *,
        standard: CallerIdStandard = "etsi",
        alerting: Alerting | None = None,
        message_format: Literal["mdmf", "sdmf"] = "mdmf",
    ) -> None:
        """Send on-hook (type I) caller ID to the phone on ``ch``; CallerIdSent follows.

        ``standard``: "etsi" (V.23 FSK, EN 300 659), "bell" (Bell 202 FSK, GR-30) or
        "dtmf" (see :mod:`firmware.media.cid_dtmf`; the number only). ``alerting``,
        before the first ring: "dt-as" plays the dual-tone alerting signal then waits
        100 ms (ETSI only; the caller has just reversed the line's polarity where the
        card can); "rp-as" means the caller has just sent a short ring burst, and the
        engine waits 600 ms before the data (EN 300 659-1 asks for 500 to 800 ms).
        None: the data starts at once, for sending in the pause after the first ring
        (call this at least 500 ms after that ring ends), the only way Bell lines do it.
        """
        ch = self._check_channel(ch)
        if not isinstance(caller_id, CallerId):
            raise MediaError(f"caller_id must be a CallerId, not {type(caller_id).__name__}")
        if standard not in ("etsi", "bell", "dtmf"):
            raise MediaError(f"standard must be 'etsi', 'bell' or 'dtmf', not {standard!r}")
        if alerting not in (None, "dt-as", "rp-as"):
            raise MediaError(f"alerting must be None, 'dt-as' or 'rp-as', not {alerting!r}")
        if alerting == "dt-as" and standard != "etsi":
            raise MediaError(f"the DT-AS alerting signal goes with ETSI FSK, not {standard!r}")
        if alerting is not None and standard == "bell":
            raise MediaError("Bell 202 caller ID is sent after the first ring, with no alerting")
        try:
            if standard == "dtmf":
                data = encode_dtmf_caller_id(caller_id, rate=SAMPLE_RATE)
            else:
                data = encode_caller_id(
                    caller_id, standard=standard, message_format=message_format, rate=SAMPLE_RATE
                )
        except CallerIdError as exc:
            raise MediaError(str(exc)) from None
        parts = [data]
        if alerting == "dt-as":
            parts = [dual_tone_alert(rate=SAMPLE_RATE), _silence(DT_AS_GAP_SECONDS), data]
        elif alerting == "rp-as":
            parts = [_silence(RP_AS_GAP_SECONDS), data]
        self._queue(ch, _Playout(PlayoutKind.CALLER_ID, np.concatenate(parts), standard))

    def send_caller_id_offhook(
        self, ch: int, caller_id: CallerId, standard: Literal["etsi", "bell"] = "etsi"
    ) -> None:
        """Send call-waiting (type II) caller ID to the phone in a call on ``ch``.

        Plays the alert (ETSI: CAS; Bell: SAS then CAS) in place of the call's audio,
        then listens for the phone's DTMF acknowledgement (ETSI: D; Bell: A or D)
        beginning within 160 ms; only then sends the FSK (no channel seizure, 80 mark
        bits). The acknowledgement digit is consumed, not reported as DigitDetected.
        :class:`OffhookCallerIdFinished` says whether it was acknowledged and sent.
        """
        ch = self._check_channel(ch)
        if not isinstance(caller_id, CallerId):
            raise MediaError(f"caller_id must be a CallerId, not {type(caller_id).__name__}")
        if standard not in ACK_DIGITS:
            raise MediaError(f"off-hook caller ID is 'etsi' or 'bell' FSK, not {standard!r}")
        try:
            data = encode_caller_id(caller_id, standard=standard, offhook=True, rate=SAMPLE_RATE)
        except CallerIdError as exc:
            raise MediaError(str(exc)) from None
        alert = _Playout(PlayoutKind.ALERT, offhook_alert(standard, SAMPLE_RATE), standard)
        handshake = _Handshake(standard, np.concatenate([_silence(ACK_TO_DATA_SECONDS), data]))

        def apply() -> None:
            self._playing[ch] = alert
            self._handshakes[ch] = handshake

        self._commands.append(apply)

    # -- monitoring and conferences ---------------------------------------------------

    def monitor(self, supervisor_ch: int, call_channels: tuple[int, int], mode: Mode) -> None:
        """Put the supervisor on the call ``call_channels`` = (caller, agent) in ``mode``.

        "listen": the supervisor hears both, nobody hears the supervisor; "whisper":
        the agent hears the supervisor too, the caller does not; "barge": all three
        hear each other. Calling it again changes the mode or the call. The
        supervisor's own bridge, if any, is broken.
        """
        sup = self._check_channel(supervisor_ch)
        if not isinstance(call_channels, tuple | list) or len(call_channels) != 2:
            raise MediaError(f"call_channels is the pair (caller, agent), not {call_channels!r}")
        caller = self._check_channel(call_channels[0])
        agent = self._check_channel(call_channels[1])
        try:
            how = MonitorMode(mode)
        except ValueError:
            raise MediaError(
                f"monitor mode must be 'listen', 'whisper' or 'barge', not {mode!r}"
            ) from None
        with self._lock:
            try:
                self._plan.monitor(sup, caller, agent, how)
            except MixError as exc:
                raise MediaError(str(exc)) from None
            self._queue_mix(unbridge=(sup,))

    def stop_monitor(self, supervisor_ch: int) -> None:
        """Take the supervisor off the call it monitors (nothing if it monitors none)."""
        sup = self._check_channel(supervisor_ch)
        with self._lock:
            self._plan.stop_monitor(sup)
            self._queue_mix()

    def conference(self, room: str, channels: list[int]) -> None:
        """Put ``channels`` into the conference ``room`` (created if new), at most 8 parties.

        Each party hears the sum of all the others. Their two-party bridges are broken.
        """
        if not isinstance(channels, list | tuple):
            raise MediaError(f"channels must be a list of channel numbers, not {channels!r}")
        members = [self._check_channel(ch) for ch in channels]
        with self._lock:
            try:
                self._plan.conference(room, members)
            except MixError as exc:
                raise MediaError(str(exc)) from None
            self._queue_mix(unbridge=tuple(members))

    def leave_conference(self, ch: int) -> None:
        """Take ``ch`` out of its conference (nothing if it is in none)."""
        ch = self._check_channel(ch)
        with self._lock:
            self._plan.leave(ch)
            self._queue_mix()

    def _queue_mix(self, unbridge: tuple[int, ...] = ()) -> None:
        """Queue the current plan's matrix (caller holds the lock, so queue order is plan order)."""
        mix = self._plan.matrix(FRAME_SAMPLES)

        def apply() -> None:
            for ch in unbridge:
                self._apply_unbridge(ch)
            self._mix = mix

        self._commands.append(apply)

    # -- recording --------------------------------------------------------------------

    def start_recording(self, ch: int, key: str, *, stereo: bool) -> None:
        """Record ``ch`` under ``key``: received audio and what it is sent.

        Stereo: received left, sent right (for the caller's channel of a call: the
        caller left, the agent right); mono: their sum. The file is the sink's
        business; :class:`RecordingFinished` follows :meth:`stop_recording`.
        """
        ch = self._check_channel(ch)
        if not isinstance(stereo, bool):
            raise MediaError(f"stereo must be True or False, not {stereo!r}")
        if self._sink is None:
            raise MediaError("this engine has no recording sink; recording is off")
        if not isinstance(key, str) or not key:
            raise MediaError(f"a recording key is a non-empty string, not {key!r}")
        sink = self._sink
        with self._lock:
            if key in self._recording_keys:
                raise MediaError(f"a recording {key!r} is already running")
            try:
                sink.begin(key, 2 if stereo else 1)
            except RecordingError as exc:
                raise MediaError(str(exc)) from None
            self._recording_keys[key] = ch
            recording = ChannelRecording(key, ch, stereo, sink, FRAME_SAMPLES)

            def apply() -> None:
                self._recordings[key] = recording

            self._commands.append(apply)

    def stop_recording(self, key: str) -> None:
        """End the recording ``key``; RecordingFinished follows once its file is complete."""
        with self._lock:
            if key not in self._recording_keys:
                raise MediaError(f"no recording {key!r} is running")
            del self._recording_keys[key]
            self._commands.append(lambda: self._apply_stop_recording(key))

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
        digits = self._detector.process(linear, now)
        if self._handshakes:
            digits = self._take_acknowledgements(digits)
        events: list[MediaEvent] = [DigitDetected(ch, digit, start) for ch, digit, start in digits]
        if self._cid:
            self._listen_caller_id(linear, digits, now, events)
        if self._amd_starts:
            for ch in self._amd_starts:
                self._amd.start(ch, now)
            self._amd_starts.clear()
        if self._progress_on.any():
            events.extend(self._progress.process(linear, now, self._progress_on))
        if self._learner.learning:
            events.extend(self._learner.process(linear, now))
        if self._amd.listening:
            events.extend(self._amd.process(linear, now))

        out = self._out
        out.fill(0)
        self._tick_now = now
        self._stream_frames.clear()
        bridged = np.flatnonzero(self._partner >= 0)
        if bridged.size:
            out[bridged] = linear[self._partner[bridged]]
        if self._mix is not None:
            self._mix.apply(linear, out)
        finished: list[int] = []
        for ch, playout in self._playing.items():
            if self._play(out[ch], playout):
                finished.append(ch)
        for ch in finished:
            self._finish(ch, now, events)
        if self._handshakes:
            self._expire_handshakes(now, events)
        if self._recordings:
            for recording in self._recordings.values():
                recording.add(linear[recording.channel], out[recording.channel])
        if self._finishing and self._sink is not None:
            for done in self._sink.finished():
                ch = self._finishing.pop(done.key, -1)
                events.append(RecordingFinished(done.key, done.path, done.seconds, ch, done.error))
        return g711.encode(out, self.law), events

    def _finish(self, ch: int, now: float, events: list[MediaEvent]) -> None:
        """``ch``'s playout has sent its last sample: report it, or move its handshake on."""
        playout = self._playing.pop(ch)
        kind = playout.kind
        if kind is PlayoutKind.PROMPT:
            events.append(PromptFinished(ch, playout.tag, now))
        elif kind is PlayoutKind.DIGITS:
            events.append(DigitsSent(ch, now))
        elif kind is PlayoutKind.CALLER_ID:
            events.append(CallerIdSent(ch, now))
        elif kind is PlayoutKind.ALERT:
            handshake = self._handshakes[ch]
            handshake.state = HandshakeState.AWAITING_ACK
            handshake.alert_end = now
            self._playing[ch] = _Playout(PlayoutKind.HOLD, _silence(0.0), playout.tag)
        elif kind is PlayoutKind.OFFHOOK_CALLER_ID:
            del self._handshakes[ch]
            events.append(OffhookCallerIdFinished(ch, True, now))

    def _take_acknowledgements(
        self, digits: list[tuple[int, str, float]]
    ) -> list[tuple[int, str, float]]:
        """Consume the digits that acknowledge a CAS and start sending those channels' data."""
        kept: list[tuple[int, str, float]] = []
        for ch, digit, start in digits:
            handshake = self._handshakes.get(ch)
            if (
                handshake is not None
                and handshake.state is HandshakeState.AWAITING_ACK
                and digit in ACK_DIGITS[handshake.standard]
                and start <= handshake.alert_end + ACK_WINDOW_SECONDS
            ):
                handshake.state = HandshakeState.SENDING
                self._playing[ch] = _Playout(
                    PlayoutKind.OFFHOOK_CALLER_ID, handshake.data, handshake.standard
                )
            else:
                kept.append((ch, digit, start))
        return kept

    def _expire_handshakes(self, now: float, events: list[MediaEvent]) -> None:
        """Give up the handshakes whose phone did not acknowledge in time."""
        deadline = ACK_WINDOW_SECONDS + _ACK_CONFIRM_SECONDS
        late = [
            ch
            for ch, h in self._handshakes.items()
            if h.state is HandshakeState.AWAITING_ACK and now >= h.alert_end + deadline
        ]
        for ch in late:
            del self._handshakes[ch]
            self._playing.pop(ch, None)
            events.append(OffhookCallerIdFinished(ch, False, now))

    def _listen_caller_id(
        self,
        linear: np.ndarray,
        digits: list[tuple[int, str, float]],
        now: float,
        events: list[MediaEvent],
    ) -> None:
        for ch, digit, start in digits:
            listener = self._cid.get(ch)
            if listener is not None:
                message = listener.dtmf.feed(digit, start)
                if message is not None:
                    events.append(CallerIdReceived(ch, message[1], now))
        for ch, listener in self._cid.items():
            for caller_id in listener.fsk.feed(linear[ch]):
                events.append(CallerIdReceived(ch, caller_id, now))

    def play_stream(self, ch: int, source: StreamSource) -> None:
        """Play a live ``source`` on ``ch`` until stopped; one frame a tick, shared by all.

        ``source.frame(now)`` is asked once per tick however many channels listen,
        so a hundred callers on hold cost one read of the music.
        """
        ch = self._check_channel(ch)
        if not callable(getattr(source, "frame", None)):
            raise MediaError("a stream source needs a frame(now) method")
        playout = _Playout(PlayoutKind.STREAM, _silence(0.0), "stream")
        playout.source = source
        self._queue(ch, playout)

    def _stream_frame(self, source: StreamSource) -> np.ndarray:
        key = id(source)
        frame = self._stream_frames.get(key)
        if frame is None:
            frame = np.asarray(source.frame(self._tick_now), dtype=np.int16)
            if frame.shape != (FRAME_SAMPLES,):
                frame = np.zeros(FRAME_SAMPLES, dtype=np.int16)  # a broken source is silence
            self._stream_frames[key] = frame
        return frame

    def _play(self, row: np.ndarray, playout: _Playout) -> bool:
        """Write the next frame of ``playout`` into ``row``; True once it has all been sent."""
        samples = playout.samples
        if playout.kind is PlayoutKind.STREAM:
            assert playout.source is not None
            row[:] = self._stream_frame(playout.source)
            return False
        if playout.kind is PlayoutKind.HOLD:
            row.fill(0)
            return False
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
            self._handshakes.pop(ch, None)  # a new playout ends a call-waiting handshake

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
            self._cid.setdefault(ch, _CallerIdListener())
        else:
            self._cid.pop(ch, None)

    def _apply_reset(self, ch: int) -> None:
        self._playing.pop(ch, None)
        self._handshakes.pop(ch, None)
        self._apply_unbridge(ch)
        self._detector.reset(ch)
        self._cid.pop(ch, None)
        self._progress_on[ch] = False
        self._progress.reset(ch)
        self._learner.reset(ch)
        self._amd.reset(ch)
        for key in [k for k, r in self._recordings.items() if r.channel == ch]:
            self._apply_stop_recording(key)

    def _apply_stop_recording(self, key: str) -> None:
        recording = self._recordings.pop(key, None)
        if recording is not None:
            recording.close()
            self._finishing[key] = recording.channel

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


def _silence(seconds: float) -> np.ndarray:
    """``seconds`` of silence at the line rate (at least one frame for a held playout)."""
    return np.zeros(max(round(seconds * SAMPLE_RATE), 0), dtype=np.int16)
