"""Where calls go: inbound by the number dialled (DID), outbound by prefix to a trunk group.

Inbound, an E1 call carries the number the caller dialled; a DID route sends
it to an IVR flow, a queue or an agent's extension. Outbound, the longest
matching prefix picks a route, the route a trunk group, and the group's members
(E1 spans, FXO lines) are tried in order: a member with every channel busy, or
whose far end answers with congestion, passes the call to the next one.
Each route also says which calling number the far end is shown, if any.
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from firmware.calls.lines import TrunkPort
from firmware.store.trunk_models import OutboundRoute, TrunkConfig, TrunkGroup

log = logging.getLogger(__name__)

# Q.850 causes that mean "no way through here now", not "the called party said no":
# 34 no circuit/channel available, 42 switching equipment congestion, 44 requested
# channel not available, 47 resource unavailable. Only these move a call on to the
# next trunk; 17 (user busy) or 1 (unallocated number) would be the same anywhere.
CONGESTION_CAUSES = frozenset({34, 42, 44, 47})
NO_ROUTE_TO_DESTINATION = 3
ANY_DID = "*"


class RoutingError(Exception):
    """A call that cannot be placed as asked (no route for the number, bad number)."""


class DidMatch(enum.Enum):
    """How the digits received so far compare with the DID routes (for overlap receiving)."""

    EXACT = "exact"  # a route has exactly this number
    PARTIAL = "partial"  # no route yet, but more digits could make one
    NONE = "none"  # no route, whatever follows


@dataclass(frozen=True)
class CallingPresentation:
    """The calling number a route shows the far end; ``restricted`` withholds it."""

    number: str | None = None
    restricted: bool = False


class OutboundLeg(Protocol):
    """Told by a trunk what becomes of a call placed on it."""

    def progress(self, port: TrunkPort, alerting: bool, now: float) -> None: ...

    def answered(self, port: TrunkPort, now: float) -> None: ...

    def cleared(self, port: TrunkPort, cause: int | None, now: float) -> None: ...

    def rebind(self, old: TrunkPort, new: TrunkPort) -> None: ...


class TrunkMember(Protocol):
    """A member of a trunk group: an E1 span or an FXO line."""

    @property
    def name(self) -> str: ...

    def dial(
        self, number: str, calling: CallingPresentation, now: float, leg: OutboundLeg
    ) -> TrunkPort | None:
        """Place the call; None when no channel is free (the group tries the next member)."""
        ...


class OutboundState(enum.StrEnum):
    DIALLING = "dialling"
    ALERTING = "alerting"
    ANSWERED = "answered"
    FAILED = "failed"
    ENDED = "ended"


@dataclass
class Attempt:
    """One member tried for an outbound call, and why it did not carry it (if it did not)."""

    member: str
    cause: int | None = None
    busy: bool = False


class OutboundCall:
    """One outbound call walking its trunk group until a member carries it.

    ``on_change`` is called with the call whenever its state changes, so the
    part of the box that asked for the call (the dialler, a test call) can
    follow it.
    """

    def __init__(
        self,
        call_id: str,
        number: str,
        route: OutboundRoute,
        members: Sequence[TrunkMember],
        calling: CallingPresentation,
        on_change: Callable[[OutboundCall, float], None],
    ) -> None:
        self.id = call_id
        self.number = number
        self.route = route
        self.calling = calling
        self.port: TrunkPort | None = None
        self.state = OutboundState.DIALLING
        self.cause: int | None = None
        self.attempts: list[Attempt] = []
        self._members = list(members)
        self._next = 0
        self._on_change = on_change

    def __repr__(self) -> str:
        return f"OutboundCall({self.id}, {self.number!r}, {self.state.value})"

    @property
    def finished(self) -> bool:
        return self.state in (OutboundState.FAILED, OutboundState.ENDED)

    @property
    def trunk(self) -> str | None:
        """The member carrying the call now."""
        return self.attempts[-1].member if self.port is not None and self.attempts else None

    def start(self, now: float) -> None:
        """Try the members in order until one takes the call."""
        while self._next < len(self._members):
            member = self._members[self._next]
            self._next += 1
            attempt = Attempt(member.name)
            self.attempts.append(attempt)
            port = member.dial(self.number, self.calling, now, self)
            if port is not None:
                self.port = port
                return
            attempt.busy = True
            log.info("call %s: %s has no free channel, trying the next trunk", self.id, member.name)
        self.port = None
        self._finish(OutboundState.FAILED, self.cause or 34, now)

    def hangup(self, now: float) -> None:
        """Clear the call, answered or not."""
        if self.finished:
            return
        port = self.port
        self._next = len(self._members)  # no failover after our own hang-up
        if port is not None:
            port.hangup(now)
        else:
            self._finish(OutboundState.ENDED, 16, now)

    # OutboundLeg: what the trunk reports ------------------------------------------------

    def progress(self, port: TrunkPort, alerting: bool, now: float) -> None:
        if port is self.port and alerting and self.state is OutboundState.DIALLING:
            self.state = OutboundState.ALERTING
            self._on_change(self, now)

    def answered(self, port: TrunkPort, now: float) -> None:
        if port is self.port and not self.finished:
            self.state = OutboundState.ANSWERED
            self._on_change(self, now)

    def cleared(self, port: TrunkPort, cause: int | None, now: float) -> None:
        if port is not self.port or self.finished:
            return
        self.port = None
        self.cause = cause
        if self.attempts:
            self.attempts[-1].cause = cause
        if self.state is OutboundState.ANSWERED:
            self._finish(OutboundState.ENDED, cause, now)
        elif cause in CONGESTION_CAUSES and self._next < len(self._members):
            log.info("call %s: congestion (cause %s) on %s, trying the next trunk",
                     self.id, cause, self.attempts[-1].member if self.attempts else "?")
            self.state = OutboundState.DIALLING
            self.start(now)
        else:
            self._finish(OutboundState.FAILED, cause, now)

    def rebind(self, old: TrunkPort, new: TrunkPort) -> None:
        """The far end moved the call to another channel of the same trunk."""
        if self.port is old:
            self.port = new

    def _finish(self, state: OutboundState, cause: int | None, now: float) -> None:
        self.state = state
        self.cause = cause
        self._on_change(self, now)


@dataclass
class Router:
    """The DID and outbound routes in force, and the trunk groups they use."""

    dids: dict[str, str] = field(default_factory=dict)
    outbound: list[OutboundRoute] = field(default_factory=list)
    groups: dict[str, TrunkGroup] = field(default_factory=dict)
    members: dict[str, TrunkMember] = field(default_factory=dict)
    calls: dict[str, OutboundCall] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def configure(self, config: TrunkConfig, members: Mapping[str, TrunkMember]) -> list[str]:
        """Apply the routes; groups naming trunks this box lacks keep the ones it has."""
        errors: list[str] = []
        self.members = dict(members)
        self.dids = {route.did: route.destination for route in config.did_routes}
        self.groups = {}
        for group in config.trunk_groups:
            missing = [m for m in group.members if m not in self.members]
            if missing:
                errors.append(f"trunk group {group.name}: no trunk {', '.join(missing)} on "
                              f"this box; known: {', '.join(sorted(self.members)) or 'none'}")
            self.groups[group.name] = group
        self.outbound = sorted(config.outbound_routes, key=lambda r: len(r.prefix), reverse=True)
        return errors

    # -- inbound ---------------------------------------------------------------------

    def inbound_destination(self, called: str | None) -> str | None:
        """The destination of a call to ``called``: its own DID route, or the catch-all one."""
        if called is not None and called in self.dids:
            return self.dids[called]
        return self.dids.get(ANY_DID)

    def did_match(self, digits: str) -> DidMatch:
        """Whether ``digits`` name a DID route, may still grow into one, or never will."""
        if digits in self.dids:
            return DidMatch.EXACT
        if any(did.startswith(digits) for did in self.dids if did != ANY_DID):
            return DidMatch.PARTIAL
        return DidMatch.NONE

    # -- outbound --------------------------------------------------------------------

    def route_for(self, number: str) -> OutboundRoute | None:
        """The route with the longest prefix ``number`` starts with."""
        return next((r for r in self.outbound if number.startswith(r.prefix)), None)

    def place(
        self, number: str, now: float, on_change: Callable[[OutboundCall, float], None]
    ) -> OutboundCall:
        """Place a call to ``number`` through its route's trunk group, with failover."""
        if not isinstance(number, str) or not number or not number.isdigit():
            raise RoutingError(f"a number to call is digits only, got {number!r}")
        route = self.route_for(number)
        if route is None:
            raise RoutingError(f"no outbound route for {number}")
        group = self.groups.get(route.trunk_group)
        if group is None:
            raise RoutingError(f"route {route.prefix or '(any)'}: no trunk group "
                               f"{route.trunk_group!r}")
        members = [self.members[m] for m in group.members if m in self.members]
        dialled = route.prepend + number[route.strip :]
        calling = CallingPresentation(route.calling_number, route.restricted)
        call = OutboundCall(
            f"o{next(self._ids)}", dialled, route, members, calling, self._tracked(on_change)
        )
        self.calls[call.id] = call
        call.start(now)
        return call

    def _tracked(
        self, on_change: Callable[[OutboundCall, float], None]
    ) -> Callable[[OutboundCall, float], None]:
        def changed(call: OutboundCall, now: float) -> None:
            if call.finished:
                self.calls.pop(call.id, None)
            on_change(call, now)

        return changed

