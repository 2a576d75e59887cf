"""Calls the box's phones make themselves: extensions, outside lines, and transfers.

Transfers are why this module exists: an agent on a queue call presses the
phone's recall (flash) button, the caller is held (hearing ringback), the agent
dials an extension from the dial plan, and then either

* hangs up while the extension rings: a *blind* transfer, the caller is put
  through when the extension answers (or cleared after ``BLIND_RING_TIMEOUT``);
* waits for the answer, speaks to the colleague, and hangs up: an *attended*
  transfer, the caller is put through at once.

A flash while consulting (at the dial tone, while it rings, while talking, or at
the busy tone of a failed attempt) abandons the transfer and returns the agent to
the caller; the consulted phone hears busy. A transfer is an extension call
made with a call on hold, so extension-to-extension calls between the box's own
phones and outside calls through a free FXO line (the outside prefix, or an
emergency number) are handled here too, with a CDR for each outside call.
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from firmware.acd.service import Acd
from firmware.calls.analog import FxoPort, FxsPort
from firmware.calls.dialplan import DialPlan, DialPlanError, DialResult, NumberKind
from firmware.calls.model import Call, CallState
from firmware.calls.paging import Paging
from firmware.calls.timers import TimerHandle, Timers
from firmware.media.engine import MediaEngine
from firmware.signaling.loopstart.errors import LocalProtocolError
from firmware.signaling.loopstart.events import CallerInfo
from firmware.store.models import BoxConfig, Cdr

log = logging.getLogger(__name__)

BLIND_RING_TIMEOUT = 30.0


class CallBook(Protocol):
    """What this module needs of the call manager: its calls, its ACD, and ending a call."""

    calls: dict[str, Call]
    acd: Acd

    def end_call(self, call_id: str, now: float, disposition: str) -> None: ...


class StationKind(enum.Enum):
    EXTENSION = "extension"
    OUTSIDE = "outside"


class StationState(enum.Enum):
    RINGING = "ringing"  # the called phone rings, or the exchange has the number
    CONNECTED = "connected"


@dataclass
class StationCall:
    """A call one of the box's phones placed: to another phone, or out on a line."""

    id: str
    kind: StationKind
    caller: FxsPort
    number: str
    started_wall: float
    callee: FxsPort | None = None
    trunk: FxoPort | None = None
    state: StationState = StationState.RINGING
    answered_wall: float | None = None


class TransferStage(enum.Enum):
    DIALLING = "dialling"  # the agent hears dial tone, the caller is held
    RINGING = "ringing"  # the extension rings; the agent is still on
    CONSULTING = "consulting"  # agent and extension talk; the caller is held
    BLIND = "blind"  # the agent hung up; the caller waits for the extension
    FAILED = "failed"  # busy or unobtainable: the agent hears busy, may flash back


@dataclass
class Transfer:
    """One queue call being handed from ``agent`` to ``target``."""

    call_id: str
    agent: FxsPort
    stage: TransferStage = TransferStage.DIALLING
    target: FxsPort | None = None
    timer: TimerHandle | None = None


class PhoneCalls:
    """The station handler of every FXS port (see :class:`~firmware.calls.analog.StationCalls`).

    Runs on the call layer's thread, from port events; it never touches the card.
    """

    def __init__(
        self,
        book: CallBook,
        engine: MediaEngine,
        timers: Timers,
        wall: Callable[[], float],
        record: Callable[[Cdr], None],
        publish: Callable[[dict], None],
    ) -> None:
        self._book = book
        self._engine = engine
        self._timers = timers
        self._wall = wall
        self._record = record
        self._publish = publish
        self._ids = itertools.count(1)
        self.plan = DialPlan({})
        self.outside_prefix: str | None = "0"
        self.phones: dict[str, FxsPort] = {}
        self.trunks: list[FxoPort] = []
        self.calls: dict[str, StationCall] = {}
        self.transfers: dict[str, Transfer] = {}  # by the queue call's id
        self.paging: Paging | None = None  # set when the box has a line-out

    # -- configuration ---------------------------------------------------------------

    def attach(self, phones: list[FxsPort], trunks: list[FxoPort]) -> None:
        """Become the station handler of ``phones``; outside calls use ``trunks``."""
        self.phones = {p.info.name: p for p in phones}
        self.trunks = list(trunks)
        for phone in phones:
            phone.station = self
            phone.machine.number_complete = self.plan.is_complete

    def configure(self, config: BoxConfig) -> list[str]:
        """Build the dial plan from the agents' extensions; returns configuration errors.

        An extension the plan refuses is left out (and reported), and an outside
        prefix that clashes with an extension is switched off, so one bad row
        never leaves the phones without a dial plan.
        """
        errors: list[str] = []
        extensions: dict[str, str] = {}
        for agent in config.agents:
            if agent.port not in self.phones:
                continue
            try:
                DialPlan({agent.extension: agent.port}, outside_prefix=None,
                         country=config.country)
            except DialPlanError as exc:
                errors.append(f"dial_plan: {exc}")
                continue
            extensions[agent.extension] = agent.port
        paging = None
        if self.paging is not None:
            paging, paging_errors = self.paging.usable_extension(
                extensions, self.outside_prefix, config.country
            )
            errors += paging_errors
        try:
            plan = DialPlan(extensions, outside_prefix=self.outside_prefix,
                            country=config.country, paging=paging)
        except DialPlanError as exc:
            errors.append(f"dial_plan: {exc}; outside calls by prefix are off")
            plan = DialPlan(extensions, outside_prefix=None, country=config.country, paging=paging)
        for error in errors:
            log.error("%s", error)
        self.plan = plan
        for phone in self.phones.values():
            phone.machine.number_complete = plan.is_complete
        return errors

    # -- StationCalls, from the phones ---------------------------------------------------

    def dialled(self, port: FxsPort, number: str, now: float) -> None:
        transfer = self._transfer_of_agent(port)
        result = self.plan.classify(number, timed_out=True)
        if transfer is not None:
            self._transfer_to(transfer, result, now)
        elif result.kind is NumberKind.EXTENSION:
            self._call_extension(port, result, now)
        elif result.kind in (NumberKind.OUTSIDE, NumberKind.EMERGENCY):
            self._call_outside(port, result, now)
        elif result.kind is NumberKind.PAGING and self.paging is not None:
            self.paging.start(port, now)
        else:
            log.info("%s dialled %r: not a number of this box", port.info.name, number)
            port.release(now)

    def flashed(self, port: FxsPort, now: float) -> None:
        transfer = self._transfer_of_agent(port)
        if transfer is not None:
            self._take_back(transfer, now)
            return
        call = self._book.calls.get(port.call_id or "")
        if (
            call is not None and call.agent_port == port.channel
            and call.state is CallState.CONNECTED
        ):
            self._hold_for_transfer(port, call, now)
            return
        station = self.calls.get(port.call_id or "")
        if station is not None and station.trunk is not None and station.caller is port:
            station.trunk.flash(now)  # the exchange's own recall, passed on

    def answered(self, port: FxsPort, now: float) -> bool:
        transfer = self._transfer_of_target(port)
        if transfer is not None:
            if transfer.stage is TransferStage.BLIND:
                self._complete(transfer, now)
            else:
                transfer.stage = TransferStage.CONSULTING
                self._engine.stop_playout(transfer.agent.channel)
                self._engine.bridge(transfer.agent.channel, port.channel)
                transfer.agent.connect(now)
            return True
        station = self.calls.get(port.call_id or "")
        if station is not None and station.callee is port:
            station.state = StationState.CONNECTED
            station.answered_wall = self._wall()
            self._engine.stop_playout(station.caller.channel)
            self._engine.bridge(station.caller.channel, port.channel)
            station.caller.connect(now)
            return True
        return False

    def hung_up(self, port: FxsPort, now: float) -> bool:
        if self.paging is not None and self.paging.hung_up(port, now):
            return True
        transfer = self._transfer_of_agent(port)
        if transfer is not None:
            self._agent_left(transfer, now)
            return True
        transfer = self._transfer_of_target(port)
        if transfer is not None:
            # The colleague hung up while consulted: back to the caller.
            port.call_id = None
            transfer.target = None
            self._take_back(transfer, now)
            return True
        station = self.calls.get(port.call_id or "")
        if station is None:
            return False
        self._end_station(station, port, now)
        return True

    # -- TrunkListener, from the lines the phones called out on -----------------------

    def trunk_answered(self, port: FxoPort, now: float) -> None:
        station = self.calls.get(port.call_id or "")
        if station is not None:
            station.state = StationState.CONNECTED
            station.answered_wall = self._wall()

    def trunk_gone(self, port: FxoPort, now: float, reason: str) -> None:
        station = self.calls.get(port.call_id or "")
        if station is None:
            port.hangup(now)
            return
        log.info("outside call %s ended by the line (%s)", station.id, reason)
        self._end_station(station, None, now)

    # -- from the call manager -----------------------------------------------------------

    def call_ended(self, call_id: str, now: float) -> None:
        """The queue call ``call_id`` ended (the caller left): drop any transfer of it."""
        transfer = self.transfers.pop(call_id, None)
        if transfer is not None:
            self._drop_target(transfer, now)
            if transfer.timer is not None:
                transfer.timer.cancel()

    # -- extension and outside calls ---------------------------------------------------

    def _call_extension(self, port: FxsPort, result: DialResult, now: float) -> None:
        callee = self.phones.get(self.plan.extensions[result.target])
        if callee is None or callee is port or not callee.can_ring:
            port.release(now)
            return
        station = StationCall(
            f"x{next(self._ids)}", StationKind.EXTENSION, port, result.target, self._wall(),
            callee=callee,
        )
        self.calls[station.id] = station
        port.call_id = callee.call_id = station.id
        callee.ring(now, self._caller_info(port))
        self._engine.play_tone(port.channel, "ringback")
        self._publish({"type": "extension-call", "call_id": station.id, "from": port.info.name,
                       "to": callee.info.name})

    def _call_outside(self, port: FxsPort, result: DialResult, now: float) -> None:
        trunk = next((t for t in self.trunks if t.is_free), None)
        if trunk is None:
            log.warning("%s: no free line for %s", port.info.name, result.target)
            port.release(now)
            return
        station = StationCall(
            f"x{next(self._ids)}", StationKind.OUTSIDE, port, result.target, self._wall(),
            trunk=trunk,
        )
        try:
            trunk.dial(result.target, now, self)
        except LocalProtocolError as exc:
            log.warning("%s: cannot call out on %s: %s", port.info.name, trunk.info.name, exc)
            port.release(now)
            return
        self.calls[station.id] = station
        port.call_id = trunk.call_id = station.id
        # The phone hears the exchange itself: its dial tone, ringback or busy.
        self._engine.bridge(port.channel, trunk.channel)
        port.connect(now)
        self._publish({"type": "outside-call", "call_id": station.id, "from": port.info.name,
                       "line": trunk.info.name, "number": result.target,
                       "emergency": result.kind is NumberKind.EMERGENCY})

    def _end_station(self, station: StationCall, left: FxsPort | None, now: float) -> None:
        """``left`` hung up (None: the line cleared): release everyone else."""
        self.calls.pop(station.id, None)
        for phone in (station.caller, station.callee):
            if phone is None:
                continue
            phone.call_id = None
            self._engine.reset(phone.channel)
            if phone is left:
                continue
            if station.state is StationState.RINGING and phone is station.callee:
                phone.stop_ring(now)
            else:
                phone.release(now)
        if station.trunk is not None:
            trunk = station.trunk
            trunk.call_id = None
            trunk.hangup(now)
            self._outside_cdr(station)

    def _outside_cdr(self, station: StationCall) -> None:
        assert station.trunk is not None
        end = self._wall()
        answer = station.answered_wall
        caller = station.caller
        extension = next(
            (e for e, p in self.plan.extensions.items() if p == caller.info.name), None
        )
        self._record(Cdr(
            call_id=station.id, start=station.started_wall, answer=answer, end=end,
            port=station.trunk.info.name, direction="out",
            caller_number=extension or caller.info.name, caller_name=caller.agent,
            destination=station.number, queue=None, agent=caller.agent,
            disposition="answered" if answer is not None else "no-answer",
            duration=round(end - station.started_wall, 3),
            billsec=round(end - answer, 3) if answer is not None else 0.0,
        ))

    def _caller_info(self, port: FxsPort) -> CallerInfo:
        extension = next(
            (e for e, p in self.plan.extensions.items() if p == port.info.name), None
        )
        return CallerInfo(extension, port.agent)

    # -- transfers -----------------------------------------------------------------------

    def _hold_for_transfer(self, port: FxsPort, call: Call, now: float) -> None:
        self._engine.unbridge(call.port)
        self._engine.play_tone(call.port, "ringback")  # the held caller hears it ring on
        self.transfers[call.id] = Transfer(call.id, port)
        port.recall(now)
        self._publish({"type": "transfer-started", "call_id": call.id,
                       "agent_port": port.info.name})

    def _transfer_to(self, transfer: Transfer, result: DialResult, now: float) -> None:
        agent = transfer.agent
        call = self._book.calls.get(transfer.call_id)
        target = None
        if result.kind is NumberKind.EXTENSION:
            target = self.phones.get(self.plan.extensions[result.target])
        if call is None or target is None or target is agent or not target.can_ring:
            # Busy or not an extension: busy tone; a flash brings the caller back.
            transfer.stage = TransferStage.FAILED
            agent.release(now)
            return
        transfer.target = target
        transfer.stage = TransferStage.RINGING
        target.call_id = call.id
        target.ring(now, CallerInfo(call.caller_number, call.caller_name))
        self._engine.play_tone(agent.channel, "ringback")

    def _take_back(self, transfer: Transfer, now: float) -> None:
        """Abandon the transfer: the agent speaks to the caller again."""
        agent = transfer.agent
        self.transfers.pop(transfer.call_id, None)
        self._drop_target(transfer, now)
        call = self._book.calls.get(transfer.call_id)
        if call is None:
            return
        self._engine.stop_playout(call.port)
        self._engine.stop_playout(agent.channel)
        self._engine.bridge(call.port, agent.channel)
        agent.connect(now)

    def _drop_target(self, transfer: Transfer, now: float) -> None:
        target, transfer.target = transfer.target, None
        if target is None:
            return
        target.call_id = None
        self._engine.reset(target.channel)
        if transfer.stage is TransferStage.CONSULTING:
            target.release(now)
        else:
            target.stop_ring(now)

    def _agent_left(self, transfer: Transfer, now: float) -> None:
        """The agent hung up mid-transfer: complete it, or hand it to the ringing phone."""
        agent = transfer.agent
        agent.call_id = None
        self._engine.reset(agent.channel)
        call = self._book.calls.get(transfer.call_id)
        if call is None:
            return
        if agent.agent is not None:
            self._book.acd.agent_hung_up(agent.agent, now)  # the agent's part is complete
        call.agent_port = None
        if transfer.stage is TransferStage.CONSULTING:
            self._complete(transfer, now)
        elif transfer.stage is TransferStage.RINGING:
            transfer.stage = TransferStage.BLIND
            transfer.timer = self._timers.call_at(
                now + BLIND_RING_TIMEOUT, lambda t, tr=transfer: self._blind_unanswered(tr, t)
            )
        else:
            # Nobody to hand the caller to: the call ends as an agent hang-up would end it.
            del self.transfers[transfer.call_id]
            self._book.end_call(call.id, now, "answered")

    def _complete(self, transfer: Transfer, now: float) -> None:
        target = transfer.target
        call = self._book.calls.get(transfer.call_id)
        self.transfers.pop(transfer.call_id, None)
        if transfer.timer is not None:
            transfer.timer.cancel()
        if call is None or target is None:
            return
        self._engine.stop_playout(call.port)
        self._engine.stop_playout(target.channel)
        self._engine.bridge(call.port, target.channel)
        target.connect(now)
        call.agent_port = target.channel
        call.agent = target.agent or call.agent
        call.state = CallState.CONNECTED
        self._publish({"type": "call-transferred", "call_id": call.id,
                       "agent_port": target.info.name, "agent": target.agent})

    def _blind_unanswered(self, transfer: Transfer, now: float) -> None:
        if transfer.stage is not TransferStage.BLIND or transfer.target is None:
            return
        self.transfers.pop(transfer.call_id, None)
        self._drop_target(transfer, now)
        self._book.end_call(transfer.call_id, now, "answered")

    def _transfer_of_agent(self, port: FxsPort) -> Transfer | None:
        for transfer in self.transfers.values():
            if transfer.agent is port and transfer.stage is not TransferStage.BLIND:
                return transfer
        return None

    def _transfer_of_target(self, port: FxsPort) -> Transfer | None:
        for transfer in self.transfers.values():
            if transfer.target is port:
                return transfer
        return None

    # -- views ---------------------------------------------------------------------------

    def views(self) -> list[dict]:
        return [
            {"id": s.id, "kind": s.kind.value, "from": s.caller.info.name, "number": s.number,
             "to": (s.callee or s.trunk).info.name if (s.callee or s.trunk) else None,
             "state": s.state.value}
            for s in self.calls.values()
        ]
