"""Runs IVR sessions for calls: the session's actions carried out through the call layer.

The call manager creates one :class:`IvrHost` and implements
:class:`CallControl` for it; the host owns the sessions, their timers, their
HTTP lookups (run on a worker thread, so a slow server never holds up the
tick) and their voicemail recordings, whose messages it hands to the record
writer once the file is complete, even when the caller hung up mid-message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from firmware.ivr import actions as act
from firmware.ivr.lookup import LookupResult, run_lookup
from firmware.ivr.schedule import ScheduleClock
from firmware.ivr.session import IvrSession
from firmware.store.models import Schedule, VoicemailMessage
from hal.clock import Clock

log = logging.getLogger(__name__)

# A message shorter than this is a caller who hung up at the beep: not kept.
MIN_MESSAGE_SECONDS = 1.0
# Beyond the lookup's own limit, for the worker thread to give up its socket.
_LOOKUP_GRACE = 0.5


class CallControl(Protocol):
    """What the host needs from the call layer, one method per kind of action."""

    def play_prompt(self, call_id: str, prompt: str, tag: str) -> bool:
        """Play ``prompt``; False when it cannot be played (the host then moves on)."""
        ...

    def stop_playout(self, call_id: str) -> None:
        """Stop whatever the caller is hearing."""
        ...

    def enqueue(self, call_id: str, queue: str, priority: int, now: float) -> None:
        """Hand the caller to an ACD queue."""
        ...

    def hang_up(self, call_id: str, reason: str, now: float) -> None:
        """Clear the call (it reaches :meth:`IvrHost.call_ended` as any ending does)."""
        ...

    def transfer(self, call_id: str, kind: str, number: str, now: float) -> str | None:
        """Start ringing an extension or external number; None, or why it cannot be done.

        Once started, the outcome comes back through :meth:`IvrHost.transfer_connected`
        or :meth:`IvrHost.transfer_failed`.
        """
        ...

    def start_recording(self, call_id: str, key: str) -> str | None:
        """Record the caller under ``key``; None, or why recording is impossible."""
        ...

    def stop_recording(self, key: str) -> None:
        """End the recording ``key``; its file is reported by :meth:`IvrHost.recording_finished`."""
        ...


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class TimerService(Protocol):
    """The call layer's timers on the injected clock (``firmware.calls.timers.Timers``)."""

    def call_at(self, when: float, callback: Callable[[float], None]) -> Any: ...


LookupRunner = Callable[[act.Lookup, Callable[[LookupResult], None]], None]


@dataclass
class _Running:
    session: IvrSession
    flow: str
    timer: TimerHandle | None = None


@dataclass(frozen=True)
class _Recording:
    call_id: str
    mailbox: str
    flow: str
    caller_number: str | None
    started: float  # wall clock


class IvrHost:
    """Every call's IVR session, and the voicemail recordings still being written."""

    def __init__(
        self,
        control: CallControl,
        timers: TimerService,
        clock: Clock,
        record: Callable[[VoicemailMessage], None],
        publish: Callable[[dict[str, Any]], None] | None = None,
        lookup_runner: LookupRunner | None = None,
    ) -> None:
        self._control = control
        self._timers = timers
        self._clock = clock
        self._record = record
        self._publish = publish or (lambda event: None)
        self._run_lookup = lookup_runner or self._lookup_in_thread
        self._flows: dict[str, Mapping[str, Any]] = {}
        self.schedules: dict[str, ScheduleClock] = {}
        self._running: dict[str, _Running] = {}
        self._recordings: dict[str, _Recording] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- configuration -------------------------------------------------
    def configure(
        self, flows: Mapping[str, Mapping[str, Any]], schedules: Sequence[Schedule]
    ) -> None:
        """New flows and schedules for calls from now on; callers in a flow keep theirs."""
        self._flows = dict(flows)
        self.schedules = {s.name: ScheduleClock(s) for s in schedules}

    def has_flow(self, name: str) -> bool:
        return name in self._flows

    # -- inputs from the call layer ------------------------------------
    def start(self, call_id: str, flow: str, caller_number: str | None, now: float) -> None:
        """Put an answered call into ``flow`` (which :meth:`has_flow` must know)."""
        session = IvrSession(
            self._flows[flow], caller_number=caller_number, schedules=self.schedules,
            clock=self._clock, flow_name=flow,
        )
        self._running[call_id] = _Running(session, flow)
        self._apply(call_id, session.start(), now)

    def active(self, call_id: str) -> bool:
        """Whether the call is in a flow (so its digits and prompt ends belong here)."""
        return call_id in self._running

    def session(self, call_id: str) -> IvrSession | None:
        running = self._running.get(call_id)
        return None if running is None else running.session

    def digit(self, call_id: str, digit: str, now: float) -> None:
        running = self._running.get(call_id)
        if running is not None:
            self._apply(call_id, running.session.digit(digit), now)

    def prompt_finished(self, call_id: str, tag: str, now: float) -> None:
        running = self._running.get(call_id)
        if running is not None:
            self._apply(call_id, running.session.prompt_finished(tag), now)

    def transfer_connected(self, call_id: str, now: float) -> None:
        """The transfer's far end answered; the call leaves the flow."""
        running = self._running.get(call_id)
        if running is not None:
            running.session.transfer_connected()
            self._drop(call_id)

    def transfer_failed(self, call_id: str, reason: str, now: float) -> None:
        """The transfer was not answered or was refused after it started."""
        running = self._running.get(call_id)
        if running is not None:
            self._apply(call_id, running.session.transfer_failed(reason), now)

    def call_ended(self, call_id: str, now: float) -> None:
        """The call is gone: stop its timer, and finish any message it was leaving."""
        self._drop(call_id)
        for key, recording in list(self._recordings.items()):
            if recording.call_id == call_id:
                self._control.stop_recording(key)

    def recording_finished(
        self, key: str, path: str | None, seconds: float, error: str | None, now: float
    ) -> bool:
        """A recording's file is complete; keep it as a message. False if not ours."""
        recording = self._recordings.pop(key, None)
        if recording is None:
            return False
        if path is None:
            log.error("voicemail of call %s was not saved: %s", recording.call_id, error)
            return True
        if seconds < MIN_MESSAGE_SECONDS:
            log.info("voicemail of call %s: %.1f s, not kept", recording.call_id, seconds)
            return True
        message = VoicemailMessage(
            id=None, call_id=recording.call_id, mailbox=recording.mailbox, flow=recording.flow,
            caller_number=recording.caller_number, created=recording.started,
            seconds=round(seconds, 2), path=path,
        )
        self._record(message)
        self._publish({"type": "voicemail", "call_id": recording.call_id,
                       "mailbox": recording.mailbox, "seconds": message.seconds})
        return True

    # -- carrying out actions ------------------------------------------
    def _apply(self, call_id: str, actions: Sequence[act.IvrAction], now: float) -> None:
        for action in actions:
            running = self._running.get(call_id)
            if running is None:
                return  # an earlier action ended the call
            match action:
                case act.Play(prompt=prompt, tag=tag):
                    if not self._control.play_prompt(call_id, prompt, tag):
                        # A missing prompt must not strand the caller: carry on at once.
                        self._timers.call_at(
                            now, lambda t, g=tag: self.prompt_finished(call_id, g, t)
                        )
                case act.StopPlayout():
                    self._control.stop_playout(call_id)
                case act.StartTimer(seconds=seconds, tag=tag):
                    self._cancel_timer(running)
                    running.timer = self._timers.call_at(
                        now + seconds, lambda t, g=tag: self._timer(call_id, g, t)
                    )
                case act.CancelTimer():
                    self._cancel_timer(running)
                case act.Enqueue(queue=queue, priority=priority):
                    self._drop(call_id)
                    self._control.enqueue(call_id, queue, priority, now)
                case act.Hangup(reason=reason):
                    self._drop(call_id)
                    self._control.hang_up(call_id, reason, now)
                case act.Transfer(kind=kind, number=number):
                    refusal = self._control.transfer(call_id, kind, number, now)
                    if refusal is not None:
                        self._apply(call_id, running.session.transfer_failed(refusal), now)
                case act.Lookup():
                    self._run_lookup(
                        action,
                        lambda result, a=action, s=running.session: self._lookup_done(
                            call_id, s, a, result
                        ),
                    )
                case act.StartRecording(tag=tag, mailbox=mailbox):
                    self._start_recording(call_id, running, tag, mailbox, now)
                case act.StopRecording(tag=tag):
                    key = _recording_key(call_id, tag)
                    if key in self._recordings:
                        self._control.stop_recording(key)

    def _start_recording(
        self, call_id: str, running: _Running, tag: str, mailbox: str, now: float
    ) -> None:
        key = _recording_key(call_id, tag)
        refusal = self._control.start_recording(call_id, key)
        if refusal is not None:
            log.error("call %s: voicemail cannot record: %s", call_id, refusal)
            running.session.notes.append(f"voicemail not recorded: {refusal}")
            # Leave the node as its time limit would; nothing was recorded.
            self._apply(call_id, running.session.timer_expired(tag), now)
            return
        self._recordings[key] = _Recording(
            call_id, mailbox, running.flow, running.session.caller_number, self._clock.wall()
        )

    def _timer(self, call_id: str, tag: str, now: float) -> None:
        running = self._running.get(call_id)
        if running is not None:
            running.timer = None
            self._apply(call_id, running.session.timer_expired(tag), now)

    def _lookup_done(
        self, call_id: str, session: IvrSession, action: act.Lookup, result: LookupResult
    ) -> None:
        running = self._running.get(call_id)
        if running is None or running.session is not session:
            return  # the caller left while the server was thinking
        if not result.ok:
            log.info("call %s: lookup %s failed: %s", call_id, action.url, result.problem)
        self._apply(call_id, session.lookup_finished(action.tag, result), self._clock.now())

    def _lookup_in_thread(self, action: act.Lookup, done: Callable[[LookupResult], None]) -> None:
        """Run the blocking request on a worker thread and report back on the event loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            done(LookupResult(False, problem="lookups need the daemon's event loop"))
            return

        async def lookup() -> None:
            try:
                result = await asyncio.wait_for(
                    asyncio.to_thread(run_lookup, action.url, action.timeout, action.fields),
                    action.timeout + _LOOKUP_GRACE,
                )
            except TimeoutError:
                result = LookupResult(False, problem=f"no answer within {action.timeout:g} s")
            done(result)

        task = loop.create_task(lookup())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _cancel_timer(self, running: _Running) -> None:
        if running.timer is not None:
            running.timer.cancel()
            running.timer = None

    def _drop(self, call_id: str) -> None:
        running = self._running.pop(call_id, None)
        if running is not None:
            self._cancel_timer(running)


def _recording_key(call_id: str, tag: str) -> str:
    return f"vm-{call_id}-{tag}"
