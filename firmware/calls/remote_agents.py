"""Remote agents: queue calls put through to an agent's own phone over a trunk.

An agent with a remote number instead of an FXS port is reached by an outbound
call through the :class:`~firmware.calls.routing.Router` (E1 spans, FXO lines).
The ACD sees no difference: the call manager hands ringing, cancelling and
connecting such agents to :class:`RemoteAgents`, which keeps one
:class:`RemoteLine` per agent line.

Per call: ringing the agent places a call to their number. When it is answered
(CONNECT on E1, answer detection on a line) the agent hears a short whisper,
"queue call from <queue>", and presses 1 to take the call; only then does the
ACD count an answer and bridge the caller. A voicemail or a person who does not
press 1 within :data:`ACCEPT_SECONDS` (or presses another key) is a ring with no
answer, and the ACD tries the next agent. The name of the queue is said when a
prompt named ``whisper-<queue>`` exists (a recording the technician uploads).

Nailed-up: the agent's line stays open between calls. It is opened by the box
calling the agent when they log in (agent page, console, API), or by the agent
calling in on a route to the built-in flow :data:`AGENT_LOGIN_FLOW`; either way
they log in on the line with their PIN (extension first when they called in).
While the line is open the agent is logged in to the ACD; each queue call is
bridged onto the line at once (with a short beep) and unbridged at its end, the
line staying up. On the line, ``*`` ends the current call and ``#`` between
calls logs out. Logging out by any means, or hanging up, ends the line.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import itertools
import logging
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from werkzeug.security import check_password_hash, generate_password_hash

from firmware.acd.agents import AgentRuntime
from firmware.acd.service import Acd, AcdError
from firmware.calls import agent_login as login
from firmware.calls.lines import TrunkPort
from firmware.calls.model import Call, CallState
from firmware.calls.routing import OutboundCall, OutboundState, Router, RoutingError
from firmware.calls.timers import TimerHandle, Timers
from firmware.ivr.actions import CancelTimer, Play, StartTimer, StopPlayout
from firmware.ivr.prompts import PromptLibrary
from firmware.media import events as media_events
from firmware.media.engine import MediaEngine, MediaError
from firmware.media.prompts import PromptError
from firmware.store.models import AGENT_LOGIN_FLOW, Agent, Language, RemoteMode
from hal.clock import Clock

__all__ = [
    "AGENT_LOGIN_FLOW", "PHRASES", "LineState", "RemoteAgents", "RemoteHost", "RemoteLine",
    "pin_matches",
]

log = logging.getLogger(__name__)

ACCEPT_KEY = "1"
END_CALL_KEY = "*"
LOGOUT_KEY = "#"
# After the whisper, how long the agent has to press the accept key.
ACCEPT_SECONDS = 8.0
# How long the box lets the agent's phone ring when it calls them to log in.
LOGIN_DIAL_SECONDS = 45.0
ZIP_TONE = "beep"
GOODBYE = "goodbye"
# Tags of the playout on agents' lines, so their PromptFinished comes back here.
TAG_PREFIX = "remote-"

# What the phrases say, per language; each is the file "<lang>/<name>.wav".
PHRASES: dict[Language, dict[str, str]] = {
    Language.PL: {
        "remote-call-from": "Połączenie z kolejki",
        "remote-press-1": "Naciśnij jeden, aby odebrać, lub inny klawisz, aby odrzucić.",
        "remote-login-extension": "Podaj swój numer wewnętrzny i naciśnij krzyżyk.",
        "remote-login-pin": "Podaj swój PIN i naciśnij krzyżyk.",
        "remote-login-refused": "Numer i PIN nie pasują do siebie. Spróbuj ponownie.",
        "remote-login-ok": (
            "Jesteś zalogowany. Połączenia z kolejek trafią na tę linię. "
            "Gwiazdka kończy rozmowę, krzyżyk wylogowuje."
        ),
    },
    Language.EN: {
        "remote-call-from": "Queue call from",
        "remote-press-1": "Press 1 to take the call, or any other key to refuse it.",
        "remote-login-extension": "Please enter your extension, then the hash key.",
        "remote-login-pin": "Please enter your PIN, then the hash key.",
        "remote-login-refused": "That extension and PIN do not match. Please try again.",
        "remote-login-ok": (
            "You are logged in. Queue calls will come through on this line. "
            "Press star to end a call, and hash to log out."
        ),
    },
    Language.FR: {
        "remote-call-from": "Appel de la file",
        "remote-press-1": "Appuyez sur 1 pour prendre l'appel, ou sur une autre touche pour le "
                          "refuser.",
        "remote-login-extension": "Saisissez votre numéro de poste, puis la touche dièse.",
        "remote-login-pin": "Saisissez votre code PIN, puis la touche dièse.",
        "remote-login-refused": "Le poste et le code ne correspondent pas. Veuillez réessayer.",
        "remote-login-ok": (
            "Vous êtes connecté. Les appels des files arriveront sur cette ligne. "
            "Étoile termine un appel, dièse vous déconnecte."
        ),
    },
}


class LineState(enum.Enum):
    DIALLING = "dialling"  # the box is calling the agent's phone
    OFFERING = "offering"  # per call: answered, whisper and the accept key
    LOGIN = "login"  # nailed-up: extension and PIN being entered
    WELCOME = "welcome"  # nailed-up: logged in, the confirmation plays
    IDLE = "idle"  # nailed-up: open, no call
    RESERVED = "reserved"  # nailed-up: a caller is about to be bridged
    CONNECTED = "connected"  # bridged to a caller
    ENDING = "ending"  # goodbye plays, then the line is hung up


# States in which a nailed-up line counts as open (the agent is logged in to the ACD).
_OPEN = frozenset({LineState.IDLE, LineState.RESERVED, LineState.CONNECTED})


class RemoteHost(Protocol):
    """What remote agents need from the call manager."""

    calls: dict[str, Call]

    def end_call(self, call_id: str, now: float, disposition: str) -> None:
        """Clear both legs of a call (the caller's and the agent's) and write its CDR."""
        ...


@dataclass
class RemoteLine:
    """One call between the box and a remote agent's phone.

    ``agent`` is "" on a line an agent called in on, until their PIN says who
    they are. ``outbound`` is the box's call to the agent; ``login_call`` the
    manager's call an agent placed to log in. ``call_id`` is the queue call
    offered to or bridged with the agent.
    """

    id: str
    agent: str
    mode: RemoteMode
    state: LineState
    outbound: OutboundCall | None = None
    inbound: TrunkPort | None = None
    login_call: str | None = None
    call_id: str | None = None
    queue: str | None = None
    login: login.AgentLogin | None = None
    timer: TimerHandle | None = None
    whisper: list[str] = field(default_factory=list)
    seq: int = 0

    @property
    def port(self) -> TrunkPort | None:
        if self.outbound is not None:
            return self.outbound.port
        return self.inbound

    @property
    def channel(self) -> int | None:
        port = self.port
        return None if port is None else port.channel

    def view(self) -> dict[str, Any]:
        port = self.port
        return {"line": self.id, "agent": self.agent or None, "mode": self.mode.value,
                "state": self.state.value, "call_id": self.call_id,
                "port": port.info.name if port is not None else None}


PinCheck = Callable[[str, str, Callable[[str | None], None]], None]


class RemoteAgents:
    """Every remote agent of the box and the lines to their phones."""

    def __init__(
        self,
        host: RemoteHost,
        acd: Acd,
        router: Router,
        engine: MediaEngine,
        prompts: PromptLibrary,
        timers: Timers,
        clock: Clock,
        publish: Callable[[dict[str, Any]], None],
        language: Callable[[str], Language],
        pin_check: PinCheck | None = None,
    ) -> None:
        self._host = host
        self._clock = clock
        self._acd = acd
        self._router = router
        self._engine = engine
        self._prompts = prompts
        self._timers = timers
        self._publish = publish
        self._language = language
        self._check_pin = pin_check or self._check_pin_in_thread
        self._agents: dict[str, Agent] = {}
        self._pins: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        # Queue call -> the remote line's channel it was bridged to (for the call's end).
        self._bridged: dict[str, int] = {}
        self.lines: dict[str, RemoteLine] = {}

    # -- configuration ----------------------------------------------------------------------

    def configure(
        self, agents: Sequence[Agent], pins: Sequence[tuple[str, str]], now: float
    ) -> list[Agent]:
        """Take the remote agents of a new configuration; returns them as the ACD should see them.

        A nailed-up agent is logged in to the ACD only while their line is open.
        Lines of agents removed, switched to per call or no longer allowed to
        take calls are closed (a call in progress ends first).
        """
        remote = [a for a in agents if a.remote]
        self._agents = {a.name: a for a in remote}
        self._pins = dict(pins)
        seen: list[Agent] = []
        for agent in remote:
            if agent.remote_mode is RemoteMode.NAILED_UP:
                line = self._line_of(agent.name)
                is_open = line is not None and line.state in _OPEN
                seen.append(replace(agent, logged_in=agent.logged_in and is_open))
            else:
                seen.append(agent)
        for line in list(self.lines.values()):
            agent = self._agents.get(line.agent)
            if not line.agent or line.mode is not RemoteMode.NAILED_UP:
                continue
            if agent is None or agent.remote_mode is not RemoteMode.NAILED_UP or (
                not agent.logged_in
            ):
                # After the ACD has taken the new configuration.
                self._timers.call_at(now, lambda t, ln=line: self._close(ln, t))
        return seen

    def handles(self, agent: str) -> bool:
        """Whether ``agent`` is remote (so their calls go through here, not to a phone port)."""
        return agent in self._agents

    def channel(self, agent: str) -> int | None:
        """The channel of the agent's line, to bridge a caller to."""
        line = self._line_of(agent)
        return None if line is None else line.channel

    def views(self) -> list[dict[str, Any]]:
        return [line.view() for line in self.lines.values()]

    # -- AgentLine, as the call manager passes it on ------------------------------------

    def ring(self, runtime: AgentRuntime, call_id: str, now: float) -> bool:
        """Offer ``call_id`` to a remote agent; False when they cannot be reached now."""
        call = self._host.calls.get(call_id)
        agent = self._agents.get(runtime.name)
        if call is None or agent is None:
            return False
        line = self._line_of(agent.name)
        if agent.remote_mode is RemoteMode.NAILED_UP:
            if line is None or line.state is not LineState.IDLE:
                return False
            line.state, line.call_id, line.queue = LineState.RESERVED, call_id, call.queue
            call.state = CallState.RINGING
            # Bridged at once, but only after the ACD has noted the ring it is making.
            self._timers.call_at(now, lambda t, ln=line, c=call_id: self._take(ln, c, t))
            return True
        if line is not None:
            return False  # already offered another caller
        line = RemoteLine(f"r{next(self._ids)}", agent.name, agent.remote_mode,
                          LineState.DIALLING, call_id=call_id, queue=call.queue)
        if not self._dial(line, agent, now):
            return False
        call.state = CallState.RINGING
        return True

    def cancel_ring(self, runtime: AgentRuntime, call_id: str, now: float) -> None:
        """The ACD no longer offers ``call_id`` to the agent (timeout, another agent, hang-up)."""
        line = self._line_of(runtime.name)
        if line is not None and line.call_id == call_id:
            if line.state is LineState.RESERVED:
                line.state, line.call_id = LineState.IDLE, None
            elif line.state in (LineState.DIALLING, LineState.OFFERING):
                self._hang_up(line, now)
        call = self._host.calls.get(call_id)
        offered = any(
            ln.call_id == call_id and ln.state in (
                LineState.DIALLING, LineState.OFFERING, LineState.RESERVED
            ) for ln in self.lines.values()
        )
        if (
            call is not None and call.state is CallState.RINGING and not call.ringing_ports
            and not offered
        ):
            call.state = CallState.QUEUED

    def connected(self, agent: str, call_id: str, now: float) -> None:
        """The manager has bridged ``call_id`` to the agent's line."""
        line = self._line_of(agent)
        if line is None or line.channel is None:
            return
        line.state, line.call_id = LineState.CONNECTED, call_id
        self._bridged[call_id] = line.channel
        self._cancel_timer(line)
        if line.mode is RemoteMode.NAILED_UP:
            # The zip tone: the agent on an open line hears that a caller is there.
            self._play(line, [ZIP_TONE], now)
        self._changed(line)

    def call_ended(self, call: Call, now: float) -> bool:
        """A call has ended; True when its agent leg was a remote line (cleared here)."""
        for line in list(self.lines.values()):
            if line.login_call == call.id:
                line.login_call = line.inbound = None  # the manager hangs that line up
                self._line_gone(line, now)
            elif line.call_id == call.id:
                self._call_over(line, now)
        return self._bridged.pop(call.id, None) is not None

    def agent_state(self, agent: str, now: float) -> None:
        """The ACD changed an agent's state (login, logout…): open or close a nailed-up line.

        Runs after the ACD has finished what it is doing.
        """
        if agent in self._agents:
            self._timers.call_at(now, lambda t: self._presence(agent, t))

    def login_call(self, call: Call, port: TrunkPort, now: float) -> None:
        """An answered call on the built-in login flow: the caller may open a nailed-up line."""
        line = RemoteLine(f"r{next(self._ids)}", "", RemoteMode.NAILED_UP, LineState.LOGIN,
                          inbound=port, login_call=call.id)
        call.state = CallState.IVR
        self.lines[line.id] = line
        line.login = login.AgentLogin(self._language("").value)
        self._run_login(line, line.login.start(), now)

    # -- media events on agents' lines ------------------------------------------------------

    def on_media(self, event: media_events.MediaEvent, now: float) -> bool:
        """Digits and prompt ends on a remote line; True when the event was this line's."""
        channel = getattr(event, "channel", None)
        if channel is None:
            return False
        line = next((ln for ln in self.lines.values() if ln.channel == channel), None)
        if line is None:
            return False
        if isinstance(event, media_events.DigitDetected):
            self._digit(line, event.digit, now)
            return True
        if isinstance(event, media_events.PromptFinished) and event.tag.startswith(TAG_PREFIX):
            self._prompt_finished(line, event.tag, now)
            return True
        return False

    def _digit(self, line: RemoteLine, digit: str, now: float) -> None:
        if line.state is LineState.OFFERING:
            if digit == ACCEPT_KEY:
                self._accept(line, now)
            else:
                self._not_taken(line, now, f"key {digit} refused the call")
        elif line.state is LineState.LOGIN and line.login is not None:
            self._run_login(line, line.login.digit(digit), now)
        elif line.state is LineState.IDLE and digit == LOGOUT_KEY:
            self._close(line, now)
        elif (
            line.state is LineState.CONNECTED and line.mode is RemoteMode.NAILED_UP
            and digit == END_CALL_KEY and line.call_id is not None
        ):
            self._agent_ends_call(line, now)

    def _prompt_finished(self, line: RemoteLine, tag: str, now: float) -> None:
        seq, _, inner = tag.removeprefix(TAG_PREFIX).partition(":")
        if seq != str(line.seq):
            return  # a playout that was replaced
        if line.state is LineState.OFFERING:
            if line.whisper:
                self._play(line, line.whisper, now)
            else:
                self._arm(line, now + ACCEPT_SECONDS,
                          lambda t: self._not_taken(line, t, "no key pressed"))
        elif line.state is LineState.LOGIN and line.login is not None:
            self._run_login(line, line.login.prompt_finished(inner), now)
        elif line.state is LineState.WELCOME:
            self._open(line, now)
        elif line.state is LineState.ENDING:
            self._hang_up(line, now)

    # -- per call -------------------------------------------------------------------------

    def _dial(self, line: RemoteLine, agent: Agent, now: float) -> bool:
        def changed(out: OutboundCall, t: float) -> None:
            self._outbound_changed(line, out, t)

        try:
            out = self._router.place(agent.remote_number, now, changed)
        except RoutingError as exc:
            log.warning("remote agent %s cannot be called: %s", agent.name, exc)
            return False
        if out.finished:
            log.info("remote agent %s cannot be called now (cause %s)", agent.name, out.cause)
            return False
        line.outbound = out
        self.lines[line.id] = line
        self._changed(line)
        return True

    def _outbound_changed(self, line: RemoteLine, out: OutboundCall, now: float) -> None:
        if self.lines.get(line.id) is not line or line.outbound is not out:
            return
        if out.state is OutboundState.ANSWERED and line.state is LineState.DIALLING:
            self._answered(line, now)
        elif out.state is OutboundState.FAILED:
            self._unreachable(line, now, f"cause {out.cause}")
        elif out.state is OutboundState.ENDED:
            self._far_end_gone(line, now)

    def _answered(self, line: RemoteLine, now: float) -> None:
        self._cancel_timer(line)
        if line.mode is RemoteMode.NAILED_UP:
            agent = self._agents.get(line.agent)
            line.state = LineState.LOGIN
            line.login = login.AgentLogin(
                self._language("").value, agent.extension if agent is not None else None
            )
            self._changed(line)
            self._run_login(line, line.login.start(), now)
            return
        line.state = LineState.OFFERING
        lang = self._language(line.queue or "")
        named = f"whisper-{line.queue}"
        whisper = [f"{lang.value}/remote-call-from"]
        with suppress(PromptError):
            self._prompts.path(named)
            whisper.append(named)
        whisper.append(f"{lang.value}/remote-press-1")
        self._changed(line)
        self._play(line, whisper, now)

    def _accept(self, line: RemoteLine, now: float) -> None:
        self._cancel_timer(line)
        channel = line.channel
        if channel is not None:
            self._engine.stop_playout(channel)
        call_id = line.call_id
        if call_id is not None:
            self._acd.agent_answered(line.agent, call_id, now)
        if line.state is LineState.OFFERING:
            # The ACD no longer offers that caller to this agent: nothing to take.
            self._hang_up(line, now)

    def _not_taken(self, line: RemoteLine, now: float, why: str) -> None:
        """Voicemail, silence or a refusal: for the ACD a ring that was not answered."""
        if self.lines.get(line.id) is not line or line.state is not LineState.OFFERING:
            return
        log.info("remote agent %s did not take call %s: %s", line.agent, line.call_id, why)
        call_id = line.call_id
        self._hang_up(line, now)
        if call_id is not None:
            self._acd.agent_ring_failed(line.agent, call_id, now)

    def _unreachable(self, line: RemoteLine, now: float, why: str) -> None:
        log.info("remote agent %s not reached: %s", line.agent or line.id, why)
        self._forget(line)
        if line.mode is RemoteMode.NAILED_UP:
            self._logout(line.agent, now)
        elif line.call_id is not None:
            self._acd.agent_ring_failed(line.agent, line.call_id, now)
        self._publish({"type": "remote-agent-unreachable", "agent": line.agent, "reason": why})

    def _far_end_gone(self, line: RemoteLine, now: float) -> None:
        """The agent hung up their phone."""
        if line.mode is RemoteMode.NAILED_UP:
            self._line_gone(line, now)
            return
        if line.state is LineState.CONNECTED and line.call_id is not None:
            # As when an agent hangs up a desk phone; call_ended then forgets the line.
            self._acd.agent_hung_up(line.agent, now)
            self._host.end_call(line.call_id, now, "answered")
            self._forget(line)
            return
        call_id = line.call_id
        self._forget(line)
        if call_id is not None:
            self._acd.agent_ring_failed(line.agent, call_id, now)

    def _call_over(self, line: RemoteLine, now: float) -> None:
        """The queue call on the line has ended (either side, or the ACD dropped it)."""
        if line.mode is RemoteMode.PER_CALL:
            self._hang_up(line, now)
            return
        channel = line.channel
        if channel is not None and line.state is LineState.CONNECTED:
            self._engine.unbridge(channel)
            self._engine.stop_playout(channel)
        if line.state in (LineState.CONNECTED, LineState.RESERVED):
            line.state, line.call_id = LineState.IDLE, None
            self._changed(line)
            runtime = self._acd.agents.get(line.agent)
            if line.agent not in self._agents or runtime is None or not runtime.logged_in:
                self._close(line, now)  # logged out (or removed) during the call

    # -- nailed-up --------------------------------------------------------------------------

    def _presence(self, name: str, now: float) -> None:
        agent = self._agents.get(name)
        runtime = self._acd.agents.get(name)
        if agent is None or runtime is None or agent.remote_mode is not RemoteMode.NAILED_UP:
            return
        line = self._line_of(name)
        if not runtime.logged_in:
            if line is not None and line.state is not LineState.ENDING:
                self._close(line, now)
        elif line is None:
            # Logged in from the agent page or the console: call them to open the line.
            line = RemoteLine(f"r{next(self._ids)}", name, RemoteMode.NAILED_UP,
                              LineState.DIALLING)
            if not self._dial(line, agent, now):
                self._logout(name, now)
                return
            self._arm(line, now + LOGIN_DIAL_SECONDS,
                      lambda t: self._login_unanswered(line, t))

    def _login_unanswered(self, line: RemoteLine, now: float) -> None:
        if self.lines.get(line.id) is line and line.state is LineState.DIALLING:
            self._hang_up(line, now)
            self._logout(line.agent, now)

    def _take(self, line: RemoteLine, call_id: str, now: float) -> None:
        if self.lines.get(line.id) is not line or line.call_id != call_id:
            return
        if line.state is LineState.RESERVED:
            self._acd.agent_answered(line.agent, call_id, now)
        if line.state is LineState.RESERVED:
            line.state, line.call_id = LineState.IDLE, None  # the caller left meanwhile

    def _agent_ends_call(self, line: RemoteLine, now: float) -> None:
        call_id = line.call_id
        assert call_id is not None
        self._acd.agent_hung_up(line.agent, now)
        self._host.end_call(call_id, now, "answered")

    def _run_login(self, line: RemoteLine, actions: Sequence[login.LoginAction],
                   now: float) -> None:
        for action in actions:
            if self.lines.get(line.id) is not line:
                return
            match action:
                case Play(prompt=prompt, tag=tag):
                    self._play(line, [prompt], now, inner=tag)
                case StopPlayout():
                    if line.channel is not None:
                        self._engine.stop_playout(line.channel)
                case StartTimer(seconds=seconds, tag=tag):
                    session = line.login
                    self._arm(line, now + seconds, lambda t, g=tag, s=session:
                              self._login_timer(line, s, g, t))
                case CancelTimer():
                    self._cancel_timer(line)
                case login.CheckPin(extension=extension, pin=pin):
                    session = line.login
                    self._check_pin(extension, pin, lambda name, s=session:
                                    self._pin_checked(line, s, name))
                case login.LoggedIn(agent=name):
                    self._logged_in(line, name, now)
                case login.Refused(reason=reason):
                    log.info("remote login on %s refused: %s", line.id, reason)
                    self._close(line, now)

    def _login_timer(self, line: RemoteLine, session: login.AgentLogin | None, tag: str,
                     now: float) -> None:
        if self.lines.get(line.id) is line and line.login is session and session is not None:
            self._run_login(line, session.timer_expired(tag), now)

    def _pin_checked(self, line: RemoteLine, session: login.AgentLogin | None,
                     name: str | None) -> None:
        if self.lines.get(line.id) is not line or line.login is not session or session is None:
            return  # the line went while the PIN was checked
        if name is not None and line.agent and name != line.agent:
            name = None  # the box called one agent; another's PIN does not open their line
        if name is None:
            self._publish({"type": "remote-agent-login-refused", **line.view()})
        self._run_login(line, session.pin_checked(name), self._now())

    def _logged_in(self, line: RemoteLine, name: str, now: float) -> None:
        agent = self._agents.get(name)
        # An agent calling in needs "takes queue calls" in the configuration; one the box
        # called has just been logged in (the configuration may not be reloaded yet).
        allowed = agent is not None and (line.outbound is not None or agent.logged_in)
        if agent is None or agent.remote_mode is not RemoteMode.NAILED_UP or not allowed:
            log.info("remote login of %s refused: not a nailed-up agent allowed to take calls",
                     name)
            self._close(line, now)
            return
        other = self._line_of(name)
        if other is not None and other is not line:
            self._close(other, now)  # the newest line wins: the old one may be a lost call
        line.agent = name
        line.login = None
        line.state = LineState.WELCOME
        self._changed(line)
        self._play(line, [f"{self._language('').value}/remote-login-ok"], now)

    def _open(self, line: RemoteLine, now: float) -> None:
        line.state = LineState.IDLE
        self._changed(line)
        try:
            self._acd.login(line.agent, now)
        except AcdError as exc:
            log.warning("remote agent %s: %s", line.agent, exc)
            self._close(line, now)

    def _line_gone(self, line: RemoteLine, now: float) -> None:
        """The nailed-up line dropped (the agent hung up): its call and the login end too."""
        if self.lines.get(line.id) is not line:
            return
        was, call_id = line.state, line.call_id
        self._forget(line)
        if was is LineState.CONNECTED and call_id is not None:
            self._acd.agent_hung_up(line.agent, now)
            self._host.end_call(call_id, now, "answered")
        elif was is LineState.RESERVED and call_id is not None:
            self._acd.agent_ring_failed(line.agent, call_id, now)
        if line.outbound is not None:
            line.outbound.hangup(now)
        if line.agent and was in (*_OPEN, LineState.WELCOME, LineState.ENDING):
            self._logout(line.agent, now)

    def _close(self, line: RemoteLine, now: float) -> None:
        """The box ends a nailed-up line: goodbye, then hang up; the agent is logged out."""
        if self.lines.get(line.id) is not line or line.state is LineState.ENDING:
            return
        was, call_id = line.state, line.call_id
        line.state = LineState.ENDING
        line.login = None
        self._cancel_timer(line)
        if was is LineState.CONNECTED and call_id is not None:
            self._acd.agent_hung_up(line.agent, now)
            self._host.end_call(call_id, now, "answered")
        elif was is LineState.RESERVED and call_id is not None:
            self._acd.agent_ring_failed(line.agent, call_id, now)
        line.call_id = None
        if line.agent:
            self._logout(line.agent, now)
        self._changed(line)
        if was is LineState.DIALLING or line.channel is None:
            self._hang_up(line, now)
        else:
            self._play(line, [GOODBYE], now)

    def _logout(self, name: str, now: float) -> None:
        runtime = self._acd.agents.get(name)
        if runtime is not None and runtime.logged_in:
            self._acd.logout(name, now)

    # -- inside -----------------------------------------------------------------------------

    def _line_of(self, agent: str) -> RemoteLine | None:
        return next((ln for ln in self.lines.values() if ln.agent == agent), None)

    def _play(self, line: RemoteLine, prompts: list[str], now: float, inner: str = "") -> None:
        """Play the first of ``prompts`` on the line; the rest wait in ``line.whisper``."""
        channel = line.channel
        line.seq += 1
        tag = f"{TAG_PREFIX}{line.seq}:{inner}"
        first, line.whisper = prompts[0], list(prompts[1:])
        try:
            if channel is None:
                raise MediaError("the line has no channel")
            self._engine.play_prompt(channel, self._prompts.get(first), tag)
        except (PromptError, MediaError) as exc:
            log.error("remote line %s: %s", line.id, exc)
            # A missing prompt must not strand the line: carry on as if it had played.
            self._timers.call_at(now, lambda t: self._prompt_finished(line, tag, t))

    def _hang_up(self, line: RemoteLine, now: float) -> None:
        """Clear the line to the agent's phone and forget it."""
        self._forget(line)
        if line.outbound is not None:
            line.outbound.hangup(now)
        elif line.login_call is not None:
            self._host.end_call(line.login_call, now, "answered")

    def _forget(self, line: RemoteLine) -> None:
        self._cancel_timer(line)
        if self.lines.pop(line.id, None) is not None:
            self._publish({"type": "remote-agent-line", **line.view(), "state": "closed"})

    def _arm(self, line: RemoteLine, when: float, callback: Callable[[float], None]) -> None:
        self._cancel_timer(line)
        line.timer = self._timers.call_at(when, callback)

    @staticmethod
    def _cancel_timer(line: RemoteLine) -> None:
        if line.timer is not None:
            line.timer.cancel()
            line.timer = None

    def _changed(self, line: RemoteLine) -> None:
        self._publish({"type": "remote-agent-line", **line.view()})

    def _now(self) -> float:
        return self._clock.now()

    # -- PINs -------------------------------------------------------------------------------

    def _agent_for_extension(self, extension: str) -> tuple[str, str | None]:
        agent = next((a for a in self._agents.values() if a.extension == extension), None)
        if agent is None or agent.remote_mode is not RemoteMode.NAILED_UP:
            return "", None
        return agent.name, self._pins.get(agent.name)

    def _check_pin_in_thread(
        self, extension: str, pin: str, done: Callable[[str | None], None]
    ) -> None:
        """Check a PIN against its slow hash on a worker thread; ``done`` runs on the loop."""
        name, stored = self._agent_for_extension(extension)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            done(name if pin_matches(stored, pin) else None)
            return

        async def check() -> None:
            ok = await asyncio.to_thread(pin_matches, stored, pin)
            done(name if ok else None)

        task = loop.create_task(check())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


@functools.cache
def _decoy_hash() -> str:
    return generate_password_hash("decoy-pin")


def pin_matches(stored: str | None, pin: str) -> bool:
    """Whether ``pin`` matches the stored hash (made by the agent PIN store).

    With no hash (no such agent, or no PIN set) a decoy is checked, so a wrong
    extension takes as long to refuse as a wrong PIN.
    """
    if stored is None:
        check_password_hash(_decoy_hash(), pin)
        return False
    return check_password_hash(stored, pin)


if __name__ == "__main__":
    from firmware.ivr.speech import SpeechError, record_phrases

    try:
        count = record_phrases(PHRASES, Path(__file__).parents[1] / "ivr" / "prompts")
    except SpeechError as exc:
        sys.exit(f"remote agent phrases: {exc}")
    print(f"{count} remote agent phrases recorded")
