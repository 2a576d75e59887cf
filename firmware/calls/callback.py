"""In-queue callback: a waiting caller presses a key, hangs up, and is called back in turn.

The caller keeps their place: their queue entry stays in the ACD, held back
from ringing agents (the ACD skips an entry until its ``not_before``), with the
queue's max wait lifted, since the box promised a call. Callers behind them are
served meanwhile. Once nobody waits ahead of them and the estimated wait at the
head of the queue is about to run out (within :data:`LEAD_SECONDS`, measured
from when they reached the head, so callers behind taking the agents who free
up cannot starve them), the box calls them back: over an outbound route when one
covers their number (E1 or FXO trunk groups), else on the first free FXO line.
When they answer they hear a short greeting and wait at the head of the queue
as any caller does; the next free agent is theirs.

The figures stay honest because the ACD never sees a second caller: the queue
log has one ``enter`` (the original one), ``callback`` markers in between, and
one ``answer`` whose wait counts from that entry. A caller who cannot be
reached after :data:`MAX_ATTEMPTS` tries is logged as an abandon.
"""

from __future__ import annotations

import enum
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from firmware.acd.service import Acd, QueueEntry
from firmware.calls.analog import FxoPort
from firmware.calls.lines import TrunkPort
from firmware.calls.model import Call, CallState
from firmware.calls.queue_experience import QueueExperience, phrase
from firmware.calls.routing import OutboundCall, OutboundState, Router, RoutingError
from firmware.calls.timers import TimerHandle, Timers
from firmware.signaling.loopstart.errors import LocalProtocolError
from firmware.store.models import Queue, QueueEvent, QueueLogEntry

log = logging.getLogger(__name__)

# How often a waiting request looks at its place in the queue.
CHECK_SECONDS = 1.0
# Call back this long before the caller's estimated turn: ringing them takes time.
LEAD_SECONDS = 20.0
# Rings before a call back counts as not answered, and how often it is tried.
NO_ANSWER_SECONDS = 30.0
MAX_ATTEMPTS = 3
RETRY_SECONDS = 60.0
# A number the box can dial back: digits, an optional leading "+" dropped.
_DIALLABLE = re.compile(r"\+?([0-9]{3,20})")


class CallbackState(enum.Enum):
    WAITING = "waiting"  # the place is kept; the caller is on hook
    DIALLING = "dialling"  # the box is calling them back
    REACHED = "reached"  # they answered and wait at the head of the queue


class CallbackHost(Protocol):
    """What callbacks need from the call manager."""

    calls: dict[str, Call]

    def end_call(self, call_id: str, now: float, disposition: str) -> None:
        """Clear the call's line (the queue entry stays while the place is kept)."""
        ...

    def trunk_gone(self, port: TrunkPort, now: float) -> None:
        """The far end of ``port`` hung up."""
        ...


@dataclass
class CallbackRequest:
    """A caller who asked to be called back, from the key press to the answer."""

    call_id: str
    queue: str
    number: str
    requested: float
    state: CallbackState = CallbackState.WAITING
    attempts: int = 0
    head_eta: float | None = None
    not_before: float = 0.0
    port: TrunkPort | None = None
    outbound: OutboundCall | None = None
    timer: TimerHandle | None = None

    def view(self) -> dict:
        return {"call_id": self.call_id, "queue": self.queue, "number": self.number,
                "state": self.state.value, "attempts": self.attempts}


class _LineListener:
    """Hears what becomes of one attempt on an FXO line (FxoPort's TrunkListener)."""

    def __init__(self, owner: Callbacks, request: CallbackRequest, attempt: int) -> None:
        self._owner = owner
        self._request = request
        self._attempt = attempt

    def trunk_answered(self, port: FxoPort, now: float) -> None:
        if self._current():
            self._owner._answered(self._request, port, now)

    def trunk_gone(self, port: FxoPort, now: float, reason: str) -> None:
        if not self._current():
            port.hangup(now)
            return
        if self._request.state is CallbackState.REACHED:
            self._owner._host.trunk_gone(port, now)
        else:
            port.hangup(now)
            self._owner._attempt_failed(self._request, reason, now)

    def _current(self) -> bool:
        owner, request = self._owner, self._request
        return owner.requests.get(request.call_id) is request and request.attempts == self._attempt


class Callbacks:
    """Every callback request of the box, and the calls that honour them."""

    def __init__(
        self,
        host: CallbackHost,
        acd: Acd,
        experience: QueueExperience,
        router: Router,
        lines: Callable[[], Sequence[FxoPort]],
        timers: Timers,
        record: Callable[[QueueLogEntry], None],
        publish: Callable[[dict], None],
        wall: Callable[[], float],
    ) -> None:
        self._host = host
        self._acd = acd
        self._experience = experience
        self._router = router
        self._lines = lines
        self._timers = timers
        self._record = record
        self._publish = publish
        self._wall = wall
        self._queues: dict[str, Queue] = {}
        self.requests: dict[str, CallbackRequest] = {}

    def configure(self, queues: Sequence[Queue]) -> None:
        self._queues = {q.name: q for q in queues}

    def offered(self, queue: str, caller_number: str | None) -> bool:
        """Whether a caller of ``queue`` is told how to ask for a call back."""
        config = self._queues.get(queue)
        return bool(config and config.callback_digit) and _diallable(caller_number) is not None

    def keeps_place(self, call_id: str) -> bool:
        """Whether the call's queue entry outlives its line (the caller waits on hook)."""
        request = self.requests.get(call_id)
        return request is not None and request.state is not CallbackState.REACHED

    # -- the caller asks ------------------------------------------------------------------

    def digit(self, call: Call, digit: str, now: float) -> bool:
        """A waiting caller pressed ``digit``; True if it was the queue's callback key."""
        if call.state is not CallState.QUEUED or call.queue is None:
            return False
        config = self._queues.get(call.queue)
        if config is None or not config.callback_digit or digit != config.callback_digit:
            return False
        if call.id in self.requests:
            return True
        lang = self._experience.language(call.queue)
        number = _diallable(call.caller_number)
        if number is None:
            self._experience.say(call.id, [phrase(lang, "queue-callback-no-number")])
            return True
        entry = self._entry(call.id)
        if entry is None or entry.ringing:
            return False  # an agent's phone rings for them already
        _hold(entry)
        request = CallbackRequest(call.id, call.queue, number, now)
        self.requests[call.id] = request
        self._log(request, f"requested|{number}")
        self._publish({"type": "callback-requested", **request.view()})
        self._experience.say(
            call.id, [phrase(lang, "queue-callback-ok")],
            then=lambda t, cid=call.id: self._host.end_call(cid, t, "callback"),
        )
        self._arm(request, now + CHECK_SECONDS)
        return True

    def call_ended(self, call_id: str, now: float) -> None:
        """The manager cleared a call; a reached call back is then done."""
        request = self.requests.get(call_id)
        if request is not None and request.state is CallbackState.REACHED:
            self._forget(request)

    def views(self) -> list[dict]:
        return [r.view() for r in self.requests.values()]

    # -- waiting for the turn -------------------------------------------------------------

    def _arm(self, request: CallbackRequest, when: float) -> None:
        if request.timer is not None:
            request.timer.cancel()
        request.timer = self._timers.call_at(when, lambda t, r=request: self._check(r, t))

    def _check(self, request: CallbackRequest, now: float) -> None:
        if self.requests.get(request.call_id) is not request:
            return
        if request.state is not CallbackState.WAITING:
            return
        estimate = self._acd.position_and_wait(request.call_id, now)
        if estimate is None:
            # The queue let the caller go (it was removed, or nobody is logged in any more).
            log.info("call back of %s dropped: no longer in queue %s", request.number,
                     request.queue)
            self._forget(request)
            return
        if estimate.position == 1 and now >= request.not_before and self._turn_near(
            request, estimate.ewt, now
        ):
            self._dial(request, now)
            return
        self._arm(request, now + CHECK_SECONDS)

    def _turn_near(self, request: CallbackRequest, ewt: float | None, now: float) -> bool:
        """Whether the caller at the head of the queue should be rung now.

        Without an estimate (no call handled yet, or nobody working), only a
        free agent says the turn has come. With one, the turn is near when the
        estimate is within the lead, or when the estimate made on reaching
        the head has nearly run out (agents who free up meanwhile go to the
        callers behind, so the estimate alone might never fall).
        """
        if ewt is None:
            status = next(
                (q for q in self._acd.queue_status(now) if q["name"] == request.queue), None
            )
            return status is not None and status["agents_available"] > 0
        if request.head_eta is None:
            request.head_eta = now + ewt
        return ewt <= LEAD_SECONDS or now >= request.head_eta - LEAD_SECONDS

    # -- calling back -------------------------------------------------------------------------

    def _dial(self, request: CallbackRequest, now: float) -> None:
        request.attempts += 1
        request.state = CallbackState.DIALLING
        self._log(request, f"dialled|{request.attempts}")
        problem = None
        if self._router.route_for(request.number) is not None:
            try:
                request.outbound = self._router.place(
                    request.number, now, lambda out, t, r=request: self._outbound_changed(r, out, t)
                )
            except RoutingError as exc:
                problem = str(exc)
            else:
                if request.outbound.state is OutboundState.FAILED:
                    problem = f"cause {request.outbound.cause}"  # failed before place returned
        else:
            problem = self._dial_line(request, now)
        if problem is not None:
            self._attempt_failed(request, problem, now)
            return
        if request.state is CallbackState.DIALLING:
            request.timer = self._timers.call_at(
                now + NO_ANSWER_SECONDS, lambda t, r=request, n=request.attempts:
                self._no_answer(r, n, t)
            )

    def _dial_line(self, request: CallbackRequest, now: float) -> str | None:
        for port in self._lines():
            if not port.is_free:
                continue
            try:
                port.dial(request.number, now, _LineListener(self, request, request.attempts))
            except LocalProtocolError:
                continue
            request.port = port
            return None
        return "no free line"

    def _outbound_changed(self, request: CallbackRequest, out: OutboundCall, now: float) -> None:
        if self.requests.get(request.call_id) is not request or request.outbound is not out:
            return
        if out.state is OutboundState.ANSWERED and out.port is not None:
            self._answered(request, out.port, now)
        elif out.state is OutboundState.FAILED:
            self._attempt_failed(request, f"cause {out.cause}", now)
        elif (
            out.state is OutboundState.ENDED and request.port is not None
            and request.state is CallbackState.REACHED
        ):
            self._host.trunk_gone(request.port, now)

    def _no_answer(self, request: CallbackRequest, attempt: int, now: float) -> None:
        if (
            self.requests.get(request.call_id) is not request
            or request.state is not CallbackState.DIALLING
            or request.attempts != attempt
        ):
            return
        self._hang_up_attempt(request, now)
        self._attempt_failed(request, "no answer", now)

    def _hang_up_attempt(self, request: CallbackRequest, now: float) -> None:
        outbound, port = request.outbound, request.port
        request.outbound = request.port = None
        if outbound is not None:
            outbound.hangup(now)
        elif port is not None:
            port.hangup(now)

    def _attempt_failed(self, request: CallbackRequest, why: str, now: float) -> None:
        if self.requests.get(request.call_id) is not request:
            return
        if request.state is CallbackState.REACHED:
            return
        request.outbound = request.port = None
        log.info("call back %s of %s failed: %s", request.attempts, request.number, why)
        if request.attempts < MAX_ATTEMPTS:
            request.state = CallbackState.WAITING
            request.not_before = now + RETRY_SECONDS
            self._arm(request, request.not_before)
            return
        self._log(request, f"failed|{why}")
        self._publish({"type": "callback-failed", **request.view(), "reason": why})
        self._forget(request)
        # The caller could not be reached: for the figures, an abandon at this moment.
        self._acd.caller_hung_up(request.call_id, now)

    def _answered(self, request: CallbackRequest, port: TrunkPort, now: float) -> None:
        if request.timer is not None:
            request.timer.cancel()
        request.state = CallbackState.REACHED
        request.port = port
        call = Call(
            id=request.call_id, port=port.channel, port_name=port.info.name, direction="out",
            caller_number=request.number, caller_name=None, started=now,
            started_wall=self._wall(), state=CallState.QUEUED,
            destination=f"queue:{request.queue}", queue=request.queue,
        )
        self._host.calls[call.id] = call
        port.call_id = call.id
        self._log(request, "reached")
        self._publish({"type": "callback-reached", **request.view(), "port": port.info.name})
        lang = self._experience.language(request.queue)
        self._experience.start(
            call.id, port.channel, request.queue, now,
            first=[phrase(lang, "queue-callback-hello")],
        )
        entry = self._entry(call.id)
        if entry is None:
            # The entry went while the phone rang (the queue was removed): nothing to wait for.
            self._host.end_call(call.id, now, "failed")
            return
        entry.not_before = 0.0
        self._acd.dispatch(now)

    # -- inside ---------------------------------------------------------------------------

    def _entry(self, call_id: str) -> QueueEntry | None:
        queue = self._acd.queue_of(call_id)
        for entry in self._acd.waiting.get(queue or "", ()):
            if entry.call_id == call_id:
                return entry
        return None

    def _forget(self, request: CallbackRequest) -> None:
        if request.timer is not None:
            request.timer.cancel()
        self.requests.pop(request.call_id, None)

    def _log(self, request: CallbackRequest, data: str) -> None:
        self._record(QueueLogEntry(
            self._wall(), request.call_id, request.queue, None, QueueEvent.CALLBACK, data
        ))


def _hold(entry: QueueEntry) -> None:
    """Keep the entry's place without ringing agents for it, and lift its max wait."""
    entry.not_before = math.inf
    if entry.exit_timer is not None:
        entry.exit_timer.cancel()
        entry.exit_timer = None


def _diallable(number: str | None) -> str | None:
    """The digits to dial back ``number``; None when it cannot be called."""
    if number is None:
        return None
    found = _DIALLABLE.fullmatch(number.strip())
    return found.group(1) if found else None
