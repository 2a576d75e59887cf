"""Listen, whisper and barge: a supervisor's phone joins a live call, and every use is logged.

A supervisor is a phone on the box: named by an agent's extension or by its FXS
port. Asked (from the wallboard, through the control socket) to supervise a
connected call, the box rings that phone; when it is picked up, the media
engine mixes it into the call in the chosen mode (:mod:`firmware.media.mixing`):

- listen: the supervisor hears caller and agent, nobody hears the supervisor;
- whisper: the agent hears the supervisor too, the caller does not;
- barge: all three hear each other.

The mode can change while on the call. The supervisor leaves by hanging up
or from the wallboard; a call that ends takes the supervisor off with it (the
phone gets busy tone). Every step is a :class:`SupervisionEntry` row, so the
log shows who listened to which call, how, and for how long.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from firmware.calls.analog import FxsPort
from firmware.calls.model import Call, CallState
from firmware.calls.timers import TimerHandle, Timers
from firmware.media.engine import MediaEngine, MediaError
from firmware.signaling.loopstart.events import CallerInfo
from firmware.store.recordings import SupervisionEntry, SupervisionEvent, SupervisionMode

log = logging.getLogger(__name__)

# How long the supervisor's phone rings before the request lapses.
RING_SECONDS = 30.0
_CALL_ID_PREFIX = "supervise:"


class SupervisionError(ValueError):
    """A supervision request that cannot be carried out, in a sentence for the wallboard."""


class _Stage(enum.Enum):
    RINGING = "ringing"
    ON_CALL = "on-call"


@dataclass
class _Session:
    supervisor: str
    phone: FxsPort
    call_id: str
    mode: SupervisionMode
    stage: _Stage = _Stage.RINGING
    timer: TimerHandle | None = None

    def view(self) -> dict:
        return {"supervisor": self.supervisor, "port": self.phone.info.name,
                "call_id": self.call_id, "mode": self.mode.value, "state": self.stage.value}


def _mode(raw: object) -> SupervisionMode:
    try:
        return SupervisionMode(raw)
    except ValueError:
        raise SupervisionError(
            f"mode must be listen, whisper or barge, not {raw!r}"
        ) from None


class Supervision:
    """Supervisors on calls: at most one session per supervisor phone."""

    def __init__(
        self,
        engine: MediaEngine,
        timers: Timers,
        calls: dict[str, Call],
        phone_of: Callable[[str], FxsPort | None],
        record: Callable[[SupervisionEntry], None],
        publish: Callable[[dict], None],
        wall: Callable[[], float],
    ) -> None:
        self._engine = engine
        self._timers = timers
        self._calls = calls
        self._phone_of = phone_of
        self._record = record
        self._publish = publish
        self._wall = wall
        self._sessions: dict[int, _Session] = {}  # by the supervisor phone's channel

    # -- requests (control commands) ------------------------------------------------------

    def start(self, supervisor: str, call_id: str, mode: str, now: float) -> dict:
        """Ring ``supervisor``'s phone to join ``call_id`` in ``mode``."""
        how = _mode(mode)
        if not isinstance(supervisor, str) or not supervisor.strip():
            raise SupervisionError("name the supervisor's extension or phone port")
        phone = self._phone_of(supervisor.strip())
        if phone is None:
            raise SupervisionError(f"no phone has extension or port {supervisor!r}")
        call = self._connected(call_id)
        if phone.channel in (call.port, call.agent_port):
            raise SupervisionError("a supervisor cannot supervise a call on their own phone")
        if phone.channel in self._sessions:
            raise SupervisionError(f"{phone.info.name} is already supervising a call")
        if not phone.can_ring:
            raise SupervisionError(f"{phone.info.name} is busy; hang it up and try again")
        session = _Session(supervisor.strip(), phone, call_id, how)
        self._sessions[phone.channel] = session
        phone.call_id = _CALL_ID_PREFIX + call_id
        phone.ring(now, CallerInfo(call.caller_number, f"{how.value} {call.agent or ''}".strip()))
        session.timer = self._timers.call_at(
            now + RING_SECONDS, lambda t, s=session: self._unanswered(s, t)
        )
        self._log(session, SupervisionEvent.RING, call)
        return session.view()

    def change_mode(self, supervisor: str, mode: str, now: float) -> dict:
        """Switch a supervisor already on a call (or still ringing) to ``mode``."""
        how = _mode(mode)
        session = self._session_of(supervisor)
        if how is session.mode:
            return session.view()
        session.mode = how
        if session.stage is _Stage.ON_CALL:
            call = self._calls.get(session.call_id)
            if call is None or call.agent_port is None:
                raise SupervisionError(f"call {session.call_id} has ended")
            try:
                self._engine.monitor(session.phone.channel, (call.port, call.agent_port), how.value)
            except MediaError as exc:
                raise SupervisionError(str(exc)) from None
            self._log(session, SupervisionEvent.MODE, call)
        return session.view()

    def stop(self, supervisor: str, now: float) -> dict:
        """Take the supervisor off the call; their phone gets busy tone."""
        session = self._session_of(supervisor)
        self._end(session, now)
        return session.view()

    def views(self) -> list[dict]:
        return [s.view() for s in self._sessions.values()]

    # -- the call manager's side ----------------------------------------------------------

    def answered(self, phone: FxsPort, now: float) -> bool:
        """A phone was picked up; True if it was a supervisor being rung."""
        session = self._sessions.get(phone.channel)
        if session is None or session.stage is not _Stage.RINGING:
            return False
        if session.timer is not None:
            session.timer.cancel()
        call = self._calls.get(session.call_id)
        if call is None or call.agent_port is None or call.state is not CallState.CONNECTED:
            self._end(session, now)
            return True
        phone.connect(now)
        try:
            self._engine.monitor(phone.channel, (call.port, call.agent_port), session.mode.value)
        except MediaError as exc:
            log.error("supervision of %s failed: %s", session.call_id, exc)
            self._end(session, now)
            return True
        session.stage = _Stage.ON_CALL
        self._log(session, SupervisionEvent.START, call)
        return True

    def hung_up(self, phone: FxsPort, now: float) -> bool:
        """A phone hung up; True if it was a supervisor's (who has then left)."""
        session = self._sessions.pop(phone.channel, None)
        if session is None:
            return False
        if session.timer is not None:
            session.timer.cancel()
        phone.call_id = None
        if session.stage is _Stage.ON_CALL:
            self._engine.stop_monitor(phone.channel)
        self._log(session, SupervisionEvent.STOP, self._calls.get(session.call_id))
        return True

    def call_ended(self, call_id: str, now: float) -> None:
        """The supervised call is over: every supervisor on it leaves."""
        for session in [s for s in self._sessions.values() if s.call_id == call_id]:
            self._end(session, now)

    # -- inside ---------------------------------------------------------------------------

    def _connected(self, call_id: str) -> Call:
        call = self._calls.get(call_id) if isinstance(call_id, str) else None
        if call is None:
            raise SupervisionError(f"no call {call_id!r} in progress")
        if call.state is not CallState.CONNECTED or call.agent_port is None:
            raise SupervisionError(f"call {call_id} is not connected to an agent yet")
        return call

    def _session_of(self, supervisor: str) -> _Session:
        phone = self._phone_of(supervisor.strip()) if isinstance(supervisor, str) else None
        session = self._sessions.get(phone.channel) if phone is not None else None
        if session is None:
            raise SupervisionError(f"{supervisor!r} is not supervising a call")
        return session

    def _unanswered(self, session: _Session, now: float) -> None:
        if self._sessions.get(session.phone.channel) is session and (
            session.stage is _Stage.RINGING
        ):
            self._end(session, now)

    def _end(self, session: _Session, now: float) -> None:
        if self._sessions.get(session.phone.channel) is not session:
            return
        del self._sessions[session.phone.channel]
        if session.timer is not None:
            session.timer.cancel()
        phone = session.phone
        phone.call_id = None
        if session.stage is _Stage.ON_CALL:
            self._engine.stop_monitor(phone.channel)
            phone.release(now)
        else:
            phone.stop_ring(now)
        self._log(session, SupervisionEvent.STOP, self._calls.get(session.call_id))

    def _log(self, session: _Session, event: SupervisionEvent, call: Call | None) -> None:
        agent = call.agent if call is not None else None
        self._record(SupervisionEntry(
            self._wall(), session.supervisor, session.call_id, agent, session.mode, event
        ))
        self._publish({"type": "supervision", "event": event.value, **session.view()})
